import type { Kysely } from "kysely";
import type { Database } from "./database.ts";
import { toDate } from "./time.ts";

/**
 * Changes to received objects (`relayed_changes`) already applied and passed
 * on to the followers of the groups that re-shared them, by activity id.
 */

export async function wasRelayed(db: Kysely<Database>, activityId: string): Promise<boolean> {
  const row = await db
    .selectFrom("relayed_changes")
    .select("activity_id")
    .where("activity_id", "=", activityId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Records a change as applied and passed on; recording it twice is harmless. */
export async function recordRelayed(
  db: Kysely<Database>,
  change: { activityId: string; objectId: string },
  now: Temporal.Instant,
): Promise<void> {
  await db
    .insertInto("relayed_changes")
    .values({
      activity_id: change.activityId,
      object_id: change.objectId,
      relayed_at: toDate(now),
    })
    .onConflict((oc) => oc.column("activity_id").doNothing())
    .execute();
}

/** Forgets changes recorded before `before`: a copy that old is long settled. */
export async function pruneRelayed(
  db: Kysely<Database>,
  before: Temporal.Instant,
): Promise<number> {
  const result = await db
    .deleteFrom("relayed_changes")
    .where("relayed_at", "<", toDate(before))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
