import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { sql } from "kysely";
import { inject } from "vitest";
import { type DatabaseHandle, openPGlite, openPostgres } from "../../src/db/connect.ts";
import { migrateToLatest } from "../../src/db/migrate.ts";
import { currentSchema } from "../../src/db/notify.ts";

/** Which engine the database tests run on: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export const testEngine: "postgres" | "pglite" = process.env.TEST_DATABASE_URL
  ? "postgres"
  : "pglite";

/**
 * A fresh, migrated database for one test file (or one test). On PostgreSQL it
 * is a schema of its own inside TEST_DATABASE_URL, dropped on close, so test
 * files can run in parallel against one server.
 */
export async function createTestDatabase(): Promise<DatabaseHandle> {
  return createTestDatabaseOn(testEngine);
}

/**
 * A fresh, migrated database on the given engine: PostgreSQL needs
 * TEST_DATABASE_URL (tests moving data between engines use both).
 */
export async function createTestDatabaseOn(engine: "postgres" | "pglite"): Promise<DatabaseHandle> {
  const url = process.env.TEST_DATABASE_URL;
  if (engine === "postgres") {
    if (!url) throw new Error("A PostgreSQL test database needs TEST_DATABASE_URL");
    const schema = `test_${randomBytes(6).toString("hex")}`;
    const admin = openPostgres({ url, maxConnections: 1 });
    await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(admin.db);
    await admin.close();
    const handle = openPostgres({ url, schema, maxConnections: 10 });
    const dropSchema = async () => {
      const cleanup = openPostgres({ url, maxConnections: 1 });
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(cleanup.db);
      await cleanup.close();
    };
    try {
      await migrateToLatest(handle.db, schema);
    } catch (error) {
      await handle.close();
      await dropSchema();
      throw error;
    }
    return {
      ...handle,
      async close() {
        await handle.close();
        await dropSchema();
      },
    };
  }
  // Migrated already, and never stale: its cache key is a hash of the
  // migrations (test/helpers/disk-cache.ts), so migrating again is skipped.
  const snapshot = await readFile(inject("pgliteSnapshotPath"));
  return openPGlite({ loadDataDir: new Blob([snapshot]) });
}

/**
 * A database with no migrations applied, as `createdb` or a new DATA_DIR
 * gives: on PostgreSQL an empty schema (dropped on close), on PGlite a new
 * in-memory database (initdb: seconds).
 */
export async function createBareTestDatabaseOn(
  engine: "postgres" | "pglite",
): Promise<DatabaseHandle> {
  const url = process.env.TEST_DATABASE_URL;
  if (engine === "pglite") return openPGlite();
  if (!url) throw new Error("A PostgreSQL test database needs TEST_DATABASE_URL");
  const schema = `test_${randomBytes(6).toString("hex")}`;
  const admin = openPostgres({ url, maxConnections: 1 });
  await sql`CREATE SCHEMA ${sql.id(schema)}`.execute(admin.db);
  await admin.close();
  const handle = openPostgres({ url, schema, maxConnections: 4 });
  return {
    ...handle,
    async close() {
      await handle.close();
      const cleanup = openPostgres({ url, maxConnections: 1 });
      await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(cleanup.db);
      await cleanup.close();
    },
  };
}

/** Where a second handle on `handle`'s tables connects: the same database and schema (PostgreSQL only). */
export async function siblingTarget(
  handle: DatabaseHandle,
): Promise<{ url: string; schema: string }> {
  const url = process.env.TEST_DATABASE_URL;
  if (url === undefined) throw new Error("A sibling handle needs TEST_DATABASE_URL");
  return { url, schema: await currentSchema(handle.db) };
}

/**
 * A second, independent handle on the same tables, as another process has
 * (PostgreSQL only): connections of its own, named `applicationName` in
 * pg_stat_activity when given. Close it before `handle`.
 */
export async function openSibling(
  handle: DatabaseHandle,
  options: { maxConnections?: number; applicationName?: string } = {},
): Promise<DatabaseHandle> {
  return openPostgres({
    ...(await siblingTarget(handle)),
    maxConnections: options.maxConnections ?? 4,
    ...(options.applicationName !== undefined ? { applicationName: options.applicationName } : {}),
  });
}
