import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLogger } from "@logtape/logtape";
import { type DatabaseHandle, openPGlite, openPostgres } from "./connect.ts";
import { lockDataDir } from "./data-dir-lock.ts";

const logger = getLogger(["bayanihan", "server"]);

/** What of the configuration (config.ts's Config) says which database to open. */
export interface DatabaseSettings {
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  /** Named in PostgreSQL's pg_stat_activity. */
  readonly role: string;
}

/**
 * Opens the configured database: PostgreSQL at DATABASE_URL, or the embedded
 * one in DATA_DIR (created on first use, and held for this process only).
 */
export async function openDatabase(config: DatabaseSettings): Promise<DatabaseHandle> {
  if (config.databaseUrl !== null) {
    logger.info("Database: PostgreSQL at {server} (DATABASE_URL)", {
      server: describePostgresUrl(config.databaseUrl),
    });
    return openPostgres({ url: config.databaseUrl, applicationName: `bayanihan ${config.role}` });
  }
  const dataDir = path.resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });
  const unlock = await lockDataDir(dataDir);
  try {
    if (!existsSync(path.join(dataDir, "PG_VERSION"))) {
      logger.info("Database: creating a new embedded database in {dataDir} (DATA_DIR)", {
        dataDir,
      });
      await prepareDataDir(dataDir);
      logger.info("Database: created, with every migration applied");
    } else {
      logger.info("Database: embedded (PGlite) in {dataDir} (DATA_DIR)", { dataDir });
    }
    return releasingOnClose(await openPGlite({ dataDir }), unlock);
  } catch (error) {
    await unlock();
    throw error;
  }
}

/**
 * The embedded database in `dataDir` as it is (even empty: a restore fills
 * it), held for this process until the handle is closed.
 */
export async function openLockedPGlite(dataDir: string): Promise<DatabaseHandle> {
  const unlock = await lockDataDir(dataDir);
  try {
    return releasingOnClose(await openPGlite({ dataDir }), unlock);
  } catch (error) {
    await unlock();
    throw error;
  }
}

function releasingOnClose(handle: DatabaseHandle, unlock: () => Promise<void>): DatabaseHandle {
  return {
    ...handle,
    async close() {
      try {
        await handle.close();
      } finally {
        await unlock();
      }
    },
  };
}

/**
 * A PostgreSQL URL as a log may show it: user, host, port and database,
 * never the password (nor query parameters, which may carry one).
 */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username === "" ? "" : `${decodeURIComponent(u.username)}@`;
    return `${user}${u.host || "localhost"}${u.pathname === "/" ? "" : u.pathname}`;
  } catch {
    return "(an unreadable URL)";
  }
}

const PREPARE_DATA_DIR = fileURLToPath(new URL("../cli/prepare-data-dir.ts", import.meta.url));

/**
 * Creates a new embedded database, with its migrations applied, in a process
 * of its own. PGlite's initdb runs a second WASM module with a memory of its
 * own, and creating the schema touches much more memory than serving it:
 * done in this process, it stayed resident (about 420 MB idle on a first
 * start against 300 MB on every later one, BENCHMARKS.md "Memory").
 */
async function prepareDataDir(dataDir: string): Promise<void> {
  const child = fork(PREPARE_DATA_DIR, [dataDir], { execArgv: [], stdio: "inherit" });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (exitCode) => resolve(exitCode));
  });
  if (code !== 0) {
    throw new Error(`Preparing the database in ${dataDir} failed (exit code ${code})`);
  }
}
