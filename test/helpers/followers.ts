import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../src/db/database.ts";

/**
 * Writes an accepted follower of the group `handle` whose inbox is `inbox`,
 * as if it had followed: for tests about what is delivered to followers,
 * not about following. Its actor is `/users/<handle>-follower` on the
 * inbox's server, so each group's follower is distinct.
 */
export async function addAcceptedFollower(
  db: Kysely<Database>,
  handle: string,
  inbox: URL,
): Promise<void> {
  const group = await db
    .selectFrom("groups")
    .select("id")
    .where("handle", "=", handle)
    .executeTakeFirstOrThrow();
  const now = new Date();
  await db
    .insertInto("followers")
    .values({
      id: randomUUID(),
      group_id: group.id,
      actor_id: new URL(`/users/${handle}-follower`, inbox).href,
      inbox_url: inbox.href,
      shared_inbox_url: null,
      follow_activity_id: null,
      state: "accepted",
      created_at: now,
      updated_at: now,
    })
    .execute();
}
