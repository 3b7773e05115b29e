import type { CategorySlug } from "./categories.ts";
import { compare, parseDecimal, ZERO } from "./decimal.ts";
import type { Unit } from "./units.ts";

/**
 * Needs and offers. On the wire both are FEP-0837 Proposals; `purpose` tells
 * them apart ("request" for a need, "offer" for an offer), and the API names
 * them "needs" and "offers".
 */
export type Purpose = "request" | "offer";
export type Urgency = "low" | "normal" | "high" | "critical";
export type Audience = "public" | "followers";
export type ProposalStatus = "open" | "pledged" | "fulfilled" | "closed" | "expired";

export interface Quantity {
  /** A decimal number as a string, as FEP-0837's `hasNumericalValue`: no float rounding. */
  readonly amount: string;
  readonly unit: Unit;
}

export interface Location {
  readonly name: string;
  readonly latitude: number | null;
  readonly longitude: number | null;
  /** True when the coordinator shares the exact point; otherwise it leaves the instance rounded. */
  readonly exact?: boolean;
}

export interface Proposal {
  readonly id: string;
  readonly groupId: string;
  readonly purpose: Purpose;
  readonly title: string;
  readonly description: string;
  readonly category: CategorySlug;
  readonly quantity: Quantity | null;
  readonly location: Location | null;
  readonly urgency: Urgency;
  readonly expiresAt: Temporal.Instant | null;
  /**
   * The date the deadline was picked as, on a form that picks dates only
   * (absent or null: set as an instant through the API). Shown as that same
   * date in every zone; `expiresAt` is the end of that day in the
   * collective's zone.
   */
  readonly expiresOn?: Temporal.PlainDate | null;
  readonly audience: Audience;
  /** Private: shown to the group's coordinators only, never federated. */
  readonly contact: string | null;
  readonly status: ProposalStatus;
  /**
   * What accepted responses add up to, a decimal string in `quantity.unit`
   * ("0" when nothing is pledged or the proposal has no quantity).
   */
  readonly pledgedAmount: string;
  /** The need or offer this one continues (reopened after it ended), if any. */
  readonly previousId: string | null;
  /** The object id of the incident it is tagged with (absent or null: none). */
  readonly incident?: string | null;
  readonly createdAt: Temporal.Instant;
  readonly updatedAt: Temporal.Instant;
}

/** What a coordinator supplies; everything else is decided by the server. */
export interface ProposalDraft {
  readonly title: string;
  readonly description: string;
  readonly category: CategorySlug;
  readonly quantity: Quantity | null;
  readonly location: Location | null;
  readonly urgency: Urgency;
  readonly expiresAt: Temporal.Instant | null;
  /** The date it was picked as (absent or null: an instant); see `Proposal.expiresOn`. */
  readonly expiresOn?: Temporal.PlainDate | null;
  readonly audience: Audience;
  readonly contact: string | null;
  /** The object id of an incident the group owns or has joined (absent or null: none). */
  readonly incident?: string | null;
}

export type ProposalChanges = Partial<ProposalDraft> & { readonly status?: ProposalStatus };

export const TERMINAL_STATUSES: ReadonlySet<ProposalStatus> = new Set([
  "fulfilled",
  "closed",
  "expired",
]);

/**
 * Status only moves forward: open → pledged → fulfilled, or to closed from any
 * live state. `expired` is set by the server, never requested. Terminal
 * statuses never reopen: remote copies (Mastodon keeps tombstones) could not
 * follow, so a new need is posted instead.
 */
export function canChangeStatus(from: ProposalStatus, to: ProposalStatus): boolean {
  if (from === to) return true;
  if (to === "expired") return false;
  switch (from) {
    case "open":
      return to === "pledged" || to === "fulfilled" || to === "closed";
    case "pledged":
      return to === "fulfilled" || to === "closed";
    default:
      return false;
  }
}

export type ChangeError =
  | {
      readonly type: "status-not-allowed";
      readonly from: ProposalStatus;
      readonly to: ProposalStatus;
    }
  | { readonly type: "terminal"; readonly status: ProposalStatus }
  | { readonly type: "expiry-in-past" }
  /** Accepted pledges were counted in this unit: another would relabel them. */
  | { readonly type: "unit-locked"; readonly unit: Unit; readonly pledged: string }
  /** The quantity may not go below (or away from) what accepted pledges cover. */
  | { readonly type: "below-pledged"; readonly unit: Unit; readonly pledged: string };

