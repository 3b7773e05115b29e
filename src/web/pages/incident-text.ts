import { raw } from "hono/html";
import { jsx as h } from "hono/jsx";
import type { Incident } from "../../domain/incident.ts";
import { listingFullyPledged } from "../../domain/listing.ts";
import { shortCodeOf } from "../../domain/short-link.ts";
import type { BoardItem } from "../../services/boards.ts";
import type { PageContext } from "../context.ts";
import { formatDateCompact, formatInstantCompact, zoneAbbreviation } from "../format.ts";
import { groupLabel, remainingText } from "./board.ts";

/**
 * An incident's open needs for a slow or metered connection, a printer, or
 * someone reading them out over the phone: no stylesheet, no map, no image,
 * no script, one short numbered block per need. Every byte counts (200 needs
 * stay under 20 KB, test/incident-pages.test.ts), so what repeats is said
 * once at the top: what each block holds, the zone times are in, the instance's
 * address the short links (`/go/3f9a2c71be`) follow, and a letter for each
 * group. Long titles and places are cut. The blocks themselves are written
 * as text (escaped here), without the optional `</li>`.
 */
const TITLE_MAX = 80;
const PLACE_MAX = 32;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

function escapeText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** A, B, …, Z, AA, AB, …: the groups' letters, in order of first appearance. */
function letter(index: number): string {
  let n = index;
  let text = "";
  do {
    text = String.fromCharCode(65 + (n % 26)) + text;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return text;
}

export function IncidentTextPage({
  page,
  incident,
  items,
  now,
}: {
  page: PageContext;
  incident: Incident;
  /** The board's needs, in board order. */
  items: readonly BoardItem[];
  now: Temporal.Instant;
}) {
  const { t, locale, urls } = page;
  const zone = page.timeZone;
  const heading = t.board.textHeading(incident.name);
  const letters = new Map<string, string>();
  for (const { listing } of items) {
    const label = groupLabel(listing.origin);
    if (!letters.has(label)) letters.set(label, letter(letters.size));
  }
  const blocks = items
    .map(({ listing, rowId }) => {
      const details = [
        listingFullyPledged(listing) ? t.board.textCovered : remainingText(listing, page),
        listing.location?.name ? cut(listing.location.name, PLACE_MAX) : null,
        listing.expiresAt === null
          ? null
          : listing.expiresOn != null
            ? formatDateCompact(listing.expiresOn, locale)
            : formatInstantCompact(listing.expiresAt, locale, zone),
        urls.shortLink(shortCodeOf(rowId)).pathname,
      ].filter((part) => part !== null);
      const title = cut(listing.title, TITLE_MAX);
      const group = letters.get(groupLabel(listing.origin));
      return `<li>${escapeText(`${title} (${group})`)}<br>${escapeText(details.join("; "))}\n`;
    })
    .join("");
  return h(
    "html",
    { lang: locale },
    h(
      "head",
      null,
      h("meta", { charset: "utf-8" }),
      h("meta", { name: "viewport", content: "width=device-width" }),
      h("title", null, heading),
    ),
    h(
      "body",
      null,
      h(
        "main",
        null,
        h("h1", null, heading),
        incident.status === "closed" ? h("p", null, t.board.closedBanner) : null,
        h(
          "p",
          null,
          t.board.generatedAt(formatInstantCompact(now, locale, zone)),
          " ",
          t.board.timesIn(`${zoneAbbreviation(now, locale, zone)} (${zone})`),
        ),
        items.length === 0
          ? h("p", null, t.board.textNone)
          : [
              h("p", null, t.board.textKey(urls.origin.origin)),
              h(
                "p",
                null,
                `${t.board.textGroups}: `,
                [...letters].map(([label, l]) => `${l} = ${label}`).join("; "),
              ),
              h("ol", null, raw(blocks)),
            ],
        h("p", null, h("a", { href: urls.incidentPage(incident.id).pathname }, t.board.fullPage)),
      ),
    ),
  );
}
