/**
 * What a peer's answer to a delivery means, and when to try again: pure
 * rules, the same as Mastodon's where it has one.
 *
 * - 2xx: delivered.
 * - 401, 408, 429, 5xx, and no answer at all (refused connection, deadline,
 *   reset): try again later. 401 because a peer that has not yet seen our
 *   new key, or whose clock is off, accepts the same delivery later.
 * - 404 and 410: the inbox is gone; recorded as such, not retried.
 * - any other 4xx (and anything outside 2xx–5xx): the peer refuses this
 *   delivery and will refuse it again; recorded at once, not retried.
 */

export type DeliveryVerdict = "delivered" | "retry" | "gone" | "refused";

/** `status` is null when no answer came (connection failed, deadline passed). */
export function classifyDeliveryAnswer(status: number | null): DeliveryVerdict {
  if (status === null) return "retry";
  if (status >= 200 && status < 300) return "delivered";
  if (status === 404 || status === 410) return "gone";
  if (status === 401 || status === 408 || status === 429 || (status >= 500 && status < 600)) {
    return "retry";
  }
  return "refused";
}

/**
 * Whether a failure says the host itself is unwell (nothing answered, or a
 * server error), as opposed to a host that answers and refuses or rate-limits
 * this one delivery. Only the former moves a host towards being parked.
 */
export function isHostFailure(status: number | null): boolean {
  return status === null || (status >= 500 && status < 600);
}

// RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms.
const HTTP_DATE =
  /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?: \d|\d{2}) \d{2}:\d{2}:\d{2} \d{4})$/;

/**
 * A `Retry-After` value (delay in seconds, or an HTTP date) as the time to
 * wait from `now`; null when absent or unreadable. A date in the past is no
 * wait at all.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: Temporal.Instant,
): Temporal.Duration | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Temporal.Duration.from({ seconds: Number(text) });
  if (!HTTP_DATE.test(text)) return null;
  const at = Date.parse(text.endsWith("GMT") ? text : `${text} GMT`);
  if (Number.isNaN(at)) return null;
  const ms = Math.max(0, at - now.epochMilliseconds);
  return Temporal.Duration.from({ milliseconds: ms });
}

const ms = (duration: Temporal.Duration) => duration.total({ unit: "millisecond" });

/**
 * The wait before the next attempt: the schedule's backoff, or the peer's
 * `Retry-After` when that is later — itself capped, so a peer cannot push a
 * delivery past the schedule's longest single wait (nor make us forget it).
 */
export function nextRetryDelay(
  backoff: Temporal.Duration,
  retryAfter: Temporal.Duration | null,
  cap: Temporal.Duration,
): Temporal.Duration {
  if (retryAfter === null) return backoff;
  const asked = Math.min(ms(retryAfter), ms(cap));
  return asked > ms(backoff) ? Temporal.Duration.from({ milliseconds: asked }) : backoff;
}

export interface ParkingRule {
  /** Consecutive host failures after which the host is parked. */
  readonly afterFailures: number;
  /** The first parking; each failed probe doubles it. */
  readonly first: Temporal.Duration;
  readonly longest: Temporal.Duration;
}

/**
 * How long a host with `failures` consecutive host failures stays parked
 * from now, or null while it is not to be parked. Parked, none of its
 * deliveries is tried; afterwards one at a time probes it, and a failed
 * probe parks it twice as long (up to `longest`).
 */
export function parkingFor(failures: number, rule: ParkingRule): Temporal.Duration | null {
  if (failures < rule.afterFailures) return null;
  const doublings = Math.min(failures - rule.afterFailures, 30);
  const wait = Math.min(ms(rule.first) * 2 ** doublings, ms(rule.longest));
  return Temporal.Duration.from({ milliseconds: wait });
}
