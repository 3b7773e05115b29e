import { formatDecimal } from "./decimal.ts";
import type { NotificationMessage } from "./notification-message.ts";
import { checkPledgeQuantity, coverageOf, targetOf } from "./pledging.ts";
import type { Proposal, Quantity } from "./proposal.ts";
import { type Response, takesResponses } from "./response.ts";

/**
 * Answers to our needs and offers as they arrive from other servers, parsed
 * out of their activities by federation/inbox/responses.ts, and the rules
 * applied to them (services/inbound-responses.ts stores them).
 */

/** Who answered, as their actor document says: where to write back, and how to name them. */
export interface Responder {
  readonly inbox: string;
  readonly name: string;
}

/** A fediverse reply (`Create` or `Update` of a Note whose `inReplyTo` is one of ours). */
export interface InboundReply {
  /** The need or offer it answers, if it is one of ours. */
  readonly proposalId: string;
  readonly noteId: string | null;
  readonly actorId: string | null;
  /** The Note's `attributedTo`. */
  readonly attributedTo: string | null;
  /** Plain text, already cut to RESPONSE_LIMITS.content. */
  readonly content: string;
  /** The Note's own `updated`, else `published`. */
  readonly written: Temporal.Instant | null;
  /** An `Update` rather than a `Create`. */
  readonly edit: boolean;
}

/** An FEP-0837 `Offer(Agreement)` whose Commitment satisfies the primary intent of one of ours. */
export interface InboundOffer {
  readonly offerId: string;
  readonly actorId: string;
  readonly proposalId: string;
  /** The Commitment's quantity as sent (unchecked); null without one. */
  readonly offered: { readonly amount: string; readonly unit: string } | null;
  /** Plain text, already cut to RESPONSE_LIMITS.content. */
  readonly message: string;
}

/** The proposer's `Accept` or `Reject` of one of our pledges' Offers. */
export interface InboundPledgeAnswer {
  readonly offerId: string;
  readonly actorId: string;
  readonly accepted: boolean;
  /** A Reject's reason, plain text; null when none was given. */
  readonly reason: string | null;
  /** An Accept's `result`: the finalised Agreement. */
  readonly agreementId: string | null;
}

/**
 * Why a reply is not taken: it must name its actor and itself, live on its
 * sender's origin and be attributed to the sender (the activity is signed by
 * the sender, so an embedded reply is trusted only when it is their own).
 */
export function replyRefusal(
  reply: Pick<InboundReply, "noteId" | "actorId" | "attributedTo">,
): string | null {
  if (reply.actorId === null || reply.noteId === null) return "no actor or reply id";
  if (originOf(reply.noteId) !== originOf(reply.actorId) || reply.attributedTo !== reply.actorId) {
    return "the reply is not the sender's own";
  }
  return null;
}

function originOf(url: string): string | null {
  return URL.canParse(url) ? new URL(url).origin : null;
}

export type OfferAssessment =
  | { readonly ok: true; readonly quantity: Quantity | null }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether an Offer can be taken, and the quantity it is stored with: the need
 * or offer must still take answers, and the quantity must be in its unit,
 * positive and on its step. Beyond what is still needed is the coordinator's
 * call, at acceptance. The reason goes back to the sender in a `Reject`.
 */
export function assessOffer(proposal: Proposal, offered: InboundOffer["offered"]): OfferAssessment {
  if (!takesResponses(proposal)) {
    return { ok: false, reason: `This is ${proposal.status}; it takes no more pledges` };
  }
  const check = checkPledgeQuantity(targetOf(coverageOf(proposal)), offered, {
    allowExcess: true,
  });
  if (!check.ok) return { ok: false, reason: check.message };
  return {
    ok: true,
    quantity:
      check.amount === null || proposal.quantity === null
        ? null
        : { amount: formatDecimal(check.amount), unit: proposal.quantity.unit },
  };
}

/** A remote answer as stored, proposed until a coordinator decides. */
export function receivedResponse(input: {
  readonly id: string;
  readonly proposalId: string;
  readonly source: "reply" | "agreement";
  readonly actorId: string;
  readonly responder: Responder;
  readonly activityId: string;
  readonly content: string;
  readonly quantity: Quantity | null;
  readonly remoteUpdatedAt: Temporal.Instant | null;
  readonly now: Temporal.Instant;
}): Response {
  return {
    id: input.id,
    proposalId: input.proposalId,
    source: input.source,
    actorId: input.actorId,
    actorInboxUrl: input.responder.inbox,
    actorName: input.responder.name,
    activityId: input.activityId,
    content: input.content,
    quantity: input.quantity,
    acceptedAmount: null,
    contact: null,
    state: "proposed",
    reason: null,
    agreementId: null,
    remoteUpdatedAt: input.remoteUpdatedAt,
    createdAt: input.now,
    updatedAt: input.now,
  };
}

/** What our pledge becomes on the proposer's answer, and what the coordinators are told. */
export function pledgeAnswerOf(
  answer: Pick<InboundPledgeAnswer, "accepted" | "reason" | "agreementId">,
): {
  readonly state: "accepted" | "rejected";
  readonly reason: string | null;
  readonly agreementId: string | null;
  readonly message: NotificationMessage;
} {
  if (answer.accepted) {
    return {
      state: "accepted",
      reason: null,
      agreementId: answer.agreementId,
      message: { key: "pledge-accepted" },
    };
  }
  const reason = answer.reason === "" ? null : answer.reason;
  return {
    state: "rejected",
    reason,
    agreementId: null,
    message: { key: "pledge-declined", reason },
  };
}
