import { type Kysely, type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from "kysely";
import { EARTH_RADIUS_KM } from "../domain/geo.ts";
import { type NearQuery, nearSearchBox } from "../domain/near.ts";

/**
 * `near=lat,lon&km=…` in SQL, for any table with `latitude`/`longitude`
 * columns (needs and offers, received ones, and whatever lists places next):
 * an index-friendly box on the stored columns, then the great-circle distance
 * of the *shared* point (rounded to two decimals unless the row is marked
 * exact, as `domain/location.ts` shows it) cut at `km` and ordered nearest
 * first. Plain PostgreSQL (no PostGIS), so PGlite runs the same statement.
 */

export interface NearColumns {
  /** Qualified column names, e.g. "proposals.latitude". */
  readonly latitude: string;
  readonly longitude: string;
  /** A boolean column: true shares the stored point as it is. Null: always rounded. */
  readonly exact: string | null;
}

/** Where the previous page ended: its last row's distance (the full float, not the shown one) and id. */
export interface DistanceCursor {
  readonly distanceKm: number;
  readonly id: string;
}

const RADIANS = Math.PI / 180;

/**
 * A stored coordinate rounded as `coarsenCoordinate` rounds it: Math.round
 * takes halves up (towards +∞), which floor(x + 0.5) does too, whereas
 * PostgreSQL's round(float8) takes them to even.
 */
function shared(column: string, exact: string | null): RawBuilder<number> {
  const rounded = sql<number>`(floor(${sql.ref(column)} * 100 + 0.5) / 100)`;
  if (exact === null) return rounded;
  return sql<number>`(CASE WHEN ${sql.ref(exact)} THEN ${sql.ref(column)} ELSE ${rounded} END)`;
}

/**
 * The stored point lies in the search box (widened by the rounding slack):
 * what an index on (…, latitude, longitude) narrows with. `west > east`
 * crosses the antimeridian; no longitudes at all reaches a pole.
 */
export function nearBoxCondition(columns: NearColumns, near: NearQuery): RawBuilder<SqlBool> {
  const box = nearSearchBox(near);
  const latitude = sql.ref(columns.latitude);
  const longitude = sql.ref(columns.longitude);
  // Both bounds literal-free parameters, and IS NOT NULL spelled out so the
  // planner matches the partial indexes "WHERE latitude IS NOT NULL".
  const band = sql<SqlBool>`${latitude} IS NOT NULL AND ${longitude} IS NOT NULL
    AND ${latitude} BETWEEN ${box.minLatitude} AND ${box.maxLatitude}`;
  if (box.longitudes === null) return band;
  const { west, east } = box.longitudes;
  return west <= east
    ? sql<SqlBool>`${band} AND ${longitude} BETWEEN ${west} AND ${east}`
    : sql<SqlBool>`${band} AND (${longitude} >= ${west} OR ${longitude} <= ${east})`;
}

/**
 * Great-circle km (haversine, the formula of `domain/geo.haversineKm`) from
 * the centre to the row's shared point.
 */
export function sharedDistanceKm(columns: NearColumns, near: NearQuery): RawBuilder<number> {
  const latitude = shared(columns.latitude, columns.exact);
  const longitude = shared(columns.longitude, columns.exact);
  const { center } = near;
  const cosCenter = Math.cos(center.latitude * RADIANS);
  // least(1, …): rounding can push the haversine a hair above 1 for antipodes.
  return sql<number>`(${2 * EARTH_RADIUS_KM}::float8 * asin(sqrt(least(1::float8,
    power(sin(radians(${latitude} - ${center.latitude}::float8) / 2), 2)
    + ${cosCenter}::float8 * cos(radians(${latitude}))
      * power(sin(radians(${longitude} - ${center.longitude}::float8) / 2), 2)))))`;
}

export type WithDistance<O> = O & { distance_km: number };

/**
 * The first radius `selectNearest` tries: small enough that a dense city
 * answers a page from a few dozen rows, big enough not to step up through
 * many empty rings. At most log2(64) + 1 = 7 statements for any km.
 */
function firstRadiusKm(km: number): number {
  return Math.min(km, Math.max(km / 64, 1));
}

/**
 * One page of `query`'s rows within `near.km` of the centre, nearest first
 * (ties: higher id first, which for UUIDv7 ids is newer first), after
 * `after` when given. `query` is the caller's filtered SELECT without order
 * or limit; its rows must have an `id` column. Each row gains `distance_km`,
 * the full-precision distance (show it through `roundDistanceKm`; use it
 * as is in the next page's cursor).
 *
 * Without a spatial index every row in the box has its distance computed
 * (10,000 rows within 15 km of a city centre cost 200 ms on PGlite), so the
 * page is looked for in growing circles: first a small radius, doubled until
 * the page is full or the radius is `km`. A full page within radius r is the
 * page: every row it leaves out is farther than r or later in the order.
 */
export async function selectNearest<DB, TB extends keyof DB, O extends { id: string }>(
  db: Kysely<DB>,
  query: SelectQueryBuilder<DB, TB, O>,
  columns: NearColumns,
  near: NearQuery,
  page: { readonly limit: number; readonly after?: DistanceCursor | undefined },
): Promise<WithDistance<O>[]> {
  let radius = firstRadiusKm(near.km);
  // A later page starts beyond the previous one's last distance.
  while (page.after !== undefined && radius < near.km && radius <= page.after.distanceKm) {
    radius = Math.min(near.km, radius * 2);
  }
  for (;;) {
    const rows = await selectNearestWithin(db, query, columns, { ...near, km: radius }, page);
    if (rows.length >= page.limit || radius >= near.km) return rows;
    radius = Math.min(near.km, radius * 2);
  }
}

/**
 * One statement: the page among rows within `near.km`, every one of which
 * has its distance computed. The distance is computed once per row in the
 * box: the inner SELECT is kept a subquery (OFFSET 0 stops PostgreSQL
 * pulling it up and evaluating the expression again in WHERE, ORDER BY and
 * the cursor test). Its ORDER BY latitude costs nothing through an index
 * that has latitude right after the query's equality columns
 * (proposals_near, remote_proposals_near) and tips the planner towards it:
 * PGlite, which has no statistics, otherwise rates a listing index on
 * (group, purpose) the same and walks every row of the group.
 */
export async function selectNearestWithin<DB, TB extends keyof DB, O extends { id: string }>(
  db: Kysely<DB>,
  query: SelectQueryBuilder<DB, TB, O>,
  columns: NearColumns,
  near: NearQuery,
  page: { readonly limit: number; readonly after?: DistanceCursor | undefined },
): Promise<WithDistance<O>[]> {
  const inner = query
    .where(nearBoxCondition(columns, near))
    .select(sharedDistanceKm(columns, near).as("distance_km") as never)
    .orderBy(sql.ref(columns.latitude))
    .offset(0);
  const after =
    page.after === undefined
      ? sql<SqlBool>`true`
      : sql<SqlBool>`(nearby.distance_km > ${page.after.distanceKm}::float8
          OR (nearby.distance_km = ${page.after.distanceKm}::float8 AND nearby.id < ${page.after.id}))`;
  const result = await sql<WithDistance<O>>`
    SELECT * FROM (${inner}) AS nearby
    WHERE nearby.distance_km <= ${near.km}::float8 AND ${after}
    ORDER BY nearby.distance_km, nearby.id DESC
    LIMIT ${page.limit}`.execute(db);
  return result.rows;
}
