import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Coordinators' emails were written from a line of names and titles, so a
  // coordinator reading in Spanish got an English-shaped email. Events and
  // digest entries now keep a message key with its values (as notifications
  // do), rendered in each reader's language when the email is written.
  // Rows waiting now (a few seconds' or a digest period's worth) keep their
  // line as `{"key":"text"}`.
  for (const table of ["email_events", "digest_entries"]) {
    await sql`ALTER TABLE ${sql.table(table)} ADD COLUMN message jsonb`.execute(db);
    await sql`
      UPDATE ${sql.table(table)}
      SET message = jsonb_build_object('key', 'text', 'text', summary)`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} ALTER COLUMN message SET NOT NULL`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} DROP COLUMN summary`.execute(db);
  }
  // An address a person who asked on the web left for email updates, with
  // their consent: kept until their contact is erased, like a number left
  // for text updates (sms_subscriptions).
  await sql`
    CREATE TABLE email_subscriptions (
      intake_request_id text PRIMARY KEY REFERENCES intake_requests (id) ON DELETE CASCADE,
      address text NOT NULL,
      created_at timestamptz NOT NULL
    )`.execute(db);
  // Twilio signs no time into its webhooks: a captured request stays valid
  // forever, so each MessageSid is accepted once, even one that made no
  // request (an empty or refused text).
  await sql`
    CREATE TABLE sms_seen_messages (
      gateway_id text NOT NULL REFERENCES sms_gateways (id) ON DELETE CASCADE,
      message_id text NOT NULL,
      seen_at timestamptz NOT NULL,
      PRIMARY KEY (gateway_id, message_id)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS sms_seen_messages`.execute(db);
  await sql`DROP TABLE IF EXISTS email_subscriptions`.execute(db);
  for (const table of ["email_events", "digest_entries"]) {
    await sql`ALTER TABLE ${sql.table(table)} ADD COLUMN summary text`.execute(db);
    await sql`
      UPDATE ${sql.table(table)}
      SET summary = coalesce(message->>'text', message->>'title', '')`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} ALTER COLUMN summary SET NOT NULL`.execute(db);
    await sql`ALTER TABLE ${sql.table(table)} DROP COLUMN message`.execute(db);
  }
}
