import type { Kysely, Transaction } from "kysely";
import type { Database } from "../db/database.ts";
import { findEmailSubscription } from "../db/email-subscriptions.repo.ts";
import type { IntakeRequest } from "../domain/intake.ts";
import type { InstanceUrls } from "../urls.ts";
import { messagesFor } from "../web/i18n/locale.ts";
import { requesterEmail } from "./email-content.ts";
import { enqueueMessage } from "./outbox.ts";
import { type RequesterEvent, requesterSmsText, smsLocale } from "./requester-sms.ts";

/**
 * Writes the event's email for `request` when its sender left an address
 * for updates (erased with their contact): the same sentence a text would
 * carry, in the language they asked in, named by the request and the
 * change so a retried change does not email twice.
 */
export async function enqueueRequesterEmail(
  trx: Kysely<Database> | Transaction<Database>,
  urls: InstanceUrls,
  request: Pick<IntakeRequest, "id" | "language">,
  groupName: string,
  event: RequesterEvent,
  at: Temporal.Instant,
): Promise<boolean> {
  const address = await findEmailSubscription(trx, request.id);
  if (address === null) return false;
  const locale = smsLocale(request.language);
  const sentence = requesterSmsText(urls, locale, groupName, event);
  const content = requesterEmail(messagesFor(locale), locale, groupName, sentence);
  await enqueueMessage(
    trx,
    {
      channel: "email",
      recipient: address,
      ...content,
      language: locale,
      dedupeKey: `email:intake:${request.id}:${event.kind}`,
    },
    at,
  );
  return true;
}
