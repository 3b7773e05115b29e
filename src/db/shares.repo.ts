import type { Kysely } from "kysely";
import type { Database } from "./database.ts";
import { toDate } from "./time.ts";

/** Records a re-share; null when the group already shared this object. */
export async function insertShare(
  db: Kysely<Database>,
  share: { id: string; groupId: string; objectId: string },
  now: Temporal.Instant,
): Promise<{ id: string } | null> {
  const row = await db
    .insertInto("shares")
    .values({
      id: share.id,
      group_id: share.groupId,
      object_id: share.objectId,
      created_at: toDate(now),
    })
    .onConflict((oc) => oc.columns(["group_id", "object_id"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return row ?? null;
}

/** The author of a need or offer received from another instance, if we know the object. */
export async function findRemoteObjectOrigin(
  db: Kysely<Database>,
  objectId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("remote_proposals")
    .select("origin_actor_id")
    .where("object_id", "=", objectId)
    .executeTakeFirst();
  return row?.origin_actor_id ?? null;
}

/** Which of these objects the group has already re-shared. */
export async function listSharedObjectIds(
  db: Kysely<Database>,
  groupId: string,
  objectIds: readonly string[],
): Promise<Set<string>> {
  if (objectIds.length === 0) return new Set();
  const rows = await db
    .selectFrom("shares")
    .select("object_id")
    .where("group_id", "=", groupId)
    .where("object_id", "in", objectIds)
    .execute();
  return new Set(rows.map((r) => r.object_id));
}

/** Our groups that re-shared an object (their followers saw it through them). */
export async function listGroupsSharing(
  db: Kysely<Database>,
  objectId: string,
): Promise<{ groupId: string; handle: string }[]> {
  const rows = await db
    .selectFrom("shares")
    .innerJoin("groups", "groups.id", "shares.group_id")
    .select(["groups.id as groupId", "groups.handle"])
    .where("shares.object_id", "=", objectId)
    .orderBy("groups.handle")
    .execute();
  return rows;
}
