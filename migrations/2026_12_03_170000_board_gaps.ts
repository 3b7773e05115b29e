import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // `/go/{code}`: a code is the last ten hex digits of a row id
  // (domain/short-link.ts). The ids' head is the clock and their tail is
  // random, so the tail is what tells rows apart — and a suffix is no range
  // of the primary key. An index on the suffix itself makes the lookup an
  // equality; each one holds only the rows a short link may lead to.
  await sql`
    CREATE INDEX proposals_short_code ON proposals (right(id, 10))
    WHERE deleted_at IS NULL AND audience = 'public'`.execute(db);
  await sql`
    CREATE INDEX remote_proposals_short_code ON remote_proposals (right(id, 10))
    WHERE kind = 'proposal'`.execute(db);
  // The "my allies" board's local side: every group's public needs and
  // offers in board order (db/board.repo.ts listBoard) — urgency rank, then
  // needed-by soonest (none last), then newest. The rank is the same CASE
  // the query orders by, so the board reads its first rows off the index
  // instead of sorting every public row of the instance. Status is left to
  // the query (the live pair by default, one status on demand).
  await sql`
    CREATE INDEX proposals_board ON proposals (
      (CASE urgency WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2
        WHEN 'low' THEN 3 ELSE 4 END),
      expires_at ASC NULLS LAST, created_at DESC, id DESC)
    WHERE deleted_at IS NULL AND audience = 'public'`.execute(db);
  // The incident board, both sides: one incident's tagged rows in the same
  // order, so a large incident (tens of thousands of received needs) is not
  // sorted in full on every read. The incident leads (an equality), the
  // board order follows; the received side orders newest by published_at.
  await sql`
    CREATE INDEX proposals_board_incident ON proposals (incident_object_id,
      (CASE urgency WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2
        WHEN 'low' THEN 3 ELSE 4 END),
      expires_at ASC NULLS LAST, created_at DESC, id DESC)
    WHERE incident_object_id IS NOT NULL AND deleted_at IS NULL AND audience = 'public'`.execute(
    db,
  );
  await sql`
    CREATE INDEX remote_proposals_board_incident ON remote_proposals (incident_object_id,
      (CASE urgency WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2
        WHEN 'low' THEN 3 ELSE 4 END),
      expires_at ASC NULLS LAST, published_at DESC, id DESC)
    WHERE incident_object_id IS NOT NULL AND kind = 'proposal'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS remote_proposals_board_incident`.execute(db);
  await sql`DROP INDEX IF EXISTS proposals_board_incident`.execute(db);
  await sql`DROP INDEX IF EXISTS proposals_board`.execute(db);
  await sql`DROP INDEX IF EXISTS remote_proposals_short_code`.execute(db);
  await sql`DROP INDEX IF EXISTS proposals_short_code`.execute(db);
}
