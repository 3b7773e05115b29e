import { getLogger } from "@logtape/logtape";
import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { findGroupById } from "../db/groups.repo.ts";
import {
  findIncident,
  findParticipant,
  insertIncident,
  type StoredIncident,
  storeIncidentCopy,
  updateOwnIncident,
  upsertParticipant,
} from "../db/incidents.repo.ts";
import {
  deletePendingIncidentMessage,
  insertPendingIncidentMessage,
  listPendingIncidentMessages,
  type PendingIncidentMessage,
} from "../db/pending-incident-messages.repo.ts";
import type { Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import {
  closeIncident,
  type IncidentDraft,
  type IncidentProblem,
  validateIncident,
} from "../domain/incident.ts";
import { drainOutbox } from "./outbox-relay.ts";
import type { Clock, IncidentGateway } from "./ports.ts";

const logger = getLogger(["bayanihan", "incidents"]);

export interface IncidentDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly incidents: IncidentGateway;
  /** The instance's federation policy for a remote actor or object URL. */
  readonly isAllowed: (url: URL) => Promise<boolean>;
  readonly actorIdOf: (group: Group) => string;
  /** The object id our incident `id` is published under. */
  readonly incidentObjectIdOf: (id: string) => string;
  /** Our incident's id when `objectId` is one of ours, else null. */
  readonly localIncidentIdOf: (objectId: URL) => string | null;
}

export type OpenResult =
  | { readonly ok: true; readonly incident: StoredIncident }
  | { readonly ok: false; readonly problems: readonly IncidentProblem[] };

/** A coordinator opens an incident for their group. */
export async function openIncident(
  deps: IncidentDeps,
  group: Group,
  input: IncidentDraft,
): Promise<OpenResult> {
  const validation = validateIncident(input);
  if (!validation.ok) return validation;
  const now = deps.clock();
  const id = newId(now.epochMilliseconds);
  const incident: StoredIncident = {
    ...validation.draft,
    id,
    objectId: deps.incidentObjectIdOf(id),
    ownerActorId: deps.actorIdOf(group),
    ownerInboxUrl: null,
    participantsUrl: null,
    groupId: group.id,
    status: "open",
    createdAt: now,
    updatedAt: now,
  };
  await insertIncident(deps.db, incident);
  return { ok: true, incident };
}

export type CloseOwnResult =
  | { readonly ok: true; readonly incident: StoredIncident }
  | { readonly ok: false; readonly error: "not-owner" | "already-closed" | "conflict" };

/** Closes one of our incidents and tells its participants and the group's followers. */
export async function closeOwnIncident(
  deps: IncidentDeps,
  incident: StoredIncident,
): Promise<CloseOwnResult> {
  if (incident.groupId === null) return { ok: false, error: "not-owner" };
  const group = await findGroupById(deps.db, incident.groupId);
  if (group === null) return { ok: false, error: "not-owner" };
  const closed = closeIncident(incident, deps.clock());
  if (!closed.ok) return closed;
  const next: StoredIncident = { ...incident, ...closed.incident };
  // The close and the Update every copy needs commit together.
  const changed = await deps.db.transaction().execute(async (trx) => {
    if (!(await updateOwnIncident(trx, next, incident.updatedAt))) return false;
    await insertPendingIncidentMessage(
      trx,
      { kind: "update", incidentId: next.id, groupId: group.id },
      next.updatedAt,
    );
    return true;
  });
  if (!changed) return { ok: false, error: "conflict" };
  await relayAfterCommit(deps);
  return { ok: true, incident: next };
}

export type JoinResult =
  | {
      readonly ok: true;
      readonly incident: StoredIncident;
      readonly state: "pending" | "accepted";
    }
  | {
      readonly ok: false;
      readonly error: "not-found" | "not-incident" | "refused" | "closed" | "own" | "conflict";
    };

/**
 * Our group joins another group's incident: the incident is fetched from its
 * origin (a copy someone sent is never trusted), stored, and a Join goes to
 * its owner; the owner's Accept makes the participation accepted
 * (federation/inbox/incidents.ts). An incident of another group on this
 * instance is joined at once, without federation.
 */
