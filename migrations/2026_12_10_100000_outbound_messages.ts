import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Emails and text messages written in the transaction of the event they
  // tell about, and sent afterwards by the worker: a crash between the two
  // leaves the row here, not lost. `dedupe_key` makes writing the same
  // message twice (a retried request, a replayed event) a no-op; a claim
  // holds the row until `lease_until`, so two workers never send it at once
  // and a crashed worker's row comes back when the lease runs out.
  await sql`
    CREATE TABLE outbound_messages (
      id text PRIMARY KEY,
      channel text NOT NULL CHECK (channel IN ('email', 'sms')),
      recipient text NOT NULL,
      subject text,
      body_text text NOT NULL,
      body_html text,
      headers jsonb NOT NULL DEFAULT '{}'::jsonb,
      language text NOT NULL,
      dedupe_key text NOT NULL UNIQUE,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL,
      lease_until timestamptz,
      last_error text,
      created_at timestamptz NOT NULL,
      sent_at timestamptz
    )`.execute(db);
  // What the worker looks for: the due pending rows, oldest first.
  await sql`
    CREATE INDEX outbound_messages_due ON outbound_messages (next_attempt_at)
    WHERE status = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE IF EXISTS outbound_messages`.execute(db);
}
