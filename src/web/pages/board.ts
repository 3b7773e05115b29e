import { jsx as h } from "hono/jsx";
import { CATEGORY_SLUGS, type CategorySlug } from "../../domain/categories.ts";
import { type IncidentArea, incidentAreaOutline } from "../../domain/incident.ts";
import { type Listing, type ListingOrigin, listingFullyPledged } from "../../domain/listing.ts";
import type { NearProblem, NearQuery } from "../../domain/near.ts";
import type { Purpose } from "../../domain/proposal.ts";
import type { BoardItem } from "../../services/boards.ts";
import type { PageContext } from "../context.ts";
import { formatDeadline, formatInstant, formatKm, formatQuantity } from "../format.ts";
import { BoardMap, type MapMarker, type MapTiles } from "./board-map.ts";

/**
 * What the public board pages (an incident's, a group's "my allies") share:
 * the filter form, the map of located items and the full list, in board
 * order (most urgent first, then needed-by soonest).
 */

/** From the plain GET form; an absent or unknown value means "any". */
export interface BoardPageFilters {
  readonly purpose?: Purpose | undefined;
  readonly category?: CategorySlug | undefined;
  /** Only what lies within km of a point (the same rule as the API's near=). */
  readonly near?: NearQuery | undefined;
  /** What is wrong with the given near/km, said on the page instead of listing everything. */
  readonly nearProblem?: NearProblem | undefined;
  readonly nearUnknownPlace?: string | undefined;
  /** near and km as typed, so the form shows them back. */
  readonly nearInput?: { readonly near: string; readonly km: string } | undefined;
}

/**
 * One field of the filter form. The form is a list of these so that more
 * filters are one more entry: a choice, or a typed value (a distance around
 * a place, say, as `near=lat,lon` and `km=`).
 */
export type FilterField =
  | {
      readonly kind: "select";
      readonly name: string;
      readonly label: string;
      readonly selected: string | undefined;
      readonly options: readonly (readonly [value: string, text: string])[];
    }
  | {
      readonly kind: "input";
      readonly name: string;
      readonly label: string;
      readonly value: string | undefined;
      readonly inputmode?: "decimal" | "numeric" | "text" | undefined;
    };

export function boardFilterFields(page: PageContext, filters: BoardPageFilters): FilterField[] {
  const { t } = page;
  return [
    {
      kind: "select",
      name: "purpose",
      label: t.filterPurpose,
      selected: filters.purpose,
      options: [
        ["request", t.purposeRequest],
        ["offer", t.purposeOffer],
      ],
    },
    {
      kind: "select",
      name: "category",
      label: t.filterCategory,
      selected: filters.category,
      options: CATEGORY_SLUGS.map((c) => [c, t.categories[c]] as const),
    },
    {
      kind: "input",
      name: "near",
      label: t.board.nearLabel,
      value: filters.nearInput?.near,
      inputmode: "text",
    },
    {
      kind: "input",
      name: "km",
      label: t.board.kmLabel,
      value: filters.nearInput?.km,
      inputmode: "decimal",
    },
  ];
}

export function BoardFilterForm({
  page,
  action,
  fields,
}: {
  page: PageContext;
  action: string;
  fields: readonly FilterField[];
}) {
  const { t } = page;
  return h(
    "form",
    { method: "get", action, class: "no-print", "aria-label": t.filters },
    h(
      "fieldset",
      null,
      h("legend", null, t.filters),
      h(
        "div",
        { class: "inline" },
        fields.map((field) =>
          h(
            "div",
            null,
            h("label", { for: `filter-${field.name}` }, field.label),
            field.kind === "input"
              ? h("input", {
                  id: `filter-${field.name}`,
                  name: field.name,
                  type: "text",
                  inputmode: field.inputmode,
                  value: field.value ?? "",
                })
              : h(
                  "select",
                  { id: `filter-${field.name}`, name: field.name },
                  h("option", { value: "" }, t.any),
                  field.options.map(([value, text]) =>
                    h(
                      "option",
                      { value, selected: value === field.selected ? true : undefined },
                      text,
                    ),
                  ),
                ),
          ),
        ),
        h("button", { type: "submit" }, t.applyFilters),
      ),
    ),
  );
}

/** Where an item's page is: ours here, a remote one on its origin instance. */
export function itemHref(listing: Listing): string {
  return listing.url ?? listing.objectId;
}

