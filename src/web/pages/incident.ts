import { jsx as h } from "hono/jsx";
import type { StoredIncident } from "../../db/incidents.repo.ts";
import type { IncidentArea } from "../../domain/incident.ts";
import type { BoardItem } from "../../services/boards.ts";
import type { PageContext } from "../context.ts";
import { formatInstant, formatNumber } from "../format.ts";
import { Layout } from "../layout.ts";
import {
  BoardFilterForm,
  BoardList,
  BoardMapSection,
  type BoardPageFilters,
  boardFilterFields,
  groupLabel,
} from "./board.ts";
import type { MapTiles } from "./board-map.ts";
import { dataHref } from "./data-links.ts";
import { NearNotice } from "./near-notice.ts";

/** A group taking part, as the page shows it: a label and where to reach it. */
export interface IncidentGroupView {
  readonly label: string;
  readonly href: string;
}

export interface IncidentPageProps {
  readonly page: PageContext;
  readonly incident: StoredIncident;
  /** The incident's page here (`/incidents/<our id>`), the filter form's action. */
  readonly path: string;
  readonly owner: IncidentGroupView;
  readonly participants: readonly IncidentGroupView[];
  readonly filters: BoardPageFilters;
  readonly items: readonly BoardItem[];
  readonly truncated: boolean;
  readonly mapTiles: MapTiles | null;
}

/** The area in words: "within 40 km of 14.60, 120.98", or the box's edges. */
export function describeArea(area: IncidentArea, page: PageContext): string {
  const { t, locale } = page;
  // Coordinates are written the same in every language (they are copied into
  // map apps); two decimals are ~1 km, as precise as an area needs.
  const n = (value: number) => value.toFixed(2);
  if (area.kind === "circle") {
    return t.board.circleArea(
      formatNumber(area.radiusKm, locale),
      n(area.center.latitude),
      n(area.center.longitude),
    );
  }
  return t.board.boxArea(n(area.south), n(area.west), n(area.north), n(area.east));
}

/** An actor id as a group view: its page is its actor URL (what a browser is shown). */
export function actorGroupView(actorId: string): IncidentGroupView {
  return {
    label: groupLabel({ actorId, pageUrl: actorId, name: null, handle: null }),
    href: actorId,
  };
}

export function IncidentPage(props: IncidentPageProps) {
  const { page, incident, path, owner, participants, filters, items, truncated, mapTiles } = props;
  const { t, locale, urls } = page;
  const zone = page.timeZone;
  const closed = incident.status === "closed";
  const when =
    incident.endsAt === null
      ? t.board.fromOn(formatInstant(incident.startsAt, locale, zone))
      : t.board.fromTo(
          formatInstant(incident.startsAt, locale, zone),
          formatInstant(incident.endsAt, locale, zone),
        );
  const exports: readonly (readonly [string, string])[] = [
    [
      `CSV (${t.openDataSpreadsheet})`,
      dataHref(page, urls.incidentExport(incident.id, "listings.csv")),
    ],
    ["HXL", dataHref(page, urls.incidentExport(incident.id, "listings.hxl.csv"))],
    [
      `GeoJSON (${t.openDataMap})`,
      dataHref(page, urls.incidentExport(incident.id, "listings.geojson")),
    ],
    [
      "Murmurations",
      dataHref(page, urls.incidentExport(incident.id, "murmurations/offers-wants.json"), false),
    ],
    ["RSS", dataHref(page, urls.incidentFeed(incident.id, "rss"))],
    ["Atom", dataHref(page, urls.incidentFeed(incident.id, "atom"))],
  ];
  return Layout({
    page,
    title: t.board.incidentHeading(incident.name),
    alternate: incident.groupId === null ? undefined : urls.incidentObject(incident.id),
    feeds: [
      {
        href: urls.incidentFeed(incident.id, "rss"),
        type: "application/rss+xml",
        title: `${incident.name} (RSS)`,
      },
      {
        href: urls.incidentFeed(incident.id, "atom"),
        type: "application/atom+xml",
        title: `${incident.name} (Atom)`,
      },
    ],
    children: [
      h("h1", null, t.board.incidentHeading(incident.name)),
      closed ? h("p", { class: "notice problem", id: "closed" }, t.board.closedBanner) : null,
      incident.description === "" ? null : h("p", null, incident.description),
      h(
        "dl",
        { class: "facts" },
        h("dt", null, t.board.statusLabel),
        h(
          "dd",
          { "data-status": incident.status },
          closed
            ? h("strong", null, t.board.incidentStatuses.closed)
            : t.board.incidentStatuses.open,
        ),
        h("dt", null, t.board.area),
        h("dd", null, describeArea(incident.area, page)),
        h("dt", null, t.board.when),
        h("dd", null, when),
        h("dt", null, t.board.openedBy),
        h("dd", null, h("a", { href: owner.href }, owner.label)),
        h("dt", null, t.board.participants),
        h(
          "dd",
          null,
          participants.length === 0
            ? t.board.noParticipants
            : h(
                "ul",
                { class: "participants" },
                participants.map((p) => h("li", null, h("a", { href: p.href }, p.label))),
              ),
        ),
      ),
      h(
        "p",
        { class: "actions no-print" },
        h("a", { href: urls.incidentText(incident.id).pathname }, t.board.textVersion),
      ),
      h(
        "section",
        { "aria-labelledby": "board" },
        h("h2", { id: "board" }, t.board.heading),
        h("p", null, t.board.intro),
        BoardFilterForm({ page, action: path, fields: boardFilterFields(page, filters) }),
        NearNotice({ page, base: path, filters, showing: page.t.board.nearShowing }),
        BoardMapSection({ page, items, tiles: mapTiles, area: incident.area }),
        truncated ? h("p", { class: "meta" }, t.board.truncated(items.length)) : null,
        BoardList({ page, items }),
      ),
      h(
        "section",
        { "aria-labelledby": "open-data", class: "no-print" },
        h("h2", { id: "open-data" }, t.openData),
        h("p", null, t.openDataIntro),
        h(
          "ul",
          null,
          exports.map(([label, href]) => h("li", null, h("a", { href }, label))),
        ),
      ),
    ],
  });
}
