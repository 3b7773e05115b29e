/**
 * Writing emails and text messages. Called inside the transaction of the
 * event a message tells about, so the message exists exactly when the event
 * does; the outbox worker (outbox-worker.ts) sends it after the commit.
 */
import type { Kysely, Transaction } from "kysely";
import type { Database } from "../db/database.ts";
import { insertOutboundMessage } from "../db/outbound-messages.repo.ts";

export interface MessageToSend {
  channel: "email" | "sms";
  recipient: string;
  subject?: string;
  text: string;
  html?: string;
  headers?: Record<string, string>;
  language: string;
  /**
   * Names the message among all others (`new-request:<id>:<account>`): writing
   * it again is a no-op, so a retried event does not send twice.
   */
  dedupeKey: string;
}

export async function enqueueMessage(
  db: Kysely<Database> | Transaction<Database>,
  message: MessageToSend,
  at: Temporal.Instant = Temporal.Now.instant(),
): Promise<void> {
  await insertOutboundMessage(db, {
    id: crypto.randomUUID(),
    channel: message.channel,
    recipient: message.recipient,
    subject: message.subject ?? null,
    text: message.text,
    html: message.html ?? null,
    headers: message.headers ?? {},
    language: message.language,
    dedupeKey: message.dedupeKey,
    at,
  });
}
