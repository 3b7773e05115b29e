import type { Quantity } from "./proposal.ts";

/**
 * One of this instance's groups answering another instance's need or offer
 * with an FEP-0837 Offer(Agreement). The proposer answers Accept (with the
 * finalised Agreement) or Reject (with a reason); until then it is pending.
 */
export type PledgeState = "pending" | "accepted" | "rejected";

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
