import { ApiError } from "../errors.ts";

/**
 * Keyset cursors: the sort key (an instant) and the id of the last item of a
 * page, opaque to clients. No OFFSET anywhere, so page 500 costs what page 1
 * does.
 */
export function encodeCursor(at: Temporal.Instant, id: string): string {
  return Buffer.from(`${at.epochMilliseconds}_${id}`).toString("base64url");
}

export function decodeCursor(cursor: string): { at: Temporal.Instant; id: string } {
  const match = /^(-?\d{1,15})_([0-9a-f-]{36})$/.exec(Buffer.from(cursor, "base64url").toString());
  if (match === null) throw ApiError.said(400, "invalid_request", (t) => t.apiErrors.cursorInvalid);
  return { at: Temporal.Instant.fromEpochMilliseconds(Number(match[1])), id: match[2]! };
}

/**
 * The cursor of a `near` page: the last item's distance at full precision
 * (the shown `distanceKm` is rounded, and many items share one rounded
 * place, so only the exact value and the id keep pages from overlapping).
 * A cursor of the other order is refused, not misread.
 */
export function encodeDistanceCursor(distanceKm: number, id: string): string {
  return Buffer.from(`d${distanceKm}_${id}`).toString("base64url");
}

export function decodeDistanceCursor(cursor: string): { distanceKm: number; id: string } {
  const match = /^d(\d{1,5}(?:\.\d{1,20})?(?:e-\d{1,3})?)_([0-9a-f-]{36})$/.exec(
    Buffer.from(cursor, "base64url").toString(),
  );
  const distanceKm = match === null ? Number.NaN : Number(match[1]);
  if (match === null || !Number.isFinite(distanceKm)) {
    throw ApiError.said(400, "invalid_request", (t) => t.apiErrors.cursorNotNear);
  }
  return { distanceKm, id: match[2]! };
}
