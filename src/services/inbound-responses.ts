import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { findGroupById } from "../db/groups.repo.ts";
import { insertNotification } from "../db/notifications.repo.ts";
import { answerPledge, findPledgeByOffer } from "../db/pledges.repo.ts";
import { findProposal, insertPendingActivity, updateProposal } from "../db/proposals.repo.ts";
import {
  countAcceptedResponses,
  deleteReply,
  findResponse,
  findResponseByActivity,
  insertResponse,
  markResponseWithdrawn,
  updateReplyContent,
} from "../db/responses.repo.ts";
import { recordUndone, wasUndoneBy } from "../db/undone-activities.repo.ts";
import type { Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import {
  assessOffer,
  type InboundOffer,
  type InboundPledgeAnswer,
  type InboundReply,
  pledgeAnswerOf,
  type Responder,
  receivedResponse,
  replyRefusal,
} from "../domain/inbound-response.ts";
import type { NotificationMessage } from "../domain/notification-message.ts";
import type { Proposal } from "../domain/proposal.ts";
import { type Response, withdrawResponse } from "../domain/response.ts";
import type { Clock, InboundOutcome, InboundResponses, OfferConversation } from "./ports.ts";

/**
 * Answers to our needs and offers from other servers (FEDERATION.md,
 * "Responses and pledges"), each in its own transaction. The inbox listeners
 * (federation/inbox/responses.ts) parse and authenticate the activities and
 * call these through `InboundResponses`; coordinators' decisions on them are
 * services/responses.ts.
 */
export interface InboundResponseDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  /** Outbox rows were committed: send them now rather than at the next periodic pass. */
  readonly onOutboxWritten?: () => void;
}

const NOT_OURS: InboundOutcome = { handled: false };
const TAKEN: InboundOutcome = { handled: true, dropped: null };
const dropped = (why: string): InboundOutcome => ({ handled: true, dropped: why });

export function createInboundResponses(deps: InboundResponseDeps): InboundResponses {
  return {
    receiveReply: (reply, responder) => receiveReply(deps, reply, responder),
    deleteReply: (noteId, actorId) => deleteReceivedReply(deps, noteId, actorId),
    receiveOffer: (offer, conversation) => receiveOffer(deps, offer, conversation),
    receivePledgeAnswer: (answer) => receivePledgeAnswer(deps, answer),
    receiveOfferUndo: (offerId, actorId) => receiveOfferUndo(deps, offerId, actorId),
  };
}

async function liveProposal(
  db: Kysely<Database>,
  id: string,
): Promise<{ group: Group; proposal: Proposal } | null> {
  const found = await findProposal(db, id);
  if (found.state !== "live") return null;
  const group = await findGroupById(db, found.proposal.groupId);
  return group === null ? null : { group, proposal: found.proposal };
}

/** Stores a new response and tells the group's coordinators, together. */
async function recordResponse(
  db: Kysely<Database>,
  group: Group,
  response: Response,
  message: NotificationMessage,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await insertResponse(trx, response))) return;
    await insertNotification(
      trx,
      group.id,
      { kind: "response", subjectId: response.id, message },
      response.createdAt,
    );
  });
}

/**
 * A reply to one of our live needs or offers, or its edit. An edit of a
 * reply not seen yet is taken as a new reply (Mastodon creates an unknown
 * edited post on the spot; so do we). Not ours: not handled.
 */
export async function receiveReply(
  deps: InboundResponseDeps,
  reply: InboundReply,
  responderOf: () => Promise<Responder | null>,
): Promise<InboundOutcome> {
  const target = await liveProposal(deps.db, reply.proposalId);
  if (target === null) return NOT_OURS;
  const refusal = replyRefusal(reply);
  if (refusal !== null || reply.noteId === null || reply.actorId === null) {
    return dropped(refusal ?? "no actor or reply id");
  }
  const { noteId, actorId } = reply;
  const now = deps.clock();
  const written = reply.written ?? now;
  if (reply.edit || (await findResponseByActivity(deps.db, noteId)) !== null) {
    const edited = await updateReplyContent(deps.db, noteId, actorId, reply.content, written, now);
    if (edited || (await findResponseByActivity(deps.db, noteId)) !== null) return TAKEN;
  }
  const responder = await responderOf();
  if (responder === null) return dropped("the replying actor has no inbox");
  await recordResponse(
    deps.db,
    target.group,
    receivedResponse({
      id: newId(now.epochMilliseconds),
      proposalId: target.proposal.id,
      source: "reply",
      actorId,
      responder,
      activityId: noteId,
      content: reply.content,
      quantity: null,
      remoteUpdatedAt: written,
      now,
    }),
    { key: "replied", actor: responder.name, title: target.proposal.title },
  );
  return TAKEN;
}

/** The author deleted a reply: only its author may. Not a reply here: not handled. */
export async function deleteReceivedReply(
  deps: InboundResponseDeps,
  noteId: string,
  actorId: string,
): Promise<InboundOutcome> {
  const response = await findResponseByActivity(deps.db, noteId);
  if (response === null || response.source !== "reply") return NOT_OURS;
  if (response.actorId !== actorId) return dropped("only the reply's author may delete it");
  await deleteReply(deps.db, noteId, actorId, deps.clock());
  return TAKEN;
}

