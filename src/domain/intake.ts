import { type CategorySlug, isCategorySlug } from "./categories.ts";
import type { Location, Purpose, Quantity, Urgency } from "./proposal.ts";
import { endOfDay, parsePickedDate } from "./time-zone.ts";
import { isUnit } from "./units.ts";

/**
 * Requests for help (and offers of help) from people without an account.
 * They go to the group's triage queue, never straight to the federation: a
 * coordinator reads each one and publishes it without the person's contact.
 */
export type IntakeState = "new" | "published" | "declined" | "withdrawn";

export interface IntakeDraft {
  readonly title: string;
  readonly description: string;
  readonly category: CategorySlug;
  readonly quantity: Quantity | null;
  readonly place: string | null;
  readonly urgency: Urgency;
  /** When it runs out: the end of `neededOn` in the collective's zone. */
  readonly neededBy: Temporal.Instant | null;
  /** The date the person picked; shown as that date in every zone. */
  readonly neededOn: Temporal.PlainDate | null;
  /** Private: how the collective can reach the person. Never published. "" when none. */
  readonly contact: string;
}

/**
 * Where a draft is published: the place picked on the form (undefined when
 * the form made no place step), else its typed place name, not on the map.
 */
export function draftLocation(
  draft: IntakeDraft,
  picked: Location | null | undefined,
): Location | null {
  if (picked !== undefined) return picked;
  return draft.place === null ? null : { name: draft.place, latitude: null, longitude: null };
}

export interface IntakeRequest extends IntakeDraft {
  readonly id: string;
  readonly groupId: string;
  readonly purpose: Purpose;
  readonly language: string;
  readonly state: IntakeState;
  /** The need or offer a coordinator published it as. */
  readonly proposalId: string | null;
  readonly createdAt: Temporal.Instant;
  readonly updatedAt: Temporal.Instant;
  /** Why a coordinator declined it; null unless declined (or declined before reasons were kept). */
  readonly declineReason?: DeclineReason | null;
  /** What the coordinator added to the reason; "" when nothing. */
  readonly declineNote?: string;
  /** When the person's contact was erased (`contact` is then ""). */
  readonly contactErasedAt?: Temporal.Instant | null;
  /** The collective's partner link it was sent through, if any. */
  readonly partnerLinkId?: string | null;
  /** The point of `place`, when it came recognised (a text message naming a known place). */
  readonly placePoint?: { readonly latitude: number; readonly longitude: number } | null;
}

/** Why a coordinator declines a request: a fixed list, so the person reads it in their language. */
export const DECLINE_REASONS = ["outside-area", "cannot-provide", "duplicate", "other"] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];
export const DECLINE_NOTE_MAX = 500;

export type DeclineProblem = { readonly reason?: "required"; readonly note?: "too-long" };

/** The coordinator's decline form: a reason from the list, an optional note. */
export function validateDecline(
  reason: string,
  note: string,
):
  | { readonly ok: true; readonly reason: DeclineReason; readonly note: string }
  | { readonly ok: false; readonly problems: DeclineProblem } {
  const trimmed = note.trim();
  const known = (DECLINE_REASONS as readonly string[]).includes(reason);
  const problems: { reason?: "required"; note?: "too-long" } = {};
  if (!known) problems.reason = "required";
  if (trimmed.length > DECLINE_NOTE_MAX) problems.note = "too-long";
  if (problems.reason !== undefined || problems.note !== undefined) return { ok: false, problems };
  return { ok: true, reason: reason as DeclineReason, note: trimmed };
}

/**
 * When the person's contact is (or was) erased: `retention` after the
 * request ended — declined, withdrawn, or its published need or offer
 * closed. `endedAt` is that moment, null while it is still going.
 */
export type ContactErasure =
  | { readonly kind: "erased"; readonly at: Temporal.Instant }
  | { readonly kind: "scheduled"; readonly at: Temporal.Instant }
  | { readonly kind: "kept-while-open" };

export function contactErasure(
  request: Pick<IntakeRequest, "contactErasedAt">,
  endedAt: Temporal.Instant | null,
  retention: Temporal.Duration,
): ContactErasure {
  if (request.contactErasedAt != null) return { kind: "erased", at: request.contactErasedAt };
  if (endedAt === null) return { kind: "kept-while-open" };
  return { kind: "scheduled", at: endedAt.add(retention) };
}

/** The form's fields as typed, before validation (every value a string). */
export interface IntakeInput {
  readonly title: string;
  readonly description: string;
  readonly category: string;
  readonly quantityAmount: string;
  readonly quantityUnit: string;
  readonly place: string;
  readonly urgency: string;
  /** A calendar date, `YYYY-MM-DD` (what `<input type="date">` sends). */
  readonly neededBy: string;
  readonly contact: string;
}

