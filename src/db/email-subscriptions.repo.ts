/**
 * Addresses people who asked on the web left for email updates about their
 * request, kept until the request's contact is erased.
 */
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./database.ts";
import { forgetErasedRecipients } from "./outbound-messages.repo.ts";
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
  return forgetErasedRecipients(db, "email");
}
