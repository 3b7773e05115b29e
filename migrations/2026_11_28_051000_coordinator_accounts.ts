import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // People who coordinate collectives in the web workspace, and instance
  // admins. Passwords only as scrypt hashes (parameters encoded in the
  // value, so they can be raised).
  await sql`
    CREATE TABLE accounts (
      id text PRIMARY KEY,
      username text NOT NULL UNIQUE,
      password_hash text NOT NULL,
      is_admin boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  await sql`
    CREATE TABLE account_groups (
      account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      PRIMARY KEY (account_id, group_id)
    )`.execute(db);

  // Invitation links an admin hands out, for a group's coordinator or for
  // another admin; the token only as a digest.
  await sql`
    CREATE TABLE invitations (
      id text PRIMARY KEY,
      token_digest text NOT NULL UNIQUE,
      group_id text REFERENCES groups (id) ON DELETE CASCADE,
      for_admin boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      accepted_at timestamptz,
      account_id text REFERENCES accounts (id) ON DELETE SET NULL,
      CHECK (for_admin OR group_id IS NOT NULL)
    )`.execute(db);

  // Server-side sessions; the cookie's id only as a digest.
  await sql`
    CREATE TABLE sessions (
      id_digest text PRIMARY KEY,
      account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      csrf_token text NOT NULL,
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX sessions_by_expiry ON sessions (expires_at)`.execute(db);

  // The need or offer a triaged request became.
  await sql`ALTER TABLE intake_requests ADD COLUMN proposal_id text REFERENCES proposals (id)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE intake_requests DROP COLUMN IF EXISTS proposal_id`.execute(db);
  await sql`DROP TABLE IF EXISTS sessions`.execute(db);
  await sql`DROP TABLE IF EXISTS invitations`.execute(db);
  await sql`DROP TABLE IF EXISTS account_groups`.execute(db);
  await sql`DROP TABLE IF EXISTS accounts`.execute(db);
}
