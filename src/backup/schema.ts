import { type Kysely, sql } from "kysely";

/**
 * What the backup reads and the restore writes, found by asking the database
 * (its current schema) rather than listed by hand, so a new table or column
 * is backed up without anyone remembering to add it.
 */

/** Kysely's bookkeeping: the level travels in the header, and restore migrates itself. */
const MIGRATION_TABLES = new Set(["kysely_migration", "kysely_migration_lock"]);

// biome-ignore lint/suspicious/noExplicitAny: introspection works on any schema.
type AnyDb = Kysely<any>;

/** The application's tables, every table after those it references (parents first). */
export async function tablesInDependencyOrder(db: AnyDb): Promise<string[]> {
  const tables = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c
    WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind IN ('r', 'p')
      AND NOT c.relispartition
    ORDER BY c.relname`.execute(db);
  const names = tables.rows.map((r) => r.name).filter((n) => !MIGRATION_TABLES.has(n));
  const references = await sql<{ child: string; parent: string }>`
    SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
    JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
    WHERE k.contype = 'f' AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`.execute(
    db,
  );
  const parents = new Map<string, Set<string>>(names.map((n) => [n, new Set()]));
  for (const { child, parent } of references.rows) {
    // A table referencing itself orders its own rows; it cannot go before itself.
    if (child !== parent) parents.get(child)?.add(parent);
  }
  const ordered: string[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (name: string) => {
    if (placed.has(name)) return;
    if (visiting.has(name)) throw new Error(`Foreign keys form a cycle through ${name}`);
    visiting.add(name);
    for (const parent of [...(parents.get(name) ?? [])].sort()) place(parent);
    visiting.delete(name);
    placed.add(name);
    ordered.push(name);
  };
  for (const name of names) place(name);
  return ordered;
}

/** A table's stored columns in their order (generated columns are computed again on restore). */
export async function storedColumns(db: AnyDb, table: string): Promise<string[]> {
  const result = await sql<{ name: string }>`
    SELECT a.attname AS name FROM pg_attribute a
    WHERE a.attrelid = (quote_ident(current_schema()) || '.' || quote_ident(${table}))::regclass
      AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
    ORDER BY a.attnum`.execute(db);
  return result.rows.map((r) => r.name);
}

/** The sequences of the current schema (serial columns' and any other). */
export async function sequenceNames(db: AnyDb): Promise<string[]> {
  const result = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c
    WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind = 'S'
    ORDER BY c.relname`.execute(db);
  return result.rows.map((r) => r.name);
}

/** The migrations applied to this database, oldest first; empty when it has none. */
export async function appliedMigrations(db: AnyDb): Promise<string[]> {
  const exists = await sql<{ present: boolean }>`
    SELECT to_regclass(quote_ident(current_schema()) || '.kysely_migration') IS NOT NULL AS present`.execute(
    db,
  );
  if (!exists.rows[0]?.present) return [];
  const result = await sql<{ name: string }>`
    SELECT name FROM kysely_migration ORDER BY name`.execute(db);
  return result.rows.map((r) => r.name);
}

/** Each stored column's type, without modifiers (`numeric`, `text[]`), for reading values back from text. */
export async function columnTypes(db: AnyDb, table: string): Promise<Map<string, string>> {
  const result = await sql<{ name: string; type: string }>`
    SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type FROM pg_attribute a
    WHERE a.attrelid = (quote_ident(current_schema()) || '.' || quote_ident(${table}))::regclass
      AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''`.execute(db);
  return new Map(result.rows.map((r) => [r.name, r.type]));
}

/** Tables with a foreign key to themselves: their rows may come in any order, even in a cycle. */
export async function selfReferencingTables(db: AnyDb): Promise<Set<string>> {
  const result = await sql<{ name: string }>`
    SELECT DISTINCT c.relname AS name FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
    WHERE k.contype = 'f' AND k.conrelid = k.confrelid
      AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`.execute(
    db,
  );
  return new Set(result.rows.map((r) => r.name));
}
