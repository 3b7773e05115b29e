import { type Kysely, sql } from "kysely";
import type { Database } from "../db/database.ts";
import { createMigrator, migrateToLatest } from "../db/migrate.ts";
import {
  BackupFormatError,
  type BackupHeader,
  headerProblem,
  type Row,
  type SequenceValue,
  type TableStart,
} from "./format.ts";
import {
  appliedMigrations,
  columnTypes,
  selfReferencingTables,
  sequenceNames,
  tablesInDependencyOrder,
} from "./schema.ts";

/** A restore that must not start: nothing has been written when it is thrown. */
export class RestoreRefused extends Error {
  override name = "RestoreRefused";
}

/**
 * Tables whose rows the migrations themselves insert (the one row of
 * federation settings): a fresh database has them, so they do not make it
 * "in use", and the backup's rows replace them.
 */
const SEEDED_TABLES: ReadonlySet<string> = new Set(["federation_settings"]);

export interface RestoreTarget {
  readonly db: Kysely<Database>;
  /** The schema the handle works in, when not the server's default (tests). */
  readonly schema?: string;
}

export interface RestoreOptions {
  /** The ORIGIN the restored instance will run with. */
  readonly origin: URL;
  /**
   * Restore a backup taken under another ORIGIN. Its actor and object ids keep
   * the old origin, so peers would not find the instance under the new one:
   * only for a copy that does not federate (a test or a staging server).
   */
  readonly allowOtherOrigin?: boolean;
  /** Rows inserted per statement. */
  readonly batchRows?: number;
}

export interface RestoreReport {
  readonly header: BackupHeader;
  readonly tables: number;
  readonly rows: number;
  /** Migrations applied after loading: those newer than the backup. */
  readonly migratedAfter: readonly string[];
}

const DEFAULT_BATCH_ROWS = 500;
/** A batch is also sent once its JSON reaches this size, whatever its row count. */
const BATCH_CHARS = 4 * 1024 * 1024;

/**
 * Loads a backup (format.ts) into an empty database:
 *  1. checks the header, the origin, that this code knows every migration of
 *     the backup and that the database holds nothing — refusing (RestoreRefused)
 *     before writing anything otherwise;
 *  2. migrates the database up to the backup's level;
 *  3. loads every table, parents first, and sets the sequences, in one
 *     transaction: a failure half-way (a truncated file) leaves no rows;
 *  4. applies the migrations newer than the backup.
 */
export async function restoreBackup(
  target: RestoreTarget,
  lines: AsyncIterator<string>,
  options: RestoreOptions,
): Promise<RestoreReport> {
  const first = await lines.next();
  if (first.done) throw new RestoreRefused("The file is empty.");
  const header = parseLine(first.value) as BackupHeader;
  const problem = headerProblem(header);
  if (problem !== null) throw new RestoreRefused(`The file cannot be restored: ${problem}.`);
  if (header.origin !== options.origin.origin && !options.allowOtherOrigin) {
    throw new RestoreRefused(
      `The backup was taken from ${header.origin}, but ORIGIN is ${options.origin.origin}. ` +
        "Every actor and object id is built on the origin: set ORIGIN to the backup's " +
        "(or pass --allow-other-origin for a copy that will not federate).",
    );
  }

  const migrator = createMigrator(target.db, target.schema);
  const known = new Set((await migrator.getMigrations()).map((m) => m.name));
  const unknown = header.migrations.filter((m) => !known.has(m));
  if (unknown.length > 0) {
    throw new RestoreRefused(
      `The backup was taken by a newer version of Bayanihan (its migration ${unknown[0]} is unknown here). Upgrade first, then restore.`,
    );
  }
  const inUse = await tablesWithRows(target.db);
  if (inUse.length > 0) {
    throw new RestoreRefused(
      `The database is not empty (${inUse.slice(0, 5).join(", ")}${inUse.length > 5 ? ", …" : ""} hold rows). Restore into a new, empty database.`,
    );
  }
  const backupLevel = new Set(header.migrations);
  const ahead = (await appliedMigrations(target.db)).filter((m) => !backupLevel.has(m));
  if (ahead.length > 0) {
    throw new RestoreRefused(
      `The database is empty but already migrated past the backup (${ahead[0]}). Restore into a newly created database.`,
    );
  }

  const level = header.migrations.at(-1)!;
  const toLevel = await migrator.migrateTo(level);
  if (toLevel.error !== undefined) {
    throw new Error(`Migrating to the backup's level (${level}) failed: ${String(toLevel.error)}`, {
      cause: toLevel.error,
    });
  }

  const loaded = await target.db.transaction().execute(async (trx) => {
    await sql`SET LOCAL TimeZone = 'UTC'`.execute(trx);
    await sql`SET LOCAL DateStyle = 'ISO, YMD'`.execute(trx);
    await sql`SET LOCAL IntervalStyle = 'postgres'`.execute(trx);
    // Checked again inside the transaction: nothing may have arrived since.
    const arrived = await tablesWithRows(trx);
    if (arrived.length > 0) throw new RestoreRefused(`${arrived[0]} received rows meanwhile.`);
    const tables = await tablesInDependencyOrder(trx);
    for (const table of [...tables].reverse()) {
      if (SEEDED_TABLES.has(table)) await sql`DELETE FROM ${sql.table(table)}`.execute(trx);
    }
    return loadTables(trx, lines, {
      tablesHere: new Set(tables),
      staged: await selfReferencingTables(trx),
      batchRows: options.batchRows ?? DEFAULT_BATCH_ROWS,
    });
  });

  const after = await migrateToLatest(target.db, target.schema);
  return {
    header,
    ...loaded,
    migratedAfter: (after.results ?? [])
      .filter((r) => r.status === "Success")
      .map((r) => r.migrationName),
  };
}

