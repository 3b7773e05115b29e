import type { Quantity } from "./proposal.ts";

/**
 * One of this instance's groups answering another instance's need or offer
 * with an FEP-0837 Offer(Agreement). The proposer answers Accept (with the
 * finalised Agreement) or Reject (with a reason, also when the need ends
 * before it was answered); until then it is pending. The group may withdraw
 * it, pending or accepted (`Undo` of the Offer).
 */
export type PledgeState = "pending" | "accepted" | "rejected" | "withdrawn";

export interface Pledge {
  readonly id: string;
  readonly groupId: string;
  /** The remote need or offer. */
  readonly objectId: string;
  /** Its primary intent, which the Commitment `satisfies`. */
  readonly intentId: string;
  /** The proposer: where the Offer goes and the only one who may answer it. */
  readonly targetActorId: string;
  /** Our Offer activity's id; the proposer's Accept/Reject names it. */
  readonly offerId: string;
  readonly quantity: Quantity | null;
  readonly message: string;
  readonly state: PledgeState;
  readonly reason: string | null;
  readonly agreementId: string | null;
  readonly createdAt: Temporal.Instant;
  readonly updatedAt: Temporal.Instant;
}

export const PLEDGE_LIMITS = { message: 2000 } as const;

export type WithdrawResult =
  | { readonly ok: true; readonly pledge: Pledge }
  | { readonly ok: false; readonly state: PledgeState };

/** A pledge can be withdrawn while it is pending or accepted; a declined or withdrawn one is over. */
export function withdrawPledge(pledge: Pledge, now: Temporal.Instant): WithdrawResult {
  if (pledge.state !== "pending" && pledge.state !== "accepted") {
    return { ok: false, state: pledge.state };
  }
  return { ok: true, pledge: { ...pledge, state: "withdrawn", updatedAt: now } };
}
