import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Changes (Update, Delete) to received objects that this instance has
  // applied and passed on to the followers of the groups that re-shared the
  // object, once per activity id: the record ends loops between groups that
  // re-share each other and keeps a change that arrives by several paths from
  // being fetched and passed on again. Old rows are pruned.
  await sql`
    CREATE TABLE relayed_changes (
      activity_id text PRIMARY KEY,
      object_id text NOT NULL,
      relayed_at timestamptz NOT NULL
    )
  `.execute(db);
  await sql`CREATE INDEX relayed_changes_age ON relayed_changes (relayed_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS relayed_changes`.execute(db);
}
