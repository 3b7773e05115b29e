/**
 * Notification channels, scoped to the schema they concern.
 *
 * PostgreSQL's channels belong to the whole database, but an instance's
 * data lives in one schema: two instances (or test files) sharing a database
 * in different schemas would otherwise wake each other's queues and drop
 * each other's policy caches, and a listener could not tell a notification
 * meant for it from a stranger's. So every NOTIFY names the schema it was
 * sent from, and DatabaseHandle.listen subscribes to its own schema's.
 */
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { Database } from "./database.ts";

/**
 * The channel a schema's notifications on `channel` travel on. The
 * separator is one an unquoted identifier may hold: PGlite's unlisten sends
 * the name unquoted.
 */
export function schemaChannel(schema: string, channel: string): string {
  return `${schema}__${channel}`;
}

/** `pg_notify` on `channel` of the schema the statement runs in, as an SQL expression. */
export function notifyExpression(channel: string): RawBuilder<unknown> {
  return sql`pg_notify(current_schema() || '__' || ${channel}, '')`;
}

/** Sends a notification on `channel`, delivered when the surrounding transaction commits. */
export async function notify(db: Kysely<Database>, channel: string): Promise<void> {
  await sql`SELECT ${notifyExpression(channel)}`.execute(db);
}

/** The schema unqualified names resolve to on this connection. */
export async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  const schema = rows[0]?.schema;
  if (schema === undefined) throw new Error("The connection has no current schema.");
  return schema;
}
