import type { Coordinates } from "./geo.ts";

/**
 * What a coordinator pasted into a "where" field, read without the network:
 * a link from a map (OpenStreetMap, Google Maps, a `geo:` URI), a pair of
 * coordinates, or a place's name for the gazetteer. Links are read from
 * their text only: a short link (maps.app.goo.gl, osm.org/go) hides its
 * point behind a redirect that cannot be followed offline, so it is said to
 * have no point rather than guessed.
 */
export type PlaceInput =
  | { readonly kind: "empty" }
  | {
      readonly kind: "point";
      readonly source: "link" | "coordinates";
      readonly point: Coordinates;
      /** The place's name as the link gives it (Google's /place/Name/, a geo: label). */
      readonly label: string | null;
    }
  /** A link, but not one of a map this reads. */
  | { readonly kind: "not-a-map-link" }
  /** A map link without a point in it (a short link, a search by name). */
  | { readonly kind: "no-point" }
  | { readonly kind: "name"; readonly name: string };

const NUMBER = String.raw`[+-]?\d{1,3}(?:\.\d{1,15})?`;
const PAIR = new RegExp(`^\\s*(${NUMBER})\\s*[,;\\s]\\s*(${NUMBER})\\s*$`);

/** "14.6177, 121.0537" (comma, semicolon or space between): a point, or null. */
export function parseCoordinates(text: string): Coordinates | null {
  const match = PAIR.exec(text);
  if (match === null) return null;
  return pointOf(match[1]!, match[2]!);
}

function pointOf(lat: string, lon: string): Coordinates | null {
  const latitude = Number(lat);
  const longitude = Number(lon);
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) return null;
  if (latitude < -90 || latitude > 90 || longitude < -180 || longitude > 180) return null;
  return { latitude, longitude };
}

const LOOKS_LIKE_LINK = /^(?:[a-z][a-z0-9+.-]*:\/\/|www\.|geo:)/i;

export function readPlaceInput(raw: string): PlaceInput {
  const text = raw.trim();
  if (text === "") return { kind: "empty" };
  if (LOOKS_LIKE_LINK.test(text)) return readMapLink(text);
  const point = parseCoordinates(text);
  if (point !== null) return { kind: "point", source: "coordinates", point, label: null };
  return { kind: "name", name: text };
}

/** A pasted link: `geo:` or an http(s) address of a map site. */
export function readMapLink(text: string): PlaceInput {
  if (/^geo:/i.test(text)) return readGeoUri(text);
  let url: URL;
  try {
    url = new URL(/^www\./i.test(text) ? `https://${text}` : text);
  } catch {
    return { kind: "not-a-map-link" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { kind: "not-a-map-link" };
  const host = url.hostname.toLowerCase().replace(/^www\./, "");
  if (host === "openstreetmap.org" || host.endsWith(".openstreetmap.org") || host === "osm.org") {
    return readOsm(url);
  }
  if (isGoogleMaps(host, url.pathname)) return readGoogle(url);
  return { kind: "not-a-map-link" };
}

/** google.com, google.com.ph, google.co.uk… under /maps, maps.google.*, and the short links. */
function isGoogleMaps(host: string, path: string): boolean {
  if (host === "maps.app.goo.gl" || host === "goo.gl")
    return path.startsWith("/maps") || host === "maps.app.goo.gl";
  const google = /^(?:maps\.)?google\.(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})$/.test(host);
  return google && (host.startsWith("maps.") || path === "/maps" || path.startsWith("/maps/"));
}

function point(p: Coordinates | null, label: string | null = null): PlaceInput {
  return p === null ? { kind: "no-point" } : { kind: "point", source: "link", point: p, label };
}

/** `#map=zoom/lat/lon`, or a marker `?mlat=&mlon=` (which wins: it is the place, the view is around it). */
function readOsm(url: URL): PlaceInput {
  const mlat = url.searchParams.get("mlat");
  const mlon = url.searchParams.get("mlon");
  if (mlat !== null && mlon !== null) return point(parseCoordinates(`${mlat},${mlon}`));
  const view = /(?:^#|&)map=\d{1,2}(?:\.\d+)?\/([^/&]+)\/([^/&]+)/.exec(url.hash);
  if (view !== null) return point(parseCoordinates(`${view[1]},${view[2]}`));
  return { kind: "no-point" };
}

/**
 * Google's many shapes: the place's own point `!3dLAT!4dLON` (inside
 * `data=`) before the map's view `@lat,lon,zoom`, then `?q=` / `?query=` /
 * `?ll=` / `?destination=` when they hold coordinates.
 */
function readGoogle(url: URL): PlaceInput {
  const path = decodeURIComponent(url.pathname);
  const labelMatch = /\/maps\/place\/([^/@]+)/.exec(path);
  const label =
    labelMatch === null ? null : labelMatch[1]!.replace(/\+/g, " ").trim().slice(0, 200) || null;
  const full = decodeURIComponent(url.pathname + url.search);
  const pin = new RegExp(`!3d(${NUMBER})!4d(${NUMBER})`).exec(full);
  if (pin !== null) return point(pointOf(pin[1]!, pin[2]!), label);
  const view = new RegExp(`@(${NUMBER}),(${NUMBER})(?:,|$)`).exec(path);
  if (view !== null) {
    const labelIsPoint = label !== null && parseCoordinates(label) !== null;
    return point(pointOf(view[1]!, view[2]!), labelIsPoint ? null : label);
  }
  for (const name of ["q", "query", "ll", "destination", "center"]) {
    const value = url.searchParams.get(name);
    const p = value === null ? null : parseCoordinates(value.replace(/^loc:/, ""));
    if (p !== null) return point(p);
  }
  if (label !== null) {
    const p = parseCoordinates(label);
    if (p !== null) return point(p);
  }
  return { kind: "no-point" };
}

/**
 * RFC 5870: `geo:lat,lon[,alt][;crs=wgs84][;u=…][?z=…]`, and Android's
 * `geo:0,0?q=lat,lon(Label)` for a marked point.
 */
function readGeoUri(text: string): PlaceInput {
  const match = new RegExp(
    `^geo:(${NUMBER}),(${NUMBER})(?:,${NUMBER})?((?:;[^?]*)?)(?:\\?(.*))?$`,
    "i",
  ).exec(text.trim());
  if (match === null) return { kind: "no-point" };
  const params = match[3] ?? "";
  const crs = /;crs=([^;]*)/i.exec(params);
  if (crs !== null && crs[1]!.toLowerCase() !== "wgs84") return { kind: "no-point" };
  const query = new URLSearchParams(match[4] ?? "");
  const q = query.get("q");
  if (q !== null) {
    const marked = new RegExp(`^(${NUMBER}),(${NUMBER})(?:\\((.*)\\))?$`).exec(q);
    if (marked !== null) {
      const label = marked[3]?.trim() ?? "";
      return point(pointOf(marked[1]!, marked[2]!), label === "" ? null : label.slice(0, 200));
    }
  }
  const p = pointOf(match[1]!, match[2]!);
  // geo:0,0?q=Name is Android's "search for this name": no point in it.
  if (p !== null && p.latitude === 0 && p.longitude === 0 && q !== null)
    return { kind: "no-point" };
  return point(p);
}
