import { type Kysely, sql } from "kysely";
import {
  type TokenBucketDecision,
  type TokenBucketRule,
  takeToken,
} from "../domain/host-budget.ts";
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

/**
 * Takes one token from `bucket` (domain/host-budget.ts) and stores what is
 * left. The row is locked for the read and the write, so requests in several
 * processes spending from one bucket each see the other's spending; a bucket
 * not yet stored starts full.
 */
export async function takeBucketToken(
  db: Kysely<Database>,
  bucket: string,
  rule: TokenBucketRule,
  now: Temporal.Instant,
): Promise<TokenBucketDecision> {
  const nowMs = now.epochMilliseconds;
  return db.transaction().execute(async (tx) => {
    const row = await tx
      .selectFrom("host_budgets")
      .select(["tokens", "updated_at"])
      .where("bucket", "=", bucket)
      .forUpdate()
      .executeTakeFirst();
    if (row === undefined) {
      const decision = takeToken(null, rule, nowMs);
      // Two first requests at once: the second adds its token to the first's.
      await tx
        .insertInto("host_budgets")
        .values({ bucket, tokens: decision.state.tokens, updated_at: toDate(now) })
        .onConflict((oc) =>
          oc.column("bucket").doUpdateSet({ tokens: sql`GREATEST(host_budgets.tokens - 1, 0)` }),
        )
        .execute();
      return decision;
    }
    const decision = takeToken(
      { tokens: Number(row.tokens), atMs: new Date(row.updated_at).getTime() },
      rule,
      nowMs,
    );
    await tx
      .updateTable("host_budgets")
      .set({
        tokens: decision.state.tokens,
        updated_at: new Date(decision.state.atMs),
      })
      .where("bucket", "=", bucket)
      .execute();
    return decision;
  });
}

/** Forgets buckets untouched since `before` (by then full again: as good as absent). */
export async function deleteIdleBuckets(
  db: Kysely<Database>,
  before: Temporal.Instant,
): Promise<void> {
  await db.deleteFrom("host_budgets").where("updated_at", "<", toDate(before)).execute();
}
