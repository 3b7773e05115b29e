import type { Group } from "../domain/group.ts";
import {
  draftLocation,
  type IntakeDraft,
  type IntakeField,
  type IntakeInput,
  type IntakeProblem,
  validateIntake,
} from "../domain/intake.ts";
import type {
  Audience,
  ChangeError,
  Location,
  Proposal,
  ProposalChanges,
  ProposalDraft,
  Purpose,
} from "../domain/proposal.ts";
import { collectiveZone, deadlineDate, todayIn } from "../domain/time-zone.ts";
import {
  createProposal,
  editProposal,
  type IncidentRefusal,
  type ProposalDeps,
} from "./proposals.ts";

/**
 * Needs and offers a coordinator writes in the workspace's forms. The form
 * has the same fields as the public intake form (the private contact
 * optional), so it is read by the same validation.
 */
export type PostFormResult =
  | { readonly ok: true; readonly proposal: Proposal }
  | {
      readonly ok: false;
      readonly reason: "invalid";
      readonly problems: Partial<Record<IntakeField, IntakeProblem>>;
    }
  | {
      readonly ok: false;
      readonly reason: "refused";
      readonly error: ChangeError | { type: "conflict" } | { type: IncidentRefusal };
    };

function validate(deps: ProposalDeps, zone: string, input: IntakeInput) {
  const today = todayIn(deps.clock(), zone);
  return validateIntake(input, today, { contactRequired: false, timeZone: zone });
}

/**
 * `incident`: the object id of the incident to tag it with, or null for none.
 * `location`: the place the form's place step settled on; without one, the
 * typed name alone, as the public form keeps it.
 */
function toDraft(
  draft: IntakeDraft,
  audience: Audience,
  incident: string | null,
  location?: Location | null,
): ProposalDraft {
  return {
    title: draft.title,
    description: draft.description,
    category: draft.category,
    quantity: draft.quantity,
    location: draftLocation(draft, location),
    urgency: draft.urgency,
    expiresAt: draft.neededBy,
    expiresOn: draft.neededOn,
    audience,
    contact: draft.contact === "" ? null : draft.contact,
    incident,
  };
}

export async function createPostFromForm(
  deps: ProposalDeps,
  group: Group,
  purpose: Purpose,
  input: IntakeInput,
  audience: Audience,
  incident: string | null = null,
  location?: Location | null,
): Promise<PostFormResult> {
  const validation = validate(deps, collectiveZone(group, deps.timeZone), input);
  if (!validation.ok) return { ok: false, reason: "invalid", problems: validation.problems };
  const created = await createProposal(
    deps,
    group,
    purpose,
    toDraft(validation.draft, audience, incident, location),
  );
  if (!created.ok) {
    return created.error === "expiry-in-past"
      ? { ok: false, reason: "invalid", problems: { neededBy: "date-in-past" } }
      : { ok: false, reason: "refused", error: { type: created.error } };
  }
  return { ok: true, proposal: created.proposal };
}

/**
 * The form's starting values for an existing need or offer; `zone` is the
 * collective's, for a deadline set to a time of day through the API.
 */
export function formValuesOf(p: Proposal, zone: string): IntakeInput {
  return {
    title: p.title,
    description: p.description,
    category: p.category,
    quantityAmount: p.quantity?.amount ?? "",
    quantityUnit: p.quantity?.unit ?? "one",
    place: p.location?.name ?? "",
    urgency: p.urgency,
    neededBy:
      p.expiresAt === null ? "" : deadlineDate(p.expiresAt, p.expiresOn ?? null, zone).toString(),
    contact: p.contact ?? "",
  };
}

/**
 * Applies an edit. The form works in whole days and place names, so what it
 * shows unchanged keeps its precise stored value (an expiry time of day, a
 * place's coordinates from the API).
 */
export async function editPostFromForm(
  deps: ProposalDeps,
  group: Group,
  proposal: Proposal,
  input: IntakeInput,
  audience: Audience,
  incident: string | null = proposal.incident ?? null,
  location?: Location | null,
): Promise<PostFormResult> {
  const zone = collectiveZone(group, deps.timeZone);
  const before = formValuesOf(proposal, zone);
  const dateUnchanged = input.neededBy.trim() === before.neededBy;
  // An unchanged date may be today or (with a time of day) already past
  // today's start: it is kept, not checked again as a new pick.
  const validation = validate(deps, zone, dateUnchanged ? { ...input, neededBy: "" } : input);
  if (!validation.ok) return { ok: false, reason: "invalid", problems: validation.problems };
  const draft = toDraft(validation.draft, audience, incident, location);
  const changes: ProposalChanges = {
    ...draft,
    location: input.place.trim() === before.place ? proposal.location : draft.location,
    expiresAt: dateUnchanged ? proposal.expiresAt : draft.expiresAt,
    expiresOn: dateUnchanged ? (proposal.expiresOn ?? null) : draft.expiresOn,
  };
  const result = await editProposal(deps, proposal, changes);
  return result.ok
    ? { ok: true, proposal: result.proposal }
    : { ok: false, reason: "refused", error: result.error };
}
