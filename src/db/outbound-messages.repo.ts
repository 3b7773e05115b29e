import { type Kysely, type Selectable, sql, type Transaction } from "kysely";
import type { MessageChannel, OutboundMessage } from "../domain/outbound-message.ts";
import type { Database, OutboundMessagesTable } from "./database.ts";
import { jsonb } from "./json.ts";
import { notifyExpression } from "./notify.ts";
import { toDate, toInstant } from "./time.ts";

/** The NOTIFY channel that wakes the outbox worker when a message is written. */
export const OUTBOX_CHANNEL = "outbound_messages";

export interface NewOutboundMessage {
  readonly id: string;
  readonly channel: MessageChannel;
  readonly recipient: string;
  readonly subject: string | null;
  readonly text: string;
  readonly html: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly language: string;
  readonly dedupeKey: string;
  readonly at: Temporal.Instant;
}

/**
 * Writes a message (nothing when one with its dedupe key exists) and wakes
 * the worker once the surrounding transaction commits.
 */
export async function insertOutboundMessage(
  db: Kysely<Database> | Transaction<Database>,
  message: NewOutboundMessage,
): Promise<void> {
  await db
    .insertInto("outbound_messages")
    .values({
      id: message.id,
      channel: message.channel,
      recipient: message.recipient,
      subject: message.subject,
      body_text: message.text,
      body_html: message.html,
      headers: jsonb(message.headers),
      language: message.language,
      dedupe_key: message.dedupeKey,
      next_attempt_at: toDate(message.at),
      created_at: toDate(message.at),
    })
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .execute();
  await sql`SELECT ${notifyExpression(OUTBOX_CHANNEL)}`.execute(db);
}

export interface ClaimedMessage {
  readonly message: OutboundMessage;
  /** The lease this claim holds; later updates check it, so a claim taken over is not overwritten. */
  readonly leaseUntil: Temporal.Instant;
}

/**
 * Claims up to `limit` due pending messages of `channels` until `leaseUntil`,
 * counting the attempt now: a worker that crashes mid-send has used it up,
 * so a message that crashes its sender cannot loop forever.
 */
export async function claimDueMessages(
  db: Kysely<Database>,
  channels: readonly MessageChannel[],
  now: Temporal.Instant,
  leaseUntil: Temporal.Instant,
  limit: number,
): Promise<ClaimedMessage[]> {
  if (channels.length === 0) return [];
  const at = toDate(now);
  const until = toDate(leaseUntil);
  const { rows } = await sql<Selectable<OutboundMessagesTable>>`
    UPDATE outbound_messages
    SET lease_until = ${until}, attempts = attempts + 1
    WHERE id IN (
      SELECT id FROM outbound_messages
      WHERE status = 'pending' AND next_attempt_at <= ${at}
        AND (lease_until IS NULL OR lease_until <= ${at})
        AND channel IN (${sql.join(channels)})
      ORDER BY next_attempt_at, id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING *`.execute(db);
  return rows
    .map((row) => ({ message: toMessage(row), leaseUntil }))
    .sort((a, b) => Temporal.Instant.compare(a.message.createdAt, b.message.createdAt));
}

/** When the next pending message of `channels` is due (null: none waits). */
export async function nextDueAt(
  db: Kysely<Database>,
  channels: readonly MessageChannel[],
): Promise<Temporal.Instant | null> {
  if (channels.length === 0) return null;
  const row = await db
    .selectFrom("outbound_messages")
    .select(
      sql<
        Date | string | null
      >`min(GREATEST(next_attempt_at, COALESCE(lease_until, next_attempt_at)))`.as("due"),
    )
    .where("status", "=", "pending")
    .where("channel", "in", [...channels])
    .executeTakeFirst();
  return row?.due == null ? null : toInstant(row.due);
}

