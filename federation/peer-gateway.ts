import { Accept, Announce, Follow, isActor, Reject, Undo } from "@fedify/vocab";
import type { Kysely } from "kysely";
import type { Database } from "../src/db/database.ts";
import type { PeerGateway, RemoteActorRef } from "../src/services/ports.ts";
import type { InstanceUrls } from "../src/urls.ts";
import type { AppFederation } from "./federation.ts";
import { PUBLIC_AUDIENCE } from "./proposal-object.ts";
import { followerInboxes } from "./publisher.ts";

const SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe";
/** A visitor waits on this lookup: give up well before they do. */
const LOOKUP_TIMEOUT_MS = 8_000;

/**
 * Following other groups, answering follow requests and re-sharing, over
 * Fedify. Follows and their answers go to personal inboxes (where Mastodon
 * and others expect them); shares go to followers' shared inboxes.
 */
export function createPeerGateway(
  federation: AppFederation,
  deps: { db: Kysely<Database>; urls: InstanceUrls; isAllowed: (url: URL) => Promise<boolean> },
): PeerGateway {
  const { urls } = deps;
  const context = () => federation.createContext(urls.origin, undefined);
  const recipient = (target: RemoteActorRef) => ({
    id: new URL(target.id),
    inboxId: new URL(target.inbox),
    endpoints: target.sharedInbox === null ? null : { sharedInbox: new URL(target.sharedInbox) },
  });

  return {
    async resolveActor(account) {
      const ctx = context();
      let actor: unknown;
      try {
        actor = await ctx.lookupObject(account.trim());
      } catch {
        return null;
      }
      if (!isActor(actor) || actor.id === null || actor.inboxId === null) return null;
      return {
        id: actor.id.href,
        inbox: actor.inboxId.href,
        sharedInbox: actor.endpoints?.sharedInbox?.href ?? null,
      };
    },

    async subscribeTemplate(account) {
      let jrd: Awaited<ReturnType<ReturnType<typeof context>["lookupWebFinger"]>>;
      try {
        // Through the process's guarded fetch: the address policy applies.
        jrd = await context().lookupWebFinger(`acct:${account}`, {
          maxRedirection: 3,
          signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
        });
      } catch {
        return null;
      }
      const link = jrd?.links?.find(
        (l) => l.rel === SUBSCRIBE_REL && typeof l.template === "string",
      );
      return link?.template ?? null;
    },

    async follow(group, target, followActivityId) {
      await context().sendActivity(
        { identifier: group.handle },
        recipient(target),
        new Follow({
          id: new URL(followActivityId),
          actor: urls.group(group.handle),
          object: new URL(target.id),
        }),
      );
    },

    async unfollow(group, target, followActivityId) {
      await context().sendActivity(
        { identifier: group.handle },
        recipient(target),
        new Undo({
          id: new URL(`${followActivityId}/undo`),
          actor: urls.group(group.handle),
          object: new Follow({
            id: new URL(followActivityId),
            actor: urls.group(group.handle),
            object: new URL(target.id),
          }),
        }),
      );
    },

    async acceptFollower(group, follower) {
      if (follower.followActivityId === null) return;
      await context().sendActivity(
        { identifier: group.handle },
        { id: new URL(follower.actorId), inboxId: new URL(follower.inboxUrl) },
        new Accept({
          id: new URL(`${urls.group(group.handle).href}#accepts/${follower.id}`),
          actor: urls.group(group.handle),
          object: new URL(follower.followActivityId),
        }),
      );
    },

    async rejectFollower(group, follower) {
      if (follower.followActivityId === null) return;
      await context().sendActivity(
        { identifier: group.handle },
        { id: new URL(follower.actorId), inboxId: new URL(follower.inboxUrl) },
        new Reject({
          id: new URL(`${urls.group(group.handle).href}#rejects/${follower.id}`),
          actor: urls.group(group.handle),
          object: new URL(follower.followActivityId),
        }),
      );
    },

    async share(group, share) {
      const recipients = await followerInboxes(deps.db, group.id, deps.isAllowed);
      if (recipients.length === 0) return;
      await context().sendActivity(
        { identifier: group.handle },
        recipients,
        // The object travels by id: Mastodon and our own instances re-fetch
        // it from its origin rather than trusting a copy.
        new Announce({
          id: new URL(`${urls.group(group.handle).href}#shares/${share.id}`),
          actor: urls.group(group.handle),
          object: new URL(share.objectId),
          tos: [new URL(PUBLIC_AUDIENCE)],
          ccs: [urls.groupFollowers(group.handle), new URL(share.originActorId)],
        }),
        { preferSharedInbox: true },
      );
    },
  };
}
