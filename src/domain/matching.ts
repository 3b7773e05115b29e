import type { CategorySlug } from "./categories.ts";
import {
  compare as compareDecimal,
  type Decimal,
  formatDecimal,
  parseDecimal,
  subtract,
  ZERO,
} from "./decimal.ts";
import { type Coordinates, haversineKm } from "./geo.ts";
import type { ProposalStatus, Purpose, Urgency } from "./proposal.ts";
import type { Unit } from "./units.ts";

/**
 * Matching needs with offers: for one need (or offer), which of the offers
 * (or needs) it is given could answer it, best first, and why. Pure: the
 * caller loads the candidates and says what time it is.
 */

export interface MatchQuantity {
  readonly unit: Unit;
  /** The whole amount asked for or offered, as a decimal string. */
  readonly total: string;
  /**
   * What is still needed (or still available) once pledges are counted. When
   * absent the total is used: nothing is known to be pledged yet.
   */
  readonly remaining?: string | null | undefined;
}

/** What matching needs to know of a need or an offer, local or remote alike. */
export interface MatchParty {
  /** Breaks the last ties between candidates: a local id or a remote object id. */
  readonly key: string;
  readonly purpose: Purpose;
  readonly category: CategorySlug;
  readonly status: ProposalStatus;
  readonly quantity: MatchQuantity | null;
  readonly coordinates: Coordinates | null;
  readonly urgency: Urgency;
  readonly expiresAt: Temporal.Instant | null;
}

/** Which side lacks what; the subject is the need or offer matches are sought for. */
export type Side = "subject" | "candidate" | "both";

export type MatchReason =
  | { readonly type: "same-category"; readonly category: CategorySlug }
  | { readonly type: "distance"; readonly km: number; readonly maxKm: number }
  | { readonly type: "distance-unknown"; readonly missing: Side }
  | {
      readonly type: "quantity-covers";
      readonly unit: Unit;
      readonly needed: string;
      readonly available: string;
    }
  | {
      readonly type: "quantity-partial";
      readonly unit: Unit;
      readonly needed: string;
      readonly available: string;
      readonly shortfall: string;
    }
  | {
      readonly type: "units-differ";
      readonly needed: string;
      readonly neededUnit: Unit;
      readonly available: string;
      readonly availableUnit: Unit;
    }
  | { readonly type: "quantity-unspecified"; readonly missing: Side }
  | { readonly type: "urgency"; readonly urgency: "high" | "critical" }
  | { readonly type: "expires-soon"; readonly expiresAt: string; readonly hours: number };

export interface Match<C extends MatchParty> {
  readonly candidate: C;
  /** 0–1; higher is better. Rounded to 4 decimals, and ranked by that rounded value. */
  readonly score: number;
  /** Great-circle km, to 0.1 km; null when either side has no coordinates. */
  readonly distanceKm: number | null;
  /** Why it matches; web/i18n/match-text.ts says it in the reader's language. */
  readonly reasons: readonly MatchReason[];
}

export const DEFAULT_MAX_KM = 50;
/** A candidate expiring sooner than this is flagged: it must be acted on now. */
export const EXPIRES_SOON_HOURS = 72;

export interface MatchOptions {
  readonly now: Temporal.Instant;
  /** Located candidates farther than this from a located subject are left out. */
  readonly maxKm?: number | undefined;
  /** At most this many matches, the best ones. */
  readonly limit?: number | undefined;
}

/*
 * Scoring. The two parts are sized so their order is a promise, not an
 * accident of weights:
 * - place: a located candidate within reach scores 50 (at the limit) to 100
 *   (same spot); an unknown distance scores 0, so any located-and-near match
 *   outranks any match whose distance is unknown, whatever the quantities;
 * - quantity: 40 when the offer covers what is still needed, 20–40 in
 *   proportion when it covers part, 20 when either side gave no quantity
 *   (nothing to compare: neutral), 10 when the units differ (a person must
 *   judge, so it ranks below an unspecified quantity).
 */
const PLACE_NEAREST = 100;
const PLACE_AT_LIMIT = 50;
const QUANTITY_COVERS = 40;
const QUANTITY_NEUTRAL = 20;
const QUANTITY_UNITS_DIFFER = 10;
const MAX_POINTS = PLACE_NEAREST + QUANTITY_COVERS;

const URGENCY_RANK: Record<Urgency, number> = { low: 0, normal: 1, high: 2, critical: 3 };

/**
 * The candidates that could answer `subject`, best first. Only the opposite
 * purpose, the same category, open (or pledged but not yet covered) and not
 * past their expiry; located ones only within `maxKm`. A subject that is
 * itself finished, expired or covered has no matches.
 */
export function findMatches<C extends MatchParty>(
  subject: MatchParty,
  candidates: readonly C[],
  options: MatchOptions,
): Match<C>[] {
  const maxKm = options.maxKm ?? DEFAULT_MAX_KM;
  if (!(maxKm > 0)) throw new RangeError(`maxKm must be positive, got ${maxKm}`);
  if (!isLive(subject, options.now)) return [];
  const matches: Match<C>[] = [];
  for (const candidate of candidates) {
    const match = matchOne(subject, candidate, maxKm, options.now);
    if (match !== null) matches.push(match);
  }
  matches.sort(compareMatches);
  return options.limit === undefined ? matches : matches.slice(0, Math.max(0, options.limit));
}

