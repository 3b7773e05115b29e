/**
 * Budgets per remote host: how much one fediverse server may ask of this one
 * before it is told to come back later. Pure token-bucket arithmetic; the
 * buckets themselves live in the database (db/rate-limits.repo.ts) so that
 * every web process spends from the same ones.
 *
 * A token bucket rather than a fixed window: a burst up to `capacity` passes
 * at once (a busy Mastodon server delivers in bursts), and after that the
 * host gets `perSecond` a second, with no edge where two windows' worth pass
 * back to back.
 */

export interface TokenBucketRule {
  /** The largest burst: tokens a full bucket holds. */
  readonly capacity: number;
  /** Tokens added back per second, up to `capacity`. */
  readonly perSecond: number;
}

export interface TokenBucketState {
  readonly tokens: number;
  /** When `tokens` was last computed, epoch milliseconds. */
  readonly atMs: number;
}

export type TokenBucketDecision =
  | { readonly allowed: true; readonly state: TokenBucketState }
  | {
      readonly allowed: false;
      readonly state: TokenBucketState;
      /** Whole seconds until a token is back (never less than 1). */
      readonly retryAfterSeconds: number;
    };

/**
 * Takes one token from a bucket last seen in `state` (null: never used,
 * hence full). A clock that went backwards refills nothing rather than
 * draining the bucket.
 */
export function takeToken(
  state: TokenBucketState | null,
  rule: TokenBucketRule,
  nowMs: number,
): TokenBucketDecision {
  const elapsedSeconds = state === null ? 0 : Math.max(0, nowMs - state.atMs) / 1000;
  const tokens =
    state === null
      ? rule.capacity
      : Math.min(rule.capacity, state.tokens + elapsedSeconds * rule.perSecond);
  const atMs = state === null ? nowMs : Math.max(nowMs, state.atMs);
  if (tokens >= 1) return { allowed: true, state: { tokens: tokens - 1, atMs } };
  const retryAfterSeconds =
    rule.perSecond > 0 ? Math.max(1, Math.ceil((1 - tokens) / rule.perSecond)) : 3600;
  return { allowed: false, state: { tokens, atMs }, retryAfterSeconds };
}

/** How long an untouched bucket takes to be full again (it can then be forgotten). */
export function refillSeconds(rule: TokenBucketRule): number {
  return rule.perSecond > 0 ? Math.ceil(rule.capacity / rule.perSecond) : Number.POSITIVE_INFINITY;
}

export interface HostBudgets {
  /** Inbox POSTs per signing host, whatever they carry. */
  readonly inbox: TokenBucketRule;
  /** Follows per signing host, to any of this instance's groups. */
  readonly follows: TokenBucketRule;
  /** Follow requests waiting for a coordinator, per remote host, per group. */
  readonly pendingFollowsPerHost: number;
}

/**
 * Defaults meant never to hold up a real server. A busy Mastodon server
 * fans out in bursts (a popular post's replies and boosts, a wave of
 * account Deletes): 600 at once, then 10 a second (600 a minute), is well
 * above what a server's users send one instance's groups, and a 429 only
 * delays: Mastodon and Fedify retry with backoff (and honour Retry-After).
 * Follows are people deciding to follow a group: 60 at once, then one a
 * second, lets a whole organisation join after a talk; 1,000 scripted
 * actors get 60 in and the rest are told to wait. 100 requests waiting per
 * host and group is more than a coordinator reviews in one sitting.
 */
export const DEFAULT_HOST_BUDGETS: HostBudgets = {
  inbox: { capacity: 600, perSecond: 10 },
  follows: { capacity: 60, perSecond: 1 },
  pendingFollowsPerHost: 100,
};

/**
 * The remote host a budget is kept for: host name and port, lower case (as
 * `URL.host` has them, the default port left out). With the port, servers
 * sharing one name on one machine (several instances on loopback) each get
 * their own budget; a flooder gains no more from many ports than from many
 * subdomains, which a domain block covers.
 */
export function budgetHost(url: URL): string {
  return url.host.toLowerCase();
}

/** Whether an inbox body's `type` says it is a Follow (compacted, prefixed or full IRI). */
export function isFollowType(type: unknown): boolean {
  const types = Array.isArray(type) ? type : [type];
  return types.some(
    (t) =>
      typeof t === "string" &&
      (t === "Follow" ||
        t === "as:Follow" ||
        t === "https://www.w3.org/ns/activitystreams#Follow" ||
        t === "http://www.w3.org/ns/activitystreams#Follow"),
  );
}
