import { ENGLISH_FEED_WORDS, type FeedWords } from "../../domain/exports/feeds.ts";
import { formatNumber, formatQuantity } from "../../web/format.ts";
import type { Locale } from "../../web/i18n/locale.ts";
import { messagesFor } from "../../web/i18n/locale.ts";

/**
 * A feed's words in one of our languages, from the catalogs. English keeps
 * the words feeds have always had, so readers that already follow a feed
 * see no entry change.
 */
export function feedWords(locale: Locale): FeedWords {
  if (locale === "en") return ENGLISH_FEED_WORDS;
  const t = messagesFor(locale);
  return {
    language: locale,
    need: t.feed.need,
    offer: t.feed.offer,
    status: (status) => t.statuses[status],
    category: (slug) => t.categories[slug],
    urgency: (urgency) => t.feed.urgency(t.urgencies[urgency]),
    quantity: (amount, unit) =>
      unit === "one"
        ? t.feed.items(formatNumber(amount, locale), Number(amount))
        : formatQuantity(amount, unit, locale),
    fullyPledged: t.feed.fullyPledged,
    fullyTaken: t.feed.fullyTaken,
    stillNeeded: t.feed.stillNeeded,
    stillAvailable: t.feed.stillAvailable,
    until: t.feed.until,
    columnHeader: (column) => t.feed.columns[column],
  };
}
