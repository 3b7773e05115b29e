import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // A collective's SMS gateway: the protocol its phone or provider speaks,
  // the number (and keyword, when several collectives share one number) that
  // routes a text to it, the secret its webhooks are signed with, and how to
  // send through it. Secrets are stored as given: the gateway needs them.
  await sql`
    CREATE TABLE sms_gateways (
      id text PRIMARY KEY,
      group_id text NOT NULL UNIQUE REFERENCES groups (id) ON DELETE CASCADE,
      protocol text NOT NULL CHECK (protocol IN ('android', 'twilio')),
      phone_number text NOT NULL,
      keyword text NOT NULL DEFAULT '',
      webhook_secret text NOT NULL,
      api_url text NOT NULL,
      api_username text NOT NULL,
      api_password text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (protocol, phone_number, keyword)
    )`.execute(db);
  // Each accepted text once: a gateway resends a webhook it got no answer to.
  await sql`
    CREATE TABLE sms_inbound (
      gateway_id text NOT NULL REFERENCES sms_gateways (id) ON DELETE CASCADE,
      message_id text NOT NULL,
      intake_request_id text NOT NULL REFERENCES intake_requests (id) ON DELETE CASCADE,
      received_at timestamptz NOT NULL,
      PRIMARY KEY (gateway_id, message_id)
    )`.execute(db);
  await sql`CREATE INDEX sms_inbound_by_request ON sms_inbound (intake_request_id)`.execute(db);
  // A number a person who asked on the web left for text updates, with
  // their consent: kept until their contact is erased.
  await sql`
    CREATE TABLE sms_subscriptions (
      intake_request_id text PRIMARY KEY REFERENCES intake_requests (id) ON DELETE CASCADE,
      gateway_id text NOT NULL REFERENCES sms_gateways (id) ON DELETE CASCADE,
      phone_number text NOT NULL,
      created_at timestamptz NOT NULL
    )`.execute(db);
  // The point of a place a text named, when it is one the collective or the
  // gazetteer knows: the request shows on the map before anyone edits it.
  // A need's status change looks up the request it was published from, to
  // text its sender: one lookup per change, not a scan.
  await sql`
    CREATE INDEX intake_requests_by_proposal ON intake_requests (proposal_id)
    WHERE proposal_id IS NOT NULL`.execute(db);
  await sql`ALTER TABLE intake_requests ADD COLUMN location_latitude double precision`.execute(db);
  await sql`ALTER TABLE intake_requests ADD COLUMN location_longitude double precision`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE intake_requests DROP COLUMN IF EXISTS location_longitude`.execute(db);
  await sql`ALTER TABLE intake_requests DROP COLUMN IF EXISTS location_latitude`.execute(db);
  await sql`DROP INDEX IF EXISTS intake_requests_by_proposal`.execute(db);
  await sql`DROP TABLE IF EXISTS sms_subscriptions`.execute(db);
  await sql`DROP TABLE IF EXISTS sms_inbound`.execute(db);
  await sql`DROP TABLE IF EXISTS sms_gateways`.execute(db);
}
