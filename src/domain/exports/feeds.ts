import type { CategorySlug } from "../categories.ts";
import { type Listing, purposeWord } from "../listing.ts";
import { isFullyCovered } from "../pledging.ts";
import type { ProposalStatus, Urgency } from "../proposal.ts";
import { describeQuantity, type Unit } from "../units.ts";
import { type ExportDocument, FEED_ENTRY_CAP, isoSeconds, lastUpdated } from "./document.ts";
import type { TableColumn } from "./table.ts";
import { element, emptyElement } from "./xml.ts";

/**
 * RSS 2.0 and Atom (RFC 4287) feeds of a document's listings, newest first
 * as given, at most FEED_ENTRY_CAP entries. Every entry's id (`guid`, Atom
 * `id`) is the listing's ActivityPub object id, which never changes; Atom's
 * `updated` moves with each edit or status change so readers show it again.
 * All text is plain text, XML-escaped; no HTML is emitted.
 *
 * RSS 2.0 defines `<description>` as entity-encoded HTML, and feed readers
 * decode it once and render the result as markup. Plain text escaped for XML
 * only would reach them as live markup (a remote need saying
 * `<img src=x onerror=…>` would become an element), so descriptions are
 * escaped for HTML first and then for XML: a reader that decodes the HTML gets
 * the text back, nothing more. (CDATA around the HTML-escaped text would read
 * the same; escaping twice keeps one path, which also drops what XML cannot
 * hold.) Titles are left as text, as RSS readers treat them; Atom states the
 * type (`type="text"`) and needs none of this.
 */

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Plain text as HTML that shows exactly that text: no element, no entity of its own. */
export function htmlText(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] as string);
}

/**
 * The words a feed's entries are told in: the catalogs give them per
 * language (http/api/feed-words.ts); English is the default, as it has
 * always read. Titles and summaries stay in the words their authors wrote.
 */
export interface FeedWords {
  /** The BCP 47 tag of these words, for the feed's language. */
  readonly language: string;
  readonly need: string;
  readonly offer: string;
  status(status: ProposalStatus): string;
  category(slug: CategorySlug, label: string): string;
  urgency(urgency: Urgency): string;
  quantity(amount: string, unit: Unit): string;
  readonly fullyPledged: string;
  readonly fullyTaken: string;
  stillNeeded(quantity: string): string;
  stillAvailable(quantity: string): string;
  until(isoDate: string): string;
  /** A CSV/HXL column's header; `english` is the one it has always had. */
  columnHeader(column: TableColumn, english: string): string;
}

export const ENGLISH_FEED_WORDS: FeedWords = {
  language: "en",
  need: "Need",
  offer: "Offer",
  status: (status) => status,
  category: (_slug, label) => label,
  urgency: (urgency) => `urgency: ${urgency}`,
  quantity: (amount, unit) => feedQuantity(amount, unit),
  fullyPledged: "fully pledged",
  fullyTaken: "fully taken",
  stillNeeded: (quantity) => `${quantity} still needed`,
  stillAvailable: (quantity) => `${quantity} still available`,
  until: (date) => `until ${date}`,
  columnHeader: (_column, english) => english,
};

/** The lines under the title: what a reader needs to act on it without opening the page. */
export function entryText(listing: Listing, words: FeedWords = ENGLISH_FEED_WORDS): string {
  const need = purposeWord(listing.purpose) === "need";
  const facts = [`${need ? words.need : words.offer} · ${words.status(listing.status)}`];
  if (listing.category !== null) {
    facts.push(words.category(listing.category.slug, listing.category.label));
  }
  if (listing.urgency !== null) facts.push(words.urgency(listing.urgency));
  const q = listing.quantity;
  if (q !== null) {
    const remaining =
      q.remaining === null || q.remaining === q.amount
        ? ""
        : isFullyCovered(q.remaining)
          ? ` (${need ? words.fullyPledged : words.fullyTaken})`
          : ` (${(need ? words.stillNeeded : words.stillAvailable)(words.quantity(q.remaining, q.unit))})`;
    facts.push(`${words.quantity(q.amount, q.unit)}${remaining}`);
  }
  if (listing.location !== null) facts.push(listing.location.name);
  if (listing.expiresAt !== null) facts.push(words.until(isoSeconds(listing.expiresAt)));
  const summary = listing.summary.trim();
  return summary === "" ? facts.join(" · ") : `${facts.join(" · ")}\n\n${summary}`;
}

