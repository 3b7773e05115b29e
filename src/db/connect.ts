import { PGlite } from "@electric-sql/pglite";
import { Kysely, PGliteDialect } from "kysely";
import { PostgresJSDialect } from "kysely-postgres-js";
import postgres from "postgres";
import type { Database } from "./database.ts";

/**
 * One handle on the application's database, whichever engine backs it.
 * Kysely has no LISTEN API, so the handle also carries a `listen` that each
 * engine implements with its own mechanism (a dedicated postgres.js
 * connection, or PGlite's in-process notifications).
 */
export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: "postgres" | "pglite";
  /** The schema this handle works in, when it is not the server's default. */
  readonly schema?: string;
  /** Calls `onNotify` whenever someone runs `NOTIFY channel`. Resolves to an unsubscribe function. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface PostgresOptions {
  url: string;
  /** Schema to work in (tests isolate themselves this way); default: the server's search_path. */
  schema?: string;
  maxConnections?: number;
}

export function openPostgres(options: PostgresOptions): DatabaseHandle {
  const client = postgres(options.url, {
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    ...(options.schema ? { connection: { search_path: options.schema } } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PostgresJSDialect({ postgres: client }) });
  return {
    db,
    engine: "postgres",
    ...(options.schema ? { schema: options.schema } : {}),
    async listen(channel, onNotify) {
      const subscription = await client.listen(channel, () => onNotify());
      return () => subscription.unlisten();
    },
    async close() {
      // postgres.js's end() waits forever if a query holds a connection when
      // it is called; after 5 s it closes the connections regardless.
      await client.end({ timeout: 5 });
      await db.destroy();
    },
  };
}

export interface PGliteOptions {
  /** Directory of the database files; undefined keeps it in memory. */
  dataDir?: string;
  /** A tarball made by `PGlite.dumpDataDir()`, to start from a prepared database. */
  loadDataDir?: Blob;
}

export interface PGliteHandle extends DatabaseHandle {
  readonly pglite: PGlite;
}

export async function openPGlite(options: PGliteOptions = {}): Promise<PGliteHandle> {
  const pglite = await PGlite.create({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir !== undefined ? { loadDataDir: options.loadDataDir } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    engine: "pglite",
    pglite,
    async listen(channel, onNotify) {
      return pglite.listen(channel, () => onNotify());
    },
    async close() {
      // Kysely's destroy() closes the PGlite instance it was given.
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
