import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Failed sign-ins per username from every address together: past a few,
  // each further attempt for that username waits a little longer (capped),
  // instead of the username being locked for everyone. Shared by every web
  // process; rows of unknown usernames too, so the table says nothing about
  // which accounts exist.
  await sql`
    CREATE TABLE sign_in_backoff (
      username text PRIMARY KEY,
      failures integer NOT NULL,
      last_failure_at timestamptz NOT NULL,
      next_attempt_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX sign_in_backoff_by_last_failure ON sign_in_backoff (last_failure_at)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS sign_in_backoff`.execute(db);
}
