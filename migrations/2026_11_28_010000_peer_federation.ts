import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Groups this instance's groups follow (the other direction of `followers`).
  await sql`
    CREATE TABLE following (
      id text PRIMARY KEY,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      actor_id text NOT NULL,
      inbox_url text NOT NULL,
      shared_inbox_url text,
      follow_activity_id text NOT NULL UNIQUE,
      state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (group_id, actor_id)
    )`.execute(db);
  await sql`CREATE INDEX following_by_actor ON following (actor_id, state)`.execute(db);

  // Needs and offers (and plain posts) received from other instances, one row
  // per object id whoever delivered or shared it.
  await sql`
    CREATE TABLE remote_proposals (
      id text PRIMARY KEY,
      object_id text NOT NULL UNIQUE,
      origin_actor_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('proposal', 'post')),
      purpose text CHECK (purpose IN ('request', 'offer')),
      title text NOT NULL DEFAULT '',
      summary_text text NOT NULL DEFAULT '',
      category text,
      category_uri text,
      quantity_amount numeric,
      quantity_unit text,
      location_name text,
      latitude double precision,
      longitude double precision,
      urgency text CHECK (urgency IN ('low', 'normal', 'high', 'critical')),
      status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'pledged', 'fulfilled', 'closed', 'expired')),
      expires_at timestamptz,
      url text,
      published_at timestamptz NOT NULL,
      remote_updated_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX remote_proposals_by_origin ON remote_proposals (origin_actor_id, published_at DESC, id DESC)`.execute(
    db,
  );

  // Which followed groups re-shared (Announced) which remote object.
  await sql`
    CREATE TABLE remote_shares (
      remote_proposal_id text NOT NULL REFERENCES remote_proposals (id) ON DELETE CASCADE,
      sharer_actor_id text NOT NULL,
      announce_id text NOT NULL,
      shared_at timestamptz NOT NULL,
      PRIMARY KEY (remote_proposal_id, sharer_actor_id)
    )`.execute(db);
  await sql`CREATE INDEX remote_shares_by_sharer ON remote_shares (sharer_actor_id)`.execute(db);

  // What this instance's groups re-shared.
  await sql`
    CREATE TABLE shares (
      id text PRIMARY KEY,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      object_id text NOT NULL,
      created_at timestamptz NOT NULL,
      UNIQUE (group_id, object_id)
    )`.execute(db);

  // The instance's federation policy: one row.
  await sql`
    CREATE TABLE federation_settings (
      id integer PRIMARY KEY CHECK (id = 1),
      mode text NOT NULL CHECK (mode IN ('open', 'allowlist')),
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`INSERT INTO federation_settings (id, mode, updated_at) VALUES (1, 'open', now())`.execute(
    db,
  );

  await sql`
    CREATE TABLE domain_policies (
      domain text PRIMARY KEY,
      policy text NOT NULL CHECK (policy IN ('allow', 'block')),
      reason text,
      created_at timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "domain_policies",
    "federation_settings",
    "shares",
    "remote_shares",
    "remote_proposals",
    "following",
  ]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
