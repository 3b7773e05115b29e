import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // When the origin last answered for a received copy (confirmed_at), when
  // we last asked (checked_at), since when it has not answered
  // (unreachable_since), and whether that has lasted long enough for the
  // boards to say the copy is not current (stale). The reconciliation job
  // re-fetches open copies whose confirmation is old; a lost Update or
  // Delete cannot leave a copy wrong for longer than that.
  await sql`ALTER TABLE remote_proposals ADD COLUMN confirmed_at timestamptz`.execute(db);
  await sql`ALTER TABLE remote_proposals ADD COLUMN checked_at timestamptz`.execute(db);
  await sql`UPDATE remote_proposals SET confirmed_at = received_at, checked_at = received_at`.execute(
    db,
  );
  // The application always sets both; the default only serves rows written
  // by hand (fixtures, repairs).
  for (const column of ["confirmed_at", "checked_at"]) {
    await sql`ALTER TABLE remote_proposals ALTER COLUMN ${sql.ref(column)} SET NOT NULL`.execute(
      db,
    );
    await sql`ALTER TABLE remote_proposals ALTER COLUMN ${sql.ref(column)} SET DEFAULT now()`.execute(
      db,
    );
  }
  await sql`ALTER TABLE remote_proposals ADD COLUMN unreachable_since timestamptz`.execute(db);
  await sql`ALTER TABLE remote_proposals ADD COLUMN stale boolean NOT NULL DEFAULT false`.execute(
    db,
  );
  // The job's candidates: live needs and offers, least recently asked first.
  await sql`
    CREATE INDEX remote_proposals_reconcile ON remote_proposals (checked_at, id)
    WHERE kind = 'proposal' AND status IN ('open', 'pledged')
  `.execute(db);
  // Periodic jobs that must run in one worker process at a time, whatever
  // the number of workers sharing the database: whoever holds a job's row
  // until a time in the future runs it.
  await sql`
    CREATE TABLE job_leases (
      name text PRIMARY KEY,
      holder text NOT NULL,
      until timestamptz NOT NULL
    )
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS job_leases`.execute(db);
  await sql`DROP INDEX IF EXISTS remote_proposals_reconcile`.execute(db);
  for (const column of ["stale", "unreachable_since", "checked_at", "confirmed_at"]) {
    await sql`ALTER TABLE remote_proposals DROP COLUMN IF EXISTS ${sql.ref(column)}`.execute(db);
  }
}
