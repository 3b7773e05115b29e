import { jsx as h } from "hono/jsx";
import type { Coordinates } from "../../domain/geo.ts";
import type { Purpose, Urgency } from "../../domain/proposal.ts";
import {
  fitViewport,
  gridStep,
  type MapViewport,
  tilesFor,
  toViewport,
  unproject,
} from "../../domain/web-mercator.ts";
import type { PageContext } from "../context.ts";

/**
 * A board as a map, drawn on the server as SVG: no script, no map library,
 * nothing to download but (when the operator configured a tile server) the
 * background tiles. Without tiles the markers sit on a plain background with
 * a graticule, so the map works offline and in tests. Every marker is a link
 * with a text label, and the page lists the same items below, so the map is
 * never the only way to reach them. Needs are circles and offers diamonds
 * (shape, not only colour, tells them apart); the colour is the urgency; a
 * legend under the map says both, and an incident's area is drawn as a
 * dashed outline the map is fitted to.
 */

export interface MapMarker {
  /** Coarse coordinates only: whatever the public may see (`sharedLocation`). */
  readonly latitude: number;
  readonly longitude: number;
  readonly title: string;
  readonly href: string;
  readonly urgency: Urgency;
  /** A need (circle) or an offer (diamond). */
  readonly purpose: Purpose;
}

export interface MapTiles {
  readonly template: string;
  readonly attribution: string;
}

const WIDTH = 640;
const HEIGHT = 400;
const PADDING = 24;
// Drawn in a 640-wide viewBox that phones show about half size: big enough to tap.
const MARKER_RADIUS = 12;
/** Drawn last, so the most urgent markers are on top where they overlap. */
const DRAW_ORDER: readonly Urgency[] = ["low", "normal", "high", "critical"];
const LEGEND_ORDER: readonly Urgency[] = ["critical", "high", "normal", "low"];

export function BoardMap({
  page,
  markers,
  tiles,
  unlocated,
  area = null,
}: {
  page: PageContext;
  markers: readonly MapMarker[];
  tiles: MapTiles | null;
  /** Items on the board without a place: said under the map, listed below it. */
  unlocated: number;
  /** An incident's area as an outline (domain/incident.incidentAreaOutline), drawn under the markers. */
  area?: readonly Coordinates[] | null;
}) {
  const { t } = page;
  const viewport = fitViewport([...markers, ...(area ?? [])], WIDTH, HEIGHT, PADDING);
  if (viewport === null) return h("p", { class: "map-empty" }, t.map.noPlaces);
  const ordered = [...markers].sort(
    (a, b) => DRAW_ORDER.indexOf(a.urgency) - DRAW_ORDER.indexOf(b.urgency),
  );
  return h(
    "figure",
    { class: "map" },
    h(
      "svg",
      {
        xmlns: "http://www.w3.org/2000/svg",
        viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
        "aria-labelledby": "map-title",
      },
      h("title", { id: "map-title" }, t.map.title(markers.length)),
      tiles === null ? Graticule({ viewport }) : Tiles({ viewport, tiles }),
      area == null || area.length === 0
        ? null
        : h("polygon", {
            class: "incident-area",
            "aria-hidden": "true",
            points: area
              .map((point) => {
                const at = toViewport(viewport, point);
                return `${at.x.toFixed(1)},${at.y.toFixed(1)}`;
              })
              .join(" "),
          }),
      ordered.map((marker) => {
        const at = toViewport(viewport, marker);
        const kind = marker.purpose === "request" ? t.board.kindNeed : t.board.kindOffer;
        const label = `${marker.title} (${kind}, ${t.urgencies[marker.urgency]})`;
        const title = h("title", null, label);
        const x = at.x.toFixed(1);
        const y = at.y.toFixed(1);
        return h(
          "a",
          { href: marker.href, "aria-label": label },
          marker.purpose === "request"
            ? h(
                "circle",
                { class: `marker marker-${marker.urgency}`, cx: x, cy: y, r: MARKER_RADIUS },
                title,
              )
            : h(
                "path",
                {
                  class: `marker marker-${marker.urgency} offer-marker`,
                  d: diamond(at.x, at.y, MARKER_RADIUS * 1.25),
                },
                title,
              ),
        );
      }),
    ),
    h(
      "figcaption",
      null,
      h(
        "ul",
        { class: "legend", "aria-label": t.map.legend },
        LEGEND_ORDER.map((urgency) =>
          h(
            "li",
            null,
            h("span", { class: `swatch marker-${urgency}`, "aria-hidden": "true" }),
            t.urgencies[urgency],
          ),
        ),
      ),
      h(
        "ul",
        { class: "legend", "aria-label": t.map.shapes },
        h("li", null, LegendShape({ kind: "need" }), t.board.kindNeed),
        h("li", null, LegendShape({ kind: "offer" }), t.board.kindOffer),
        area == null || area.length === 0
          ? null
          : h("li", null, LegendShape({ kind: "area" }), t.map.area),
      ),
      unlocated === 0 ? null : h("p", null, t.map.unlocated(unlocated)),
      tiles === null ? null : h("p", { class: "meta" }, tiles.attribution),
    ),
  );
}

