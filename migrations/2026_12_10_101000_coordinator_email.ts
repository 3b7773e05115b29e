import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // The language a coordinator's emails are written in.
  await sql`ALTER TABLE accounts ADD COLUMN language text NOT NULL DEFAULT 'en'`.execute(db);
  // One address per account; it receives nothing until confirmed by the link
  // sent to it (the token only as a digest).
  await sql`
    CREATE TABLE account_emails (
      account_id text PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
      address text NOT NULL,
      confirmed_at timestamptz,
      confirm_digest text UNIQUE,
      confirm_expires_at timestamptz,
      updated_at timestamptz NOT NULL
    )`.execute(db);
  // What a coordinator wants to hear about, and how often; a kind without a
  // row has its default (domain/email-notifications.ts).
  await sql`
    CREATE TABLE email_preferences (
      account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      kind text NOT NULL
        CHECK (kind IN ('new-request', 'reply-or-pledge', 'follow-request', 'delivery-problem')),
      frequency text NOT NULL CHECK (frequency IN ('immediately', 'hourly', 'daily', 'never')),
      PRIMARY KEY (account_id, kind)
    )`.execute(db);
  // Events coordinators may be emailed about, written in the event's
  // transaction; the worker turns each into emails or digest entries for
  // the collective's coordinators, then deletes it, in one transaction.
  await sql`
    CREATE TABLE email_events (
      id text PRIMARY KEY,
      kind text NOT NULL,
      group_id text NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
      event_key text NOT NULL UNIQUE,
      summary text NOT NULL,
      path text NOT NULL,
      created_at timestamptz NOT NULL
    )`.execute(db);
  // Events waiting for a coordinator's hourly or daily digest.
  await sql`
    CREATE TABLE digest_entries (
      id text PRIMARY KEY,
      account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
      frequency text NOT NULL CHECK (frequency IN ('hourly', 'daily')),
      kind text NOT NULL,
      group_id text NOT NULL,
      event_key text NOT NULL,
      summary text NOT NULL,
      path text NOT NULL,
      created_at timestamptz NOT NULL,
      UNIQUE (account_id, event_key)
    )`.execute(db);
  await sql`
    CREATE INDEX digest_entries_due ON digest_entries (frequency, created_at, account_id)`.execute(
    db,
  );
  // Secrets the instance makes for itself (the key unsubscribe links are signed with).
  await sql`
    CREATE TABLE instance_secrets (
      name text PRIMARY KEY,
      value text NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS instance_secrets`.execute(db);
  await sql`DROP TABLE IF EXISTS digest_entries`.execute(db);
  await sql`DROP TABLE IF EXISTS email_events`.execute(db);
  await sql`DROP TABLE IF EXISTS email_preferences`.execute(db);
  await sql`DROP TABLE IF EXISTS account_emails`.execute(db);
  await sql`ALTER TABLE accounts DROP COLUMN IF EXISTS language`.execute(db);
}