/** Marks a claimed message sent (false: its lease was lost to another worker meanwhile). */
export async function markSent(
  db: Kysely<Database>,
  claim: ClaimedMessage,
  at: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("outbound_messages")
    .set({ status: "sent", sent_at: toDate(at), lease_until: null, last_error: null })
    .where("id", "=", claim.message.id)
    .where("status", "=", "pending")
    .where("lease_until", "=", toDate(claim.leaseUntil))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Puts a claimed message back for another attempt at `retryAt`, or gives it up (`retryAt` null). */
export async function markAttemptFailed(
  db: Kysely<Database>,
  claim: ClaimedMessage,
  error: string,
  retryAt: Temporal.Instant | null,
): Promise<void> {
  await db
    .updateTable("outbound_messages")
    .set(
      retryAt === null
        ? { status: "failed", lease_until: null, last_error: error }
        : { next_attempt_at: toDate(retryAt), lease_until: null, last_error: error },
    )
    .where("id", "=", claim.message.id)
    .where("status", "=", "pending")
    .where("lease_until", "=", toDate(claim.leaseUntil))
    .execute();
}

/** A message as stored (tests, the admin page). */
export async function findOutboundMessage(
  db: Kysely<Database>,
  id: string,
): Promise<
  (OutboundMessage & { status: "pending" | "sent" | "failed"; lastError: string | null }) | null
> {
  const row = await db
    .selectFrom("outbound_messages")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  return row === undefined
    ? null
    : { ...toMessage(row), status: row.status, lastError: row.last_error };
}

function toMessage(row: Selectable<OutboundMessagesTable>): OutboundMessage {
  // A raw query's jsonb may come back as text, depending on the driver.
  const raw: unknown = row.headers;
  const headers =
    typeof raw === "string"
      ? (JSON.parse(raw) as Record<string, string>)
      : ((raw ?? {}) as Record<string, string>);
  return {
    id: row.id,
    channel: row.channel,
    recipient: row.recipient,
    subject: row.subject,
    text: row.body_text,
    html: row.body_html,
    headers,
    language: row.language,
    dedupeKey: row.dedupe_key,
    attempts: Number(row.attempts),
    createdAt: toInstant(row.created_at),
  };
}

/** How many messages of `channel` wait and how many were given up, with the latest error. */
export async function outboxSummary(
  db: Kysely<Database>,
  channel: MessageChannel,
): Promise<{ pending: number; failed: number; lastError: string | null }> {
  const rows = await db
    .selectFrom("outbound_messages")
    .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
    .where("channel", "=", channel)
    .where("status", "in", ["pending", "failed"])
    .groupBy("status")
    .execute();
  const latest = await db
    .selectFrom("outbound_messages")
    .select("last_error")
    .where("channel", "=", channel)
    .where("last_error", "is not", null)
    .where("status", "!=", "sent")
    .orderBy("next_attempt_at", "desc")
    .limit(1)
    .executeTakeFirst();
  const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return {
    pending: count("pending"),
    failed: count("failed"),
    lastError: latest?.last_error ?? null,
  };
}

/**
 * The messages to people whose contact was erased keep no address or
 * number either: their rows (named `<channel>:intake:<request id>:…`) lose
 * the recipient, and one still waiting is not sent. Returns how many rows
 * changed.
 */
export async function forgetErasedRecipients(
  db: Kysely<Database>,
  channel: MessageChannel,
): Promise<number> {
  const result = await db
    .updateTable("outbound_messages")
    .set({
      recipient: "",
      status: sql<"failed">`CASE WHEN status = 'pending' THEN 'failed' ELSE status END`,
      last_error: sql<string>`CASE WHEN status = 'pending' THEN 'the contact was erased' ELSE last_error END`,
    })
    .where("channel", "=", channel)
    .where("recipient", "!=", "")
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("intake_requests")
          .select(eb.lit(1).as("one"))
          .where("intake_requests.contact_erased_at", "is not", null)
          .where(
            "outbound_messages.dedupe_key",
            "like",
            sql<string>`${`${channel}:intake:`}::text || intake_requests.id || ':%'`,
          ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
