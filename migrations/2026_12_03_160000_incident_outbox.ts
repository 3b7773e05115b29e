import { type Kysely, sql } from "kysely";

/**
 * The transactional outbox for incidents: a group's Join of another
 * instance's incident and the Update that closes one of ours are written in
 * the transaction that decides them and sent after the commit, so a crash
 * in between loses neither (as pending_activities does for needs).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE pending_incident_messages (
      id bigserial PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('join', 'update')),
      incident_id text NOT NULL,
      group_id text NOT NULL,
      created_at timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS pending_incident_messages`.execute(db);
}
