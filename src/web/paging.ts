import { isId } from "../domain/ids.ts";

/**
 * Keyset paging for the workspace's long lists, as plain links (no script):
 * a page carries where the previous one ended, never an offset, so the
 * hundredth page costs what the first does.
 */
export const WORKSPACE_PAGE_SIZE = 50;

/** Asks for one row more than a page, to know whether an older page exists. */
export function splitPage<T>(rows: readonly T[], size: number): { items: T[]; more: boolean } {
  return { items: rows.slice(0, size), more: rows.length > size };
}

/**
 * `?before=` of a list ordered by id (UUIDv7, time-ordered): undefined when
 * absent, null when present but not an id (the caller answers 404).
 */
export function beforeIdOf(value: string | undefined): string | undefined | null {
  if (value === undefined || value === "") return undefined;
  return isId(value) ? value : null;
}

/** A cursor for a list ordered by (published time, id): both in one opaque parameter. */
export function encodeTimeCursor(at: Temporal.Instant, id: string): string {
  return Buffer.from(`${at.epochMilliseconds}_${id}`).toString("base64url");
}

/** undefined when absent, null when it is not one of ours. */
export function decodeTimeCursor(
  value: string | undefined,
): { publishedAt: Temporal.Instant; id: string } | undefined | null {
  if (value === undefined || value === "") return undefined;
  if (value.length > 200) return null;
  const match = /^(-?\d{1,15})_(.{1,100})$/.exec(Buffer.from(value, "base64url").toString());
  if (match === null || !isId(match[2]!)) return null;
  return { publishedAt: Temporal.Instant.fromEpochMilliseconds(Number(match[1])), id: match[2]! };
}
