import { type Kysely, sql } from "kysely";
import type { Database } from "./database.ts";
import { toDate } from "./time.ts";

/**
 * Tombstones of received objects (`deleted_remote_objects`): the ids their
 * origin deleted, so that a Create or Update arriving after the Delete does
 * not bring the object back. They expire (`since` in isDeletedRemotely) and
 * are bounded in number (pruneDeletedRemoteObjects).
 */

/** How long a tombstone is kept: far longer than any delivery is retried (72 hours). */
export const REMOTE_TOMBSTONE_TTL: Temporal.DurationLike = { hours: 24 * 30 };
/** At most this many are kept (the newest). */
export const MAX_REMOTE_TOMBSTONES = 100_000;

/** Records that `objectId` was deleted at its origin; a later deletion moves the time on. */
export async function recordRemoteDeletion(
  db: Kysely<Database>,
  objectId: string,
  now: Temporal.Instant,
): Promise<void> {
  await db
    .insertInto("deleted_remote_objects")
    .values({ object_id: objectId, deleted_at: toDate(now) })
    .onConflict((oc) =>
      oc.column("object_id").doUpdateSet((eb) => ({ deleted_at: eb.ref("excluded.deleted_at") })),
    )
    .execute();
}

/** Whether `objectId` was deleted at its origin at or after `since`. */
export async function isDeletedRemotely(
  db: Kysely<Database>,
  objectId: string,
  since: Temporal.Instant,
): Promise<boolean> {
  const row = await db
    .selectFrom("deleted_remote_objects")
    .select("object_id")
    .where("object_id", "=", objectId)
    .where("deleted_at", ">=", toDate(since))
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Forgets tombstones older than `before`, then all but the newest
 * `keep`: a flood of Deletes costs a bounded table.
 */
export async function pruneDeletedRemoteObjects(
  db: Kysely<Database>,
  before: Temporal.Instant,
  keep: number,
): Promise<number> {
  const expired = await db
    .deleteFrom("deleted_remote_objects")
    .where("deleted_at", "<", toDate(before))
    .executeTakeFirst();
  const excess = await sql`
    DELETE FROM deleted_remote_objects WHERE object_id IN (
      SELECT object_id FROM deleted_remote_objects ORDER BY deleted_at DESC OFFSET ${keep}
    )`.execute(db);
  return Number(expired.numDeletedRows) + Number(excess.numAffectedRows ?? 0n);
}
