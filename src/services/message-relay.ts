import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { findGroupById } from "../db/groups.repo.ts";
import {
  deletePendingMessage,
  listPendingMessages,
  type PendingMessageKind,
} from "../db/pending-messages.repo.ts";
import { findPledge } from "../db/pledges.repo.ts";
import { findProposalIncludingDeleted } from "../db/proposals.repo.ts";
import { findResponse } from "../db/responses.repo.ts";
import { drainOutbox } from "./outbox-relay.ts";
import type { ConversationGateway } from "./ports.ts";

export interface MessageRelayDeps {
  readonly db: Kysely<Database>;
  readonly conversations: ConversationGateway;
}

/**
 * Hands committed conversation messages to the gateway (see drainOutbox),
 * after each decision, periodically and at startup.
 */
export async function relayPendingMessages(deps: MessageRelayDeps): Promise<void> {
  await drainOutbox(deps.db, "pending_messages", {
    list: (limit) => listPendingMessages(deps.db, limit),
    send: (item) => relayOne(deps, item.kind, item.subjectId),
    remove: (id) => deletePendingMessage(deps.db, id),
  });
}

async function relayOne(
  deps: MessageRelayDeps,
  kind: PendingMessageKind,
  subjectId: string,
): Promise<void> {
  if (kind === "pledge" || kind === "pledge-withdrawn") {
    const pledge = await findPledge(deps.db, subjectId);
    const group = pledge === null ? null : await findGroupById(deps.db, pledge.groupId);
    if (pledge === null || group === null) return;
    if (kind === "pledge") await deps.conversations.pledge(group, pledge);
    else await deps.conversations.pledgeWithdrawn(group, pledge);
    return;
  }
  const response = await findResponse(deps.db, subjectId);
  if (response === null) return;
  const found = await findProposalIncludingDeleted(deps.db, response.proposalId);
  if (found === null) return;
  const group = await findGroupById(deps.db, found.proposal.groupId);
  if (group === null) return;
  if (kind === "response-accepted") {
    // An acceptance queued before a deletion is not worth a message about a
    // need that is gone.
    if (!found.deleted) await deps.conversations.responseAccepted(group, found.proposal, response);
  } else {
    // A deleted need still declines the pledges that were waiting on it.
    await deps.conversations.responseRejected(group, found.proposal, response);
  }
}
