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
import type { Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import {
  closeIncident,
  type IncidentDraft,
  type IncidentProblem,
  validateIncident,
} from "../domain/incident.ts";
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
  if (!(await updateOwnIncident(deps.db, next, incident.updatedAt))) {
    return { ok: false, error: "conflict" };
  }
  try {
    await deps.incidents.updated(group, next);
  } catch (error) {
    // Closed here either way; copies keep showing it open until the next
    // change reaches them (there is no outbox for incidents yet).
    logger.warn("Could not queue the Update of incident {id}: {error}", { id: next.id, error });
  }
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
  await upsertParticipant(
    deps.db,
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
  await deps.incidents.join(
    group,
    {
      objectId: stored.objectId,
      ownerActorId: stored.ownerActorId,
      ownerInboxUrl: remote.ownerInboxUrl,
    },
    joinActivityId,
  );
  return { ok: true, incident: stored, state: "pending" };
}
