import { Accept, Announce, Create, Delete, Follow, Reject, Undo, Update } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { AppFederation, FederationDeps } from "../federation.ts";
import { onFollowAnswered, onFollowed, onUndone } from "./follows.ts";
import { onAnnounced, onCreated, onDeleted, onUpdated } from "./proposals.ts";

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
    .on(Undo, (ctx, undo) => onUndone(ctx, undo, deps))
    .on(Accept, (_ctx, accept) => onFollowAnswered(accept, deps))
    .on(Reject, (_ctx, reject) => onFollowAnswered(reject, deps))
    .on(Create, (ctx, create) => onCreated(ctx, create, deps))
    .on(Update, (ctx, update) => onUpdated(ctx, update, deps))
    .on(Delete, (ctx, del) => onDeleted(ctx, del, deps))
    .on(Announce, (ctx, announce) => onAnnounced(ctx, announce, deps))
    .onError((_ctx, error) => {
      logger.warn("Inbox listener failed: {error}", { error });
    });
}
