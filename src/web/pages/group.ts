import { jsx as h } from "hono/jsx";
import type { StoredIncident } from "../../db/incidents.repo.ts";
import { CATEGORY_SLUGS, type CategorySlug } from "../../domain/categories.ts";
import { type ContactWays, hasContactWays } from "../../domain/contact-ways.ts";
import type { Group } from "../../domain/group.ts";
import { sharedLocation } from "../../domain/location.ts";
import type { NearProblem, NearQuery } from "../../domain/near.ts";
import type { Proposal, Purpose, Urgency } from "../../domain/proposal.ts";
import { collectivePage, type PageContext } from "../context.ts";
import { Layout } from "../layout.ts";
import { ActiveIncidents, type IncidentLink } from "./active-incidents.ts";
import { BoardMap, type MapMarker, type MapTiles } from "./board-map.ts";
import { ContactWaysList } from "./contact-ways.ts";
import { dataHref } from "./data-links.ts";
import { NearNotice, nearParameter } from "./near-notice.ts";
import { ProposalList } from "./proposal-list.ts";

export const URGENCIES: readonly Urgency[] = ["critical", "high", "normal", "low"];

/**
 * The group page's filters, from its plain GET form; an absent or unknown
 * value means "any". `near`/`km` come only from the link (there is no
 * geocoding to turn a typed place into coordinates): the page then lists
 * the located ones within km, nearest first, with their distance.
 */
export interface GroupFilters {
  readonly category?: CategorySlug | undefined;
  readonly urgency?: Urgency | undefined;
  readonly purpose?: Purpose | undefined;
  readonly near?: NearQuery | undefined;
  /** The link's near/km could not be read: why (the list is then unfiltered by place). */
  readonly nearProblem?: NearProblem | undefined;
  readonly nearUnknownPlace?: string | undefined;
}

/** A list as the page shows it: the items and, for a near list, their distances by id. */
export interface ListedProposals {
  readonly items: readonly Proposal[];
  readonly distances?: ReadonlyMap<string, number> | undefined;
}

export interface GroupPageProps {
  readonly page: PageContext;
  readonly group: Group;
  readonly filters: GroupFilters;
  /** null: filtered out by `purpose`. */
  readonly needs: ListedProposals | null;
  readonly offers: ListedProposals | null;
  /** The remote-follow box's account and problem, when it comes back with one. */
  readonly follow?: { readonly account: string; readonly error: string } | undefined;
  /** Background tiles for the map, or null for a plain background. */
  readonly mapTiles: MapTiles | null;
  /** How the public reaches the collective, as its coordinators published it. */
  readonly contactWays?: ContactWays | undefined;
  /** Open incidents the collective opened or takes part in. */
  readonly incidents: readonly StoredIncident[];
  /** Where the listed needs' incident tags lead, by object id. */
  readonly incidentLinks: ReadonlyMap<string, IncidentLink>;
}

export function GroupPage({
  page,
  group,
  filters,
  needs,
  offers,
  follow,
  mapTiles,
  contactWays,
  incidents,
  incidentLinks,
}: GroupPageProps) {
  const { t, urls } = page;
  const base = urls.group(group.handle).pathname;
  return Layout({
    page,
    title: group.name,
    alternate: urls.group(group.handle),
    feeds: [
      {
        href: urls.groupFeed(group.handle, "rss"),
        type: "application/rss+xml",
        title: `${group.name} (RSS)`,
      },
      {
        href: urls.groupFeed(group.handle, "atom"),
        type: "application/atom+xml",
        title: `${group.name} (Atom)`,
      },
    ],
    children: [
      h("h1", null, group.name),
      h("p", { class: "meta" }, t.groupAccount(`@${group.handle}@${urls.origin.host}`)),
      group.summary === "" ? null : h("p", null, group.summary),
      h(
        "p",
        { class: "actions" },
        h("a", { class: "button", href: `${base}/ask` }, t.askForHelp),
        h("a", { class: "button secondary", href: `${base}/offer` }, t.offerHelp),
        h("a", { class: "button secondary", href: `${base}/print` }, t.printView),
      ),
      contactWays === undefined || !hasContactWays(contactWays)
        ? null
        : h(
            "section",
            { "aria-labelledby": "contact-ways" },
            h("h2", { id: "contact-ways" }, t.contactTheCollective(group.name)),
            ContactWaysList({ page, ways: contactWays }),
          ),
      h(
        "p",
        { class: "no-print" },
        h("a", { href: urls.alliesBoard(group.handle).pathname }, t.board.alliesLink),
      ),
      ActiveIncidents({ page: collectivePage(page, group), incidents }),
      FilterForm({ page, base, filters }),
      NearNotice({ page, base, filters, showing: page.t.nearShowing }),
      MapSection({
        page,
        items: [...(needs?.items ?? []), ...(offers?.items ?? [])],
        tiles: mapTiles,
      }),
      needs === null
        ? null
        : h(
            "section",
            { "aria-labelledby": "needs" },
            h("h2", { id: "needs" }, t.openNeeds),
            ProposalList({ page: collectivePage(page, group), ...needs, incidents: incidentLinks }),
          ),
      offers === null
        ? null
        : h(
            "section",
            { "aria-labelledby": "offers" },
            h("h2", { id: "offers" }, t.openOffers),
            ProposalList({
              page: collectivePage(page, group),
              ...offers,
              incidents: incidentLinks,
            }),
          ),
      FollowBox({ page, base, follow }),
      OpenData({ page, handle: group.handle }),
    ],
  });
}

