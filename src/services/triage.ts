import type { Transaction } from "kysely";
import type { Database } from "../db/database.ts";
import {
  changeIntakeState,
  declineIntakeRequest,
  findIntakeRequest,
  listIntakeRequests,
  listIntakeRequestsSentBetween,
  setIntakeProposal,
} from "../db/intake.repo.ts";
import type { Group } from "../domain/group.ts";
import {
  type DeclineProblem,
  draftLocation,
  type IntakeField,
  type IntakeInput,
  type IntakeProblem,
  type IntakeRequest,
  validateDecline,
  validateIntake,
} from "../domain/intake.ts";
import {
  DUPLICATE_WINDOW_HOURS,
  type DuplicateReason,
  findLikelyDuplicates,
} from "../domain/intake-duplicates.ts";
import type { Location, Proposal } from "../domain/proposal.ts";
import { collectiveZone, todayIn } from "../domain/time-zone.ts";
import { enqueueRequesterUpdates } from "../messaging/requester-updates.ts";
import { createProposal, type ProposalDeps } from "./proposals.ts";

/** The requests waiting for a coordinator of `group`, oldest first. */
export function listTriageQueue(deps: ProposalDeps, group: Group): Promise<IntakeRequest[]> {
  return listIntakeRequests(deps.db, group.id, "new", 100);
}

/** Another request a queued one may repeat, as the triage page names it. */
export interface DuplicateOf {
  readonly id: string;
  readonly title: string;
  readonly state: IntakeRequest["state"];
  readonly purpose: IntakeRequest["purpose"];
  readonly proposalId: string | null;
  readonly reasons: readonly DuplicateReason[];
}

/** Requests of the group this many: enough for a day of a busy collective. */
const DUPLICATE_POOL = 500;

/**
 * For each queued request, the group's other requests (any state) sent
 * within a day of it with the same contact or nearly the same text.
 */
export async function findTriageDuplicates(
  deps: ProposalDeps,
  group: Group,
  queue: readonly IntakeRequest[],
): Promise<Map<string, DuplicateOf[]>> {
  const result = new Map<string, DuplicateOf[]>();
  if (queue.length === 0) return result;
  const times = queue.map((r) => r.createdAt.epochMilliseconds);
  const window = { hours: DUPLICATE_WINDOW_HOURS };
  const pool = await listIntakeRequestsSentBetween(
    deps.db,
    group.id,
    Temporal.Instant.fromEpochMilliseconds(Math.min(...times)).subtract(window),
    Temporal.Instant.fromEpochMilliseconds(Math.max(...times)).add(window),
    DUPLICATE_POOL,
  );
  const byId = new Map(pool.map((r) => [r.id, r]));
  for (const [id, flags] of findLikelyDuplicates(queue, pool)) {
    result.set(
      id,
      flags.map((flag) => {
        const other = byId.get(flag.otherId)!;
        return {
          id: other.id,
          title: other.title,
          state: other.state,
          purpose: other.purpose,
          proposalId: other.proposalId,
          reasons: flag.reasons,
        };
      }),
    );
  }
  return result;
}

export type PublishResult =
  | { readonly ok: true; readonly proposal: Proposal }
  | {
      readonly ok: false;
      readonly reason: "invalid";
      readonly problems: Partial<Record<IntakeField, IntakeProblem>>;
    }
  | { readonly ok: false; readonly reason: "not-found" | "already-triaged" };

/**
 * Publishes a request as a public need (or offer) through the same path as
 * the API, from the coordinator's edited copy. The person's contact is left
 * behind unless the coordinator copies something into the private contact
 * field. The request is claimed first, so two coordinators cannot publish
 * it twice.
 */
export async function publishIntake(
  deps: ProposalDeps,
  group: Group,
  intakeId: string,
  edited: IntakeInput,
  /** The place the coordinator's place step settled on; without it, the typed name. */
  location?: Location | null,
): Promise<PublishResult> {
  const request = await findIntakeRequest(deps.db, group.id, intakeId);
  if (request === null) return { ok: false, reason: "not-found" };
  if (request.state !== "new") return { ok: false, reason: "already-triaged" };
  const now = deps.clock();
  const timeZone = collectiveZone(group, deps.timeZone);
  const validation = validateIntake(edited, todayIn(now, timeZone), {
    contactRequired: false,
    timeZone,
  });
  if (!validation.ok) return { ok: false, reason: "invalid", problems: validation.problems };
  const draft = validation.draft;
  // The request is claimed, linked to its proposal and its sender told in
  // the proposal's own transaction: a crash leaves all of it or none, and a
  // second coordinator's claim finds it taken and rolls its proposal back.
  const claimAndTell = async (trx: Transaction<Database>, proposal: Proposal) => {
    if (!(await changeIntakeState(trx, request.id, "new", "published", now))) {
      throw new AlreadyTriaged();
    }
    await setIntakeProposal(trx, request.id, proposal.id);
    if (deps.urls !== undefined) {
      const event = { kind: "published", proposalId: proposal.id } as const;
      await enqueueRequesterUpdates(trx, deps.urls, request, group.name, event, now);
    }
  };
  const created = await createProposal(
    deps,
    group,
    request.purpose,
    {
      title: draft.title,
      description: draft.description,
      category: draft.category,
      quantity: draft.quantity,
      location: draftLocation(draft, location),
      urgency: draft.urgency,
      expiresAt: draft.neededBy,
      expiresOn: draft.neededOn,
      audience: "public",
      contact: draft.contact === "" ? null : draft.contact,
    },
    { previousId: null },
    claimAndTell,
  ).catch((error: unknown) => {
    if (error instanceof AlreadyTriaged) return null;
    throw error;
  });
  if (created === null) return { ok: false, reason: "already-triaged" };
  if (!created.ok) {
    // Validation keeps the date in the future; a clock step could still
    // land here, before anything was written: the request stays queued.
    return { ok: false, reason: "invalid", problems: { neededBy: "date-in-past" } };
  }
  return { ok: true, proposal: created.proposal };
}

class AlreadyTriaged extends Error {}

/**
 * Declines a waiting request with a reason from the fixed list and an
 * optional note, both shown to the person on their private page.
 */
export async function declineIntake(
  deps: ProposalDeps,
  group: Group,
  intakeId: string,
  input: { readonly reason: string; readonly note: string },
): Promise<
  | { ok: true }
  | { ok: false; reason: "not-found" | "already-triaged" }
  | { ok: false; reason: "invalid"; problems: DeclineProblem }
> {
  const request = await findIntakeRequest(deps.db, group.id, intakeId);
  if (request === null) return { ok: false, reason: "not-found" };
  if (request.state !== "new") return { ok: false, reason: "already-triaged" };
  const checked = validateDecline(input.reason, input.note);
  if (!checked.ok) return { ok: false, reason: "invalid", problems: checked.problems };
  const now = deps.clock();
  const changed = await deps.db.transaction().execute(async (trx) => {
    const declined = await declineIntakeRequest(trx, request.id, checked.reason, checked.note, now);
    if (declined && deps.urls !== undefined) {
      const event = { kind: "declined", reason: checked.reason, note: checked.note } as const;
      await enqueueRequesterUpdates(trx, deps.urls, request, group.name, event, now);
    }
    return declined;
  });
  return changed ? { ok: true } : { ok: false, reason: "already-triaged" };
}
