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
 * While the outbound circuit breaker holds a peer's messages, no attempt is
 * made or counted, so the real horizon can be longer.
 */

import { createExponentialBackoffPolicy, type RetryPolicy } from "@fedify/fedify";

export const deliveryRetryOptions = {
  initialDelay: { seconds: 30 },
  factor: 2,
  maxDelay: { hours: 12 },
  maxAttempts: 16,
  jitter: true,
} as const;

export const deliveryRetryPolicy: RetryPolicy =
  createExponentialBackoffPolicy(deliveryRetryOptions);
