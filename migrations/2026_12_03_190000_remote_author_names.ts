import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Who posted a received need, as its actor document says (display name and
  // user@host), read when the need arrives: exports and pages name the group
  // instead of showing a bare actor URL. Null when it could not be read.
  await sql`ALTER TABLE remote_proposals ADD COLUMN origin_actor_name text`.execute(db);
  await sql`ALTER TABLE remote_proposals ADD COLUMN origin_actor_handle text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE remote_proposals DROP COLUMN IF EXISTS origin_actor_handle`.execute(db);
  await sql`ALTER TABLE remote_proposals DROP COLUMN IF EXISTS origin_actor_name`.execute(db);
}
