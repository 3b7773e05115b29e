import { z } from "@hono/zod-openapi";
import {
  DEFAULT_NEAR_KM,
  MAX_NEAR_KM,
  type NearQuery,
  parseNear,
  roundDistanceKm,
} from "../../domain/near.ts";
import { findNearPlace } from "../../services/places.ts";
import { en, type Messages } from "../../web/i18n/en.ts";
import { nearProblemText } from "../../web/i18n/problem-text.ts";
import { ApiError } from "../errors.ts";
import { encodeDistanceCursor } from "./pagination.ts";

/**
 * The `near` and `km` query parameters, for any list that can answer
 * "what is within km of here?". Taken as strings and read by the domain's
 * `parseNear`, so that every list (and page) reports the same errors.
 */
export const NearQueryParams = {
  near: z
    .string()
    .max(100)
    .optional()
    .openapi({
      description:
        "latitude,longitude in decimal degrees, or a place name (its best match in " +
        "/api/v1/places): only items with coordinates, within km of this point, nearest first, each with distanceKm. Distances are measured to the place " +
        "as shown publicly (rounded to about 1 km unless marked exact).",
      example: "14.5995,120.9842",
    }),
  km: z
    .string()
    .max(20)
    .optional()
    .openapi({
      description: `Radius for near, in km: greater than 0, at most ${MAX_NEAR_KM} (default ${DEFAULT_NEAR_KM}). Only with near.`,
      example: "15",
    }),
};

export const DistanceKmField = z
  .number()
  .optional()
  .openapi({
    description:
      "With near only: great-circle km from the near point to the place as shown publicly " +
      "(rounded to about 1 km unless exact), to 0.1 km.",
  });

/** The parsed filter, null without `near`; a 400 naming the parameter otherwise. */
export function nearFromQuery(query: { near?: string | undefined; km?: string | undefined }) {
  const parsed = parseNear(query, findNearPlace);
  if (!parsed.ok) {
    const say = (t: Messages) => nearProblemText(t, parsed.problem);
    throw ApiError.said(400, "invalid_request", say, {
      issues: [{ path: parsed.parameter, message: say(en) }],
    });
  }
  return parsed.near satisfies NearQuery | null;
}

/**
 * A nearest-first page as every list answers it: each item with its
 * distance, and a cursor after the last one when the page is full.
 */
export function nearbyPage<Row extends { readonly distanceKm: number }, View extends object>(
  rows: readonly Row[],
  limit: number,
  view: (row: Row) => View,
  idOf: (row: Row) => string,
): { items: (View & { distanceKm: number })[]; nextCursor: string | null } {
  const end = rows.at(-1);
  return {
    items: rows.map((row) => ({ ...view(row), distanceKm: roundDistanceKm(row.distanceKm) })),
    nextCursor:
      rows.length === limit && end !== undefined
        ? encodeDistanceCursor(end.distanceKm, idOf(end))
        : null,
  };
}