/**
 * An Offer(Agreement) for one of our live needs or offers: stored as a
 * proposed response, or refused back with the reason (nothing stored then).
 * A redelivery, or an Offer its actor already withdrew, is dropped.
 */
export async function receiveOffer(
  deps: InboundResponseDeps,
  offer: InboundOffer,
  conversation: OfferConversation,
): Promise<InboundOutcome> {
  const target = await liveProposal(deps.db, offer.proposalId);
  if (target === null) return dropped(`${offer.proposalId} is not a need or offer here`);
  if ((await findResponseByActivity(deps.db, offer.offerId)) !== null) return TAKEN;
  // Its Undo was handled first (received activities run concurrently).
  if (await wasUndoneBy(deps.db, offer.offerId, offer.actorId)) {
    return dropped("its actor already withdrew it");
  }
  const { group, proposal } = target;
  const responder = await conversation.responder();
  if (responder === null) return dropped("the offering actor has no inbox");
  const assessment = assessOffer(proposal, offer.offered);
  if (!assessment.ok) {
    await conversation.refuse(group, responder, assessment.reason);
    return TAKEN;
  }
  const now = deps.clock();
  await recordResponse(
    deps.db,
    group,
    receivedResponse({
      id: newId(now.epochMilliseconds),
      proposalId: proposal.id,
      source: "agreement",
      actorId: offer.actorId,
      responder,
      activityId: offer.offerId,
      content: offer.message,
      quantity: assessment.quantity,
      remoteUpdatedAt: null,
      now,
    }),
    {
      key: "pledged",
      actor: responder.name,
      title: proposal.title,
      quantity: offer.offered,
    },
  );
  return TAKEN;
}

/**
 * The proposer's answer to one of our pledges, matched by our Offer id; only
 * the actor the Offer went to may answer. Not one of our Offers: not handled.
 */
export async function receivePledgeAnswer(
  deps: InboundResponseDeps,
  answer: InboundPledgeAnswer,
): Promise<InboundOutcome> {
  const pledge = await findPledgeByOffer(deps.db, answer.offerId);
  if (pledge === null) return NOT_OURS;
  if (pledge.targetActorId !== answer.actorId) {
    return dropped("only the proposer may answer this pledge");
  }
  const now = deps.clock();
  const { message, ...answered } = pledgeAnswerOf(answer);
  await deps.db.transaction().execute(async (trx) => {
    if (!(await answerPledge(trx, pledge.id, answered, now))) return;
    await insertNotification(
      trx,
      pledge.groupId,
      { kind: "pledge-answered", subjectId: pledge.id, message },
      now,
    );
  });
  return TAKEN;
}

/**
 * The pledging group withdraws its Offer, before or after it was accepted:
 * the response is withdrawn, an accepted amount goes back to the need, whose
 * `Update` reaches every copy through the outbox, and the coordinators are
 * told. Only the Offer's own actor may. An Undo of an activity not seen yet
 * is remembered (only for the actor's own), so the Offer, if it comes late,
 * is dropped; it is not handled, so the follows can look at it.
 */
export async function receiveOfferUndo(
  deps: InboundResponseDeps,
  offerId: string,
  actorId: string,
): Promise<InboundOutcome> {
  const response = await findResponseByActivity(deps.db, offerId);
  if (response === null) {
    if (new URL(offerId).origin === new URL(actorId).origin) {
      await recordUndone(deps.db, { activityId: offerId, actorId }, deps.clock());
    }
    return NOT_OURS;
  }
  if (response.source !== "agreement") return NOT_OURS;
  if (response.actorId !== actorId)
    return dropped("only the pledging actor may withdraw its Offer");
  const now = deps.clock();
  const changed = await deps.db.transaction().execute(async (trx) => {
    // Read again inside: an acceptance committed meanwhile is given back too.
    const current = await findResponse(trx, response.id);
    if (current === null) return false;
    const found = await findProposal(trx, current.proposalId);
    const proposal = found.state === "live" ? found.proposal : null;
    const others = await countAcceptedResponses(trx, current.proposalId, current.id);
    const result = withdrawResponse(proposal, current, others, now);
    if (!result.ok) return false; // Already declined or withdrawn: a redelivery.
    if (!(await markResponseWithdrawn(trx, current.id, current.state, now))) {
      throw new Error(`Response ${current.id} changed while it was being withdrawn; retrying`);
    }
    if (proposal !== null && result.proposal !== null) {
      if (!(await updateProposal(trx, result.proposal, proposal.updatedAt))) {
        throw new Error(`Proposal ${proposal.id} changed while a pledge was withdrawn; retrying`);
      }
      await insertPendingActivity(trx, proposal.id, "update", result.proposal.updatedAt);
    }
    if (proposal !== null) {
      const group = await findGroupById(trx, proposal.groupId);
      if (group !== null) {
        await insertNotification(
          trx,
          group.id,
          {
            kind: "response",
            subjectId: current.id,
            message: {
              key: "pledge-withdrawn",
              actor: current.actorName ?? current.actorId ?? "",
              title: proposal.title,
            },
          },
          now,
        );
      }
    }
    return result.proposal !== null;
  });
  if (changed) deps.onOutboxWritten?.();
  return TAKEN;
}