/** Still worth answering: open or pledged, not past its expiry, not covered by pledges. */
export function isLive(party: MatchParty, now: Temporal.Instant): boolean {
  if (party.status !== "open" && party.status !== "pledged") return false;
  if (party.expiresAt !== null && Temporal.Instant.compare(party.expiresAt, now) <= 0) return false;
  const amount = party.quantity === null ? null : outstanding(party.quantity);
  return amount === null || amount > ZERO;
}

function matchOne<C extends MatchParty>(
  subject: MatchParty,
  candidate: C,
  maxKm: number,
  now: Temporal.Instant,
): Match<C> | null {
  if (candidate.purpose === subject.purpose) return null;
  if (candidate.category !== subject.category) return null;
  if (!isLive(candidate, now)) return null;

  const reasons: MatchReason[] = [{ type: "same-category", category: candidate.category }];
  let points = 0;

  let distanceKm: number | null = null;
  if (subject.coordinates !== null && candidate.coordinates !== null) {
    const km = haversineKm(subject.coordinates, candidate.coordinates);
    if (km > maxKm) return null;
    distanceKm = Math.round(km * 10) / 10;
    points += PLACE_AT_LIMIT + (PLACE_NEAREST - PLACE_AT_LIMIT) * (1 - km / maxKm);
    reasons.push({ type: "distance", km: distanceKm, maxKm });
  } else {
    reasons.push({
      type: "distance-unknown",
      missing: missingSide(subject.coordinates === null, candidate.coordinates === null),
    });
  }

  const [need, offer] = subject.purpose === "request" ? [subject, candidate] : [candidate, subject];
  const quantity = compareQuantities(need, offer, subject === need);
  points += quantity.points;
  reasons.push(quantity.reason);

  if (candidate.urgency === "high" || candidate.urgency === "critical") {
    reasons.push({ type: "urgency", urgency: candidate.urgency });
  }
  if (candidate.expiresAt !== null) {
    // Plain milliseconds: whole hours need no calendar, and the Temporal
    // polyfill's since().total() costs about 60 µs a call here (2 µs this way).
    const hours = Math.floor(
      (candidate.expiresAt.epochMilliseconds - now.epochMilliseconds) / 3_600_000,
    );
    if (hours < EXPIRES_SOON_HOURS) {
      reasons.push({ type: "expires-soon", expiresAt: candidate.expiresAt.toString(), hours });
    }
  }

  return {
    candidate,
    score: Math.round((points / MAX_POINTS) * 10_000) / 10_000,
    distanceKm,
    reasons,
  };
}

function missingSide(subjectMissing: boolean, candidateMissing: boolean): Side {
  if (subjectMissing && candidateMissing) return "both";
  return subjectMissing ? "subject" : "candidate";
}

/** The amount still open on one side; null when it is not a decimal we can compare. */
function outstanding(quantity: MatchQuantity): Decimal | null {
  const text = quantity.remaining ?? quantity.total;
  return parseDecimal(text);
}

function compareQuantities(
  need: MatchParty,
  offer: MatchParty,
  subjectIsNeed: boolean,
): { points: number; reason: MatchReason } {
  const needed = need.quantity === null ? null : outstanding(need.quantity);
  const available = offer.quantity === null ? null : outstanding(offer.quantity);
  if (needed === null || available === null || need.quantity === null || offer.quantity === null) {
    const needMissing = needed === null;
    const offerMissing = available === null;
    const [subjectMissing, candidateMissing] = subjectIsNeed
      ? [needMissing, offerMissing]
      : [offerMissing, needMissing];
    return {
      points: QUANTITY_NEUTRAL,
      reason: {
        type: "quantity-unspecified",
        missing: missingSide(subjectMissing, candidateMissing),
      },
    };
  }
  if (need.quantity.unit !== offer.quantity.unit) {
    return {
      points: QUANTITY_UNITS_DIFFER,
      reason: {
        type: "units-differ",
        needed: formatDecimal(needed),
        neededUnit: need.quantity.unit,
        available: formatDecimal(available),
        availableUnit: offer.quantity.unit,
      },
    };
  }
  const unit = need.quantity.unit;
  if (compareDecimal(available, needed) >= 0) {
    return {
      points: QUANTITY_COVERS,
      reason: {
        type: "quantity-covers",
        unit,
        needed: formatDecimal(needed),
        available: formatDecimal(available),
      },
    };
  }
  // Share covered, in thousandths, on the exact values; only the score is a float.
  const perMille = Number((available * 1000n) / needed) / 1000;
  return {
    points: QUANTITY_NEUTRAL + (QUANTITY_COVERS - QUANTITY_NEUTRAL) * perMille,
    reason: {
      type: "quantity-partial",
      unit,
      needed: formatDecimal(needed),
      available: formatDecimal(available),
      shortfall: formatDecimal(subtract(needed, available)),
    },
  };
}

/** Score, then the more urgent, then the sooner to expire (none last), then by key. */
function compareMatches(a: Match<MatchParty>, b: Match<MatchParty>): number {
  if (a.score !== b.score) return b.score - a.score;
  const urgency = URGENCY_RANK[b.candidate.urgency] - URGENCY_RANK[a.candidate.urgency];
  if (urgency !== 0) return urgency;
  const ea = a.candidate.expiresAt;
  const eb = b.candidate.expiresAt;
  if (ea !== null || eb !== null) {
    if (ea === null) return 1;
    if (eb === null) return -1;
    const expiry = Temporal.Instant.compare(ea, eb);
    if (expiry !== 0) return expiry;
  }
  // Code-unit order, not localeCompare: the same on every machine.
  return a.candidate.key < b.candidate.key ? -1 : a.candidate.key > b.candidate.key ? 1 : 0;
}
