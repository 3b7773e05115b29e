import { compare, formatDecimal, max, parseDecimal, subtract, ZERO } from "./decimal.ts";
import {
  addPledge,
  checkPledgeQuantity,
  coverageOf,
  type QuantityRefusal,
  refusalOf,
  targetOf,
} from "./pledging.ts";
import { laterThan, type Proposal, type Quantity, TERMINAL_STATUSES } from "./proposal.ts";

/**
 * Someone answering a need or an offer:
 * - `reply`: a fediverse reply (a Mastodon user writing "I have 5"):
 *   informal interest, no quantity until a coordinator accepts it with one;
 * - `agreement`: an FEP-0837 Offer(Agreement) from a group on another
 *   instance, with the quantity it commits;
 * - `local`: an answer given on this instance (API or web form).
 */
export type ResponseSource = "local" | "reply" | "agreement";
export type ResponseState = "proposed" | "accepted" | "rejected" | "withdrawn";

export interface Response {
  readonly id: string;
  readonly proposalId: string;
  readonly source: ResponseSource;
  /** The remote actor who answered; null for local answers. */
  readonly actorId: string | null;
  readonly actorInboxUrl: string | null;
  /** `@user@host`, as the responder's server names them; for mentions. */
  readonly actorName: string | null;
  /** The reply Note's id or the Offer's id. */
  readonly activityId: string | null;
  /** Plain text, never HTML. */
  readonly content: string;
  readonly quantity: Quantity | null;
  /** What counted toward the proposal's pledged amount when accepted. */
  readonly acceptedAmount: string | null;
  /** Private: how to reach a local responder; coordinators only. */
  readonly contact: string | null;
  readonly state: ResponseState;
  readonly reason: string | null;
  /** The Agreement id this instance minted when it accepted an agreement. */
  readonly agreementId: string | null;
  /** The reply's own `updated`/`published`, so an older edit never wins. */
  readonly remoteUpdatedAt: Temporal.Instant | null;
  readonly createdAt: Temporal.Instant;
  readonly updatedAt: Temporal.Instant;
}

export const RESPONSE_LIMITS = { content: 5000, contact: 500, reason: 1000 } as const;

export type AnswerError =
  | { readonly type: "already-answered"; readonly state: ResponseState }
  | { readonly type: "proposal-ended"; readonly status: Proposal["status"] }
  | ({ readonly type: "quantity" } & QuantityRefusal);

export type AcceptResult =
  | { readonly ok: true; readonly proposal: Proposal; readonly response: Response }
  | { readonly ok: false; readonly error: AnswerError };

/** Whether a need or offer still takes answers. */
export function takesResponses(proposal: Proposal): boolean {
  return !TERMINAL_STATUSES.has(proposal.status);
}

/**
 * A coordinator accepts a response. An agreement counts with the quantity it
 * committed; a reply or local answer with the quantity the coordinator reads
 * in it (`quantity`), or none. The proposal's pledged amount grows and an
 * open proposal becomes `pledged`. Pure.
 */
export function acceptResponse(
  proposal: Proposal,
  response: Response,
  input: { readonly quantity: Quantity | null; readonly allowExcess: boolean },
  now: Temporal.Instant,
): AcceptResult {
  if (response.state !== "proposed") {
    return { ok: false, error: { type: "already-answered", state: response.state } };
  }
  if (!takesResponses(proposal)) {
    return { ok: false, error: { type: "proposal-ended", status: proposal.status } };
  }
  const offered = response.source === "agreement" ? response.quantity : input.quantity;
  const check = checkPledgeQuantity(targetOf(coverageOf(proposal)), offered, {
    allowExcess: input.allowExcess,
  });
  if (!check.ok) {
    return {
      ok: false,
      error: { type: "quantity", ...refusalOf(check) },
    };
  }
  const updatedAt = laterThan(proposal.updatedAt, now);
  return {
    ok: true,
    proposal: {
      ...proposal,
      pledgedAmount: addPledge(proposal.pledgedAmount, check.amount),
      status: proposal.status === "open" ? "pledged" : proposal.status,
      updatedAt,
    },
    response: {
      ...response,
      state: "accepted",
      quantity: offered,
      acceptedAmount: check.amount === null ? null : formatDecimal(check.amount),
      updatedAt: now,
    },
  };
}

export function rejectResponse(
  response: Response,
  reason: string | null,
  now: Temporal.Instant,
): { ok: true; response: Response } | { ok: false; error: AnswerError } {
  if (response.state !== "proposed") {
    return { ok: false, error: { type: "already-answered", state: response.state } };
  }
  return { ok: true, response: { ...response, state: "rejected", reason, updatedAt: now } };
}

/** How a need or offer stopped taking answers. */
export type Ending = "fulfilled" | "closed" | "expired" | "deleted";

/**
 * The reason every answer still waiting gets when its need or offer ends:
 * it travels in the `Reject` to a pledging group, and the answers page
 * shows it beside a local answer or reply.
 */
export function endingReason(purpose: Proposal["purpose"], ending: Ending): string {
  const noun = purpose === "request" ? "need" : "offer";
  const what = ending === "expired" ? "expired" : `was ${ending}`;
  return `The ${noun} ${what} before this answer was accepted`;
}

export type WithdrawResult =
  | {
      readonly ok: true;
      readonly response: Response;
      /** The need with the withdrawn amount given back; null when it does not change. */
      readonly proposal: Proposal | null;
    }
  | { readonly ok: false; readonly state: ResponseState };

/**
 * The pledging group withdraws its agreement (`Undo` of its Offer). A
 * pending one just ends; an accepted one gives its amount back while the
 * need is live, and a need left with no accepted answer and nothing pledged
 * is open again. An ended need keeps the record it ended with. Pure.
 */
export function withdrawResponse(
  proposal: Proposal | null,
  response: Response,
  otherAcceptedAnswers: number,
  now: Temporal.Instant,
): WithdrawResult {
  if (response.state !== "proposed" && response.state !== "accepted") {
    return { ok: false, state: response.state };
  }
  const withdrawn: Response = { ...response, state: "withdrawn", updatedAt: now };
  if (response.state !== "accepted" || proposal === null || !takesResponses(proposal)) {
    return { ok: true, response: withdrawn, proposal: null };
  }
  const pledged = parseDecimal(proposal.pledgedAmount) ?? ZERO;
  const given = parseDecimal(response.acceptedAmount ?? "0") ?? ZERO;
  const left = max(subtract(pledged, given), ZERO);
  const status =
    proposal.status === "pledged" && otherAcceptedAnswers === 0 && compare(left, ZERO) === 0
      ? "open"
      : proposal.status;
  const pledgedAmount = formatDecimal(left);
  if (pledgedAmount === proposal.pledgedAmount && status === proposal.status) {
    return { ok: true, response: withdrawn, proposal: null };
  }
  return {
    ok: true,
    response: withdrawn,
    proposal: {
      ...proposal,
      pledgedAmount,
      status,
      updatedAt: laterThan(proposal.updatedAt, now),
    },
  };
}
