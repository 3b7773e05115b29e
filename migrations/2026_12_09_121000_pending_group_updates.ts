import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Transactional outbox for the Update of a collective's actor: written
  // with the change of its settings, sent by the relay after the commit
  // (and at the next start if the process died in between).
  await sql`
    CREATE TABLE pending_group_updates (
      id text PRIMARY KEY,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS pending_group_updates`.execute(db);
}
