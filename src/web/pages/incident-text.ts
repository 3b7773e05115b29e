import { jsx as h } from "hono/jsx";
import type { Incident } from "../../domain/incident.ts";
import { shortCodeOf } from "../../domain/short-link.ts";
import type { BoardItem } from "../../services/boards.ts";
import type { PageContext } from "../context.ts";
import { groupLabel, remainingText } from "./board.ts";

/**
 * An incident's open needs for a slow or metered connection, a printer, or
 * someone reading them out over the phone: no stylesheet, no map, no image,
 * no script, one short numbered block per need. Every byte counts (200 needs
 * stay under 20 KB, test/incident-pages.test.ts), so dates are short, times
 * are said to be UTC once, long titles and places are cut, and the links are
 * short paths (`/go/3f9a2c71be`) after the instance's address, said once.
 */
const TITLE_MAX = 80;
const PLACE_MAX = 40;

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

function shortDate(instant: Temporal.Instant, locale: string): string {
  return new Date(instant.epochMilliseconds).toLocaleString(locale, {
    timeZone: "UTC",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hour12: false,
  });
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
  const heading = t.board.textHeading(incident.name);
  const lines = items.map(({ listing, rowId }) => {
    const remaining = remainingText(listing, page);
    const details = [
      remaining === null ? null : `${remaining} ${t.board.textStill}`,
      listing.location?.name ? cut(listing.location.name, PLACE_MAX) : null,
      listing.expiresAt === null
        ? null
        : `${t.board.textBy} ${shortDate(listing.expiresAt, locale)}`,
      groupLabel(listing.origin),
      urls.shortLink(shortCodeOf(rowId)).pathname,
    ].filter((part) => part !== null);
    return h("li", null, cut(listing.title, TITLE_MAX), h("br", null), details.join("; "));
  });
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
          t.board.generatedAt(`${shortDate(now, locale)} UTC`),
          " ",
          t.board.timesUtc,
          h("br", null),
          t.board.linksFrom(urls.origin.origin),
        ),
        items.length === 0 ? h("p", null, t.board.textNone) : h("ol", null, lines),
        h("p", null, h("a", { href: urls.incidentPage(incident.id).pathname }, t.board.fullPage)),
      ),
    ),
  );
}
