import { raw } from "hono/html";
import { jsx as h } from "hono/jsx";
import type { Incident } from "../../domain/incident.ts";
import { listingFullyPledged } from "../../domain/listing.ts";
import type { Urgency } from "../../domain/proposal.ts";
import { shortCodeOf } from "../../domain/short-link.ts";
import type { BoardItem } from "../../services/boards.ts";
import type { PageContext } from "../context.ts";
import {
  formatDateCompact,
  formatInstantCompact,
  formatQuantityShort,
  zoneAbbreviation,
} from "../format.ts";
import { groupLabel } from "./board.ts";

/**
 * An incident's open needs for a slow or metered connection, a printer, or
 * someone reading them out over the phone: no stylesheet, no map, no image,
 * no script, one short numbered block per need. Every byte counts (200 needs
 * with realistic titles and places stay under 20,000 bytes,
 * test/incident-pages.test.ts), so what repeats is said once: what each
 * block holds, the zone times are in, the address each need's code follows
 * (`{origin}/go/3f9a2c71be`), a letter for each group, a number for each
 * place more than one need names, and the urgency as a heading over the
 * needs that share it (the board's order already groups them; fully pledged
 * ones come last under a heading of their own). Long
 * titles and places are cut, and long unbroken words (a pasted link) get
 * break opportunities (`<wbr>`): with no stylesheet nothing else keeps them
 * from widening a phone's screen. The blocks are written as text (escaped
 * here), without the optional `</li>`.
 */
const TITLE_MAX = 64;
const PLACE_MAX = 24;
/**
 * A run of non-space characters longer than BREAK_AFTER gets a break
 * opportunity every BREAK_EVERY (the heading's large letters: every run
 * longer than that).
 */
const BREAK_AFTER = 30;
const BREAK_EVERY = 12;

function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join("")
        .trimEnd()}…`;
}

function escapeText(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Escaped, with `<wbr>` inside words longer than `after` characters. */
export function breakable(text: string, after: number = BREAK_AFTER): string {
  return text
    .split(/(\s+)/)
    .map((part) => {
      const chars = [...part];
      if (chars.length <= after) return escapeText(part);
      const pieces: string[] = [];
      for (let i = 0; i < chars.length; i += BREAK_EVERY) {
        pieces.push(escapeText(chars.slice(i, i + BREAK_EVERY).join("")));
      }
      return pieces.join("<wbr>");
    })
    .join("");
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

type Section = Urgency | "unknown" | "covered";

function sectionOf({ listing }: BoardItem): Section {
  if (listingFullyPledged(listing)) return "covered";
  return listing.urgency ?? "unknown";
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
  const sectionName = (section: Section) =>
    section === "covered"
      ? t.board.fullyPledged
      : section === "unknown"
        ? t.board.unknownUrgency
        : t.urgencies[section];
  const letters = new Map<string, string>();
  for (const { listing } of items) {
    const label = groupLabel(listing.origin);
    if (!letters.has(label)) letters.set(label, letter(letters.size));
  }
  // A place named by more than one need is said once, as a number.
  const placeCounts = new Map<string, number>();
  for (const { listing } of items) {
    const name = listing.location?.name;
    if (name) placeCounts.set(name, (placeCounts.get(name) ?? 0) + 1);
  }
  const placeNumbers = new Map<string, string>();
  for (const [name, count] of placeCounts) {
    if (count > 1) placeNumbers.set(name, `#${placeNumbers.size + 1}`);
  }
  const block = ({ listing, rowId }: BoardItem) => {
    const q = listing.quantity;
    const details = [
      q === null
        ? null
        : listingFullyPledged(listing)
          ? t.board.textCovered
          : formatQuantityShort(q.remaining ?? q.amount, q.unit, locale),
      listing.location?.name
        ? (placeNumbers.get(listing.location.name) ?? cut(listing.location.name, PLACE_MAX))
        : null,
      listing.expiresAt === null
        ? null
        : listing.expiresOn != null
          ? formatDateCompact(listing.expiresOn, locale)
          : formatInstantCompact(listing.expiresAt, locale, zone),
      shortCodeOf(rowId),
    ].filter((part) => part !== null);
    const title = cut(listing.title, TITLE_MAX);
    const group = letters.get(groupLabel(listing.origin));
    return `<li>${breakable(`${title} (${group})`)}<br>${breakable(details.join("; "))}\n`;
  };
  // Consecutive needs of one urgency under one heading; numbers run on.
  let html = "";
  let current: Section | null = null;
  items.forEach((item, index) => {
    const section = sectionOf(item);
    if (section !== current) {
      if (current !== null) html += "</ol>";
      html += `<h2>${escapeText(sectionName(section))}</h2><ol${index === 0 ? "" : ` start=${index + 1}`}>\n`;
      current = section;
    }
    html += block(item);
  });
  if (current !== null) html += "</ol>";
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
        h("h1", null, raw(breakable(heading, BREAK_EVERY))),
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
              h("p", null, raw(breakable(t.board.textKey(urls.shortLink("").href)))),
              h(
                "p",
                null,
                `${t.board.textGroups}: `,
                raw([...letters].map(([label, l]) => breakable(`${l} = ${label}`)).join("; ")),
              ),
              placeNumbers.size === 0
                ? null
                : h(
                    "p",
                    null,
                    `${t.board.textPlaces}: `,
                    raw(
                      [...placeNumbers]
                        .map(([name, n]) => breakable(`${n} = ${cut(name, PLACE_MAX * 2)}`))
                        .join("; "),
                    ),
                  ),
              raw(html),
            ],
        h("p", null, h("a", { href: urls.incidentPage(incident.id).pathname }, t.board.fullPage)),
      ),
    ),
  );
}
