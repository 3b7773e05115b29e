import type { Kysely, Selectable } from "kysely";
import type { Following, FollowingState } from "../domain/group.ts";
import type { Database, FollowingTable } from "./database.ts";
import { toDate, toInstant } from "./time.ts";

function toFollowing(row: Selectable<FollowingTable>): Following {
  return {
    id: row.id,
    groupId: row.group_id,
    actorId: row.actor_id,
    inboxUrl: row.inbox_url,
    sharedInboxUrl: row.shared_inbox_url,
    followActivityId: row.follow_activity_id,
    state: row.state,
    createdAt: toInstant(row.created_at),
    updatedAt: toInstant(row.updated_at),
  };
}

/**
 * Records a follow we are about to send. Following the same actor again
 * (after a rejection, or to repair a lost Accept) replaces the Follow id and
 * goes back to pending.
 */
export async function upsertFollowing(
  db: Kysely<Database>,
  following: Omit<Following, "createdAt" | "updatedAt" | "state">,
  now: Temporal.Instant,
): Promise<Following> {
  const at = toDate(now);
  const row = await db
    .insertInto("following")
    .values({
      id: following.id,
      group_id: following.groupId,
      actor_id: following.actorId,
      inbox_url: following.inboxUrl,
      shared_inbox_url: following.sharedInboxUrl,
      follow_activity_id: following.followActivityId,
      state: "pending",
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) =>
      oc.columns(["group_id", "actor_id"]).doUpdateSet((eb) => ({
        inbox_url: eb.ref("excluded.inbox_url"),
        shared_inbox_url: eb.ref("excluded.shared_inbox_url"),
        follow_activity_id: eb.ref("excluded.follow_activity_id"),
        state: eb.ref("excluded.state"),
        updated_at: eb.ref("excluded.updated_at"),
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toFollowing(row);
}

export async function listFollowing(db: Kysely<Database>, groupId: string): Promise<Following[]> {
  const rows = await db
    .selectFrom("following")
    .selectAll()
    .where("group_id", "=", groupId)
    .orderBy("created_at")
    .execute();
  return rows.map(toFollowing);
}

export async function findFollowing(
  db: Kysely<Database>,
  groupId: string,
  id: string,
): Promise<Following | null> {
  const row = await db
    .selectFrom("following")
    .selectAll()
    .where("group_id", "=", groupId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row === undefined ? null : toFollowing(row);
}

export async function deleteFollowing(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom("following").where("id", "=", id).execute();
}

/**
 * Applies the remote side's answer to one of our Follows. Only the actor we
 * followed can answer it, so the actor is part of the match.
 */
export async function answerFollowing(
  db: Kysely<Database>,
  answer: { followActivityId: string; actorId: string; state: FollowingState },
  now: Temporal.Instant,
): Promise<{ groupId: string } | null> {
  const row = await db
    .updateTable("following")
    .set({ state: answer.state, updated_at: toDate(now) })
    .where("follow_activity_id", "=", answer.followActivityId)
    .where("actor_id", "=", answer.actorId)
    .returning("group_id")
    .executeTakeFirst();
  return row === undefined ? null : { groupId: row.group_id };
}
