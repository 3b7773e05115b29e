import { type Kysely, sql } from "kysely";
import type { Database } from "./database.ts";
import { toDate } from "./time.ts";

/**
 * Counts one hit in `bucket`'s window and returns the window's count. One
 * statement (insert or increment), so concurrent requests in several
 * processes each see a distinct count.
 */
export async function countHit(
  db: Kysely<Database>,
  bucket: string,
  windowStart: Temporal.Instant,
): Promise<number> {
  const row = await db
    .insertInto("rate_limit_hits")
    .values({ bucket, window_start: toDate(windowStart), hits: 1 })
    .onConflict((oc) =>
      oc.columns(["bucket", "window_start"]).doUpdateSet({ hits: sql`rate_limit_hits.hits + 1` }),
    )
    .returning("hits")
    .executeTakeFirstOrThrow();
  return row.hits;
}

/** Reads a window's count without adding to it. */
export async function currentHits(
  db: Kysely<Database>,
  bucket: string,
  windowStart: Temporal.Instant,
): Promise<number> {
  const row = await db
    .selectFrom("rate_limit_hits")
    .select("hits")
    .where("bucket", "=", bucket)
    .where("window_start", "=", toDate(windowStart))
    .executeTakeFirst();
  return row?.hits ?? 0;
}

/** Forgets windows that ended before `before`. */
export async function deleteOldWindows(
  db: Kysely<Database>,
  before: Temporal.Instant,
): Promise<void> {
  await db.deleteFrom("rate_limit_hits").where("window_start", "<", toDate(before)).execute();
}
