import {
  Accept,
  Announce,
  Create,
  Delete,
  Follow,
  Join,
  Offer,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { AppFederation, FederationDeps } from "../federation.ts";
import { onActorDeleted, onActorUpdated } from "./actors.ts";
import { onFollowAnswered, onFollowed, onUndone } from "./follows.ts";
import { onIncidentUpdated, onJoinAnswered, onJoined } from "./incidents.ts";
import { onAnnounced, onCreated, onDeleted, onUpdated } from "./proposals.ts";
import {
  onOffered,
  onOfferUndone,
  onPledgeAnswered,
  onReplyCreatedOrUpdated,
  onReplyDeleted,
} from "./responses.ts";

const logger = getLogger(["bayanihan", "federation", "inbox"]);

/**
 * Inbox listeners, one module per kind of conversation. Listeners never
 * throw on bad remote input: a malformed or irrelevant activity is logged at
 * debug level and dropped, so it can neither crash a worker nor be retried
 * forever. They throw only for failures worth retrying (database, network).
 */
export function registerInbox(federation: AppFederation, deps: FederationDeps): void {
  federation
    .setInboxListeners("/groups/{identifier}/inbox", "/inbox")
    .on(Follow, (ctx, follow) => onFollowed(ctx, follow, deps))
    // An Undo names one of the Offers answered here (a pledge withdrawn) or a Follow.
    .on(Undo, async (ctx, undo) => {
      if (!(await onOfferUndone(undo, deps))) await onUndone(ctx, undo, deps);
    })
    // An answer names the activity it answers: one of our pledges' Offers,
    // one of our Joins, or else one of our Follows.
    .on(Accept, async (ctx, accept) => {
      if (await onPledgeAnswered(accept, deps)) return;
      if (!(await onJoinAnswered(ctx, accept, deps))) await onFollowAnswered(ctx, accept, deps);
    })
    .on(Reject, async (ctx, reject) => {
      if (await onPledgeAnswered(reject, deps)) return;
      if (!(await onJoinAnswered(ctx, reject, deps))) await onFollowAnswered(ctx, reject, deps);
    })
    .on(Join, (ctx, join) => onJoined(ctx, join, deps))
    // A reply to one of our needs is a response; anything else is an allied
    // group's need or offer (or nothing for us).
    .on(Create, async (ctx, create) => {
      if (!(await onReplyCreatedOrUpdated(ctx, create, deps))) await onCreated(ctx, create, deps);
    })
    .on(Update, async (ctx, update) => {
      if (await onActorUpdated(update, deps)) return;
      if (await onIncidentUpdated(ctx, update, deps)) return;
      if (!(await onReplyCreatedOrUpdated(ctx, update, deps))) await onUpdated(ctx, update, deps);
    })
    // An actor deleting itself, else a reply, else a need or offer.
    .on(Delete, async (ctx, del) => {
      if (await onActorDeleted(del, deps)) return;
      if (!(await onReplyDeleted(del, deps))) await onDeleted(ctx, del, deps);
    })
    .on(Offer, (ctx, offer) => onOffered(ctx, offer, deps))
    .on(Announce, (ctx, announce) => onAnnounced(ctx, announce, deps))
    .onError((_ctx, error) => {
      logger.warn("Inbox listener failed: {error}", { error });
    });
}
