/**
 * How failed sign-ins for one username, from every address together, slow
 * further attempts: the first `free` cost nothing here (the per-address
 * limits still apply), then each failure makes the next attempt wait twice
 * as long, up to `capSeconds`. Never a lock: the right password typed after
 * the wait signs in, so guessing cannot keep the coordinator out for long.
 */
export interface BackoffRule {
  readonly free: number;
  readonly baseSeconds: number;
  readonly capSeconds: number;
  /** A run of failures is forgotten after this long without another. */
  readonly forgetAfterSeconds: number;
}

/** How long the next attempt waits after the `failures`-th failure in a row. */
export function backoffSeconds(rule: BackoffRule, failures: number): number {
  if (failures < rule.free) return 0;
  const doublings = Math.min(failures - rule.free, 30);
  return Math.min(rule.capSeconds, rule.baseSeconds * 2 ** doublings);
}
