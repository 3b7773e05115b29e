import { type Kysely, sql } from "kysely";

/**
 * A pledge's whole life: the pledging group may withdraw it (`withdrawn`,
 * sent as `Undo` of its `Offer`), and the outbox carries that `Undo`.
 * The constraints are the ones PostgreSQL named when the tables were made.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE pledges DROP CONSTRAINT pledges_state_check`.execute(db);
  await sql`ALTER TABLE pledges ADD CONSTRAINT pledges_state_check
    CHECK (state IN ('pending', 'accepted', 'rejected', 'withdrawn'))`.execute(db);
  await sql`ALTER TABLE pending_messages DROP CONSTRAINT pending_messages_kind_check`.execute(db);
  await sql`ALTER TABLE pending_messages ADD CONSTRAINT pending_messages_kind_check
    CHECK (kind IN ('response-accepted', 'response-rejected', 'pledge', 'pledge-withdrawn'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM pending_messages WHERE kind = 'pledge-withdrawn'`.execute(db);
  await sql`ALTER TABLE pending_messages DROP CONSTRAINT pending_messages_kind_check`.execute(db);
  await sql`ALTER TABLE pending_messages ADD CONSTRAINT pending_messages_kind_check
    CHECK (kind IN ('response-accepted', 'response-rejected', 'pledge'))`.execute(db);
  await sql`UPDATE pledges SET state = 'rejected' WHERE state = 'withdrawn'`.execute(db);
  await sql`ALTER TABLE pledges DROP CONSTRAINT pledges_state_check`.execute(db);
  await sql`ALTER TABLE pledges ADD CONSTRAINT pledges_state_check
    CHECK (state IN ('pending', 'accepted', 'rejected'))`.execute(db);
}
