import { type Kysely, sql } from "kysely";

// `?near=lat,lon&km=…` on a group's needs or offers and on its network feed:
// the rows in a latitude/longitude box around the centre, before the exact
// distance is computed. Latitude leads (a range), longitude follows so its
// range is tested on index entries instead of heap rows. Only located rows:
// a near query never lists the others.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE INDEX proposals_near ON proposals (group_id, purpose, latitude, longitude)
    WHERE deleted_at IS NULL AND latitude IS NOT NULL`.execute(db);
  // The network feed is a union over followed actors and what they re-shared;
  // the box is the narrowest thing every row of it has in common.
  await sql`
    CREATE INDEX remote_proposals_near ON remote_proposals (latitude, longitude)
    WHERE latitude IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS remote_proposals_near`.execute(db);
  await sql`DROP INDEX IF EXISTS proposals_near`.execute(db);
}
