import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Activities a remote actor withdrew (`Undo`) before we had seen them: the
  // inbox handles deliveries concurrently, so a pledge's `Undo(Offer)` can be
  // handled before the `Offer` itself. The record keeps the late Offer from
  // being stored as a live pledge. Old rows are pruned.
  await sql`
    CREATE TABLE undone_activities (
      activity_id text PRIMARY KEY,
      actor_id text NOT NULL,
      undone_at timestamptz NOT NULL
    )
  `.execute(db);
  await sql`CREATE INDEX undone_activities_age ON undone_activities (undone_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS undone_activities`.execute(db);
}
