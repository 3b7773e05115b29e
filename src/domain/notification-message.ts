/**
 * What a notification says, as a message key and its values rather than a
 * sentence: it is written once, when the event happens, but read later by
 * coordinators in their own language, so it is rendered from the catalogs
 * at read time (web/i18n/notification-text.ts). Values are the names and
 * titles as they were then; a reason is the other group's own words.
 */
export type NotificationMessage =
  | { readonly key: "new-answer"; readonly title: string }
  | { readonly key: "replied"; readonly actor: string; readonly title: string }
  | {
      readonly key: "pledged";
      readonly actor: string;
      readonly title: string;
      /** As the other group sent it: a decimal and an FEP-0837 unit name. */
      readonly quantity: { readonly amount: string; readonly unit: string } | null;
    }
  | { readonly key: "pledge-accepted" }
  | { readonly key: "pledge-declined"; readonly reason: string | null }
  | { readonly key: "pledge-declined-actor-gone" }
  | { readonly key: "pledge-withdrawn"; readonly actor: string; readonly title: string }
  /** Alike requests from one host are one notification that counts them. */
  | { readonly key: "follow-request"; readonly actor: string; readonly host: string }
  /** A sentence stored before messages were kept as keys, that no key matched. */
  | { readonly key: "text"; readonly text: string };

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/**
 * A stored message read back. Written by this code, but read defensively:
 * a row from a newer version (a key this one does not know) still shows.
 */
export function readNotificationMessage(stored: unknown): NotificationMessage {
  const m = (typeof stored === "object" && stored !== null ? stored : {}) as Record<
    string,
    unknown
  >;
  switch (m.key) {
    case "new-answer":
      return { key: "new-answer", title: text(m.title) };
    case "replied":
    case "pledge-withdrawn":
      return { key: m.key, actor: text(m.actor), title: text(m.title) };
    case "pledged": {
      const q = (
        typeof m.quantity === "object" && m.quantity !== null ? m.quantity : null
      ) as Record<string, unknown> | null;
      return {
        key: "pledged",
        actor: text(m.actor),
        title: text(m.title),
        quantity: q === null ? null : { amount: text(q.amount), unit: text(q.unit) },
      };
    }
    case "pledge-accepted":
    case "pledge-declined-actor-gone":
      return { key: m.key };
    case "pledge-declined":
      return { key: "pledge-declined", reason: typeof m.reason === "string" ? m.reason : null };
    case "follow-request":
      return { key: "follow-request", actor: text(m.actor), host: text(m.host) };
    default:
      return { key: "text", text: text(m.text) };
  }
}

/**
 * What a coordinator's email about an event says, in no language yet: a
 * notification's message, or a new request or offer waiting in triage
 * (which is no notification: the triage queue shows it). Kept with the
 * event and its digest entries, rendered in each reader's language.
 */
export type EmailEventMessage =
  | NotificationMessage
  | {
      readonly key: "new-request";
      readonly purpose: "request" | "offer";
      readonly title: string;
    }
  /** Deliveries to another server given up on (an hour's worth is one event). */
  | { readonly key: "delivery-problem"; readonly host: string };

export function readEmailEventMessage(stored: unknown): EmailEventMessage {
  const m = (typeof stored === "object" && stored !== null ? stored : {}) as Record<
    string,
    unknown
  >;
  if (m.key === "new-request") {
    return {
      key: "new-request",
      purpose: m.purpose === "offer" ? "offer" : "request",
      title: text(m.title),
    };
  }
  if (m.key === "delivery-problem") return { key: "delivery-problem", host: text(m.host) };
  return readNotificationMessage(stored);
}