/** A diamond of "radius" r around (x, y), as an SVG path. */
function diamond(x: number, y: number, r: number): string {
  const f = (n: number) => n.toFixed(1);
  return `M${f(x)} ${f(y - r)}L${f(x + r)} ${f(y)}L${f(x)} ${f(y + r)}L${f(x - r)} ${f(y)}Z`;
}

/** The legend's small drawing of a shape, as on the map (in the ink colour). */
function LegendShape({ kind }: { kind: "need" | "offer" | "area" }) {
  return h(
    "svg",
    {
      class: "legend-shape",
      viewBox: "0 0 16 16",
      width: 16,
      height: 16,
      "aria-hidden": "true",
      focusable: "false",
    },
    kind === "need"
      ? h("circle", { cx: 8, cy: 8, r: 6 })
      : kind === "offer"
        ? h("path", { d: diamond(8, 8, 7) })
        : h("rect", { class: "incident-area", x: 1.5, y: 3.5, width: 13, height: 9 }),
  );
}

function Tiles({ viewport, tiles }: { viewport: MapViewport; tiles: MapTiles }) {
  return h(
    "g",
    { class: "tiles", "aria-hidden": "true" },
    tilesFor(viewport).map((tile) =>
      h("image", {
        href: tiles.template
          .replaceAll("{z}", String(tile.zoom))
          .replaceAll("{x}", String(tile.x))
          .replaceAll("{y}", String(tile.y)),
        x: tile.left.toFixed(1),
        y: tile.top.toFixed(1),
        width: 256,
        height: 256,
      }),
    ),
  );
}

/** Meridians and parallels every `gridStep` degrees, labelled at the edges. */
function Graticule({ viewport }: { viewport: MapViewport }) {
  // Labels are about 90 px wide at the size phones can read.
  const step = gridStep(viewport.zoom, 120);
  const northWest = unproject({ x: viewport.originX, y: viewport.originY }, viewport.zoom);
  const southEast = unproject(
    { x: viewport.originX + viewport.width, y: viewport.originY + viewport.height },
    viewport.zoom,
  );
  const digits = step >= 1 ? 0 : Math.ceil(-Math.log10(step));
  const lines = [];
  for (let k = Math.ceil(northWest.longitude / step); k * step <= southEast.longitude; k++) {
    const longitude = k * step;
    const x = toViewport(viewport, { latitude: northWest.latitude, longitude }).x;
    const wrapped = ((((longitude + 180) % 360) + 360) % 360) - 180;
    lines.push(
      h("line", { x1: x.toFixed(1), y1: 0, x2: x.toFixed(1), y2: viewport.height }),
      h(
        "text",
        { x: (x + 3).toFixed(1), y: viewport.height - 4 },
        degrees(wrapped, digits, "E", "W"),
      ),
    );
  }
  for (let k = Math.ceil(southEast.latitude / step); k * step <= northWest.latitude; k++) {
    const latitude = k * step;
    const y = toViewport(viewport, { latitude, longitude: northWest.longitude }).y;
    lines.push(
      h("line", { x1: 0, y1: y.toFixed(1), x2: viewport.width, y2: y.toFixed(1) }),
      h("text", { x: 3, y: (y - 3).toFixed(1) }, degrees(latitude, digits, "N", "S")),
    );
  }
  return h(
    "g",
    { class: "graticule", "aria-hidden": "true" },
    h("rect", { class: "ground", width: viewport.width, height: viewport.height }),
    lines,
  );
}

function degrees(value: number, digits: number, positive: string, negative: string): string {
  const rounded = Math.abs(value).toFixed(digits);
  if (Number(rounded) === 0) return `${rounded}°`;
  return `${rounded}°${value > 0 ? positive : negative}`;
}
