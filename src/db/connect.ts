// Only the type: the module itself is imported when an embedded database is
// opened, so a server on PostgreSQL never loads it (BENCHMARKS.md, "Memory").
import type { PGlite } from "@electric-sql/pglite";
import { Kysely, PGliteDialect } from "kysely";
import { PostgresJSDialect } from "kysely-postgres-js";
import postgres from "postgres";
import type { Database } from "./database.ts";
import { currentSchema, schemaChannel } from "./notify.ts";
import { countingConnections, DatabaseUsage } from "./usage.ts";

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
  /** Connections in use and waiting, statement durations (for the metrics). */
  readonly usage?: DatabaseUsage;
  /**
   * Calls `onNotify` whenever a statement in this handle's schema notifies
   * `channel` (notify.ts), and also each
   * time a lost LISTEN connection is re-established: notifications sent
   * while it was down are gone, so listeners must treat a reconnect as one.
   * Resolves to an unsubscribe function.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface PostgresOptions {
  url: string;
  /** Schema to work in (tests isolate themselves this way); default: the server's search_path. */
  schema?: string;
  /** Shown in `pg_stat_activity`, to tell this process's connections apart. */
  applicationName?: string;
  maxConnections?: number;
}

/**
 * LISTENs on `scopedChannel` (notify.ts) through postgres.js. postgres.js
 * listens again on a new connection when its LISTEN connection closes, and
 * then calls the third callback (as it did once the first LISTEN was in
 * place): that re-listen counts as a notification. The flag keeps a
 * notification or re-listen that races unlisten() from reaching a listener
 * that is gone (postgres.js 3.x's unlisten() did not reach a re-created
 * subscription at all).
 */
export async function listenWithPostgres(
  client: postgres.Sql,
  scopedChannel: string,
  onNotify: () => void,
): Promise<() => Promise<void>> {
  let active = true;
  let listening = false;
  const subscription = await client.listen(
    scopedChannel,
    () => {
      if (active) onNotify();
    },
    () => {
      if (listening && active) onNotify();
      listening = true;
    },
  );
  return async () => {
    active = false;
    await subscription.unlisten();
  };
}

export function openPostgres(options: PostgresOptions): DatabaseHandle {
  const maxConnections = options.maxConnections ?? 10;
  const client = postgres(options.url, {
    max: maxConnections,
    onnotice: () => {},
    // postgres.js 4 lets the server type parameters; `infer` keeps 3.x's
    // typing from JavaScript values (a Date as timestamptz, a boolean as
    // boolean...), which the queries here were written against.
    infer: true,
    connection: {
      ...(options.schema ? { search_path: options.schema } : {}),
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
    },
  });
  const usage = new DatabaseUsage(maxConnections);
  const db = new Kysely<Database>({
    dialect: countingConnections(new PostgresJSDialect({ postgres: client }), usage),
    log: usage.log,
  });
  return {
    db,
    engine: "postgres",
    usage,
    ...(options.schema ? { schema: options.schema } : {}),
    async listen(channel, onNotify) {
      const schema = options.schema ?? (await currentSchema(db));
      return listenWithPostgres(client, schemaChannel(schema, channel), onNotify);
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
  /**
   * PostgreSQL settings passed at start (`-c name=value`), on top of
   * PGLITE_SETTINGS.
   */
  settings?: Readonly<Record<string, string>>;
}

/**
 * PGlite starts with a server's defaults, sized for a machine of its own:
 * shared_buffers = 128MB lives inside the WASM memory, which never shrinks,
 * so the process grew to about 190 MB of WASM memory (150 MB resident)
 * before doing anything. One connection on a data directory of tens of MB
 * does not need that: 16MB keeps the WASM memory at its initial 128 MB
 * (about 30 MB of it resident when idle), and reads beyond it are served
 * by the operating system's file cache. Measured in BENCHMARKS.md
 * ("Memory"), with the list latencies checked against their target.
 */
export const PGLITE_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: "16MB",
};

/** PGlite's start parameters (`defaults`) with `settings` added as `-c name=value`. */
export function pgliteStartParams(
  defaults: readonly string[],
  settings: Readonly<Record<string, string>>,
): string[] {
  return [
    ...defaults,
    ...Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
  ];
}

export interface PGliteHandle extends DatabaseHandle {
  readonly pglite: PGlite;
}

export async function openPGlite(options: PGliteOptions = {}): Promise<PGliteHandle> {
  const { PGlite } = await import("@electric-sql/pglite");
  const pglite = await PGlite.create({
    startParams: pgliteStartParams(PGlite.defaultStartParams, {
      ...PGLITE_SETTINGS,
      ...options.settings,
    }),
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir !== undefined ? { loadDataDir: options.loadDataDir } : {}),
  });
  // One connection: Kysely's PGlite driver hands it to one statement or
  // transaction at a time, and the others wait for it.
  const usage = new DatabaseUsage(1);
  const db = new Kysely<Database>({
    dialect: countingConnections(new PGliteDialect({ pglite }), usage),
    log: usage.log,
  });
  return {
    db,
    engine: "pglite",
    usage,
    pglite,
    async listen(channel, onNotify) {
      // PGlite sends the name to LISTEN and UNLISTEN unquoted (folded to
      // lower case), so it must be a plain lower-case identifier.
      const scoped = schemaChannel(await currentSchema(db), channel);
      if (!/^[a-z_][a-z0-9_]*$/.test(scoped)) {
        throw new Error(`PGlite cannot listen on the channel ${scoped}.`);
      }
      return pglite.listen(scoped, () => onNotify());
    },
    async close() {
      // Kysely's destroy() closes the PGlite instance it was given.
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
