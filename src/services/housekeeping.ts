import { getLogger } from "@logtape/logtape";
import { type Kysely, type RawBuilder, sql } from "kysely";
import type { Database } from "../db/database.ts";
import {
  MAX_REMOTE_TOMBSTONES,
  pruneDeletedRemoteObjects,
  REMOTE_TOMBSTONE_TTL,
} from "../db/deleted-remote-objects.repo.ts";
import { deleteInBatches } from "../db/housekeeping.repo.ts";
import { toDate } from "../db/time.ts";
import type { Clock } from "./ports.ts";
import { SIGN_IN_BACKOFF } from "./sign-in-limits.ts";

const logger = getLogger(["bayanihan", "housekeeping"]);

/**
 * What the worker's hourly housekeeping deletes, and when. Every table that
 * grows with traffic rather than with what the collectives keep has a rule
 * here; README.md ("Retention") lists the same with the reasons. Days are
 * 24 hours (instants have no calendar).
 */
export interface RetentionRule {
  readonly table: keyof Database & string;
  /** What goes, said for the logs. */
  readonly what: string;
  /** The rows to delete at `now`. */
  where(now: Temporal.Instant): RawBuilder<unknown>;
}

const days = (n: number) => Temporal.Duration.from({ hours: n * 24 });
const before = (now: Temporal.Instant, kept: Temporal.Duration) => toDate(now.subtract(kept));

/** Deliveries given up on: what `npm run admin -- queue` and an operator look back on. */
export const DELIVERY_FAILURES_KEPT = days(30);
/** Read notifications, after they were read; unread ones stop mattering later. */
export const READ_NOTIFICATIONS_KEPT = days(30);
export const NOTIFICATIONS_KEPT = days(180);
/** Expired reset links and invitations still answer "expired" (not "unknown") this long. */
export const PASSWORD_RESETS_KEPT = days(7);
export const EXPIRED_INVITATIONS_KEPT = days(30);
/**
 * Changes passed on to re-sharers' followers (`relayed_changes`): long
 * enough for every path of a re-share chain, with retries, to have brought
 * them back; a later copy is refetched. Withdrawals of activities not seen
 * yet (`undone_activities`) are kept as long.
 */
export const RELAYED_CHANGES_KEPT = days(7);
/** Rate-limit windows: the longest is an hour; a day is a wide margin. */
export const RATE_LIMIT_WINDOWS_KEPT = days(1);
/** A destination's failure count with no delivery attempted since (its deliveries gave up). */
export const IDLE_DESTINATIONS_KEPT = days(30);

export const RETENTION: readonly RetentionRule[] = [
  {
    table: "delivery_failures",
    what: "delivery failures",
    where: (now) => sql`failed_at < ${before(now, DELIVERY_FAILURES_KEPT)}`,
  },
  {
    // Cached actor documents and keys, and Fedify's idempotence records:
    // once expired they read as absent already.
    table: "fedify_kv",
    what: "expired cache entries",
    where: (now) => sql`expires_at <= ${toDate(now)}`,
  },
  {
    table: "notifications",
    what: "old notifications",
    where: (now) =>
      sql`(read_at < ${before(now, READ_NOTIFICATIONS_KEPT)} OR created_at < ${before(now, NOTIFICATIONS_KEPT)})`,
  },
  {
    table: "sessions",
    what: "expired sessions",
    where: (now) => sql`expires_at <= ${toDate(now)}`,
  },
  {
    table: "password_resets",
    what: "expired password reset links",
    where: (now) => sql`expires_at < ${before(now, PASSWORD_RESETS_KEPT)}`,
  },
  {
    // Used ones stay: they record which account an invitation made.
    table: "invitations",
    what: "expired unused invitations",
    where: (now) =>
      sql`accepted_at IS NULL AND expires_at < ${before(now, EXPIRED_INVITATIONS_KEPT)}`,
  },
  {
    table: "rate_limit_hits",
    what: "rate-limit windows",
    where: (now) => sql`window_start < ${before(now, RATE_LIMIT_WINDOWS_KEPT)}`,
  },
  {
    table: "sign_in_backoff",
    what: "forgotten sign-in failures",
    where: (now) =>
      sql`last_failure_at < ${toDate(now.subtract({ seconds: SIGN_IN_BACKOFF.forgetAfterSeconds }))}`,
  },
  {
    table: "relayed_changes",
    what: "relayed changes",
    where: (now) => sql`relayed_at < ${before(now, RELAYED_CHANGES_KEPT)}`,
  },
  {
    table: "undone_activities",
    what: "withdrawals of unseen activities",
    where: (now) => sql`undone_at < ${before(now, RELAYED_CHANGES_KEPT)}`,
  },
  {
    table: "deleted_remote_objects",
    what: "tombstones of received objects",
    where: (now) => sql`deleted_at < ${toDate(now.subtract(REMOTE_TOMBSTONE_TTL))}`,
  },
  {
    // Each claim reads this table; a host tried long ago and never since
    // starts afresh if it comes back.
    table: "fedify_queue_destinations",
    what: "idle delivery destinations",
    where: (now) =>
      sql`updated_at < ${before(now, IDLE_DESTINATIONS_KEPT)}
          AND (parked_until IS NULL OR parked_until <= ${toDate(now)})`,
  },
];

/** Rows per delete statement: a few milliseconds of locks each. */
export const HOUSEKEEPING_BATCH = 1000;

export interface HousekeepingDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
}

/** One housekeeping run: every rule in turn, in batches. Returns what each deleted. */
export async function runHousekeeping(
  deps: HousekeepingDeps,
  batchSize = HOUSEKEEPING_BATCH,
): Promise<Record<string, number>> {
  const now = deps.clock();
  const deleted: Record<string, number> = {};
  for (const rule of RETENTION) {
    deleted[rule.table] = await deleteInBatches(deps.db, rule.table, rule.where(now), batchSize);
  }
  // A flood of Deletes within the month is bounded by number too.
  deleted.deleted_remote_objects =
    (deleted.deleted_remote_objects ?? 0) +
    (await pruneDeletedRemoteObjects(
      deps.db,
      now.subtract(REMOTE_TOMBSTONE_TTL),
      MAX_REMOTE_TOMBSTONES,
    ));
  const total = Object.values(deleted).reduce((sum, n) => sum + n, 0);
  if (total > 0) {
    logger.info("Housekeeping deleted {total} rows: {deleted}", { total, deleted });
  }
  return deleted;
}