/**
 * An amount with its unit as a reader says it: "20 litres", "2.5 kg", and
 * countable things ("one", FEP-0837's unit for them) as "40 items", never
 * "40 one".
 */
export function feedQuantity(amount: string, unit: Unit): string {
  if (unit === "one") return `${amount} ${Number(amount) === 1 ? "item" : "items"}`;
  return describeQuantity(amount, unit);
}

/** Indexed by Date#getUTCDay: Sunday first. */
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** RFC 822 (as RFC 1123 narrows it), the date format RSS 2.0 requires: `Thu, 03 Dec 2026 11:15:00 GMT`. */
export function rfc822(instant: Temporal.Instant): string {
  // Through Date's UTC fields: much cheaper than the Temporal polyfill's time zones.
  const t = new Date(Math.floor(instant.epochMilliseconds / 1000) * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  const year = String(t.getUTCFullYear()).padStart(4, "0");
  return `${DAYS[t.getUTCDay()]}, ${two(t.getUTCDate())} ${MONTHS[t.getUTCMonth()]} ${year} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())} GMT`;
}

function entries(document: ExportDocument): readonly Listing[] {
  return document.listings.slice(0, FEED_ENTRY_CAP);
}

export function rssFeed(document: ExportDocument, words = ENGLISH_FEED_WORDS): string {
  const items = entries(document).map((l) =>
    [
      "<item>",
      element("title", l.title),
      element("link", l.url),
      element("description", htmlText(entryText(l, words))),
      element("guid", l.objectId, { isPermaLink: "false" }),
      element(
        "category",
        l.category === null ? undefined : words.category(l.category.slug, l.category.label),
      ),
      element("pubDate", rfc822(l.publishedAt)),
      "</item>",
    ].join(""),
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>\n',
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>',
    element("title", document.title),
    element("link", document.pageUrl),
    element(
      "description",
      htmlText(document.description === "" ? document.title : document.description),
    ),
    emptyElement("atom:link", {
      href: document.selfUrl,
      rel: "self",
      type: "application/rss+xml",
    }),
    element("language", words.language),
    element("lastBuildDate", rfc822(lastUpdated(document))),
    ...items,
    "</channel></rss>\n",
  ].join("");
}

export function atomFeed(document: ExportDocument, words = ENGLISH_FEED_WORDS): string {
  const items = entries(document).map((l) =>
    [
      "<entry>",
      element("id", l.objectId),
      element("title", l.title),
      element("updated", isoSeconds(l.updatedAt)),
      element("published", isoSeconds(l.publishedAt)),
      l.url === null
        ? ""
        : emptyElement("link", { rel: "alternate", type: "text/html", href: l.url }),
      l.category === null
        ? ""
        : emptyElement("category", {
            term: l.category.slug,
            label: words.category(l.category.slug, l.category.label),
          }),
      "<author>",
      element("name", l.origin.name ?? l.origin.handle ?? l.origin.actorId),
      element("uri", l.origin.actorId),
      "</author>",
      element("summary", entryText(l, words), { type: "text" }),
      "</entry>",
    ].join(""),
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>\n',
    `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${words.language}">`,
    element("id", document.selfUrl),
    element("title", document.title),
    document.description === "" ? "" : element("subtitle", document.description),
    element("updated", isoSeconds(lastUpdated(document))),
    emptyElement("link", { rel: "self", type: "application/atom+xml", href: document.selfUrl }),
    emptyElement("link", { rel: "alternate", type: "text/html", href: document.pageUrl }),
    ...items,
    "</feed>\n",
  ].join("");
}