async function tablesWithRows(db: Kysely<Database>): Promise<string[]> {
  const found: string[] = [];
  for (const table of await tablesInDependencyOrder(db)) {
    if (SEEDED_TABLES.has(table)) continue;
    const result = await sql<{ present: boolean }>`
      SELECT EXISTS (SELECT 1 FROM ${sql.table(table)}) AS present`.execute(db);
    if (result.rows[0]?.present) found.push(table);
  }
  return found;
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new BackupFormatError("The file holds a line that is not JSON: it is damaged.");
  }
}

interface LoadPlan {
  readonly tablesHere: ReadonlySet<string>;
  /** Tables loaded through a staging table (see loadTable). */
  readonly staged: ReadonlySet<string>;
  readonly batchRows: number;
}

async function loadTables(
  trx: Kysely<Database>,
  lines: AsyncIterator<string>,
  plan: LoadPlan,
): Promise<{ tables: number; rows: number }> {
  let tables = 0;
  let rows = 0;
  for (;;) {
    const next = await lines.next();
    if (next.done) throw new BackupFormatError("The file ends early: it is incomplete.");
    if (next.value === "") continue;
    const line = parseLine(next.value) as Record<string, unknown>;
    if (typeof line.table === "string") {
      const start = line as unknown as TableStart;
      if (!plan.tablesHere.has(start.table)) {
        throw new BackupFormatError(`The backup has a table ${start.table} this database lacks.`);
      }
      rows += await loadTable(trx, start, lines, plan);
      tables++;
    } else if (Array.isArray(line.sequences)) {
      await setSequences(trx, line.sequences as SequenceValue[]);
    } else if (line.complete === true) {
      if (line.tables !== tables || line.rows !== rows) {
        throw new BackupFormatError(
          `The file promises ${String(line.tables)} tables and ${String(line.rows)} rows but holds ${tables} and ${rows}.`,
        );
      }
      return { tables, rows };
    } else {
      throw new BackupFormatError("The file holds a line this version does not understand.");
    }
  }
}

/**
 * Loads one table's rows. A table referencing itself (a need replacing
 * another) is first loaded into a temporary copy without constraints, then
 * moved with one INSERT: PostgreSQL checks a foreign key at the end of each
 * statement, so a row may then come before the row it points to.
 */
async function loadTable(
  trx: Kysely<Database>,
  start: TableStart,
  lines: AsyncIterator<string>,
  plan: LoadPlan,
): Promise<number> {
  const staged = plan.staged.has(start.table);
  const stage = "restore_stage";
  if (staged) {
    await sql`CREATE TEMPORARY TABLE ${sql.id(stage)} (LIKE ${sql.table(start.table)}) ON COMMIT DROP`.execute(
      trx,
    );
  }
  const into = staged ? sql.id(stage) : sql.table(start.table);
  const types = await columnTypes(trx, start.table);
  const missing = start.columns.filter((c) => !types.has(c));
  if (missing.length > 0) {
    throw new BackupFormatError(
      `${start.table}.${missing[0]} is in the backup but not in this database.`,
    );
  }
  // Each value is read back from its text form by its column type's input function.
  const values = sql.join(
    start.columns.map((c, i) => sql`(r->>${sql.lit(i)})::${sql.raw(types.get(c)!)}`),
  );
  const columns = sql.join(start.columns.map((c) => sql.ref(c)));
  let batch: Row[] = [];
  let chars = 0;
  let count = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const json = JSON.stringify(batch);
    batch = [];
    chars = 0;
    await sql`
      INSERT INTO ${into} (${columns}) OVERRIDING SYSTEM VALUE
      SELECT ${values} FROM json_array_elements(${json}::text::json) AS r`.execute(trx);
  };
  for (;;) {
    const next = await lines.next();
    if (next.done) throw new BackupFormatError("The file ends early: it is incomplete.");
    const line = parseLine(next.value);
    if (Array.isArray(line)) {
      if (line.length !== start.columns.length) {
        throw new BackupFormatError(`A row of ${start.table} has the wrong number of values.`);
      }
      batch.push(line as Row);
      chars += next.value.length;
      count++;
      if (batch.length >= plan.batchRows || chars >= BATCH_CHARS) await flush();
      continue;
    }
    const end = line as { end?: unknown; rows?: unknown };
    if (end.end !== start.table || end.rows !== count) {
      throw new BackupFormatError(`The rows of ${start.table} do not end as the file says.`);
    }
    await flush();
    if (staged) {
      await sql`
        INSERT INTO ${sql.table(start.table)} (${columns}) OVERRIDING SYSTEM VALUE
        SELECT ${columns} FROM ${sql.id(stage)}`.execute(trx);
      await sql`DROP TABLE ${sql.id(stage)}`.execute(trx);
    }
    return count;
  }
}

async function setSequences(trx: Kysely<Database>, sequences: readonly SequenceValue[]) {
  const here = new Set(await sequenceNames(trx));
  for (const sequence of sequences) {
    if (!here.has(sequence.name)) continue;
    await sql`SELECT setval(quote_ident(${sequence.name})::regclass, ${sequence.lastValue}::bigint, ${sequence.isCalled})`.execute(
      trx,
    );
  }
}
