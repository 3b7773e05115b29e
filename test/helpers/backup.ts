import { type Kysely, sql } from "kysely";
import { tablesInDependencyOrder } from "../../src/backup/schema.ts";

// biome-ignore lint/suspicious/noExplicitAny: compares whatever tables the schema has.
type AnyDb = Kysely<any>;

/**
 * Every table's rows as PostgreSQL's text of each row, sorted, and every
 * sequence's position: two databases holding the same data give equal
 * results, whichever engine each runs on.
 */
export async function databaseContents(db: AnyDb): Promise<Record<string, string[]>> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL TimeZone = 'UTC'`.execute(trx);
    await sql`SET LOCAL extra_float_digits = 3`.execute(trx);
    const contents: Record<string, string[]> = {};
    for (const table of await tablesInDependencyOrder(trx)) {
      const rows = await sql<{ row: string }>`
        SELECT t::text AS row FROM ${sql.table(table)} AS t`.execute(trx);
      contents[table] = rows.rows.map((r) => r.row).sort();
    }
    const sequences = await sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_class c
      WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
        AND c.relkind = 'S' ORDER BY 1`.execute(trx);
    for (const { name } of sequences.rows) {
      const value = await sql<{ v: string }>`
        SELECT last_value::text || ' ' || is_called::text AS v FROM ${sql.table(name)}`.execute(
        trx,
      );
      contents[`sequence ${name}`] = [value.rows[0]!.v];
    }
    return contents;
  });
}

/**
 * Tables of every awkward type the backup must carry exactly: bytes,
 * JSON kept as written, numbers beyond a double, time zones, arrays,
 * identity and generated columns, a foreign key.
 */
export async function createProbeTables(db: AnyDb): Promise<void> {
  await sql`CREATE TABLE backup_probe (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    label text, raw bytea, doc jsonb, plain json, amount numeric, at timestamptz,
    day date, local_time timestamp, tags text[], nums numeric[], ratio float8,
    span interval, flag boolean,
    doubled bigint GENERATED ALWAYS AS (id * 2) STORED
  )`.execute(db);
  await sql`CREATE TABLE backup_probe_child (
    id serial PRIMARY KEY,
    probe_id bigint NOT NULL REFERENCES backup_probe (id),
    parent_id integer REFERENCES backup_probe_child (id)
  )`.execute(db);
  await sql`CREATE TABLE backup_ledger_a (n integer PRIMARY KEY)`.execute(db);
  await sql`CREATE TABLE backup_ledger_b (n integer PRIMARY KEY)`.execute(db);
}

export async function fillProbeTables(db: AnyDb): Promise<void> {
  const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("hex");
  await sql`INSERT INTO backup_probe
    (label, raw, doc, plain, amount, at, day, local_time, tags, nums, ratio, span, flag)
    VALUES (
      ${"quote ' \" backslash \\ tab \t newline \n emoji 🌊 ñ 中文"},
      decode(${allBytes}, 'hex'),
      ${'{"a": [1, 2.50, "x\\"y"], "big": 12345678901234567890.123, "nested": {"null": null}, "e": "\\u00e9"}'}::text::jsonb,
      ${'{"b":1,  "b":2, "order": "kept"}'}::text::json,
      ${"12345678901234567890.000000000001"}::numeric,
      ${"2026-12-07 16:00:00.123456+08"}::timestamptz,
      ${"2026-02-28"}::date,
      ${"2026-12-07 01:02:03.000004"}::timestamp,
      ${'{"a,b","c\\"d",NULL,"",NULL}'}::text[],
      ${"{1.10,NULL,-0.000001}"}::numeric[],
      ${0.30000000000000004}::float8,
      ${"1 year 2 mons 3 days 04:05:06.789"}::interval,
      true)`.execute(db);
  await sql`INSERT INTO backup_probe (label, amount, ratio) VALUES (NULL, 'NaN', '-Infinity')`.execute(
    db,
  );
  await sql`INSERT INTO backup_probe (label, doc, tags) VALUES ('', 'null'::jsonb, '{}')`.execute(
    db,
  );
  // Rows of one table pointing at each other in a cycle: no order of them loads one by one.
  await sql`INSERT INTO backup_probe_child (probe_id, parent_id) VALUES (1, NULL)`.execute(db);
  await sql`INSERT INTO backup_probe_child (probe_id, parent_id) VALUES (2, 1)`.execute(db);
  await sql`INSERT INTO backup_probe_child (probe_id, parent_id) VALUES (3, 2)`.execute(db);
  await sql`UPDATE backup_probe_child SET parent_id = 3 WHERE id = 1`.execute(db);
  await sql`UPDATE backup_probe_child SET parent_id = 3 WHERE id = 1`.execute(db);
}
