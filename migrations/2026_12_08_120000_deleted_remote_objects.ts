import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Ids of received objects their origin deleted (a Delete from the
  // author's origin, or a 404/410/Tombstone there): a Create or Update that
  // arrives afterwards, delayed or replayed, must not bring the object back.
  // Kept 30 days and bounded in number by the hourly housekeeping.
  await sql`
    CREATE TABLE deleted_remote_objects (
      object_id text PRIMARY KEY,
      deleted_at timestamptz NOT NULL
    )
  `.execute(db);
  await sql`CREATE INDEX deleted_remote_objects_age ON deleted_remote_objects (deleted_at)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS deleted_remote_objects`.execute(db);
}
