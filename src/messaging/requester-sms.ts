import type { Kysely, Transaction } from "kysely";
import type { Database } from "../db/database.ts";
import { findSmsRouteOfRequest } from "../db/sms-gateways.repo.ts";
import type { DeclineReason, IntakeRequest } from "../domain/intake.ts";
import { shortCodeOf } from "../domain/short-link.ts";
import type { InstanceUrls } from "../urls.ts";
import { isLocale, type Locale, messagesFor } from "../web/i18n/locale.ts";
import { enqueueMessage } from "./outbox.ts";

/**
 * The text messages a person who asked by SMS gets about their request, in
 * the language their text was written in. Each is written to the outbox in
 * the transaction of the change it tells about, named by the request and the
 * change, so a retried change does not text twice.
 */
export type RequesterEvent =
  | { readonly kind: "received"; readonly statusToken: string }
  | { readonly kind: "published"; readonly proposalId: string }
  | { readonly kind: "pledged"; readonly proposalId: string }
  | { readonly kind: "fulfilled"; readonly proposalId: string }
  | { readonly kind: "declined"; readonly reason: DeclineReason; readonly note: string };

/** The header naming the gateway a text goes out through (the collective's, not any). */
export const SMS_GATEWAY_HEADER = "x-sms-gateway";

export function smsLocale(language: string): Locale {
  return isLocale(language) ? language : "en";
}

/** The text for an event: short, one link at most, nothing but what the person needs. */
export function requesterSmsText(
  urls: InstanceUrls,
  locale: Locale,
  groupName: string,
  event: RequesterEvent,
): string {
  const t = messagesFor(locale).sms;
  switch (event.kind) {
    case "received": {
      const link = urls.requestStatusPage(event.statusToken);
      link.searchParams.set("lang", locale);
      return t.received(groupName, link.href);
    }
    case "declined": {
      const reason = messagesFor(locale).declineReasons[event.reason];
      const note = event.note === "" ? "" : ` ${truncate(event.note, 200)}`;
      return t.declined(groupName, reason + note);
    }
    default:
      return t[event.kind](groupName, urls.shortLink(shortCodeOf(event.proposalId)).href);
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Writes the event's text for `request` when it came by SMS and its contact
 * (the sender's number) is still kept, or when its sender left a number for
 * updates on the web form; nothing otherwise.
 */
export async function enqueueRequesterSms(
  trx: Kysely<Database> | Transaction<Database>,
  urls: InstanceUrls,
  request: Pick<IntakeRequest, "id" | "contact" | "language">,
  groupName: string,
  event: RequesterEvent,
  at: Temporal.Instant,
): Promise<boolean> {
  const route = await findSmsRouteOfRequest(trx, request);
  if (route === null) return false;
  const locale = smsLocale(request.language);
  await enqueueMessage(
    trx,
    {
      channel: "sms",
      recipient: route.recipient,
      text: requesterSmsText(urls, locale, groupName, event),
      headers: { [SMS_GATEWAY_HEADER]: route.gateway.id },
      language: locale,
      dedupeKey: `sms:intake:${request.id}:${event.kind}`,
    },
    at,
  );
  return true;
}