/** The open needs and offers that have a place, as markers; the lists below stay the full view. */
function MapSection({
  page,
  items,
  tiles,
}: {
  page: PageContext;
  items: readonly Proposal[];
  tiles: MapTiles | null;
}) {
  if (items.length === 0) return null;
  const markers: MapMarker[] = [];
  for (const item of items) {
    const place = sharedLocation(item.location);
    if (place?.latitude == null || place.longitude == null) continue;
    markers.push({
      latitude: place.latitude,
      longitude: place.longitude,
      title: item.title,
      href: page.urls.proposalPage(item.purpose, item.id).pathname,
      urgency: item.urgency,
      purpose: item.purpose,
    });
  }
  if (markers.length === 0) return null;
  return h(
    "section",
    { "aria-labelledby": "map", class: "no-print" },
    h("h2", { id: "map" }, page.t.map.heading),
    BoardMap({ page, markers, tiles, unlocated: items.length - markers.length }),
  );
}

/** Links to the open-data exports (README "Open data"), so people find them without the docs. */
function OpenData({ page, handle }: { page: PageContext; handle: string }) {
  const { t, urls } = page;
  const links: readonly (readonly [string, string])[] = [
    [`CSV (${t.openDataSpreadsheet})`, dataHref(page, urls.groupExport(handle, "listings.csv"))],
    ["HXL", dataHref(page, urls.groupExport(handle, "listings.hxl.csv"))],
    [`GeoJSON (${t.openDataMap})`, dataHref(page, urls.groupExport(handle, "listings.geojson"))],
    ["RSS", dataHref(page, urls.groupFeed(handle, "rss"))],
    ["Atom", dataHref(page, urls.groupFeed(handle, "atom"))],
  ];
  return h(
    "section",
    { "aria-labelledby": "open-data", class: "no-print" },
    h("h2", { id: "open-data" }, t.openData),
    h("p", null, t.openDataIntro),
    h(
      "ul",
      null,
      links.map(([label, href]) => h("li", null, h("a", { href }, label))),
    ),
  );
}

function FilterForm({
  page,
  base,
  filters,
}: {
  page: PageContext;
  base: string;
  filters: GroupFilters;
}) {
  const { t } = page;
  const select = (
    name: string,
    label: string,
    selected: string | undefined,
    options: readonly (readonly [string, string])[],
  ) =>
    h(
      "div",
      null,
      h("label", { for: `filter-${name}` }, label),
      h(
        "select",
        { id: `filter-${name}`, name },
        h("option", { value: "" }, t.any),
        options.map(([value, text]) =>
          h("option", { value, selected: value === selected ? true : undefined }, text),
        ),
      ),
    );
  return h(
    "form",
    { method: "get", action: base, class: "no-print", "aria-label": t.filters },
    h(
      "fieldset",
      null,
      h("legend", null, t.filters),
      h(
        "div",
        { class: "inline" },
        select("purpose", t.filterPurpose, filters.purpose, [
          ["request", t.purposeRequest],
          ["offer", t.purposeOffer],
        ]),
        select(
          "category",
          t.filterCategory,
          filters.category,
          CATEGORY_SLUGS.map((c) => [c, t.categories[c]] as const),
        ),
        select(
          "urgency",
          t.filterUrgency,
          filters.urgency,
          URGENCIES.map((u) => [u, t.urgencies[u]] as const),
        ),
        // The place came with the link; changing the other filters keeps it.
        filters.near === undefined
          ? null
          : [
              h("input", { type: "hidden", name: "near", value: nearParameter(filters.near) }),
              h("input", { type: "hidden", name: "km", value: String(filters.near.km) }),
            ],
        h("button", { type: "submit" }, t.applyFilters),
      ),
    ),
  );
}

function FollowBox({
  page,
  base,
  follow,
}: {
  page: PageContext;
  base: string;
  follow: GroupPageProps["follow"];
}) {
  const { t } = page;
  const invalid = follow !== undefined;
  return h(
    "section",
    { "aria-labelledby": "follow", class: "no-print" },
    h("h2", { id: "follow" }, t.followHeading),
    h("p", null, t.followHelp),
    h(
      "form",
      { method: "post", action: `${base}/remote-follow`, class: "stack" },
      h(
        "div",
        null,
        h("label", { for: "follow-account" }, t.followAccount),
        h("span", { class: "hint", id: "follow-hint" }, t.followAccountHint),
        h("input", {
          id: "follow-account",
          name: "account",
          type: "text",
          inputmode: "email",
          autocomplete: "username",
          autocapitalize: "none",
          spellcheck: "false",
          required: true,
          maxlength: 320,
          value: follow?.account ?? "",
          "aria-invalid": invalid ? "true" : undefined,
          "aria-describedby": invalid ? "follow-hint follow-error" : "follow-hint",
        }),
        invalid ? h("p", { class: "error", id: "follow-error" }, follow.error) : null,
      ),
      h("div", null, h("button", { type: "submit" }, t.followButton)),
    ),
  );
}
