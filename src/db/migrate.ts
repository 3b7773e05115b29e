import { promises as fs } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Kysely } from "kysely";
import { FileMigrationProvider, type MigrationResultSet, Migrator } from "kysely/migration";
import type { Database } from "./database.ts";

const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations", import.meta.url));

/**
 * `schema`: where the migration bookkeeping tables live when the connection
 * works in a schema of its own (tests). Kysely looks for them in any schema
 * otherwise, so one schema could take another's tables for its own.
 */
export function createMigrator(db: Kysely<Database>, schema?: string): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }),
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
}

export class MigrationError extends Error {}

/** Applies every pending migration; throws (naming the failing migration) if one fails. */
export async function migrateToLatest(
  db: Kysely<Database>,
  schema?: string,
): Promise<MigrationResultSet> {
  const result = await createMigrator(db, schema).migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === "Error");
    throw new MigrationError(
      `Migration ${failed?.migrationName ?? "(unknown)"} failed: ${String(result.error)}`,
      { cause: result.error },
    );
  }
  return result;
}
