import { createHash } from "node:crypto";
import type { Context } from "@fedify/fedify";
import { Announce, Delete, Update } from "@fedify/vocab";
import type { Kysely } from "kysely";
import type { Database } from "../src/db/database.ts";
import { listGroupsSharing } from "../src/db/shares.repo.ts";
import type { InstanceUrls } from "../src/urls.ts";
import { PUBLIC_AUDIENCE } from "./proposal-object.ts";
import { followerInboxes } from "./publisher.ts";

/** An origin's change to one of its objects, as it reached us. */
export interface ObjectChange {
  readonly type: "Update" | "Delete";
  /** The origin's activity id: what every hop deduplicates on. */
  readonly activityId: URL;
  readonly actorId: URL;
  readonly objectId: URL;
}

/**
 * Passes an origin's `Update` or `Delete` of an object on to the followers of
 * each of our groups that re-shared it (FEDERATION.md, "Changes travel as far
 * as the need did"): they saw the object through our share, so they would
 * never hear of the change from its origin, which does not know them.
 *
 * FEP-1b12 style: an `Announce` embedding the change with only its type, id,
 * actor and object. Receivers read no content from it: they fetch the object
 * from its origin, as for any share. The Announce id is derived from the
 * group and the change, so a retry or a second path produces the same id.
 * Returns how many groups passed it on.
 */
export async function relayToSharersFollowers(
  ctx: Context<void>,
  deps: { db: Kysely<Database>; urls: InstanceUrls; isAllowed: (url: URL) => Promise<boolean> },
  change: ObjectChange,
): Promise<number> {
  let relayed = 0;
  const digest = createHash("sha256").update(change.activityId.href).digest("hex").slice(0, 32);
  for (const group of await listGroupsSharing(deps.db, change.objectId.href)) {
    const recipients = await followerInboxes(deps.db, group.groupId, deps.isAllowed);
    // Never back to the origin: it made the change.
    const others = recipients.filter((r) => r.id?.origin !== change.objectId.origin);
    if (others.length === 0) continue;
    const actor = deps.urls.group(group.handle);
    const inner =
      change.type === "Update"
        ? new Update({ id: change.activityId, actor: change.actorId, object: change.objectId })
        : new Delete({ id: change.activityId, actor: change.actorId, object: change.objectId });
    await ctx.sendActivity(
      { identifier: group.handle },
      others,
      new Announce({
        id: new URL(`${actor.href}#relays/${digest}`),
        actor,
        object: inner,
        tos: [new URL(PUBLIC_AUDIENCE)],
        ccs: [deps.urls.groupFollowers(group.handle), change.actorId],
      }),
      // Same key as the origin's own deliveries of this object: a relayed
      // Delete never overtakes a relayed Update on the way to one server.
      { preferSharedInbox: true, orderingKey: change.objectId.href },
    );
    relayed++;
  }
  return relayed;
}
