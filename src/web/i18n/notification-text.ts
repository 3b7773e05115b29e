import type { EmailEventMessage, NotificationMessage } from "../../domain/notification-message.ts";
import { isUnit } from "../../domain/units.ts";
import { formatQuantity } from "../format.ts";
import type { Messages } from "./en.ts";
import type { Locale } from "./locale.ts";

/** A notification in the reader's language; `count` alike events make one notification. */
export function notificationText(
  t: Messages,
  locale: Locale,
  message: NotificationMessage,
  count: number,
): string {
  const n = t.notificationTexts;
  switch (message.key) {
    case "pledged": {
      const q = message.quantity;
      if (q === null) return n.pledged(message.actor, message.title);
      const quantity = isUnit(q.unit)
        ? formatQuantity(q.amount, q.unit, locale)
        : `${q.amount} ${q.unit}`;
      return n.pledgedQuantity(message.actor, quantity, message.title);
    }
    case "new-answer":
      return n.newAnswer(message.title);
    case "replied":
      return n.replied(message.actor, message.title);
    case "pledge-accepted":
      return n.pledgeAccepted;
    case "pledge-declined":
      return message.reason === null ? n.pledgeDeclined : n.pledgeDeclinedBecause(message.reason);
    case "pledge-declined-actor-gone":
      return n.pledgeDeclinedActorGone;
    case "pledge-withdrawn":
      return n.pledgeWithdrawn(message.actor, message.title);
    case "follow-request":
      return count > 1 ? n.followRequests(count, message.host) : n.followRequest(message.actor);
    case "text":
      return message.text;
  }
}

/** What a coordinator's email (or digest line) about an event says, in their language. */
export function emailEventText(t: Messages, locale: Locale, message: EmailEventMessage): string {
  if (message.key === "new-request") {
    return message.purpose === "offer"
      ? t.email.newOfferText(message.title)
      : t.email.newRequestText(message.title);
  }
  if (message.key === "delivery-problem") return t.email.deliveryProblemText(message.host);
  return notificationText(t, locale, message, 1);
}