/** "@food" for our groups, "food@city-b.example" for a remote actor `https://city-b.example/groups/food`. */
export function groupLabel(origin: ListingOrigin): string {
  if (origin.handle !== null) return `@${origin.handle}`;
  try {
    const url = new URL(origin.actorId);
    const last = url.pathname.split("/").filter(Boolean).at(-1);
    return last === undefined ? url.host : `${decodeURIComponent(last)}@${url.host}`;
  } catch {
    return origin.actorId;
  }
}

/** How much is still needed (or available); the whole amount when the origin did not say. */
export function remainingText(listing: Listing, page: PageContext): string | null {
  const q = listing.quantity;
  if (q === null) return null;
  return formatQuantity(q.remaining ?? q.amount, q.unit, page.locale);
}

/** "Fully pledged" (a need) or "Fully taken" (an offer): nothing is left to give. */
export function coveredText(listing: Pick<Listing, "purpose">, page: PageContext): string {
  return listing.purpose === "request" ? page.t.board.fullyPledged : page.t.board.fullyTaken;
}

export function BoardMapSection({
  page,
  items,
  tiles,
  area = null,
}: {
  page: PageContext;
  items: readonly BoardItem[];
  tiles: MapTiles | null;
  /** An incident's area, drawn on its map. */
  area?: IncidentArea | null;
}) {
  if (items.length === 0) return null;
  const markers: MapMarker[] = [];
  for (const { listing } of items) {
    const place = listing.location;
    if (place?.latitude == null || place.longitude == null) continue;
    markers.push({
      latitude: place.latitude,
      longitude: place.longitude,
      title: listing.title,
      href: itemHref(listing),
      // Some remote objects give no urgency: drawn as the default one.
      urgency: listing.urgency ?? "normal",
      purpose: listing.purpose,
    });
  }
  if (markers.length === 0) return null;
  return h(
    "section",
    { "aria-labelledby": "map", class: "no-print" },
    h("h2", { id: "map" }, page.t.map.heading),
    BoardMap({
      page,
      markers,
      tiles,
      unlocated: items.length - markers.length,
      area: area === null ? null : incidentAreaOutline(area),
    }),
  );
}

export function BoardList({ page, items }: { page: PageContext; items: readonly BoardItem[] }) {
  const { t, locale } = page;
  if (items.length === 0) return h("p", null, t.board.empty);
  return h(
    "ol",
    { class: "items board" },
    items.map(({ listing, distanceKm }) => {
      const covered = listingFullyPledged(listing);
      const remaining = remainingText(listing, page);
      const need = listing.purpose === "request";
      return h(
        "li",
        covered ? { "data-covered": "true" } : null,
        h("a", { href: itemHref(listing) }, listing.title),
        " ",
        covered
          ? h("span", { class: "tag covered" }, coveredText(listing, page))
          : [
              listing.urgency === null
                ? h("span", { class: "tag" }, t.board.unknownUrgency)
                : h("span", { class: `tag ${listing.urgency}` }, t.urgencies[listing.urgency]),
              " ",
              h("span", { class: "tag" }, t.statuses[listing.status]),
            ],
        StaleMark({ page, since: listing.notConfirmedSince }),
        h(
          "div",
          { class: "meta" },
          [
            need ? t.board.kindNeed : t.board.kindOffer,
            listing.category === null ? null : t.categories[listing.category.slug],
            listing.quantity === null
              ? null
              : covered
                ? formatQuantity(listing.quantity.amount, listing.quantity.unit, locale)
                : `${remaining} ${need ? t.board.remaining : t.board.remainingOffer}`,
            listing.location?.name || null,
            distanceKm === undefined ? null : t.distanceAway(formatKm(distanceKm, locale)),
            listing.expiresAt === null
              ? null
              : `${need ? t.neededBy : t.availableUntil} ${formatDeadline({ expiresAt: listing.expiresAt, expiresOn: listing.expiresOn }, locale, page.timeZone)}`,
          ]
            .filter((part) => part !== null)
            .join(" · "),
        ),
        h(
          "div",
          { class: "meta" },
          h("a", { href: listing.origin.pageUrl }, groupLabel(listing.origin)),
        ),
      );
    }),
  );
}

/**
 * A received copy its origin has not confirmed for days (FEDERATION.md,
 * "Reconciliation"): still shown, but not as current.
 */
export function StaleMark({ page, since }: { page: PageContext; since: Temporal.Instant | null }) {
  if (since === null) return null;
  return [
    " ",
    h(
      "span",
      { class: "tag stale", "data-stale": "true" },
      page.t.notConfirmedSince(formatInstant(since, page.locale, page.timeZone)),
    ),
  ];
}
