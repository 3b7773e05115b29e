/**
 * Starting real Bayanihan instances for the benchmarks, on PGlite (a temp
 * DATA_DIR) or on PostgreSQL (a throwaway `bench_<random>` database), and
 * cleaning up after them even when a benchmark fails or is interrupted.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { type Config, loadConfig } from "../../src/config.ts";
import { type DatabaseHandle, openPostgres } from "../../src/db/connect.ts";
import { type InstanceOptions, type RunningServer, startServer } from "../../src/server.ts";

export type Engine = "pglite" | "postgres";

/**
 * The benchmark's client fetch. Instances no longer replace the global fetch
 * (their requests go through their own dispatcher, fetch-guard.ts); this is
 * kept so client requests stay apart from whatever an instance does.
 */
export const clientFetch: typeof fetch = globalThis.fetch;

export const ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";

/** Where the PostgreSQL server is; the benchmark creates and drops its own database there. */
export const POSTGRES_URL =
  process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

// ---------------------------------------------------------------------------
// Cleanup: everything a benchmark creates registers its undo here, so Ctrl-C
// or a thrown error still stops servers, closes databases and deletes files.

const cleanups: (() => Promise<void>)[] = [];

export function onCleanup(cleanup: () => Promise<void>): () => void {
  cleanups.push(cleanup);
  return () => {
    const index = cleanups.lastIndexOf(cleanup);
    if (index >= 0) cleanups.splice(index, 1);
  };
}

/** Runs every registered cleanup, newest first. Never throws. */
export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    try {
      await cleanup();
    } catch (error) {
      console.error("cleanup failed:", error);
    }
  }
}

// ---------------------------------------------------------------------------
// Databases

/** A place an instance can keep its data: a PGlite directory or a PostgreSQL database. */
export interface BenchStore {
  readonly engine: Engine;
  /** Environment for loadConfig: DATA_DIR or DATABASE_URL. */
  readonly env: Record<string, string>;
  /** The DATA_DIR (PGlite) or the database URL (PostgreSQL). */
  readonly location: string;
  dispose(): Promise<void>;
}

export async function createStore(engine: Engine): Promise<BenchStore> {
  if (engine === "pglite") {
    const dir = await mkdtemp(path.join(tmpdir(), "bayanihan-bench-"));
    const dispose = async () => {
      unregister();
      await rm(dir, { recursive: true, force: true });
    };
    const unregister = onCleanup(dispose);
    return { engine, env: { DATA_DIR: dir }, location: dir, dispose };
  }
  const name = `bench_${randomBytes(6).toString("hex")}`;
  const admin = openPostgres({ url: POSTGRES_URL, maxConnections: 1 });
  try {
    await sql`CREATE DATABASE ${sql.id(name)}`.execute(admin.db);
  } finally {
    await admin.close();
  }
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const dispose = async () => {
    unregister();
    const cleanup = openPostgres({ url: POSTGRES_URL, maxConnections: 1 });
    try {
      await sql`DROP DATABASE IF EXISTS ${sql.id(name)} WITH (FORCE)`.execute(cleanup.db);
    } finally {
      await cleanup.close();
    }
  };
  const unregister = onCleanup(dispose);
  return { engine, env: { DATABASE_URL: url.href }, location: url.href, dispose };
}

/** Whether a PostgreSQL server answers at POSTGRES_URL (the PostgreSQL runs are skipped otherwise). */
export async function postgresAvailable(): Promise<string | null> {
  const probe = openPostgres({ url: POSTGRES_URL, maxConnections: 1 });
  try {
    const result = await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(
      probe.db,
    );
    return result.rows[0]?.v ?? "unknown";
  } catch {
    return null;
  } finally {
    await probe.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------
// Instances

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface BenchInstance {
  readonly config: Config;
  readonly server: RunningServer;
  readonly database: DatabaseHandle;
  /** Calls the HTTP API; with the admin token unless `token` is null. */
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * A real instance listening on 127.0.0.1 (ALLOW_PRIVATE_ADDRESS=true so it
 * federates with loopback peers), on `store`. With `options.database` the
 * instance uses that handle (the caller closes it); otherwise it opens the
 * store itself from DATA_DIR / DATABASE_URL, as in production.
 */
export async function startInstance(
  store: BenchStore,
  options: InstanceOptions = {},
  env: Record<string, string> = {},
): Promise<BenchInstance> {
  const port = await freePort();
  const config = loadConfig({
    HOST: "127.0.0.1",
    PORT: String(port),
    ORIGIN: `http://127.0.0.1:${port}`,
    ADMIN_TOKEN,
    ALLOW_PRIVATE_ADDRESS: "true",
    LOG_LEVEL: "warning",
    ...store.env,
    ...env,
  });
  const server = await startServer(config, options);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    await server.stop();
  };
  const unregister = onCleanup(stop);
  return {
    config,
    server,
    database: server.instance.database,
    async api(method, apiPath, body, token = ADMIN_TOKEN) {
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      return clientFetch(new URL(apiPath, config.origin), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    },
    stop,
  };
}

/** POST /api/v1/groups; returns the handle. */
export async function createGroup(instance: BenchInstance, handle: string): Promise<string> {
  const response = await instance.api("POST", "/api/v1/groups", {
    handle,
    name: `Bench collective ${handle}`,
    summary: "A collective created by the benchmark.",
  });
  if (response.status !== 201) {
    throw new Error(`Creating the group failed: HTTP ${response.status} ${await response.text()}`);
  }
  return handle;
}

export async function groupId(instance: BenchInstance, handle: string): Promise<string> {
  const row = await instance.database.db
    .selectFrom("groups")
    .select("id")
    .where("handle", "=", handle)
    .executeTakeFirstOrThrow();
  return row.id;
}
