import type { Kysely } from "kysely";
import type { Database } from "./database.ts";
import { toDate } from "./time.ts";

/**
 * Activities withdrawn by their actor (`Undo`) before we had seen them
 * (`undone_activities`), so that one arriving after its own withdrawal is
 * not taken as live.
 */

/** Records that `actorId` undid `activityId`; recording it twice is harmless. */
export async function recordUndone(
  db: Kysely<Database>,
  undone: { activityId: string; actorId: string },
  now: Temporal.Instant,
): Promise<void> {
  await db
    .insertInto("undone_activities")
    .values({ activity_id: undone.activityId, actor_id: undone.actorId, undone_at: toDate(now) })
    .onConflict((oc) => oc.column("activity_id").doNothing())
    .execute();
}

/** Whether `actorId` itself withdrew `activityId` (someone else's Undo counts for nothing). */
export async function wasUndoneBy(
  db: Kysely<Database>,
  activityId: string,
  actorId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom("undone_activities")
    .select("activity_id")
    .where("activity_id", "=", activityId)
    .where("actor_id", "=", actorId)
    .executeTakeFirst();
  return row !== undefined;
}
