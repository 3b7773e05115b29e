import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Token buckets per remote host (domain/host-budget.ts), in the database so
  // that every web process spends from the same budget.
  await sql`
    CREATE TABLE host_budgets (
      bucket text PRIMARY KEY,
      tokens double precision NOT NULL,
      updated_at timestamptz NOT NULL,
      -- Bumped by every write: a write based on an older read changes nothing.
      version integer NOT NULL DEFAULT 0
    )`.execute(db);
  await sql`CREATE INDEX host_budgets_by_update ON host_budgets (updated_at)`.execute(db);

  // Notifications about many alike events (follow requests from one host)
  // are one unread row that counts them, not one row each.
  await sql`ALTER TABLE notifications ADD COLUMN coalesce_key text`.execute(db);
  await sql`ALTER TABLE notifications ADD COLUMN count integer NOT NULL DEFAULT 1`.execute(db);
  await sql`
    CREATE UNIQUE INDEX notifications_unread_coalesced
      ON notifications (group_id, coalesce_key)
      WHERE read_at IS NULL AND coalesce_key IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS notifications_unread_coalesced`.execute(db);
  await sql`ALTER TABLE notifications DROP COLUMN IF EXISTS count`.execute(db);
  await sql`ALTER TABLE notifications DROP COLUMN IF EXISTS coalesce_key`.execute(db);
  await sql`DROP TABLE IF EXISTS host_budgets`.execute(db);
}
