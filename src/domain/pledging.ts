import {
  add,
  compare,
  type Decimal,
  formatDecimal,
  isMultipleOf,
  max,
  parseDecimal,
  subtract,
  ZERO,
} from "./decimal.ts";
import type { Proposal, Quantity } from "./proposal.ts";

/**
 * How much of a need (or an offer) is covered, and what a pledge may add.
 *
 * On the wire a proposal with a quantity is FEP-0837 `unitBased`: pledges are
 * whole multiples of a step (1 for whole amounts, else one unit of the
 * total's last decimal place: 0.1 for 2.5), so several people can each cover part of
 * it. See FEDERATION.md.
 */

export interface Coverage {
  readonly total: Quantity;
  readonly pledged: string;
  /** Never negative: an accepted excess leaves nothing still needed. */
  readonly remaining: string;
  readonly step: string;
}

export function coverageOf(
  proposal: Pick<Proposal, "quantity" | "pledgedAmount">,
): Coverage | null {
  if (proposal.quantity === null) return null;
  const total = parseDecimal(proposal.quantity.amount) ?? ZERO;
  const pledged = parseDecimal(proposal.pledgedAmount) ?? ZERO;
  return {
    total: proposal.quantity,
    pledged: formatDecimal(pledged),
    remaining: formatDecimal(max(subtract(total, pledged), ZERO)),
    step: stepFor(proposal.quantity.amount),
  };
}

/**
 * Nothing is still needed (or, for an offer, still available): it has a
 * quantity and pledges cover all of it. Such an item still shows, but below
 * the ones that need help, as covered, and takes no more offers of help.
 * An item without a quantity (or a remote one that did not say what is left)
 * is never "fully pledged": nobody can tell.
 */
export function isFullyCovered(remaining: string | null | undefined): boolean {
  if (remaining === null || remaining === undefined) return false;
  const left = parseDecimal(remaining);
  return left !== null && compare(left, ZERO) <= 0;
}

/** A local need or offer whose quantity is all pledged (see isFullyCovered). */
export function isFullyPledged(proposal: Pick<Proposal, "quantity" | "pledgedAmount">): boolean {
  const coverage = coverageOf(proposal);
  return coverage !== null && isFullyCovered(coverage.remaining);
}

/** 1 for a whole amount; otherwise one unit of its last decimal place (2.5 → 0.1, 0.25 → 0.01). */
export function stepFor(amount: string): string {
  const fraction = amount.split(".")[1] ?? "";
  return fraction === "" ? "1" : `0.${"0".repeat(fraction.length - 1)}1`;
}

export type QuantityProblem =
  | "not-a-number"
  | "not-positive"
  | "unit-mismatch"
  | "no-quantity-expected"
  | "not-a-multiple"
  | "exceeds-remaining";

/**
 * Why an offered quantity was refused: the problem, an English sentence for
 * logs and remote servers, and what was compared, so that each reader's
 * catalog can word it with the same numbers.
 */
export interface QuantityRefusal {
  readonly problem: QuantityProblem;
  readonly message: string;
  readonly target: PledgeTarget;
  readonly offered: { readonly amount: string; readonly unit: string };
}

export type QuantityCheck =
  | { readonly ok: true; readonly amount: Decimal | null }
  | ({ readonly ok: false } & QuantityRefusal);

/** What a pledge is checked against: ours (from Coverage) or a received proposal's. */
export interface PledgeTarget {
  readonly unit: string | null;
  /** Null when unknown (another server did not say). */
  readonly remaining: string | null;
  /** Null: any positive amount (not unit-based). */
  readonly step: string | null;
}

export function targetOf(coverage: Coverage | null): PledgeTarget {
  return coverage === null
    ? { unit: null, remaining: null, step: null }
    : { unit: coverage.total.unit, remaining: coverage.remaining, step: coverage.step };
}

/**
 * Checks an offered quantity against what is still needed. `offered` null
 * is an answer without a quantity ("I can help"), always acceptable.
 * Beyond what remains is refused unless the coordinator allows it.
 */
export function checkPledgeQuantity(
  target: PledgeTarget,
  offered: { readonly amount: string; readonly unit: string } | null,
  options: { readonly allowExcess: boolean },
): QuantityCheck {
  if (offered === null) return { ok: true, amount: null };
  const refuse = (problem: QuantityProblem, message: string): QuantityCheck => ({
    ok: false,
    problem,
    message,
    target,
    offered,
  });
  const amount = parseDecimal(offered.amount);
  if (amount === null) {
    return refuse("not-a-number", `"${offered.amount}" is not a non-negative decimal number`);
  }
  if (compare(amount, ZERO) <= 0) {
    return refuse("not-positive", "The quantity must be more than zero");
  }
  if (target.unit === null) {
    return refuse("no-quantity-expected", "This need or offer has no quantity; answer without one");
  }
  if (offered.unit !== target.unit) {
    return refuse("unit-mismatch", `The unit must be ${target.unit}, not ${offered.unit}`);
  }
  const step = target.step === null ? null : parseDecimal(target.step);
  if (step !== null && !isMultipleOf(amount, step)) {
    return refuse(
      "not-a-multiple",
      `The quantity must be a multiple of ${target.step} ${target.unit}`,
    );
  }
  const remaining = target.remaining === null ? null : parseDecimal(target.remaining);
  if (remaining !== null && !options.allowExcess && compare(amount, remaining) > 0) {
    return refuse("exceeds-remaining", `Only ${target.remaining} ${target.unit} is still needed`);
  }
  return { ok: true, amount };
}

/** A failed check's refusal, without the `ok` flag, to carry in a use case's error. */
export function refusalOf(check: QuantityRefusal): QuantityRefusal {
  return {
    problem: check.problem,
    message: check.message,
    target: check.target,
    offered: check.offered,
  };
}

/** The pledged amount after accepting `amount` more. */
export function addPledge(pledgedAmount: string, amount: Decimal | null): string {
  const pledged = parseDecimal(pledgedAmount) ?? ZERO;
  return formatDecimal(amount === null ? pledged : add(pledged, amount));
}
