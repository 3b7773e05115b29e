import { type BoundingBox, boundingBox, type Coordinates } from "./geo.ts";

/**
 * "What is within 15 km of me?": the `near=lat,lon&km=15` filter that lists
 * take, as a pure value, and the rules every place that answers it follows.
 *
 * Distances are always measured to the place as it is shown outside the
 * group (rounded to two decimals, about 1 km, unless the coordinator marked it
 * exact; see `location.ts`), both for the answer's `distanceKm` and for the
 * `km` cut-off itself. Were the cut-off applied to the stored point, asking
 * again and again with a slightly smaller `km` would find the exact address
 * of a need by bisection.
 */
export interface NearQuery {
  readonly center: Coordinates;
  /** Largest distance, km, from `center` to the shared point. */
  readonly km: number;
  /** The place `near` named, when it named one rather than giving coordinates. */
  readonly place?: string | undefined;
}

/** A place name to the point it means (the gazetteer's best match), or null if none. */
export type PlaceFinder = (
  name: string,
) => { readonly label: string; readonly point: Coordinates } | null;

/** The radius when `near` comes without `km`: a short drive, the scale of a town. */
export const DEFAULT_NEAR_KM = 25;

/** About half the Earth's circumference (20,015 km): 20,000 means "anywhere, nearest first". */
export const MAX_NEAR_KM = 20_000;

export type NearParameter = "near" | "km";

/**
 * Why `near`/`km` could not be read: a kind and its values, worded in the
 * reader's language by the catalogs (the API and the pages say the same).
 */
export type NearProblem =
  | { readonly kind: "km-without-near" }
  /** `namesAccepted`: a place name would have done too. */
  | { readonly kind: "not-a-point"; readonly namesAccepted: boolean }
  | { readonly kind: "unknown-place"; readonly name: string }
  | { readonly kind: "latitude-range" }
  | { readonly kind: "longitude-range" }
  | { readonly kind: "km-not-a-number" }
  | { readonly kind: "km-not-positive" }
  | { readonly kind: "km-too-large"; readonly maxKm: number };

export type NearParse =
  | { readonly ok: true; readonly near: NearQuery | null }
  | {
      readonly ok: false;
      readonly parameter: NearParameter;
      readonly problem: NearProblem;
    };

// Plain decimal degrees: no exponent, no hex, no "Infinity", nothing Number() would also take.
const DECIMAL = String.raw`[+-]?(?:\d{1,3}(?:\.\d{1,12})?|\.\d{1,12})`;
const NEAR_PATTERN = new RegExp(`^\\s*(${DECIMAL})\\s*,\\s*(${DECIMAL})\\s*$`);
const KM_PATTERN = /^\s*(\+?(?:\d{1,6}(?:\.\d{1,6})?|\.\d{1,6}))\s*$/;

/**
 * Reads the two query parameters as they arrive (absent or a string).
 * `near` alone takes `DEFAULT_NEAR_KM`; `km` alone is an error, as it would
 * otherwise be silently ignored.
 */
export function parseNear(
  input: {
    readonly near?: string | undefined;
    readonly km?: string | undefined;
  },
  findPlace?: PlaceFinder,
): NearParse {
  const fail = (parameter: NearParameter, problem: NearProblem) => ({
    ok: false as const,
    parameter,
    problem,
  });
  if (input.near === undefined) {
    return input.km === undefined
      ? { ok: true, near: null }
      : fail("km", { kind: "km-without-near" });
  }
  const point = NEAR_PATTERN.exec(input.near);
  let latitude: number;
  let longitude: number;
  let place: string | undefined;
  if (point !== null) {
    latitude = Number(point[1]);
    longitude = Number(point[2]);
  } else {
    // Digits and signs only: a mistyped point, not a name to look up.
    if (findPlace === undefined || !/\p{L}/u.test(input.near)) {
      return fail("near", { kind: "not-a-point", namesAccepted: findPlace !== undefined });
    }
    const found = findPlace(input.near.trim());
    if (found === null) {
      return fail("near", { kind: "unknown-place", name: input.near.trim() });
    }
    ({ latitude, longitude } = found.point);
    place = found.label;
  }
  if (latitude < -90 || latitude > 90) {
    return fail("near", { kind: "latitude-range" });
  }
  if (longitude < -180 || longitude > 180) {
    return fail("near", { kind: "longitude-range" });
  }
  let km = DEFAULT_NEAR_KM;
  if (input.km !== undefined) {
    const match = KM_PATTERN.exec(input.km);
    if (match === null) return fail("km", { kind: "km-not-a-number" });
    km = Number(match[1]);
    if (km <= 0) return fail("km", { kind: "km-not-positive" });
    if (km > MAX_NEAR_KM) return fail("km", { kind: "km-too-large", maxKm: MAX_NEAR_KM });
  }
  // -0 and 0 are the same place; keep the value plain for SQL parameters.
  return {
    ok: true,
    near: { center: { latitude: latitude + 0, longitude: longitude + 0 }, km, place },
  };
}

/**
 * The most that rounding to two decimals moves a coordinate (0.005°), with
 * room for floating-point error: a stored point lies this close to its
 * shared point in latitude and in longitude.
 */
export const SHARED_POINT_SLACK_DEGREES = 0.006;

/**
 * The box of *stored* coordinates a database must look in: every point
 * whose shared (rounded) place is within `km` of the centre. That is the
 * bounding box of the circle, widened by the rounding slack on every side
 * (across the antimeridian and up to the poles as `boundingBox` handles
 * them). The exact distance test comes after, on the shared point.
 */
export function nearSearchBox(near: NearQuery): BoundingBox {
  return widenBox(boundingBox(near.center, near.km), SHARED_POINT_SLACK_DEGREES);
}

export function widenBox(box: BoundingBox, degrees: number): BoundingBox {
  const minLatitude = Math.max(-90, box.minLatitude - degrees);
  const maxLatitude = Math.min(90, box.maxLatitude + degrees);
  if (box.longitudes === null) return { minLatitude, maxLatitude, longitudes: null };
  const { west, east } = box.longitudes;
  const width = west <= east ? east - west : east + 360 - west;
  if (width + 2 * degrees >= 360) return { minLatitude, maxLatitude, longitudes: null };
  const wrap = (longitude: number) =>
    longitude < -180 ? longitude + 360 : longitude > 180 ? longitude - 360 : longitude;
  return {
    minLatitude,
    maxLatitude,
    longitudes: { west: wrap(west - degrees), east: wrap(east + degrees) },
  };
}

/** Distances as answers show them: to 0.1 km, finer would only suggest precision the place lacks. */
export function roundDistanceKm(km: number): number {
  return Math.round(km * 10) / 10;
}
