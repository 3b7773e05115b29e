/**
 * Reconciliation of received copies (FEDERATION.md, "Reconciliation"): how
 * old a copy's last confirmation from its origin may grow before it is asked
 * again, how many copies are asked per run and per origin, and when a copy
 * whose origin does not answer stops being shown as current.
 */

export interface ReconciliationOptions {
  /** A live copy confirmed longer ago than this is fetched again. */
  readonly maxAge: Temporal.Duration;
  /** A copy whose origin did not answer is asked again after this. */
  readonly retryUnreachableAfter: Temporal.Duration;
  /** A copy whose origin has not answered for this long is stale. */
  readonly staleAfter: Temporal.Duration;
  /** Copies fetched per run from one origin (scheme, host and port). */
  readonly perOrigin: number;
  /** Copies fetched per run in all; one run per `intervalMs`. */
  readonly perRun: number;
  readonly intervalMs: number;
}

/** Six hours, two per origin, thirty a minute, stale after three days. */
export const RECONCILIATION_DEFAULTS: ReconciliationOptions = {
  maxAge: Temporal.Duration.from({ hours: 6 }),
  retryUnreachableAfter: Temporal.Duration.from({ hours: 1 }),
  staleAfter: Temporal.Duration.from({ hours: 72 }),
  perOrigin: 2,
  perRun: 30,
  intervalMs: 60_000,
};

/** The defaults with `overrides`; a limit that is not a positive whole number is refused. */
export function reconciliationOptions(
  overrides: Partial<ReconciliationOptions> = {},
): ReconciliationOptions {
  const options = { ...RECONCILIATION_DEFAULTS, ...overrides };
  for (const key of ["perOrigin", "perRun", "intervalMs"] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 1) {
      throw new RangeError(`reconciliation ${key} must be a positive whole number`);
    }
  }
  for (const key of ["maxAge", "retryUnreachableAfter", "staleAfter"] as const) {
    if (options[key].sign < 0) throw new RangeError(`reconciliation ${key} must not be negative`);
  }
  return options;
}

/** What one run at `now` selects and marks, as instants to compare stored times with. */
export interface ReconciliationWindow {
  /** Live copies confirmed before this are due… */
  readonly confirmedBefore: Temporal.Instant;
  /** …unless asked since this (their origin answering or not). */
  readonly askedBefore: Temporal.Instant;
  /** …or, when their origin did not answer, since this. */
  readonly retryBefore: Temporal.Instant;
  /** Copies unreachable since before this are stale. */
  readonly staleBefore: Temporal.Instant;
}

export function reconciliationWindow(
  now: Temporal.Instant,
  options: ReconciliationOptions,
): ReconciliationWindow {
  const before = (age: Temporal.Duration) => now.subtract(age.round({ largestUnit: "hours" }));
  return {
    confirmedBefore: before(options.maxAge),
    askedBefore: before(options.maxAge),
    retryBefore: before(options.retryUnreachableAfter),
    staleBefore: before(options.staleAfter),
  };
}

/** What asking the origin for a copy came to. */
export type ReconciliationOutcome =
  /** The origin served it: stored if newer, confirmed either way. */
  | "confirmed"
  /** The origin says it is gone: the copy is removed. */
  | "gone"
  /** No usable answer (unreachable, failing, refusing, unreadable): not confirmed. */
  | "unconfirmed"
  /** Its server is refused by our federation policy: not asked. */
  | "skipped";

export interface ReconciliationReport {
  readonly asked: number;
  readonly outcomes: Readonly<Record<ReconciliationOutcome, number>>;
  /** Copies newly marked stale by this run. */
  readonly markedStale: number;
}
