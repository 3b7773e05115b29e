import type { InboxContext } from "@fedify/fedify";
import { Accept, Follow, isActor, type Reject, type Undo } from "@fedify/vocab";
import { FetchError } from "@fedify/vocab-runtime";
import { getLogger } from "@logtape/logtape";
import {
  removeFollower,
  removeFollowerByFollowId,
  upsertFollower,
  upsertPendingFollowerWithinLimit,
} from "../../src/db/followers.repo.ts";
import { answerFollowing } from "../../src/db/following.repo.ts";
import { findGroupByHandle, findGroupById } from "../../src/db/groups.repo.ts";
import { addCoalescedNotification } from "../../src/db/notifications.repo.ts";
import type { Group } from "../../src/domain/group.ts";
import { budgetHost, DEFAULT_HOST_BUDGETS } from "../../src/domain/host-budget.ts";
import { newId } from "../../src/domain/ids.ts";
import type { FederationDeps } from "../federation.ts";
import { backfillFromOutbox } from "./backfill.ts";
import { onUnannounced } from "./proposals.ts";

const logger = getLogger(["bayanihan", "federation", "inbox"]);

/** A document loader for what an activity embeds only: it never fetches. */
const neverFetch = async (url: string): Promise<never> => {
  throw new FetchError(url, "An Undo's object is not fetched");
};

async function targetGroup(
  ctx: InboxContext<void>,
  objectId: URL | null,
  deps: FederationDeps,
): Promise<Group | null> {
  if (objectId === null) return null;
  const parsed = ctx.parseUri(objectId);
  if (parsed?.type !== "actor") return null;
  return findGroupByHandle(deps.db, parsed.identifier);
}

export async function onFollowed(
  ctx: InboxContext<void>,
  follow: Follow,
  deps: FederationDeps,
): Promise<void> {
  if (follow.id === null || follow.actorId === null) return;
  const group = await targetGroup(ctx, follow.objectId, deps);
  if (group === null) {
    logger.debug("Follow {id} targets no group here", { id: follow.id.href });
    return;
  }
  // The actor document is fetched from the actor's own id, never taken from
  // an embedded copy, so the inbox we store is the one its server publishes.
  let actor: Awaited<ReturnType<Follow["getActor"]>>;
  try {
    actor = await follow.getActor(ctx);
  } catch (error) {
    // Unreachable servers are worth retrying; an unreadable actor is not.
    if (error instanceof FetchError) throw error;
    logger.debug("Dropped Follow {id}: unreadable actor: {error}", { id: follow.id.href, error });
    return;
  }
  if (!isActor(actor) || actor.id === null || actor.id.href !== follow.actorId.href) return;
  if (actor.inboxId === null) return;
  const sharedInbox = actor.endpoints?.sharedInbox ?? null;
  for (const inbox of [actor.inboxId, sharedInbox]) {
    if (inbox !== null && !(await deps.isDeliverable(inbox))) {
      logger.info("Refused follower {actor}: inbox {inbox} is not a public address", {
        actor: actor.id.href,
        inbox: inbox.href,
      });
      return;
    }
  }
  const host = budgetHost(actor.id);
  const candidate = {
    id: newId(),
    groupId: group.id,
    actorId: actor.id.href,
    inboxUrl: actor.inboxId.href,
    sharedInboxUrl: sharedInbox?.href ?? null,
    followActivityId: follow.id.href,
    state: group.followPolicy === "open" ? ("accepted" as const) : ("pending" as const),
  };
  const follower =
    group.followPolicy === "open"
      ? await upsertFollower(deps.db, candidate, deps.clock())
      : await upsertPendingFollowerWithinLimit(deps.db, candidate, deps.clock(), {
          host,
          waiting: deps.pendingFollowsPerHost ?? DEFAULT_HOST_BUDGETS.pendingFollowsPerHost,
        });
  if (follower === null) {
    // Neither stored nor answered: a Reject per request would make this
    // server an amplifier for whoever floods it. The sender got its 202;
    // once coordinators have answered the waiting ones, a new Follow counts.
    logger.info("Dropped Follow {id}: too many follow requests from {host} wait for {group}", {
      id: follow.id.href,
      host,
      group: group.handle,
    });
    return;
  }
  if (follower.state !== "accepted") {
    // A new request (not a repeated Follow) is something to look at; many
    // from one host are one notification that counts them.
    if (follower.id === candidate.id) {
      await addCoalescedNotification(
        deps.db,
        group.id,
        {
          kind: "follow-request",
          subjectId: follower.id,
          coalesceKey: `follow-request:${host}`,
          message: { key: "follow-request", actor: actor.id.href, host },
        },
        deps.clock(),
      );
    }
    return;
  }
  // Every Follow gets an Accept echoing it, repeated ones included: the
  // remote side may have lost the first Accept.
  await ctx.sendActivity(
    { identifier: group.handle },
    actor,
    new Accept({
      id: new URL(`${ctx.getActorUri(group.handle).href}#accepts/${newId()}`),
      actor: ctx.getActorUri(group.handle),
      object: follow,
    }),
  );
}

export async function onUndone(
  ctx: InboxContext<void>,
  undo: Undo,
  deps: FederationDeps,
): Promise<void> {
  if (undo.actorId === null || undo.objectId === null) return;
  // Mastodon embeds the Follow; others send only its id. Only an embedded
  // Follow by the same actor, or the id of a Follow we stored for this actor,
  // counts. An object given by URL is never fetched: an Undo is judged by
  // ids, and would otherwise make us request any URL a sender names.
  const object = await undo
    .getObject({
      documentLoader: neverFetch,
      contextLoader: ctx.contextLoader,
      suppressError: true,
    })
    .catch(() => null);
  if (object instanceof Follow) {
    if (object.actorId?.href !== undo.actorId.href) return;
    const group = await targetGroup(ctx, object.objectId, deps);
    if (group !== null) await removeFollower(deps.db, group.id, undo.actorId.href);
    return;
  }
  await removeFollowerByFollowId(deps.db, undo.actorId.href, undo.objectId.href);
  // Undo(Announce) of an allied group's share, matched by sharer and Announce id.
  await onUnannounced(undo, deps);
}

/**
 * The answer to one of our groups' Follows. Matched by the Follow id we sent
 * and the actor we sent it to: nobody else can accept or reject it.
 */
export async function onFollowAnswered(
  ctx: InboxContext<void>,
  answer: Accept | Reject,
  deps: FederationDeps,
): Promise<void> {
  if (answer.actorId === null || answer.objectId === null) return;
  const answered = await answerFollowing(
    deps.db,
    {
      followActivityId: answer.objectId.href,
      actorId: answer.actorId.href,
      state: answer instanceof Accept ? "accepted" : "rejected",
    },
    deps.clock(),
  );
  if (answered === null) {
    logger.debug("{type} {id} answers no Follow of ours", {
      type: answer instanceof Accept ? "Accept" : "Reject",
      id: answer.id?.href,
    });
    return;
  }
  // What the group posted before we followed will not be sent to us: read it.
  // A repeated Accept reads again, which stores nothing new.
  const group = answer instanceof Accept ? await findGroupById(deps.db, answered.groupId) : null;
  if (group !== null) {
    await backfillFromOutbox(ctx, deps, { handle: group.handle, authorId: answer.actorId });
  }
}
