import { type Kysely, type Selectable, sql } from "kysely";
import type { Follower } from "../domain/group.ts";
import type { Database, FollowersTable } from "./database.ts";
import { toDate, toInstant } from "./time.ts";

function toFollower(row: Selectable<FollowersTable>): Follower {
  return {
    id: row.id,
    groupId: row.group_id,
    actorId: row.actor_id,
    inboxUrl: row.inbox_url,
    sharedInboxUrl: row.shared_inbox_url,
    followActivityId: row.follow_activity_id,
    state: row.state,
    createdAt: toInstant(row.created_at),
  };
}

/**
 * Records a follow. A repeated Follow from the same actor updates the row
 * (new inbox, latest Follow id to echo in the Accept) instead of adding one,
 * and never downgrades an accepted follower to pending.
 */
export async function upsertFollower(
  db: Kysely<Database>,
  follower: Omit<Follower, "createdAt">,
  now: Temporal.Instant,
): Promise<Follower> {
  const at = toDate(now);
  const row = await db
    .insertInto("followers")
    .values({
      id: follower.id,
      group_id: follower.groupId,
      actor_id: follower.actorId,
      inbox_url: follower.inboxUrl,
      shared_inbox_url: follower.sharedInboxUrl,
      follow_activity_id: follower.followActivityId,
      state: follower.state,
      created_at: at,
      updated_at: at,
    })
    .onConflict((oc) =>
      oc.columns(["group_id", "actor_id"]).doUpdateSet((eb) => ({
        inbox_url: eb.ref("excluded.inbox_url"),
        shared_inbox_url: eb.ref("excluded.shared_inbox_url"),
        follow_activity_id: eb.ref("excluded.follow_activity_id"),
        updated_at: eb.ref("excluded.updated_at"),
        state: sql<
          "pending" | "accepted"
        >`CASE WHEN followers.state = 'accepted' THEN 'accepted' ELSE excluded.state END`,
      })),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
  return toFollower(row);
}

export async function removeFollower(
  db: Kysely<Database>,
  groupId: string,
  actorId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom("followers")
    .where("group_id", "=", groupId)
    .where("actor_id", "=", actorId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function findFollower(
  db: Kysely<Database>,
  groupId: string,
  actorId: string,
): Promise<Follower | null> {
  const row = await db
    .selectFrom("followers")
    .selectAll()
    .where("group_id", "=", groupId)
    .where("actor_id", "=", actorId)
    .executeTakeFirst();
  return row === undefined ? null : toFollower(row);
}

export async function listAcceptedFollowers(
  db: Kysely<Database>,
  groupId: string,
): Promise<Follower[]> {
  const rows = await db
    .selectFrom("followers")
    .selectAll()
    .where("group_id", "=", groupId)
    .where("state", "=", "accepted")
    .orderBy("id")
    .execute();
  return rows.map(toFollower);
}

export async function countAcceptedFollowers(
  db: Kysely<Database>,
  groupId: string,
): Promise<number> {
  const row = await db
    .selectFrom("followers")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("group_id", "=", groupId)
    .where("state", "=", "accepted")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Whether any accepted follower of the group lives on `origin` (for follower-only object fetches). */
export async function hasAcceptedFollowerOnOrigin(
  db: Kysely<Database>,
  groupId: string,
  origin: string,
): Promise<boolean> {
  const row = await db
    .selectFrom("followers")
    .select("id")
    .where("group_id", "=", groupId)
    .where("state", "=", "accepted")
    .where((eb) =>
      eb.or([eb("actor_id", "=", origin), eb("actor_id", "like", `${escapeLike(origin)}/%`)]),
    )
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Undo by Follow id: only the actor who sent that Follow can withdraw it. */
export async function removeFollowerByFollowId(
  db: Kysely<Database>,
  actorId: string,
  followActivityId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom("followers")
    .where("actor_id", "=", actorId)
    .where("follow_activity_id", "=", followActivityId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export async function listFollowers(
  db: Kysely<Database>,
  groupId: string,
  state: "pending" | "accepted",
): Promise<Follower[]> {
  const rows = await db
    .selectFrom("followers")
    .selectAll()
    .where("group_id", "=", groupId)
    .where("state", "=", state)
    .orderBy("created_at")
    .execute();
  return rows.map(toFollower);
}

export async function findFollowerById(
  db: Kysely<Database>,
  groupId: string,
  id: string,
): Promise<Follower | null> {
  const row = await db
    .selectFrom("followers")
    .selectAll()
    .where("group_id", "=", groupId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row === undefined ? null : toFollower(row);
}

/** Approves a pending follower; false if it was not pending (already handled, or gone). */
export async function approveFollower(
  db: Kysely<Database>,
  id: string,
  now: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("followers")
    .set({ state: "accepted", updated_at: toDate(now) })
    .where("id", "=", id)
    .where("state", "=", "pending")
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteFollowerById(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom("followers").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * How many follow requests to `groupId` wait for a coordinator from actors
 * whose ids are on `host` (`URL.host`: name, and port unless the default).
 */
export async function countPendingFromHost(
  db: Kysely<Database>,
  groupId: string,
  host: string,
): Promise<number> {
  const patterns = ["https", "http"].map((scheme) => `${scheme}://${likeLiteral(host)}/%`);
  const row = await db
    .selectFrom("followers")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("group_id", "=", groupId)
    .where("state", "=", "pending")
    .where((eb) => eb.or(patterns.map((pattern) => eb("actor_id", "like", pattern))))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Whether `actorId` already follows or asks to follow `groupId`. */
export async function hasFollowerRow(
  db: Kysely<Database>,
  groupId: string,
  actorId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom("followers")
    .select("id")
    .where("group_id", "=", groupId)
    .where("actor_id", "=", actorId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Records a follow request unless `host` already has `limit` requests
 * waiting for the group (a repeated Follow of a waiting actor still passes).
 * Null when refused. Requests from one host to one group take turns (an
 * advisory lock), so concurrent ones cannot all slip under the limit.
 */
export async function upsertPendingFollowerWithinLimit(
  db: Kysely<Database>,
  follower: Omit<Follower, "createdAt">,
  now: Temporal.Instant,
  limit: { host: string; waiting: number },
): Promise<Follower | null> {
  return db.transaction().execute(async (tx) => {
    const key = `pending-follows:${follower.groupId}:${limit.host}`;
    await sql`SELECT pg_advisory_xact_lock(hashtext(${key}))`.execute(tx);
    if (
      (await countPendingFromHost(tx, follower.groupId, limit.host)) >= limit.waiting &&
      !(await hasFollowerRow(tx, follower.groupId, follower.actorId))
    ) {
      return null;
    }
    return upsertFollower(tx, follower, now);
  });
}
