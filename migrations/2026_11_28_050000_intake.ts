import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Requests and offers from people without an account. They wait here for a
  // coordinator and are never federated; the contact stays on this instance.
  await sql`
    CREATE TABLE intake_requests (
      id text PRIMARY KEY,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      purpose text NOT NULL CHECK (purpose IN ('request', 'offer')),
      title text NOT NULL,
      description text NOT NULL DEFAULT '',
      category text NOT NULL,
      quantity_amount numeric,
      quantity_unit text,
      location_name text,
      urgency text NOT NULL CHECK (urgency IN ('low', 'normal', 'high', 'critical')),
      expires_at timestamptz,
      contact text NOT NULL,
      language text NOT NULL,
      state text NOT NULL DEFAULT 'new'
        CHECK (state IN ('new', 'published', 'declined', 'withdrawn')),
      status_token_digest text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX intake_requests_queue ON intake_requests (group_id, state, created_at)`.execute(
    db,
  );

  // Fixed-window counters for rate limits, in the database so a limit holds
  // across restarts and across several web processes.
  await sql`
    CREATE TABLE rate_limit_hits (
      bucket text NOT NULL,
      window_start timestamptz NOT NULL,
      hits integer NOT NULL,
      PRIMARY KEY (bucket, window_start)
    )`.execute(db);
  await sql`CREATE INDEX rate_limit_hits_by_window ON rate_limit_hits (window_start)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS rate_limit_hits`.execute(db);
  await sql`DROP TABLE IF EXISTS intake_requests`.execute(db);
}