export async function joinIncident(
  deps: IncidentDeps,
  group: Group,
  objectId: URL,
): Promise<JoinResult> {
  const now = deps.clock();
  const actorId = deps.actorIdOf(group);
  const localId = deps.localIncidentIdOf(objectId);
  if (localId !== null) {
    const incident = await findIncident(deps.db, localId);
    if (incident === null || incident.groupId === null) return { ok: false, error: "not-found" };
    if (incident.groupId === group.id) return { ok: false, error: "own" };
    if (incident.status !== "open") return { ok: false, error: "closed" };
    await upsertParticipant(
      deps.db,
      {
        incidentId: incident.id,
        actorId,
        groupId: group.id,
        inboxUrl: null,
        sharedInboxUrl: null,
        state: "accepted",
        joinActivityId: null,
      },
      now,
    );
    return { ok: true, incident, state: "accepted" };
  }
  if (!(await deps.isAllowed(objectId))) return { ok: false, error: "refused" };
  const fetched = await deps.incidents.fetchIncident(group, objectId.href);
  if (!fetched.ok) return fetched;
  const remote = fetched.incident;
  if (!(await deps.isAllowed(new URL(remote.ownerActorId)))) {
    return { ok: false, error: "refused" };
  }
  if (remote.status !== "open") return { ok: false, error: "closed" };
  const stored = await storeIncidentCopy(deps.db, { ...remote, id: newId(), groupId: null });
  if (stored === null) return { ok: false, error: "conflict" };
  const existing = await findParticipant(deps.db, stored.id, actorId);
  if (existing?.state === "accepted") return { ok: true, incident: stored, state: "accepted" };
  const joinActivityId = existing?.joinActivityId ?? `${actorId}#joins/${newId()}`;
  // The pending participation and its Join commit together; asking again
  // sends the same Join (same id) again.
  await deps.db.transaction().execute(async (trx) => {
    await upsertParticipant(
      trx,
      {
        incidentId: stored.id,
        actorId,
        groupId: group.id,
        inboxUrl: null,
        sharedInboxUrl: null,
        state: "pending",
        joinActivityId,
      },
      now,
    );
    await insertPendingIncidentMessage(
      trx,
      { kind: "join", incidentId: stored.id, groupId: group.id },
      now,
    );
  });
  await relayAfterCommit(deps);
  return { ok: true, incident: stored, state: "pending" };
}

export type IncidentRelayDeps = Pick<IncidentDeps, "db" | "incidents" | "actorIdOf">;

async function relayAfterCommit(deps: IncidentRelayDeps): Promise<void> {
  try {
    await relayPendingIncidentMessages(deps);
  } catch (error) {
    // Committed: the periodic relay (and the next start) sends it.
    logger.warn("Incident messages will be queued later: {error}", { error });
  }
}

/**
 * Hands committed incident messages (Joins, Updates of our incidents) to the
 * gateway (see drainOutbox): after each decision, periodically and at startup.
 */
export async function relayPendingIncidentMessages(deps: IncidentRelayDeps): Promise<void> {
  await drainOutbox(deps.db, "pending_incident_messages", {
    list: (limit) => listPendingIncidentMessages(deps.db, limit),
    send: (message) => relayOne(deps, message),
    remove: (id) => deletePendingIncidentMessage(deps.db, id),
  });
}

async function relayOne(deps: IncidentRelayDeps, message: PendingIncidentMessage): Promise<void> {
  const incident = await findIncident(deps.db, message.incidentId);
  const group = await findGroupById(deps.db, message.groupId);
  if (incident === null || group === null) return;
  if (message.kind === "update") {
    // The current version: a later change superseding this one goes out once.
    if (incident.groupId === group.id) await deps.incidents.updated(group, incident);
    return;
  }
  const participant = await findParticipant(deps.db, incident.id, deps.actorIdOf(group));
  // Answered meanwhile, or the copy lost its owner's inbox: nothing to ask.
  if (participant?.state !== "pending" || participant.joinActivityId === null) return;
  if (incident.ownerInboxUrl === null) return;
  await deps.incidents.join(
    group,
    {
      objectId: incident.objectId,
      ownerActorId: incident.ownerActorId,
      ownerInboxUrl: incident.ownerInboxUrl,
    },
    participant.joinActivityId,
  );
}
