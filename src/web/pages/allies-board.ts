import { jsx as h } from "hono/jsx";
import type { Group } from "../../domain/group.ts";
import type { BoardItem } from "../../services/boards.ts";
import type { PageContext } from "../context.ts";
import { Layout } from "../layout.ts";
import {
  BoardFilterForm,
  BoardList,
  BoardMapSection,
  type BoardPageFilters,
  boardFilterFields,
} from "./board.ts";
import type { MapTiles } from "./board-map.ts";
import { dataHref } from "./data-links.ts";
import { NearNotice } from "./near-notice.ts";

/**
 * A group's "my allies" board: this instance's groups and the groups it
 * follows, in the incident board's layout.
 */
export function AlliesBoardPage({
  page,
  group,
  filters,
  items,
  truncated,
  mapTiles,
}: {
  page: PageContext;
  group: Group;
  filters: BoardPageFilters;
  items: readonly BoardItem[];
  truncated: boolean;
  mapTiles: MapTiles | null;
}) {
  const { t, urls } = page;
  const exports: readonly (readonly [string, string])[] = [
    [
      `CSV (${t.openDataSpreadsheet})`,
      dataHref(page, urls.alliesExport(group.handle, "listings.csv")),
    ],
    ["HXL", dataHref(page, urls.alliesExport(group.handle, "listings.hxl.csv"))],
    [
      `GeoJSON (${t.openDataMap})`,
      dataHref(page, urls.alliesExport(group.handle, "listings.geojson")),
    ],
    [
      "Murmurations",
      dataHref(page, urls.alliesExport(group.handle, "murmurations/offers-wants.json"), false),
    ],
    ["RSS", dataHref(page, urls.alliesFeed(group.handle, "rss"))],
    ["Atom", dataHref(page, urls.alliesFeed(group.handle, "atom"))],
  ];
  return Layout({
    page,
    title: t.board.alliesHeading(group.name),
    children: [
      h("h1", null, t.board.alliesHeading(group.name)),
      h(
        "p",
        null,
        h("a", { href: urls.group(group.handle).pathname }, t.board.backToGroup(group.name)),
      ),
      h("p", null, t.board.alliesIntro),
      BoardFilterForm({
        page,
        action: urls.alliesBoard(group.handle).pathname,
        fields: boardFilterFields(page, filters),
      }),
      NearNotice({
        page,
        base: urls.alliesBoard(group.handle).pathname,
        filters,
        showing: page.t.board.nearShowing,
      }),
      BoardMapSection({ page, items, tiles: mapTiles }),
      h(
        "section",
        { "aria-labelledby": "board" },
        h("h2", { id: "board" }, t.board.heading),
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