export type IntakeField = keyof IntakeInput;

export type IntakeProblem =
  | "required"
  | "too-long"
  | "unknown-category"
  | "unknown-urgency"
  | "invalid-amount"
  | "unknown-unit"
  | "invalid-date"
  | "date-in-past"
  /** An edit only: accepted pledges were counted in the unit. */
  | "unit-locked"
  /** An edit only: the quantity would fall below what accepted pledges cover. */
  | "below-pledged"
  /** Coordinators' forms: no place of this name is known. */
  | "place-unknown"
  /** Coordinators' forms: several places have this name and none was chosen. */
  | "place-ambiguous"
  /** Coordinators' forms: a link, but not a map link this reads. */
  | "place-not-a-map-link"
  /** Coordinators' forms: a map link with no point in it (a short link, a search). */
  | "place-no-point";

/** Size limits: enough for a real request, small enough that the queue cannot be flooded with novels. */
export const INTAKE_LIMITS = {
  title: 120,
  description: 2000,
  place: 200,
  contact: 300,
} as const;

const URGENCIES: readonly string[] = ["low", "normal", "high", "critical"];
const MAX_AMOUNT = 1_000_000_000;

export type IntakeValidation =
  | { readonly ok: true; readonly draft: IntakeDraft }
  | { readonly ok: false; readonly problems: Partial<Record<IntakeField, IntakeProblem>> };

/**
 * Checks a submitted form and says what is wrong with each field, so the form
 * can come back with every problem next to its field at once. `today` is the
 * date the person sees: "needed by today" is still in time.
 */
export function validateIntake(
  input: IntakeInput,
  today: Temporal.PlainDate,
  options: { readonly contactRequired?: boolean; readonly timeZone?: string } = {},
): IntakeValidation {
  const problems: Partial<Record<IntakeField, IntakeProblem>> = {};
  const text = (field: "title" | "description" | "place" | "contact", required: boolean) => {
    const value = input[field].trim();
    if (required && value === "") problems[field] = "required";
    else if (value.length > INTAKE_LIMITS[field]) problems[field] = "too-long";
    return value;
  };
  const title = text("title", true);
  const description = text("description", false);
  const place = text("place", false);
  // A coordinator publishing a request leaves the contact empty unless they
  // choose to keep one privately with the need.
  const contact = text("contact", options.contactRequired ?? true);

  if (!isCategorySlug(input.category)) problems.category = "unknown-category";
  const urgency = input.urgency === "" ? "normal" : input.urgency;
  if (!URGENCIES.includes(urgency)) problems.urgency = "unknown-urgency";

  let quantity: Quantity | null = null;
  const rawAmount = input.quantityAmount.trim();
  if (rawAmount !== "") {
    const amount = parseAmount(rawAmount);
    if (amount === null) problems.quantityAmount = "invalid-amount";
    const unit = input.quantityUnit === "" ? "one" : input.quantityUnit;
    if (!isUnit(unit)) problems.quantityUnit = "unknown-unit";
    else if (amount !== null) quantity = { amount, unit };
  }

  let neededBy: Temporal.Instant | null = null;
  let neededOn: Temporal.PlainDate | null = null;
  const rawDate = input.neededBy.trim();
  if (rawDate !== "") {
    const date = parsePickedDate(rawDate);
    if (date === null) problems.neededBy = "invalid-date";
    else if (Temporal.PlainDate.compare(date, today) < 0) problems.neededBy = "date-in-past";
    else {
      // "Needed by the 4th" means until that day ends where the collective is.
      neededOn = date;
      neededBy = endOfDay(date, options.timeZone ?? "UTC");
    }
  }

  if (Object.keys(problems).length > 0) return { ok: false, problems };
  return {
    ok: true,
    draft: {
      title,
      description,
      category: input.category as CategorySlug,
      quantity,
      place: place === "" ? null : place,
      urgency: urgency as Urgency,
      neededBy,
      neededOn,
      contact,
    },
  };
}

/** A positive decimal with at most 6 decimals; a decimal comma is read as a point. */
function parseAmount(raw: string): string | null {
  const normalized = raw.includes(".") ? raw : raw.replace(",", ".");
  if (!/^\d{1,10}(\.\d{1,6})?$/.test(normalized)) return null;
  const value = Number(normalized);
  if (!(value > 0) || value > MAX_AMOUNT) return null;
  return normalized
    .replace(/^0+(?=\d)/, "")
    .replace(/(\.\d*?)0+$/, "$1")
    .replace(/\.$/, "");
}

/** A person may withdraw what nobody has acted on yet; after that the collective must be asked. */
export function canWithdraw(state: IntakeState): boolean {
  return state === "new";
}
