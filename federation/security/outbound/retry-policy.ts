/**
 * Outbox retry schedule, for `createFederation({ outboxRetryPolicy })`.
 *
 * Fedify's default (1 s × 2ⁿ with jitter, 10 retries) gives up after 17–34
 * minutes in total, so a peer that is down for an evening loses everything
 * we sent meanwhile. Mastodon keeps trying for about 2–3 days; we cover at
 * least 72 hours.
 *
 * Fedify calls the policy after each failed attempt with `attempts` = the
 * number of earlier retries (0 after the first failure) and waits the
 * returned delay, which is 30 s × 2^attempts, multiplied by a random jitter
 * factor in [1, 2), capped at 12 h; `null` ends the retries.
 *
 *   retry  1–11 (attempts 0–10): 30 s, 1 min, 2 min, … 4.3 h, 8.5 h (×1–2 jitter, ≤ 12 h)
 *   retry 12–16 (attempts 11–15): 12 h each
 *   attempts 16: null → 17 tries in all, the last one 77–89 hours after the first.
 *
 * A peer's `Retry-After` (429, 503…) makes a wait longer, never shorter
 * (capped at 12 h), and while a destination is parked no attempt is made or
 * counted: the real horizon is at least 72 h and can be longer.
 *
 * Which answers are retried at all: src/domain/delivery-answer.ts.
 */

import {
  createExponentialBackoffPolicy,
  type RetryPolicy,
  SendActivityError,
} from "@fedify/fedify";
import {
  classifyDeliveryAnswer,
  isHostFailure,
  nextRetryDelay,
  parseRetryAfter,
} from "../../../src/domain/delivery-answer.ts";
import { RETRY_AFTER_HEADER } from "./fetch-guard.ts";

export const deliveryRetryOptions = {
  initialDelay: { seconds: 30 },
  factor: 2,
  maxDelay: { hours: 12 },
  maxAttempts: 16,
  jitter: true,
} as const;

export const deliveryRetryPolicy: RetryPolicy =
  createExponentialBackoffPolicy(deliveryRetryOptions);

/** The longest a peer's `Retry-After` can hold a delivery back: the schedule's longest wait. */
export const RETRY_AFTER_CAP = Temporal.Duration.from(deliveryRetryOptions.maxDelay);

/** What the peer answered to a failed delivery, as Fedify reports it. */
export interface FailedAnswer {
  /** Null when nothing answered (connection failed, a deadline passed, a refused redirect). */
  readonly status: number | null;
  readonly retryAfter: string | null;
}

/**
 * Fedify throws a `SendActivityError` (status, body, headers) for an answer
 * outside 2xx, and a `FetchError` (or the network error itself) when no
 * answer came. The fetch guard hands `Retry-After` on as RETRY_AFTER_HEADER.
 */
export function failedAnswer(error: unknown): FailedAnswer {
  if (!(error instanceof SendActivityError)) return { status: null, retryAfter: null };
  return {
    status: error.statusCode,
    retryAfter: error.responseHeaders?.get(RETRY_AFTER_HEADER) ?? null,
  };
}

/** Why a failed delivery is not to be tried again, or null when it is. */
export function finalVerdict(error: unknown): "gone" | "refused" | null {
  const verdict = classifyDeliveryAnswer(failedAnswer(error).status);
  return verdict === "gone" || verdict === "refused" ? verdict : null;
}

/** The schedule's wait, or the peer's `Retry-After` when later (capped). */
export function withRetryAfter(
  backoff: Temporal.Duration,
  error: unknown,
  now: Temporal.Instant = Temporal.Now.instant(),
): Temporal.Duration {
  const retryAfter = parseRetryAfter(failedAnswer(error).retryAfter, now);
  return nextRetryDelay(backoff, retryAfter, RETRY_AFTER_CAP);
}

/** Whether a failed delivery counts towards parking its destination. */
export function isDestinationFailure(error: unknown): boolean {
  return isHostFailure(failedAnswer(error).status);
}

/** The queue's schedule: the wait after the `attempt`-th failure (1 for the first). */
export function deliveryBackoff(attempt: number): Temporal.Duration | null {
  return deliveryRetryPolicy({
    attempts: attempt - 1,
    elapsedTime: Temporal.Duration.from({ seconds: 0 }),
  });
}
