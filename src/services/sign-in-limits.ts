import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import {
  claimAttempt,
  clearBackoff,
  countFailure,
  deleteOldBackoff,
  findBackoff,
  setNextAttempt,
} from "../db/sign-in-backoff.repo.ts";
import { type BackoffRule, backoffSeconds } from "../domain/sign-in-backoff.ts";
import type { Clock } from "./ports.ts";
import {
  checkRateLimit,
  consumeRateLimit,
  type RateLimit,
  type RateLimitDecision,
} from "./rate-limit.ts";

/**
 * Failed sign-ins from one address, whatever the usernames: one address
 * guessing many accounts.
 */
export const LOGIN_FAILURES_BY_ADDRESS: RateLimit = {
  name: "login-addr",
  limit: 20,
  windowSeconds: 900,
};
/**
 * Failed sign-ins for one username from one address: a hard limit, but only
 * the guessing address is stopped, never the coordinator elsewhere.
 */
export const LOGIN_FAILURES_BY_USER_AND_ADDRESS: RateLimit = {
  name: "login-user-addr",
  limit: 10,
  windowSeconds: 900,
};
/**
 * Failed sign-ins for one username from every address together (many
 * addresses guessing one account): a growing wait between attempts, capped
 * at a minute, instead of a lock. `free` is twice the per-address limit, so
 * one guessing address alone never slows the coordinator down.
 */
export const SIGN_IN_BACKOFF: BackoffRule = {
  free: 2 * LOGIN_FAILURES_BY_USER_AND_ADDRESS.limit,
  baseSeconds: 1,
  capSeconds: 60,
  forgetAfterSeconds: 3600,
};

export interface SignInLimitDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
}

const pairKey = (username: string, clientKey: string) => `${clientKey}|${username}`;

/**
 * Whether a sign-in for `username` from `clientKey` may be tried now, in the
 * order that keeps a refused address from using up anyone else's attempts:
 * the address's limits first, then the username's wait, whose next slot a
 * tried attempt takes (so concurrent guesses do not all get through).
 */
export async function admitSignIn(
  deps: SignInLimitDeps,
  username: string,
  clientKey: string,
): Promise<RateLimitDecision> {
  for (const [limit, key] of [
    [LOGIN_FAILURES_BY_ADDRESS, clientKey],
    [LOGIN_FAILURES_BY_USER_AND_ADDRESS, pairKey(username, clientKey)],
  ] as const) {
    const decision = await checkRateLimit(deps, limit, key);
    if (!decision.allowed) return decision;
  }
  const state = await findBackoff(deps.db, username);
  if (state === null) return { allowed: true };
  const now = deps.clock();
  const forgotten = now.subtract({ seconds: SIGN_IN_BACKOFF.forgetAfterSeconds });
  if (Temporal.Instant.compare(state.lastFailureAt, forgotten) < 0) return { allowed: true };
  const wait = backoffSeconds(SIGN_IN_BACKOFF, state.failures);
  if (wait === 0) return { allowed: true };
  if (Temporal.Instant.compare(state.nextAttemptAt, now) > 0) {
    const seconds = now.until(state.nextAttemptAt).total("seconds");
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(seconds)) };
  }
  const claimed = await claimAttempt(deps.db, username, now, now.add({ seconds: wait }));
  return claimed ? { allowed: true } : { allowed: false, retryAfterSeconds: wait };
}

/** Counts a failed sign-in against the address, the (username, address) pair and the username. */
export async function recordSignInFailure(
  deps: SignInLimitDeps,
  username: string,
  clientKey: string,
): Promise<void> {
  await consumeRateLimit(deps, LOGIN_FAILURES_BY_ADDRESS, clientKey);
  await consumeRateLimit(deps, LOGIN_FAILURES_BY_USER_AND_ADDRESS, pairKey(username, clientKey));
  const now = deps.clock();
  const forgotten = now.subtract({ seconds: SIGN_IN_BACKOFF.forgetAfterSeconds });
  const failures = await countFailure(deps.db, username, now, forgotten);
  // A new run is a cheap moment to forget finished ones.
  if (failures === 1) await deleteOldBackoff(deps.db, forgotten);
  const wait = backoffSeconds(SIGN_IN_BACKOFF, failures);
  if (wait > 0) await setNextAttempt(deps.db, username, now.add({ seconds: wait }));
}

/** The right password ends the username's run of failures (the per-address counts stay). */
export async function recordSignInSuccess(deps: SignInLimitDeps, username: string): Promise<void> {
  await clearBackoff(deps.db, username);
}
