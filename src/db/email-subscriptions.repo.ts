/**
 * Addresses people who asked on the web left for email updates about their
 * request, kept until the request's contact is erased.
 */
import { type Kysely, sql, type Transaction } from "kysely";
import type { Database } from "./database.ts";
import { toDate } from "./time.ts";

type Db = Kysely<Database> | Transaction<Database>;

export async function insertEmailSubscription(
  db: Db,
  row: { intakeRequestId: string; address: string; at: Temporal.Instant },
): Promise<void> {
  await db
    .insertInto("email_subscriptions")
    .values({
      intake_request_id: row.intakeRequestId,
      address: row.address,
      created_at: toDate(row.at),
    })
    .onConflict((oc) => oc.column("intake_request_id").doNothing())
    .execute();
}

/** The address updates about a request go to, or null (none left, or erased). */
export async function findEmailSubscription(
  db: Db,
  intakeRequestId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("email_subscriptions")
    .select("address")
    .where("intake_request_id", "=", intakeRequestId)
    .executeTakeFirst();
  return row?.address ?? null;
}

/**
 * The emails to a person whose contact was erased keep no address either,
 * as their texts keep no number (forgetErasedSmsRecipients): the address
 * is deleted, their outbox rows lose the recipient, and one still waiting
 * is not sent. Returns how many outbox rows changed.
 */
export async function forgetErasedEmailRecipients(db: Kysely<Database>): Promise<number> {
  await db
    .deleteFrom("email_subscriptions")
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom("intake_requests")
          .select(eb.lit(1).as("one"))
          .whereRef("intake_requests.id", "=", "email_subscriptions.intake_request_id")
          .where("intake_requests.contact_erased_at", "is not", null),
      ),
    )
    .execute();
  const result = await db
    .updateTable("outbound_messages")
    .set({
      recipient: "",
      status: sql<"failed">`CASE WHEN status = 'pending' THEN 'failed' ELSE status END`,
      last_error: sql<string>`CASE WHEN status = 'pending' THEN 'the contact was erased' ELSE last_error END`,
    })
    .where("channel", "=", "email")
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
            sql<string>`'email:intake:' || intake_requests.id || ':%'`,
          ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
