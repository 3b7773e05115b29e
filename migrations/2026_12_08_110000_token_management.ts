import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Admins list, name and revoke coordinator tokens: a label says whose or
  // what for, and the last use (kept to the minute, not written on every
  // request) says whether a token is still in use before it is revoked.
  await sql`ALTER TABLE api_tokens ADD COLUMN label text`.execute(db);
  await sql`ALTER TABLE api_tokens ADD COLUMN last_used_at timestamptz`.execute(db);
  await sql`CREATE INDEX api_tokens_by_group ON api_tokens (group_id, created_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS api_tokens_by_group`.execute(db);
  await sql`ALTER TABLE api_tokens DROP COLUMN IF EXISTS last_used_at`.execute(db);
  await sql`ALTER TABLE api_tokens DROP COLUMN IF EXISTS label`.execute(db);
}
