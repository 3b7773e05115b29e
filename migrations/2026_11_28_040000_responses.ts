import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // What accepted responses add up to, kept on the proposal so the wire
  // document, the lists and the quantity checks read one row. `previous_id`
  // links a reopened need to the one it continues (ids are never reused).
  await sql`ALTER TABLE proposals ADD COLUMN pledged_amount numeric NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE proposals ADD COLUMN previous_id text REFERENCES proposals (id)`.execute(
    db,
  );
  // Coordinates leave the instance rounded to ~1 km unless the coordinator
  // chooses to share the exact point.
  await sql`ALTER TABLE proposals ADD COLUMN location_exact boolean NOT NULL DEFAULT false`.execute(
    db,
  );

  // What a received need still lacks, the step pledges must be multiples of
  // (FEP-0837 unitBased), and the intent a pledge's Commitment satisfies.
  await sql`ALTER TABLE remote_proposals ADD COLUMN remaining_amount numeric`.execute(db);
  await sql`ALTER TABLE remote_proposals ADD COLUMN quantity_step numeric`.execute(db);
  await sql`ALTER TABLE remote_proposals ADD COLUMN intent_id text`.execute(db);

  // Answers to this instance's needs and offers: Mastodon-style replies,
  // FEP-0837 Offer(Agreement)s from other instances, and local answers.
  await sql`
    CREATE TABLE responses (
      id text PRIMARY KEY,
      proposal_id text NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
      source text NOT NULL CHECK (source IN ('local', 'reply', 'agreement')),
      actor_id text,
      actor_inbox_url text,
      actor_name text,
      activity_id text UNIQUE,
      content text NOT NULL DEFAULT '',
      quantity_amount numeric CHECK (quantity_amount > 0),
      quantity_unit text,
      accepted_amount numeric CHECK (accepted_amount >= 0),
      contact text,
      state text NOT NULL CHECK (state IN ('proposed', 'accepted', 'rejected', 'withdrawn')),
      reason text,
      agreement_id text,
      remote_updated_at timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX responses_by_proposal ON responses (proposal_id, id)`.execute(db);

  // This instance's groups answering other instances' needs and offers.
  await sql`
    CREATE TABLE pledges (
      id text PRIMARY KEY,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      object_id text NOT NULL,
      intent_id text NOT NULL,
      target_actor_id text NOT NULL,
      offer_id text NOT NULL UNIQUE,
      quantity_amount numeric CHECK (quantity_amount > 0),
      quantity_unit text,
      message text NOT NULL DEFAULT '',
      state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
      reason text,
      agreement_id text,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX pledges_by_group ON pledges (group_id, id)`.execute(db);

  // What a coordinator should look at: written in the same transaction as the
  // event, so none is missed; ids are time-ordered (UUIDv7).
  await sql`
    CREATE TABLE notifications (
      id text PRIMARY KEY,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('response', 'pledge-answered', 'follow-request')),
      subject_id text NOT NULL,
      summary text NOT NULL,
      created_at timestamptz NOT NULL,
      read_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX notifications_by_group ON notifications (group_id, id)`.execute(db);

  // The transactional outbox for conversations (answers to responses, pledges,
  // direct messages), like pending_activities is for needs and offers.
  await sql`
    CREATE TABLE pending_messages (
      id bigserial PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('response-accepted', 'response-rejected', 'pledge')),
      subject_id text NOT NULL,
      created_at timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["pending_messages", "notifications", "pledges", "responses"]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
  for (const column of ["intent_id", "quantity_step", "remaining_amount"]) {
    await sql`ALTER TABLE remote_proposals DROP COLUMN ${sql.ref(column)}`.execute(db);
  }
  await sql`ALTER TABLE proposals DROP COLUMN location_exact`.execute(db);
  await sql`ALTER TABLE proposals DROP COLUMN previous_id`.execute(db);
  await sql`ALTER TABLE proposals DROP COLUMN pledged_amount`.execute(db);
}
