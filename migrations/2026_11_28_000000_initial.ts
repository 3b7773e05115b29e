import { type Kysely, sql } from "kysely";

// Migrations take Kysely<any> and never import application code, so a migration
// means the same thing forever, whatever the application becomes.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE groups (
      id text PRIMARY KEY,
      handle text NOT NULL UNIQUE,
      name text NOT NULL,
      summary text NOT NULL DEFAULT '',
      follow_policy text NOT NULL DEFAULT 'open' CHECK (follow_policy IN ('open', 'approval')),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);

  // One key pair per algorithm per group, generated once. Private keys live
  // here and (transiently) in the delivery queue, nowhere else.
  await sql`
    CREATE TABLE group_keys (
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      algorithm text NOT NULL CHECK (algorithm IN ('RSASSA-PKCS1-v1_5', 'Ed25519')),
      private_jwk jsonb NOT NULL,
      public_jwk jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (group_id, algorithm)
    )`.execute(db);

  // Tokens are stored as SHA-256 digests: a leaked table grants nothing.
  await sql`
    CREATE TABLE api_tokens (
      id text PRIMARY KEY,
      token_digest text NOT NULL UNIQUE,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL
    )`.execute(db);

  // Needs (purpose = 'request') and offers (purpose = 'offer') share one table:
  // they are the two sides of one FEP-0837 Proposal type.
  await sql`
    CREATE TABLE proposals (
      id text PRIMARY KEY,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      purpose text NOT NULL CHECK (purpose IN ('request', 'offer')),
      title text NOT NULL,
      description text NOT NULL DEFAULT '',
      category text NOT NULL,
      quantity_amount numeric,
      quantity_unit text,
      location_name text,
      latitude double precision,
      longitude double precision,
      urgency text NOT NULL DEFAULT 'normal' CHECK (urgency IN ('low', 'normal', 'high', 'critical')),
      expires_at timestamptz,
      audience text NOT NULL DEFAULT 'public' CHECK (audience IN ('public', 'followers')),
      contact text,
      status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'pledged', 'fulfilled', 'closed', 'expired')),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      deleted_at timestamptz,
      CHECK ((quantity_amount IS NULL) = (quantity_unit IS NULL)),
      CHECK ((latitude IS NULL) = (longitude IS NULL))
    )`.execute(db);
  // The hot path: a group's live needs or offers by status, newest first, keyset-paginated.
  await sql`
    CREATE INDEX proposals_listing ON proposals (group_id, purpose, status, created_at DESC, id DESC)
    WHERE deleted_at IS NULL`.execute(db);
  await sql`
    CREATE INDEX proposals_listing_any_status ON proposals (group_id, purpose, created_at DESC, id DESC)
    WHERE deleted_at IS NULL`.execute(db);

  // Transactional outbox: a change to a need and the promise to federate it
  // commit together, so a crash between the two cannot lose the delivery.
  // A relay turns each row into a queued activity, then deletes the row.
  await sql`
    CREATE TABLE pending_activities (
      id bigserial PRIMARY KEY,
      proposal_id text NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('create', 'update', 'delete')),
      created_at timestamptz NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE followers (
      id text PRIMARY KEY,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      actor_id text NOT NULL,
      inbox_url text NOT NULL,
      shared_inbox_url text,
      follow_activity_id text,
      state text NOT NULL CHECK (state IN ('pending', 'accepted')),
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (group_id, actor_id)
    )`.execute(db);
  await sql`CREATE INDEX followers_by_group ON followers (group_id, state, id)`.execute(db);

  // Fedify's key-value store. Keys are JSON arrays of strings (Fedify's KvKey).
  await sql`
    CREATE TABLE fedify_kv (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      expires_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX fedify_kv_expiry ON fedify_kv (expires_at) WHERE expires_at IS NOT NULL`.execute(
    db,
  );

  // Fedify's message queue. Messages can carry actors' private keys (fan-out
  // and outbox messages do): this table is as secret as group_keys.
  await sql`
    CREATE TABLE fedify_queue (
      id bigserial PRIMARY KEY,
      message jsonb NOT NULL,
      ordering_key text,
      available_at timestamptz NOT NULL,
      lease_until timestamptz,
      lease_owner text,
      attempts integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX fedify_queue_ready ON fedify_queue (available_at, id)`.execute(db);
  await sql`CREATE INDEX fedify_queue_ordering ON fedify_queue (ordering_key, id) WHERE ordering_key IS NOT NULL`.execute(
    db,
  );

  // Deliveries that were given up on after the whole retry horizon, kept so an
  // operator can see which peers stopped answering.
  await sql`
    CREATE TABLE delivery_failures (
      id bigserial PRIMARY KEY,
      inbox_url text NOT NULL,
      activity_id text,
      activity_type text,
      attempts integer NOT NULL,
      last_error text NOT NULL,
      failed_at timestamptz NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    "delivery_failures",
    "fedify_queue",
    "fedify_kv",
    "followers",
    "pending_activities",
    "proposals",
    "api_tokens",
    "group_keys",
    "groups",
  ]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
