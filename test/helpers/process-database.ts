import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { inject } from "vitest";
import { type DatabaseHandle, openPGlite, openPostgres } from "../../src/db/connect.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { testEngine } from "./database.ts";

/**
 * A migrated database for child processes (the server, `npm run admin`),
 * configured the way an operator configures it: a DATA_DIR on the embedded
 * engine, or a database of its own on TEST_DATABASE_URL's server.
 */
export interface ProcessDatabase {
  /** DATA_DIR or DATABASE_URL, for a child's environment. */
  readonly env: Record<string, string>;
  /** Opens it in this process (close it before a child opens the embedded one). */
  open(): Promise<DatabaseHandle>;
  /** Runs `use` on it, closed afterwards. */
  use<T>(use: (handle: DatabaseHandle) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

export async function createProcessDatabase(): Promise<ProcessDatabase> {
  let open: () => Promise<DatabaseHandle>;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  const url = process.env.TEST_DATABASE_URL;
  if (testEngine === "postgres" && url !== undefined) {
    const name = `proc_${randomBytes(5).toString("hex")}`;
    const admin = openPostgres({ url, maxConnections: 1 });
    await sql`CREATE DATABASE ${sql.id(name)}`.execute(admin.db);
    await admin.close();
    const target = new URL(url);
    target.pathname = `/${name}`;
    env = { DATABASE_URL: target.href, DATA_DIR: "" };
    open = async () => openPostgres({ url: target.href, maxConnections: 4 });
    const fresh = await open();
    try {
      await migrateToLatest(fresh.db);
    } finally {
      await fresh.close();
    }
    drop = async () => {
      const cleanup = openPostgres({ url, maxConnections: 1 });
      await sql`DROP DATABASE IF EXISTS ${sql.id(name)} WITH (FORCE)`.execute(cleanup.db);
      await cleanup.close();
    };
  } else {
    const dir = await mkdtemp(path.join(tmpdir(), "bayanihan-proc-"));
    // Unpacked from the run's migrated snapshot: no initdb in the child.
    const snapshot = await readFile(inject("pgliteSnapshotPath"));
    const seeded = await openPGlite({ dataDir: dir, loadDataDir: new Blob([snapshot]) });
    await seeded.close();
    env = { DATA_DIR: dir, DATABASE_URL: "" };
    open = () => openPGlite({ dataDir: dir });
    drop = () => rm(dir, { recursive: true, force: true });
  }
  return {
    env,
    open,
    async use(use) {
      const handle = await open();
      try {
        return await use(handle);
      } finally {
        await handle.close();
      }
    },
    drop,
  };
}
