import { Follow, Undo } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import type { AppFederation, FederationDeps } from "../federation.ts";
import { onFollowed, onUndone } from "./follows.ts";

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
    .onError((_ctx, error) => {
      logger.warn("Inbox listener failed: {error}", { error });
    });
}
