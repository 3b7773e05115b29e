import type { MatchReason, Side } from "../../domain/matching.ts";
import type { Purpose } from "../../domain/proposal.ts";
import { formatKm, formatQuantityShort } from "../format.ts";
import type { Messages } from "./en.ts";
import type { Locale } from "./locale.ts";

/**
 * Why a need and an offer match, as one sentence in the reader's language,
 * from the reasons domain/matching.ts gives: the page and the API's
 * `explanation` both say it this way.
 */
export function matchExplanation(
  t: Messages,
  locale: Locale,
  reasons: readonly MatchReason[],
  subjectPurpose: Purpose,
): string {
  const r = t.matchReasons;
  const nouns: Record<Exclude<Side, "both">, string> = {
    subject: subjectPurpose === "request" ? r.thisNeed : r.thisOffer,
    candidate: subjectPurpose === "request" ? r.theOffer : r.theNeed,
  };
  const sentence = reasons.map((reason) => reasonText(t, locale, nouns, reason)).join("; ");
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

function reasonText(
  t: Messages,
  locale: Locale,
  nouns: Record<Exclude<Side, "both">, string>,
  reason: MatchReason,
): string {
  const r = t.matchReasons;
  const q = (amount: string, unit: Parameters<typeof formatQuantityShort>[1]) =>
    formatQuantityShort(amount, unit, locale);
  switch (reason.type) {
    case "same-category":
      return r.sameCategory(t.categories[reason.category]);
    case "distance":
      return r.distance(formatKm(reason.km, locale));
    case "distance-unknown":
      return reason.missing === "both"
        ? r.distanceUnknownBoth
        : r.distanceUnknown(nouns[reason.missing]);
    case "quantity-covers":
      return r.quantityCovers(q(reason.available, reason.unit), q(reason.needed, reason.unit));
    case "quantity-partial":
      return r.quantityPartial(
        q(reason.available, reason.unit),
        q(reason.needed, reason.unit),
        q(reason.shortfall, reason.unit),
      );
    case "units-differ":
      return r.unitsDiffer(
        q(reason.needed, reason.neededUnit),
        q(reason.available, reason.availableUnit),
      );
    case "quantity-unspecified":
      return reason.missing === "both"
        ? r.quantityUnspecifiedBoth
        : r.quantityUnspecified(nouns[reason.missing]);
    case "urgency":
      return r.urgency(t.urgencies[reason.urgency]);
    case "expires-soon":
      return reason.hours < 1 ? r.expiresWithinHour : r.expiresIn(reason.hours);
  }
}
