import type { CategorySlug } from "./categories.ts";
import type { Location, ProposalStatus, Purpose, Quantity, Urgency } from "./proposal.ts";

/**
 * `proposal`: an FEP-0837 need or offer. `post`: a plain Note from software
 * that does not speak FEP-0837, kept as it is rather than guessed into a need.
 */
export type RemoteKind = "proposal" | "post";

/**
 * A need or offer (or a plain post) received from another instance, after
 * validation: every field is plain text or a checked value, clamped to the
 * limits below. Nothing here is HTML.
 */
export interface RemoteProposal {
  /** The ActivityPub id, where the object is fetched from. */
  readonly objectId: string;
  /** `attributedTo`: the only actor who may update or delete it (same origin as `objectId`). */
  readonly originActorId: string;
  readonly kind: RemoteKind;
  /** Null for plain posts. */
  readonly purpose: Purpose | null;
  readonly title: string;
  /** Plain text extracted from `content`. */
  readonly summaryText: string;
  /** Our slug when `categoryUri` is one of our vocabulary's URIs. */
  readonly category: CategorySlug | null;
  readonly categoryUri: string | null;
  readonly quantity: Quantity | null;
  /** What is still needed (or still available), in `quantity.unit`; null when not said. */
  readonly remainingAmount: string | null;
  /** Pledges must be whole multiples of this (FEP-0837 `unitBased`); null: any amount. */
  readonly quantityStep: string | null;
  /** The primary intent, which a pledge's Commitment `satisfies`. */
  readonly intentId: string | null;
  readonly location: Location | null;
  readonly urgency: Urgency | null;
  readonly status: ProposalStatus;
  readonly expiresAt: Temporal.Instant | null;
  /** The human-readable page (http or https only). */
  readonly url: string | null;
  readonly publishedAt: Temporal.Instant;
  /** `updated` (or `published` for a never-edited object): edits apply only when newer. */
  readonly updatedAt: Temporal.Instant;
  /**
   * The incident it is tagged with (`byh:incident`), absent or null: none.
   * Read from the object, then kept only if the author may tag it.
   */
  readonly incident?: string | null;
  /** How its author names itself (actor-label.ts); absent or null: not known. */
  readonly originActorName?: string | null;
  readonly originActorHandle?: string | null;
}

/** As stored, with who shared it (only followed groups' shares are listed). */
export interface StoredRemoteProposal extends RemoteProposal {
  readonly id: string;
  readonly receivedAt: Temporal.Instant;
  /** When its origin last answered for it (a stored answer, changed or not). */
  readonly confirmedAt: Temporal.Instant;
  /**
   * Its origin has not answered for longer than reconciliation tolerates
   * (FEDERATION.md, "Reconciliation"): shown, but not as current.
   */
  readonly stale: boolean;
  readonly sharedBy: readonly string[];
}

export const REMOTE_LIMITS = {
  title: 200,
  summaryText: 2000,
  locationName: 200,
  /** For ids, URLs and category URIs. */
  uri: 2048,
  maxQuantity: 1_000_000_000,
  /** Years outside [minYear, maxYear] are treated as absent. */
  minYear: 1,
  maxYear: 9999,
} as const;
