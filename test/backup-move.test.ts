import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { type DatabaseHandle, openPostgres } from "../src/db/connect.ts";
import { type InstanceOptions, type RunningServer, startServer } from "../src/server.ts";
import { createTestDatabase, testEngine } from "./helpers/database.ts";
import { ADMIN_TOKEN, freePort } from "./helpers/instance.ts";
import { pooledKeyPairGenerator } from "./helpers/test-keys.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

/** Runs one of the operator commands (src/cli) as an operator would, in a process of its own. */
async function command(script: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(ROOT, "src/cli", script), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warning", ...env },
  });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

/** Deliveries retried every 300 ms, never given up or parked: the peer is down for a while. */
const patientDelivery: InstanceOptions = {
  keys: pooledKeyPairGenerator,
  queue: { pollIntervalMs: 100 },
  retry: { delayFor: () => Temporal.Duration.from({ milliseconds: 300 }) },
  delivery: {
    deadlines: { connectMs: 1_000, headersMs: 2_000, totalMs: 3_000 },
    parking: {
      afterFailures: 1_000_000,
      first: Temporal.Duration.from({ milliseconds: 100 }),
      longest: Temporal.Duration.from({ milliseconds: 100 }),
    },
  },
};

/**
 * An instance on the embedded database moves to PostgreSQL (or, without
 * TEST_DATABASE_URL, to another embedded database) by backup and restore,
 * with a peer that follows it and that it follows.
 */
describe("moving an instance by backup and restore", () => {
  let dir: string;
  let dataDir: string;
  let portA: number;
  let portB: number;
  let originA: string;
  let originB: string;
  let a: RunningServer | undefined;
  let b: RunningServer | undefined;
  let databaseB: DatabaseHandle;
  /** Where A lives after the move: a new PostgreSQL database, or a new DATA_DIR. */
  let targetEnv: Record<string, string>;
  let dropTarget: () => Promise<void> = async () => {};

  const envA = (extra: Record<string, string>) => ({
    HOST: "127.0.0.1",
    PORT: String(portA),
    ORIGIN: originA,
    ADMIN_TOKEN,
    ALLOW_PRIVATE_ADDRESS: "true",
    LOG_LEVEL: "error",
    ...extra,
  });
  const startA = async (extra: Record<string, string>) => {
    a = await startServer(loadConfig(envA(extra)), patientDelivery);
  };
  const startB = async () => {
    b = await startServer(
      loadConfig({
        HOST: "127.0.0.2",
        PORT: String(portB),
        ORIGIN: originB,
        ADMIN_TOKEN,
        ALLOW_PRIVATE_ADDRESS: "true",
        LOG_LEVEL: "error",
      }),
      { ...patientDelivery, database: databaseB },
    );
  };
  const api = async (origin: string, method: string, route: string, body?: unknown) => {
    const res = await fetch(new URL(route, origin), {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const actorDocument = async () => {
    const res = await fetch(`${originA}/groups/food`, {
      headers: { accept: "application/activity+json" },
    });
    const doc = (await res.json()) as Record<string, unknown>;
    return { publicKey: doc.publicKey, assertionMethod: doc.assertionMethod };
  };
  const networkOfB = async (): Promise<string[]> =>
    (await api(originB, "GET", "/api/v1/groups/water/network")).items.map(
      (item: { title: string }) => item.title,
    );

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "bayanihan-move-"));
    dataDir = path.join(dir, "data");
    [portA, portB] = [await freePort("127.0.0.1"), await freePort("127.0.0.2")];
    originA = `http://127.0.0.1:${portA}`;
    originB = `http://127.0.0.2:${portB}`;
    // A's embedded database, made from the run's migrated snapshot (initdb is slow).
    const seed = await PGlite.create({
      dataDir,
      loadDataDir: new Blob([await readFile(inject("pgliteSnapshotPath"))]),
    });
    await seed.close();
    databaseB = await createTestDatabase();
    const url = process.env.TEST_DATABASE_URL;
    if (testEngine === "postgres" && url !== undefined) {
      const name = `bh_move_${randomBytes(5).toString("hex")}`;
      const admin = openPostgres({ url, maxConnections: 1 });
      await sql`CREATE DATABASE ${sql.id(name)}`.execute(admin.db);
      await admin.close();
      const target = new URL(url);
      target.pathname = `/${name}`;
      targetEnv = { DATABASE_URL: target.href };
      dropTarget = async () => {
        const cleanup = openPostgres({ url, maxConnections: 1 });
        await sql`DROP DATABASE IF EXISTS ${sql.id(name)} WITH (FORCE)`.execute(cleanup.db);
        await cleanup.close();
      };
    } else {
      targetEnv = { DATA_DIR: path.join(dir, "moved") };
    }
    await Promise.all([startA({ DATA_DIR: dataDir }), startB()]);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await databaseB?.close();
    await dropTarget();
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps the keys, the follows and the deliveries still queued", async () => {
    await api(originA, "POST", "/api/v1/groups", { handle: "food", name: "City A Food" });
    await api(originB, "POST", "/api/v1/groups", { handle: "water", name: "City B Water" });
    // Each follows the other.
    await api(originB, "POST", "/api/v1/groups/water/following", {
      account: `${originA}/groups/food`,
    });
    await api(originA, "POST", "/api/v1/groups/food/following", {
      account: `${originB}/groups/water`,
    });
    const accepted = async (origin: string, handle: string) =>
      (await api(origin, "GET", `/api/v1/groups/${handle}/following`)).items.map(
        (f: { state: string }) => f.state,
      );
    await expect.poll(() => accepted(originB, "water"), { timeout: 20_000 }).toEqual(["accepted"]);
    await expect.poll(() => accepted(originA, "food"), { timeout: 20_000 }).toEqual(["accepted"]);
    const keysBefore = await actorDocument();
    expect(keysBefore.publicKey).toBeDefined();

    // B goes down; A's need for it waits in A's queue.
    await b!.stop();
    b = undefined;
    await api(originA, "POST", "/api/v1/groups/food/needs", {
      title: "Queued before the move",
      category: "water",
    });
    const queued = async () => {
      const count = await sql<{ n: string }>`
        SELECT count(*)::text AS n FROM fedify_queue`.execute(a!.instance.database.db);
      return Number(count.rows[0]!.n);
    };
    await expect.poll(queued, { timeout: 10_000 }).toBeGreaterThan(0);

    // The embedded database is locked while the server runs.
    const file = path.join(dir, "a.backup");
    const refused = await command("backup.ts", [file], envA({ DATA_DIR: dataDir }));
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/in use by another process/);

    await a!.stop();
    a = undefined;
    const backup = await command("backup.ts", [file], envA({ DATA_DIR: dataDir }));
    expect(backup.output).toMatch(/Backup written/);
    expect(backup.code).toBe(0);
    const restore = await command("restore.ts", [file], envA(targetEnv));
    expect(restore.output).toMatch(/Restored/);
    expect(restore.code).toBe(0);
    // A second restore finds the database in use and leaves it alone.
    const again = await command("restore.ts", [file], envA(targetEnv));
    expect(again.code).toBe(1);
    expect(again.output).toMatch(/not empty/);

    await startA(targetEnv);
    expect(await actorDocument()).toEqual(keysBefore);
    await startB();
    await api(originA, "POST", "/api/v1/groups/food/needs", {
      title: "Posted after the move",
      category: "water",
    });
    await expect
      .poll(async () => (await networkOfB()).sort(), { timeout: 20_000 })
      .toEqual(["Posted after the move", "Queued before the move"]);
  }, 120_000);
});
