import { type Kysely, sql } from "kysely";

// Matching looks across every group of the instance for live needs or offers
// of one purpose and category: the listing indexes lead with group_id and
// cannot serve that without reading every row. These partial indexes hold
// only what can still be matched (live, open or pledged).
export async function up(db: Kysely<any>): Promise<void> {
  // A located subject: candidates in a latitude band, nearest first.
  await sql`
    CREATE INDEX proposals_match_located ON proposals (purpose, category, latitude)
    WHERE deleted_at IS NULL AND status IN ('open', 'pledged') AND latitude IS NOT NULL`.execute(
    db,
  );
  // A located subject: candidates without coordinates, newest first.
  await sql`
    CREATE INDEX proposals_match_unlocated ON proposals (purpose, category, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND status IN ('open', 'pledged') AND latitude IS NULL`.execute(db);
  // A subject without coordinates: every candidate is of unknown distance, newest first.
  await sql`
    CREATE INDEX proposals_match_recent ON proposals (purpose, category, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND status IN ('open', 'pledged')`.execute(db);
  // Remote candidates: per followed actor, by purpose and category, newest first.
  await sql`
    CREATE INDEX remote_proposals_match
    ON remote_proposals (origin_actor_id, purpose, category, published_at DESC, id DESC)
    WHERE kind = 'proposal' AND status IN ('open', 'pledged')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [
    "remote_proposals_match",
    "proposals_match_recent",
    "proposals_match_unlocated",
    "proposals_match_located",
  ]) {
    await sql`DROP INDEX IF EXISTS ${sql.id(index)}`.execute(db);
  }
}
