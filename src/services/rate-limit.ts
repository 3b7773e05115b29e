import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { countHit, currentHits, deleteOldWindows } from "../db/rate-limits.repo.ts";
import { windowStart } from "../domain/rate-limit.ts";
import type { Clock } from "./ports.ts";

export interface RateLimit {
  /** Names the limit, so one address's counts for different actions stay apart. */
  readonly name: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

export type RateLimitDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Counts one action by `key` against `limit` in fixed windows kept in the
 * database, so the limit survives restarts and holds across web processes.
 */
export async function consumeRateLimit(
  deps: { db: Kysely<Database>; clock: Clock },
  limit: RateLimit,
  key: string,
): Promise<RateLimitDecision> {
  const now = deps.clock();
  const start = windowStart(now, limit.windowSeconds);
  const hits = await countHit(deps.db, `${limit.name}:${key}`, start);
  if (hits === 1) {
    // The first hit of a window is a cheap moment to forget finished ones.
    await deleteOldWindows(deps.db, start.subtract({ hours: 24 }));
  }
  if (hits <= limit.limit) return { allowed: true };
  const end = start.add({ seconds: limit.windowSeconds });
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil(now.until(end).total("seconds"))),
  };
}

/** Whether `key` is already over `limit`, without counting anything. */
export async function checkRateLimit(
  deps: { db: Kysely<Database>; clock: Clock },
  limit: RateLimit,
  key: string,
): Promise<RateLimitDecision> {
  const now = deps.clock();
  const start = windowStart(now, limit.windowSeconds);
  const hits = await currentHits(deps.db, `${limit.name}:${key}`, start);
  if (hits < limit.limit) return { allowed: true };
  const end = start.add({ seconds: limit.windowSeconds });
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil(now.until(end).total("seconds"))),
  };
}
