import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // A collective's own IANA zone for the times its pages show; null: the
  // instance's TIME_ZONE (so changing that setting moves every collective
  // that never chose one).
  await sql`ALTER TABLE groups ADD COLUMN time_zone text`.execute(db);
  // A deadline picked as a calendar date keeps that date: it is shown as the
  // same date in every zone. `expires_at` stays the instant it
  // runs out (the end of that day in the collective's zone), which the
  // expiry sweep and the API use. The date is ISO text (`2026-12-09`), not
  // a `date`: both drivers turn a `date` into a JavaScript Date at midnight
  // of some zone, which is the very shift this column exists to avoid.
  await sql`
    ALTER TABLE proposals ADD COLUMN expires_on text
      CHECK (expires_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
  `.execute(db);
  await sql`
    ALTER TABLE intake_requests ADD COLUMN expires_on text
      CHECK (expires_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$')
  `.execute(db);
  // Until now the forms stored a picked date as the next midnight UTC, and
  // read a midnight-UTC deadline back as the day before: keep those dates.
  for (const table of ["proposals", "intake_requests"]) {
    await sql`
      UPDATE ${sql.table(table)}
      SET expires_on = to_char((expires_at AT TIME ZONE 'UTC') - interval '1 day', 'YYYY-MM-DD')
      WHERE expires_at IS NOT NULL
        AND (expires_at AT TIME ZONE 'UTC')::time = time '00:00'
    `.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE intake_requests DROP COLUMN IF EXISTS expires_on`.execute(db);
  await sql`ALTER TABLE proposals DROP COLUMN IF EXISTS expires_on`.execute(db);
  await sql`ALTER TABLE groups DROP COLUMN IF EXISTS time_zone`.execute(db);
}
