import { type Kysely, type RawBuilder, sql } from "kysely";
import {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupHeader,
  type SequenceValue,
  type TableStart,
} from "./format.ts";
import {
  appliedMigrations,
  sequenceNames,
  storedColumns,
  tablesInDependencyOrder,
} from "./schema.ts";

// biome-ignore lint/suspicious/noExplicitAny: the backup reads whatever tables the schema has.
type AnyDb = Kysely<any>;

export interface BackupSource {
  readonly db: AnyDb;
  readonly engine: "postgres" | "pglite";
}

export interface BackupOptions {
  readonly origin: URL;
  readonly now: Temporal.Instant;
  /** Rows fetched from the cursor at a time: what the backup holds in memory. */
  readonly batchSize?: number;
}

const DEFAULT_BATCH = 1000;

/**
 * The backup's lines (format.ts), each ending in a newline, read in one
 * REPEATABLE READ, read-only transaction: every table as of one instant, while
 * other connections go on writing (on PostgreSQL; PGlite's one connection
 * waits for it). Rows come through a cursor, a batch at a time, and the
 * generator waits for its reader: memory stays at one batch whatever the size
 * of the instance. Stopping the iteration early rolls the transaction back.
 */
export async function* backupLines(
  source: BackupSource,
  options: BackupOptions,
): AsyncGenerator<string, void, undefined> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const trx = await source.db
    .startTransaction()
    .setIsolationLevel("repeatable read")
    .setAccessMode("read only")
    .execute();
  try {
    // The text forms below must read back the same on any server, whatever
    // its own settings: UTC, ISO dates, hex bytea, floats to the last digit.
    await sql`SET LOCAL TimeZone = 'UTC'`.execute(trx);
    await sql`SET LOCAL DateStyle = 'ISO, YMD'`.execute(trx);
    await sql`SET LOCAL IntervalStyle = 'postgres'`.execute(trx);
    await sql`SET LOCAL bytea_output = 'hex'`.execute(trx);
    await sql`SET LOCAL extra_float_digits = 3`.execute(trx);
    const header: BackupHeader = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      migrations: await appliedMigrations(trx),
      createdAt: options.now.toString(),
      origin: options.origin.origin,
      engine: source.engine,
    };
    yield `${JSON.stringify(header)}\n`;
    const tables = await tablesInDependencyOrder(trx);
    let total = 0;
    for (const table of tables) {
      const columns = await storedColumns(trx, table);
      const start: TableStart = { table, columns };
      yield `${JSON.stringify(start)}\n`;
      const selected = sql.join(
        columns.map((c, i) => sql`${sql.ref(c)}::text AS ${sql.ref(`c${i}`)}`),
      );
      const query = sql<Record<string, string | null>>`SELECT ${selected} FROM ${sql.table(table)}`;
      let rows = 0;
      for await (const batch of rowBatches(trx, source.engine, query, batchSize)) {
        let chunk = "";
        for (const row of batch) {
          chunk += `${JSON.stringify(columns.map((_, i) => row[`c${i}`] ?? null))}\n`;
        }
        rows += batch.length;
        yield chunk;
      }
      total += rows;
      yield `${JSON.stringify({ end: table, rows })}\n`;
    }
    const sequences: SequenceValue[] = [];
    for (const name of await sequenceNames(trx)) {
      const value = await sql<{ last_value: string; is_called: boolean }>`
        SELECT last_value::text AS last_value, is_called FROM ${sql.table(name)}`.execute(trx);
      const row = value.rows[0];
      if (row !== undefined) {
        sequences.push({ name, lastValue: row.last_value, isCalled: row.is_called });
      }
    }
    yield `${JSON.stringify({ sequences })}\n`;
    yield `${JSON.stringify({ complete: true, tables: tables.length, rows: total })}\n`;
  } finally {
    // Read only: nothing to commit.
    await trx.rollback().execute();
  }
}

/**
 * A query's rows, `batchSize` at a time, through a cursor. postgres.js runs
 * its own (it cannot read the rows of a FETCH: the extended protocol does
 * not describe them); PGlite has no streaming API but runs DECLARE and FETCH.
 */
async function* rowBatches<Row>(
  trx: AnyDb,
  engine: "postgres" | "pglite",
  query: RawBuilder<Row>,
  batchSize: number,
): AsyncGenerator<Row[]> {
  if (engine === "postgres") {
    for await (const result of trx.getExecutor().stream(query.compile(trx), batchSize)) {
      yield result.rows;
    }
    return;
  }
  await sql`DECLARE backup_rows NO SCROLL CURSOR FOR ${query}`.execute(trx);
  for (;;) {
    const batch = await sql<Row>`FETCH ${sql.raw(String(batchSize))} FROM backup_rows`.execute(trx);
    if (batch.rows.length === 0) break;
    yield batch.rows;
  }
  await sql`CLOSE backup_rows`.execute(trx);
}
