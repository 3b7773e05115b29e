import type { NearProblem } from "../../domain/near.ts";
import type { QuantityRefusal } from "../../domain/pledging.ts";
import { isUnit } from "../../domain/units.ts";
import { formatQuantity } from "../format.ts";
import type { Messages } from "./en.ts";
import { localeOfMessages } from "./locale.ts";

/**
 * The domain says what was wrong as a kind and its values; these word it
 * in one catalog's language, so the API (by Accept-Language) and the pages
 * (by the reader's choice) give the same sentence.
 */
export function nearProblemText(t: Messages, problem: NearProblem): string {
  const words = t.nearProblems;
  switch (problem.kind) {
    case "not-a-point":
      return problem.namesAccepted ? words["not-a-point-or-name"] : words["not-a-point"];
    case "unknown-place":
      return words["unknown-place"](problem.name);
    case "km-too-large":
      return words["km-too-large"](String(problem.maxKm));
    default:
      return words[problem.kind];
  }
}

/** An amount in the catalog's language ("20 litros"); a unit another server invented stays as it came. */
function amountOf(t: Messages, amount: string | null, unit: string | null): string {
  const number = amount ?? "0";
  if (unit === null) return number;
  return isUnit(unit) ? formatQuantity(number, unit, localeOfMessages(t)) : `${number} ${unit}`;
}

export function quantityRefusalText(t: Messages, refusal: QuantityRefusal): string {
  const words = t.apiErrors.quantity;
  const { target, offered } = refusal;
  switch (refusal.problem) {
    case "not-a-number":
      return words["not-a-number"](offered.amount);
    case "unit-mismatch":
      return words["unit-mismatch"](target.unit ?? "", offered.unit);
    case "not-a-multiple":
      return words["not-a-multiple"](amountOf(t, target.step ?? "1", target.unit));
    case "exceeds-remaining":
      return words["exceeds-remaining"](amountOf(t, target.remaining, target.unit));
    default:
      return words[refusal.problem];
  }
}

/** A status as a word inside a sentence; a status another server invented stays as it came. */
export function statusWord(t: Messages, status: string): string {
  return Object.hasOwn(t.statuses, status)
    ? t.statuses[status as keyof Messages["statuses"]].toLowerCase()
    : status;
}
