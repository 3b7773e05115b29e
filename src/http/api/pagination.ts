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
  if (match === null) throw new ApiError(400, "invalid_request", "cursor is not valid");
  return { at: Temporal.Instant.fromEpochMilliseconds(Number(match[1])), id: match[2]! };
}
