import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { openPostgres } from "../src/db/connect.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { testEngine } from "./helpers/database.ts";
import { ADMIN_TOKEN, freePort } from "./helpers/instance.ts";
import { pooledKeyPairGenerator } from "./helpers/test-keys.ts";
import { waitFor } from "./helpers/wait.ts";

const INBOXES = 60;
const FOLLOWERS_PER_INBOX = 3;

/**
 * ROLE=web and ROLE=worker processes sharing one PostgreSQL: two worker
 * processes drain one fan-out, one is killed with SIGKILL mid-way, and every
 * inbox still gets the activity. Only PostgreSQL can be shared by several
 * processes; the embedded database serves one.
 */
describe.runIf(testEngine === "postgres")(
  "scale-out: web and worker processes on one PostgreSQL",
  () => {
    const adminUrl = process.env.TEST_DATABASE_URL ?? "";
    const dbName = `scale_${randomBytes(5).toString("hex")}`;
    let databaseUrl = "";
    let web: RunningServer;
    let origin: string;
    const workers: ChildProcess[] = [];
    let inboxServer: Server;
    /** activity ids received per inbox path */
    const received = new Map<string, string[]>();

    beforeAll(async () => {
      const url = new URL(adminUrl);
      url.pathname = `/${dbName}`;
      databaseUrl = url.href;
      const admin = openPostgres({ url: adminUrl, maxConnections: 1 });
      await sql`CREATE DATABASE ${sql.id(dbName)}`.execute(admin.db);
      await admin.close();

      // One HTTP server standing for many servers: each path is one shared inbox.
      inboxServer = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          // Slow enough that the kill lands while deliveries are in flight.
          setTimeout(() => {
            const id = JSON.parse(Buffer.concat(chunks).toString() || "{}").id as string;
            received.set(req.url ?? "", [...(received.get(req.url ?? "") ?? []), id]);
            res.writeHead(202).end();
          }, 150);
        });
      });
      await new Promise<void>((resolve) => inboxServer.listen(0, "127.0.0.1", resolve));
      const inboxBase = `http://127.0.0.1:${(inboxServer.address() as AddressInfo).port}`;

      const port = await freePort();
      origin = `http://127.0.0.1:${port}`;
      const env = {
        HOST: "127.0.0.1",
        ORIGIN: origin,
        DATABASE_URL: databaseUrl,
        ADMIN_TOKEN,
        ALLOW_PRIVATE_ADDRESS: "true",
        LOG_LEVEL: "error",
      };
      web = await startServer(loadConfig({ ...env, PORT: String(port), ROLE: "web" }), {
        keys: pooledKeyPairGenerator,
      });
      await fetch(`${origin}/api/v1/groups`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ handle: "food", name: "Food" }),
      });
      const group = await web.instance.database.db
        .selectFrom("groups")
        .select("id")
        .where("handle", "=", "food")
        .executeTakeFirstOrThrow();
      const now = new Date();
      const rows = [];
      for (let i = 0; i < INBOXES; i++) {
        for (let j = 0; j < FOLLOWERS_PER_INBOX; j++) {
          rows.push({
            id: randomUUID(),
            group_id: group.id,
            actor_id: `${inboxBase}/servers/${i}/users/${j}`,
            inbox_url: `${inboxBase}/servers/${i}/users/${j}/inbox`,
            shared_inbox_url: `${inboxBase}/servers/${i}/inbox`,
            follow_activity_id: null,
            state: "accepted" as const,
            created_at: now,
            updated_at: now,
          });
        }
      }
      await web.instance.database.db.insertInto("followers").values(rows).execute();

      const root = path.resolve(import.meta.dirname, "..");
      for (let i = 0; i < 2; i++) {
        const workerPort = await freePort();
        const child = spawn(process.execPath, ["src/main.ts"], {
          cwd: root,
          env: { ...process.env, ...env, PORT: String(workerPort), ROLE: "worker" },
          stdio: ["ignore", "ignore", "inherit"],
        });
        workers.push(child);
        await waitFor(
          `worker ${i} to start`,
          async () => {
            const res = await fetch(`http://127.0.0.1:${workerPort}/healthz`).catch(() => null);
            return res?.status === 200;
          },
          30_000,
        );
      }
    });

    afterAll(async () => {
      for (const child of workers) child.kill("SIGKILL");
      await web?.stop();
      inboxServer?.closeAllConnections();
      await new Promise((resolve) => inboxServer?.close(resolve));
      const admin = openPostgres({ url: adminUrl, maxConnections: 1 });
      await sql`DROP DATABASE IF EXISTS ${sql.id(dbName)} WITH (FORCE)`.execute(admin.db);
      await admin.close();
    });

    it("delivers to every inbox although a worker dies mid-way, duplicating only what was in flight", async () => {
      const token = (
        await (
          await fetch(`${origin}/api/v1/groups/food/tokens`, {
            method: "POST",
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          })
        ).json()
      ).token;
      const res = await fetch(`${origin}/api/v1/groups/food/needs`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ title: "Generators", category: "utilities" }),
      });
      expect(res.status).toBe(201);

      // The web process queues but never delivers: workers do.
      await expect
        .poll(() => received.size, { timeout: 20_000 })
        .toBeGreaterThanOrEqual(INBOXES / 4);
      const leased = await sql<{ n: string }>`
      SELECT count(*) AS n FROM fedify_queue WHERE lease_until > now()`.execute(
        web.instance.database.db,
      );
      const inFlightAtKill = Number(leased.rows[0]?.n ?? 0);
      workers[0]!.kill("SIGKILL");

      await expect.poll(() => received.size, { timeout: 45_000 }).toBe(INBOXES);
      const counts = [...received.values()].map((ids) => ids.length);
      const duplicates = counts.reduce((sum, n) => sum + (n - 1), 0);
      expect(Math.min(...counts)).toBe(1);
      expect(duplicates).toBeLessThanOrEqual(inFlightAtKill);
      // Every delivery carried the same Create: receivers can deduplicate by id.
      expect(new Set([...received.values()].flat()).size).toBe(1);
    });
  },
);
