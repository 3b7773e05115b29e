import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Config } from "../config.ts";
import { type DatabaseHandle, openPostgres } from "../db/connect.ts";
import { openLockedPGlite } from "../db/open-database.ts";

/**
 * The configured database, for a command that runs beside (PostgreSQL) or
 * instead of (embedded) the server. The embedded database is locked while
 * open, so the server must be stopped: PGlite serves one process.
 * `create`: make a new embedded database when DATA_DIR holds none (restore).
 */
export async function openOperatorDatabase(
  config: Config,
  purpose: string,
  options: { create: boolean },
): Promise<DatabaseHandle> {
  if (config.databaseUrl !== null) {
    return openPostgres({
      url: config.databaseUrl,
      applicationName: `bayanihan ${purpose}`,
      maxConnections: 1,
    });
  }
  const dataDir = path.resolve(config.dataDir);
  if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
    if (!options.create) {
      throw new OperatorError(`There is no embedded database in ${dataDir} (DATA_DIR).`);
    }
    await mkdir(dataDir, { recursive: true });
  }
  return openLockedPGlite(dataDir);
}

/** A problem the operator can fix: printed without a stack trace. */
export class OperatorError extends Error {
  override name = "OperatorError";
}
