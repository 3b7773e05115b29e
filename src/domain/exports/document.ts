import type { Listing } from "../listing.ts";

/**
 * What every export format is made of: a titled set of listings. A group's
 * own needs and offers, its network feed and (later) an incident board are
 * all one of these, so a new dataset is one more call of each formatter.
 */
export interface ExportDocument {
  /** "City A Food: needs and offers". */
  readonly title: string;
  readonly description: string;
  /** The HTML page the dataset belongs to (the group's page). */
  readonly pageUrl: string;
  /** Where this very document is served from (feeds link to themselves). */
  readonly selfUrl: string;
  /** When the document was made: the feed's date when it has no entries. */
  readonly generatedAt: Temporal.Instant;
  /** Newest first, already filtered and capped. */
  readonly listings: readonly Listing[];
}

/** Rows in a CSV, HXL, GeoJSON or Murmurations export: bounded work per request. */
export const EXPORT_ROW_CAP = 1000;

/** Entries in an RSS or Atom feed: readers poll often and want the recent ones. */
export const FEED_ENTRY_CAP = 100;

/**
 * An instant at whole seconds, `2026-12-03T11:15:00Z`: what spreadsheets and
 * HXL tools parse. Through Date: the Temporal polyfill's round/toString cost
 * ~50 µs each, which a 1000-row export with three dates a row felt.
 */
export function isoSeconds(instant: Temporal.Instant): string {
  const seconds = Math.floor(instant.epochMilliseconds / 1000);
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

/** The newest `updatedAt` of the listings, or the document's own date when there are none. */
export function lastUpdated(document: ExportDocument): Temporal.Instant {
  let latest: Temporal.Instant | null = null;
  for (const listing of document.listings) {
    if (latest === null || Temporal.Instant.compare(listing.updatedAt, latest) > 0) {
      latest = listing.updatedAt;
    }
  }
  return latest ?? document.generatedAt;
}