export type ChangeResult =
  | { readonly ok: true; readonly proposal: Proposal; readonly changed: boolean }
  | { readonly ok: false; readonly error: ChangeError };

/** Applies a coordinator's edit, enforcing the lifecycle rules. Pure. */
export function applyChanges(
  proposal: Proposal,
  changes: ProposalChanges,
  now: Temporal.Instant,
): ChangeResult {
  if (changes.status !== undefined && !canChangeStatus(proposal.status, changes.status)) {
    return {
      ok: false,
      error: { type: "status-not-allowed", from: proposal.status, to: changes.status },
    };
  }
  const editsContent = Object.keys(changes).some((k) => k !== "status");
  if (editsContent && TERMINAL_STATUSES.has(proposal.status)) {
    return { ok: false, error: { type: "terminal", status: proposal.status } };
  }
  if (changes.expiresAt != null && Temporal.Instant.compare(changes.expiresAt, now) <= 0) {
    return { ok: false, error: { type: "expiry-in-past" } };
  }
  const locked =
    changes.quantity === undefined ? null : quantityChangeError(proposal, changes.quantity);
  if (locked !== null) return { ok: false, error: locked };
  const next: Proposal = {
    ...proposal,
    ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)),
    // A new instant without a picked date (an API edit) is no longer that date.
    ...(changes.expiresAt !== undefined && changes.expiresOn === undefined
      ? { expiresOn: null }
      : {}),
  };
  const changed = !proposalsEqual(proposal, next);
  return {
    ok: true,
    changed,
    proposal: changed ? { ...next, updatedAt: laterThan(proposal.updatedAt, now) } : proposal,
  };
}

/**
 * Once pledges were accepted, the amounts they cover are in the proposal's
 * unit: changing the unit would silently relabel them (5 coolers becoming
 * 5 kg), and a total below what is pledged would make the pledges lie.
 * Null: the new quantity keeps every accepted pledge true.
 */
export function quantityChangeError(
  proposal: Pick<Proposal, "quantity" | "pledgedAmount">,
  quantity: Quantity | null,
): ChangeError | null {
  const pledged = parseDecimal(proposal.pledgedAmount) ?? ZERO;
  if (proposal.quantity === null || compare(pledged, ZERO) <= 0) return null;
  const facts = { unit: proposal.quantity.unit, pledged: proposal.pledgedAmount };
  if (quantity === null) return { type: "below-pledged", ...facts };
  if (quantity.unit !== proposal.quantity.unit) return { type: "unit-locked", ...facts };
  const amount = parseDecimal(quantity.amount);
  if (amount === null || compare(amount, pledged) < 0) return { type: "below-pledged", ...facts };
  return null;
}

/** True when the proposal should be marked expired at `now`. */
export function isDue(proposal: Proposal, now: Temporal.Instant): boolean {
  return (
    proposal.expiresAt !== null &&
    !TERMINAL_STATUSES.has(proposal.status) &&
    Temporal.Instant.compare(proposal.expiresAt, now) <= 0
  );
}

/**
 * Remote copies apply an Update only if its `updated` is later than the one
 * they hold (Mastodon compares them), so two edits within one clock tick must
 * still get strictly increasing timestamps.
 */
export function laterThan(previous: Temporal.Instant, now: Temporal.Instant): Temporal.Instant {
  // Stored and sent at millisecond precision: a clock reading a few
  // microseconds later is still the same instant once written down.
  const nowMs = Temporal.Instant.fromEpochMilliseconds(now.epochMilliseconds);
  const previousMs = Temporal.Instant.fromEpochMilliseconds(previous.epochMilliseconds);
  return Temporal.Instant.compare(nowMs, previousMs) > 0
    ? nowMs
    : previousMs.add({ milliseconds: 1 });
}

function proposalsEqual(a: Proposal, b: Proposal): boolean {
  return (
    a.title === b.title &&
    a.description === b.description &&
    a.category === b.category &&
    a.urgency === b.urgency &&
    a.audience === b.audience &&
    a.contact === b.contact &&
    a.status === b.status &&
    a.pledgedAmount === b.pledgedAmount &&
    (a.incident ?? null) === (b.incident ?? null) &&
    JSON.stringify(a.quantity) === JSON.stringify(b.quantity) &&
    JSON.stringify(a.location) === JSON.stringify(b.location) &&
    (a.expiresAt?.epochMilliseconds ?? null) === (b.expiresAt?.epochMilliseconds ?? null) &&
    (a.expiresOn?.toString() ?? null) === (b.expiresOn?.toString() ?? null)
  );
}
