import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // An admin can take an account's access away without deleting it (its
  // groups and the invitations it used stay on record, and the access can be
  // given back): a revoked account cannot sign in and has no live session.
  await sql`ALTER TABLE accounts ADD COLUMN revoked_at timestamptz`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE accounts DROP COLUMN IF EXISTS revoked_at`.execute(db);
}
