import { getLogger } from "@logtape/logtape";
import type { Kysely, Transaction } from "kysely";
import type { Database } from "../db/database.ts";
import { findGroupById } from "../db/groups.repo.ts";
import { findIncidentByObjectId, groupMayTag } from "../db/incidents.repo.ts";
import { insertPendingMessage } from "../db/pending-messages.repo.ts";
import {
  deletePendingActivity,
  findProposalIncludingDeleted,
  insertPendingActivity,
  insertProposal,
  listDueProposals,
  listPendingActivities,
  markProposalDeleted,
  updateProposal,
} from "../db/proposals.repo.ts";
import { declineWaitingResponses } from "../db/responses.repo.ts";
import type { Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import { type IncidentTagRefusal, incidentTagRefusal } from "../domain/incident.ts";
import {
  applyChanges,
  type ChangeError,
  isDue,
  laterThan,
  type Proposal,
  type ProposalChanges,
  type ProposalDraft,
  type Purpose,
  TERMINAL_STATUSES,
} from "../domain/proposal.ts";
import { type Ending, endingReason } from "../domain/response.ts";
import { enqueueProposalStatusUpdates } from "../messaging/requester-updates.ts";
import type { InstanceUrls } from "../urls.ts";
import { relayPendingMessages } from "./message-relay.ts";
import { drainOutbox } from "./outbox-relay.ts";
import type { Clock, ConversationGateway, ProposalPublisher } from "./ports.ts";

const logger = getLogger(["bayanihan", "proposals"]);

export interface ProposalDeps {
  readonly db: Kysely<Database>;
  readonly publisher: ProposalPublisher;
  readonly clock: Clock;
  /**
   * Sends the `Reject`s an ending writes right after the commit; without it
   * they wait in the outbox for the periodic relay.
   */
  readonly conversations?: ConversationGateway;
  /** The instance's zone (TIME_ZONE), for collectives without one; absent: UTC. */
  readonly timeZone?: string;
  /** For the links in texts to people who asked by SMS; absent: no texts are written. */
  readonly urls?: InstanceUrls;
}

/**
 * A need or offer ended (fulfilled, closed, expired, deleted): in the same
 * transaction, every answer still waiting is declined with the reason, and
 * each pledge from another instance gets its `Reject` through the outbox,
 * so the pledging group is told even across a crash.
 */
async function declineWaitingAnswers(
  trx: Kysely<Database>,
  proposal: Pick<Proposal, "id" | "purpose">,
  ending: Ending,
  now: Temporal.Instant,
): Promise<void> {
  const declined = await declineWaitingResponses(
    trx,
    proposal.id,
    endingReason(proposal.purpose, ending),
    now,
  );
  for (const response of declined) {
    if (response.source === "agreement") {
      await insertPendingMessage(trx, "response-rejected", response.id, now);
    }
  }
}

/**
 * Why an incident tag is refused: the group neither owns the incident nor
 * has an accepted participation in it, or the incident is closed or past its
 * end (domain/incident.ts incidentTagRefusal).
 */
export type IncidentRefusal = "incident-not-allowed" | IncidentTagRefusal;

export type CreateResult =
  | { ok: true; proposal: Proposal }
  | { ok: false; error: "expiry-in-past" | IncidentRefusal };

/**
 * A need or offer may be tagged only with an incident its group owns or has
 * an accepted participation in — the tag puts it on a board other instances
 * trust to hold only the incident's participants — and only while the
 * incident is open and not past its end. Null: the tag may be given.
 */
async function tagRefusal(
  db: Kysely<Database>,
  group: Group,
  incidentObjectId: string,
  now: Temporal.Instant,
): Promise<IncidentRefusal | null> {
  const incident = await findIncidentByObjectId(db, incidentObjectId);
  if (incident === null || !(await groupMayTag(db, group.id, incident))) {
    return "incident-not-allowed";
  }
  return incidentTagRefusal(incident, now);
}

export async function createProposal(
  deps: ProposalDeps,
  group: Group,
  purpose: Purpose,
  draft: ProposalDraft,
  links: { previousId: string | null } = { previousId: null },
  /**
   * More to write in the proposal's own transaction (a triaged request's
   * claim and its sender's messages): all of it commits with the proposal
   * or none of it does. Throwing rolls the proposal back.
   */
  alongside?: (trx: Transaction<Database>, proposal: Proposal) => Promise<void>,
): Promise<CreateResult> {
  const now = deps.clock();
  if (draft.expiresAt !== null && Temporal.Instant.compare(draft.expiresAt, now) <= 0) {
    return { ok: false, error: "expiry-in-past" };
  }
  const refused =
    draft.incident == null ? null : await tagRefusal(deps.db, group, draft.incident, now);
  if (refused !== null) return { ok: false, error: refused };
  const proposal: Proposal = {
    id: newId(now.epochMilliseconds),
    groupId: group.id,
    purpose,
    ...draft,
    incident: draft.incident ?? null,
    status: "open",
    pledgedAmount: "0",
    previousId: links.previousId,
    createdAt: now,
    updatedAt: now,
  };
  await deps.db.transaction().execute(async (trx) => {
    await insertProposal(trx, proposal);
    await insertPendingActivity(trx, proposal.id, "create", now);
    await alongside?.(trx, proposal);
  });
  await relayAfterCommit(deps);
  return { ok: true, proposal };
}

export type EditResult =
  | { ok: true; proposal: Proposal }
  | { ok: false; error: ChangeError | { type: "conflict" } | { type: IncidentRefusal } };

/**
 * Applies an edit. A new incident tag is checked as at creation; the tag the
 * need already carries stays through edits (status changes included) after
 * its incident closed or ended, so the incident's board keeps its record.
 */
export async function editProposal(
  deps: ProposalDeps,
  proposal: Proposal,
  changes: ProposalChanges,
): Promise<EditResult> {
  if (changes.incident != null && changes.incident !== proposal.incident) {
    const group = await findGroupById(deps.db, proposal.groupId);
    const refused =
      group === null
        ? "incident-not-allowed"
        : await tagRefusal(deps.db, group, changes.incident, deps.clock());
    if (refused !== null) return { ok: false, error: { type: refused } };
  }
  const result = applyChanges(proposal, changes, deps.clock());
  if (!result.ok) return result;
  if (!result.changed) return { ok: true, proposal };
  const ends =
    TERMINAL_STATUSES.has(result.proposal.status) && !TERMINAL_STATUSES.has(proposal.status);
  const stored = await deps.db.transaction().execute(async (trx) => {
    const updated = await updateProposal(trx, result.proposal, proposal.updatedAt);
    if (!updated) return false;
    await insertPendingActivity(trx, proposal.id, "update", result.proposal.updatedAt);
    await enqueueProposalStatusUpdates(
      trx,
      deps.urls,
      result.proposal,
      proposal.status,
      deps.clock(),
    );
    if (ends) {
      await declineWaitingAnswers(
        trx,
        proposal,
        result.proposal.status as Ending,
        result.proposal.updatedAt,
      );
    }
    return true;
  });
  if (!stored) return { ok: false, error: { type: "conflict" } };
  await relayAfterCommit(deps);
  return { ok: true, proposal: result.proposal };
}

export async function deleteProposal(deps: ProposalDeps, proposal: Proposal): Promise<boolean> {
  const now = laterThan(proposal.updatedAt, deps.clock());
  const deleted = await deps.db.transaction().execute(async (trx) => {
    const done = await markProposalDeleted(trx, proposal.id, now);
    if (!done) return false;
    await insertPendingActivity(trx, proposal.id, "delete", now);
    await declineWaitingAnswers(trx, proposal, "deleted", now);
    return true;
  });
  if (deleted) await relayAfterCommit(deps);
  return deleted;
}

/** Marks every proposal whose expiry has passed as expired, and federates the change. */
export async function expireDueProposals(deps: ProposalDeps): Promise<number> {
  const now = deps.clock();
  let expired = 0;
  for (const proposal of await listDueProposals(deps.db, now, 500)) {
    if (!isDue(proposal, now)) continue;
    const next: Proposal = {
      ...proposal,
      status: "expired",
      updatedAt: laterThan(proposal.updatedAt, now),
    };
    const stored = await deps.db.transaction().execute(async (trx) => {
      const updated = await updateProposal(trx, next, proposal.updatedAt);
      if (!updated) return false;
      await insertPendingActivity(trx, proposal.id, "update", next.updatedAt);
      await declineWaitingAnswers(trx, proposal, "expired", next.updatedAt);
      return true;
    });
    if (stored) expired++;
  }
  if (expired > 0) await relayAfterCommit(deps);
  return expired;
}

/**
 * The change is committed and its delivery recorded: a failure to queue it
 * now must not turn into an error for the coordinator (who might post the
 * need twice). The row stays and the periodic relay sends it later.
 */
async function relayAfterCommit(deps: ProposalDeps): Promise<void> {
  try {
    await relayPendingActivities(deps);
    if (deps.conversations !== undefined) {
      await relayPendingMessages({ db: deps.db, conversations: deps.conversations });
    }
  } catch (error) {
    logger.warn("Delivery will be queued later: {error}", { error });
  }
}

/**
 * Hands committed changes to the publisher (see drainOutbox). Runs after
 * every change and at startup, so rows left by a crash are sent on the next
 * start.
 */
export async function relayPendingActivities(deps: ProposalDeps): Promise<void> {
  await drainOutbox(deps.db, "pending_activities", {
    list: (limit) => listPendingActivities(deps.db, limit),
    send: (item) => relayOne(deps, item),
    remove: (id) => deletePendingActivity(deps.db, id),
  });
}

async function relayOne(
  deps: ProposalDeps,
  item: { proposalId: string; kind: "create" | "update" | "delete" },
): Promise<void> {
  const found = await findProposalIncludingDeleted(deps.db, item.proposalId);
  if (found === null) return;
  const group = await findGroupById(deps.db, found.proposal.groupId);
  if (group === null) return;
  // A row queued before a deletion must not resurrect the object remotely.
  if (found.deleted && item.kind !== "delete") return;
  try {
    if (item.kind === "create") await deps.publisher.created(group, found.proposal);
    else if (item.kind === "update") await deps.publisher.updated(group, found.proposal);
    else await deps.publisher.deleted(group, found.proposal);
  } catch (error) {
    logger.error("Could not queue the {kind} of {proposalId}: {error}", {
      kind: item.kind,
      proposalId: item.proposalId,
      error,
    });
    throw error;
  }
}

export type ReopenResult =
  | { ok: true; proposal: Proposal }
  | { ok: false; error: "still-open" | "expiry-in-past" };

/**
 * A need that ended (fulfilled, closed or expired) is posted again under a
 * new id, linked to the old one: remote copies keep tombstones and refuse a
 * reused id, and the old one's history stays true.
 */
export async function reopenProposal(
  deps: ProposalDeps,
  group: Group,
  previous: Proposal,
  expiresAt: Temporal.Instant | null,
): Promise<ReopenResult> {
  if (!TERMINAL_STATUSES.has(previous.status)) return { ok: false, error: "still-open" };
  const draft: ProposalDraft = {
    title: previous.title,
    description: previous.description,
    category: previous.category,
    quantity: previous.quantity,
    location: previous.location,
    urgency: previous.urgency,
    expiresAt,
    audience: previous.audience,
    contact: previous.contact,
    // It stays on the incident's board while the group may still tag it.
    incident:
      previous.incident != null &&
      (await tagRefusal(deps.db, group, previous.incident, deps.clock())) === null
        ? previous.incident
        : null,
  };
  const result = await createProposal(deps, group, previous.purpose, draft, {
    previousId: previous.id,
  });
  // The tag was checked just above; only the expiry can still be refused.
  return result.ok ? result : { ok: false, error: "expiry-in-past" };
}
