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

/** Optimistic attempts before taking the bucket's row lock. */
const OPTIMISTIC_ATTEMPTS = 2;

/**
 * Takes one token from `bucket` (domain/host-budget.ts) and stores what is
 * left, so that requests in several processes spend from one budget; a
 * bucket not yet stored starts full. Cheap on purpose (it runs for every
 * inbox POST): a read, then a write only when a token was taken, guarded
 * by the version read (no transaction); a refusal writes nothing, since the
 * refill is computed from the stored state. When another request wrote in
 * between, it tries again, and after that takes the row lock.
 */
export async function takeBucketToken(
  db: Kysely<Database>,
  bucket: string,
  rule: TokenBucketRule,
  now: Temporal.Instant,
): Promise<TokenBucketDecision> {
  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
    const row = await db
      .selectFrom("host_budgets")
      .select(["tokens", "updated_at", "version"])
      .where("bucket", "=", bucket)
      .executeTakeFirst();
    const decision = takeToken(
      row === undefined ? null : stateOf(row),
      rule,
      now.epochMilliseconds,
    );
    if (!decision.allowed) return decision;
    if (row === undefined) {
      const inserted = await db
        .insertInto("host_budgets")
        .values({ bucket, tokens: decision.state.tokens, updated_at: toDate(now) })
        .onConflict((oc) => oc.column("bucket").doNothing())
        .returning("bucket")
        .executeTakeFirst();
      if (inserted !== undefined) return decision;
    } else {
      const updated = await db
        .updateTable("host_budgets")
        .set({
          tokens: decision.state.tokens,
          updated_at: new Date(decision.state.atMs),
          version: nextVersion(row.version),
        })
        .where("bucket", "=", bucket)
        .where("version", "=", row.version)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 1n) return decision;
    }
  }
  return takeBucketTokenLocked(db, bucket, rule, now);
}

/** The same under the row's lock, for a bucket many requests spend from at once. */
async function takeBucketTokenLocked(
  db: Kysely<Database>,
  bucket: string,
  rule: TokenBucketRule,
  now: Temporal.Instant,
): Promise<TokenBucketDecision> {
  return db.transaction().execute(async (tx) => {
    // The row exists: the optimistic attempts found or inserted it.
    const row = await tx
      .selectFrom("host_budgets")
      .select(["tokens", "updated_at", "version"])
      .where("bucket", "=", bucket)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const decision = takeToken(stateOf(row), rule, now.epochMilliseconds);
    if (decision.allowed) {
      await tx
        .updateTable("host_budgets")
        .set({
          tokens: decision.state.tokens,
          updated_at: new Date(decision.state.atMs),
          version: nextVersion(row.version),
        })
        .where("bucket", "=", bucket)
        .execute();
    }
    return decision;
  });
}

function stateOf(row: { tokens: number; updated_at: Date | string }) {
  return { tokens: Number(row.tokens), atMs: new Date(row.updated_at).getTime() };
}

function nextVersion(version: number): number {
  return (version + 1) % 1_000_000_000;
}

/** Forgets buckets untouched since `before` (by then full again: as good as absent). */
export async function deleteIdleBuckets(
  db: Kysely<Database>,
  before: Temporal.Instant,
): Promise<void> {
  await db.deleteFrom("host_budgets").where("updated_at", "<", toDate(before)).execute();
}
