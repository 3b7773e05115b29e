import { type Kysely, type Selectable, sql } from "kysely";
import type { Incident, IncidentArea } from "../domain/incident.ts";
import type { Database, IncidentParticipantsTable, IncidentsTable } from "./database.ts";
import { StatementBatcher } from "./statement-batcher.ts";
import { toDate, toInstant, toInstantOrNull } from "./time.ts";

/**
 * Incidents (`incidents`: ours and copies of other instances') and who
 * joined them (`incident_participants`).
 */

export interface IncidentParticipant {
  readonly incidentId: string;
  readonly actorId: string;
  /** Set when the participant is one of our groups. */
  readonly groupId: string | null;
  readonly inboxUrl: string | null;
  readonly sharedInboxUrl: string | null;
  readonly state: "pending" | "accepted";
  readonly joinActivityId: string | null;
  readonly createdAt: Temporal.Instant;
  readonly updatedAt: Temporal.Instant;
}

/** An incident with where a copy's owner is reached and its participants listed. */
export interface StoredIncident extends Incident {
  readonly ownerInboxUrl: string | null;
  readonly participantsUrl: string | null;
}

function toArea(row: Selectable<IncidentsTable>): IncidentArea {
  if (row.area_kind === "circle") {
    return {
      kind: "circle",
      center: { latitude: row.center_latitude ?? 0, longitude: row.center_longitude ?? 0 },
      radiusKm: row.radius_km ?? 0,
    };
  }
  return {
    kind: "bbox",
    south: row.south ?? 0,
    west: row.west ?? 0,
    north: row.north ?? 0,
    east: row.east ?? 0,
  };
}

function toIncident(row: Selectable<IncidentsTable>): StoredIncident {
  return {
    id: row.id,
    objectId: row.object_id,
    ownerActorId: row.owner_actor_id,
    ownerInboxUrl: row.owner_inbox_url,
    participantsUrl: row.participants_url,
    groupId: row.group_id,
    name: row.name,
    description: row.description,
    area: toArea(row),
    startsAt: toInstant(row.starts_at),
    endsAt: toInstantOrNull(row.ends_at),
    status: row.status,
    createdAt: toInstant(row.created_at),
    updatedAt: toInstant(row.updated_at),
  };
}

function areaColumns(area: IncidentArea) {
  const none = {
    center_latitude: null,
    center_longitude: null,
    radius_km: null,
    south: null,
    west: null,
    north: null,
    east: null,
  };
  return area.kind === "circle"
    ? {
        ...none,
        area_kind: "circle" as const,
        center_latitude: area.center.latitude,
        center_longitude: area.center.longitude,
        radius_km: area.radiusKm,
      }
    : {
        ...none,
        area_kind: "bbox" as const,
        south: area.south,
        west: area.west,
        north: area.north,
        east: area.east,
      };
}

function toRow(incident: StoredIncident) {
  return {
    id: incident.id,
    object_id: incident.objectId,
    owner_actor_id: incident.ownerActorId,
    owner_inbox_url: incident.ownerInboxUrl,
    participants_url: incident.participantsUrl,
    group_id: incident.groupId,
    name: incident.name,
    description: incident.description,
    ...areaColumns(incident.area),
    starts_at: toDate(incident.startsAt),
    ends_at: incident.endsAt === null ? null : toDate(incident.endsAt),
    status: incident.status,
    created_at: toDate(incident.createdAt),
    updated_at: toDate(incident.updatedAt),
  };
}

function toParticipant(row: Selectable<IncidentParticipantsTable>): IncidentParticipant {
  return {
    incidentId: row.incident_id,
    actorId: row.actor_id,
    groupId: row.group_id,
    inboxUrl: row.inbox_url,
    sharedInboxUrl: row.shared_inbox_url,
    state: row.state,
    joinActivityId: row.join_activity_id,
    createdAt: toInstant(row.created_at),
    updatedAt: toInstant(row.updated_at),
  };
}

export async function insertIncident(
  db: Kysely<Database>,
  incident: StoredIncident,
): Promise<void> {
  await db.insertInto("incidents").values(toRow(incident)).execute();
}

export async function findIncident(
  db: Kysely<Database>,
  id: string,
): Promise<StoredIncident | null> {
  const row = await db.selectFrom("incidents").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? null : toIncident(row);
}

export async function findIncidentByObjectId(
  db: Kysely<Database>,
  objectId: string,
): Promise<StoredIncident | null> {
  const row = await db
    .selectFrom("incidents")
    .selectAll()
    .where("object_id", "=", objectId)
    .executeTakeFirst();
  return row === undefined ? null : toIncident(row);
}

/**
 * The incidents known by these object ids (a need's tag), by object id;
 * an id with no stored incident is absent.
 */
export async function findIncidentsByObjectIds(
  db: Kysely<Database>,
  objectIds: readonly string[],
): Promise<Map<string, StoredIncident>> {
  const unique = [...new Set(objectIds)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .selectFrom("incidents")
    .selectAll()
    .where("object_id", "in", unique)
    .execute();
  return new Map(rows.map((row) => [row.object_id, toIncident(row)]));
}

/**
 * Open incidents not past their end that one of our groups opened or takes
 * part in (accepted) — with `groupId`, that group — latest start first.
 */
export async function listActiveIncidents(
  db: Kysely<Database>,
  scope: { readonly groupId?: string },
  now: Temporal.Instant,
  limit: number,
): Promise<StoredIncident[]> {
  const rows = await db
    .selectFrom("incidents")
    .selectAll()
    .where("status", "=", "open")
    .where((eb) => eb.or([eb("ends_at", "is", null), eb("ends_at", ">", toDate(now))]))
    .where((eb) => {
      const participation = eb
        .selectFrom("incident_participants")
        .select("incident_participants.incident_id")
        .whereRef("incident_participants.incident_id", "=", "incidents.id")
        .where("incident_participants.state", "=", "accepted");
      return scope.groupId === undefined
        ? eb.or([
            eb("group_id", "is not", null),
            eb.exists(participation.where("incident_participants.group_id", "is not", null)),
          ])
        : eb.or([
            eb("group_id", "=", scope.groupId),
            eb.exists(participation.where("incident_participants.group_id", "=", scope.groupId)),
          ]);
    })
    .orderBy("starts_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map(toIncident);
}

/** Changes our own incident, if nobody changed it since it was read. */
export async function updateOwnIncident(
  db: Kysely<Database>,
  incident: StoredIncident,
  expectedUpdatedAt: Temporal.Instant,
): Promise<boolean> {
  const {
    id: _i,
    object_id: _o,
    owner_actor_id: _a,
    group_id: _g,
    created_at: _c,
    ...changes
  } = toRow(incident);
  const result = await db
    .updateTable("incidents")
    .set(changes)
    .where("id", "=", incident.id)
    .where("updated_at", "=", toDate(expectedUpdatedAt))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Stores a copy of another instance's incident, one row per object id. An
 * existing copy changes only for a strictly newer `updated` from the same
 * owner. Returns the stored row (new, changed or as it was), or null when
 * another owner holds this id.
 */
export async function storeIncidentCopy(
  db: Kysely<Database>,
  copy: StoredIncident,
): Promise<StoredIncident | null> {
  const row = toRow({ ...copy, groupId: null });
  const {
    id: _i,
    object_id: _o,
    owner_actor_id: _a,
    group_id: _g,
    created_at: _c,
    ...changes
  } = row;
  await db
    .insertInto("incidents")
    .values(row)
    .onConflict((oc) =>
      oc
        .column("object_id")
        .doUpdateSet(changes)
        .where("incidents.owner_actor_id", "=", copy.ownerActorId)
        .where("incidents.group_id", "is", null)
        .where("incidents.updated_at", "<", toDate(copy.updatedAt)),
    )
    .execute();
  const stored = await findIncidentByObjectId(db, copy.objectId);
  return stored === null || stored.ownerActorId !== copy.ownerActorId ? null : stored;
}

/** A group's own incidents and those it joined, newest first (at most `limit`). */
export async function listGroupIncidents(
  db: Kysely<Database>,
  groupId: string,
  limit: number,
): Promise<StoredIncident[]> {
  const rows = await db
    .selectFrom("incidents")
    .selectAll()
    .where((eb) =>
      eb.or([
        eb("group_id", "=", groupId),
        eb.exists(
          eb
            .selectFrom("incident_participants")
            .select("incident_participants.incident_id")
            .whereRef("incident_participants.incident_id", "=", "incidents.id")
            .where("incident_participants.group_id", "=", groupId),
        ),
      ]),
    )
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map(toIncident);
}

export async function upsertParticipant(
  db: Kysely<Database>,
  participant: Omit<IncidentParticipant, "createdAt" | "updatedAt">,
  now: Temporal.Instant,
): Promise<void> {
  await db
    .insertInto("incident_participants")
    .values({
      incident_id: participant.incidentId,
      actor_id: participant.actorId,
      group_id: participant.groupId,
      inbox_url: participant.inboxUrl,
      shared_inbox_url: participant.sharedInboxUrl,
      state: participant.state,
      join_activity_id: participant.joinActivityId,
      created_at: toDate(now),
      updated_at: toDate(now),
    })
    .onConflict((oc) =>
      oc.columns(["incident_id", "actor_id"]).doUpdateSet({
        group_id: participant.groupId,
        inbox_url: participant.inboxUrl,
        shared_inbox_url: participant.sharedInboxUrl,
        state: participant.state,
        join_activity_id: participant.joinActivityId,
        updated_at: toDate(now),
      }),
    )
    .execute();
}

export async function listParticipants(
  db: Kysely<Database>,
  incidentId: string,
  state?: "pending" | "accepted",
): Promise<IncidentParticipant[]> {
  let query = db
    .selectFrom("incident_participants")
    .selectAll()
    .where("incident_id", "=", incidentId);
  if (state !== undefined) query = query.where("state", "=", state);
  const rows = await query.orderBy("created_at").orderBy("actor_id").execute();
  return rows.map(toParticipant);
}

export async function findParticipant(
  db: Kysely<Database>,
  incidentId: string,
  actorId: string,
): Promise<IncidentParticipant | null> {
  const row = await db
    .selectFrom("incident_participants")
    .selectAll()
    .where("incident_id", "=", incidentId)
    .where("actor_id", "=", actorId)
    .executeTakeFirst();
  return row === undefined ? null : toParticipant(row);
}

/**
 * Our group's Join was answered by the incident's owner: accepted, or (a
 * Reject) forgotten. Matched by the Join id and the owner, so nobody else
 * can answer it. Returns the incident whose participation matched, or null.
 */
export async function answerJoin(
  db: Kysely<Database>,
  joinActivityId: string,
  ownerActorId: string,
  accepted: boolean,
  now: Temporal.Instant,
): Promise<{ incidentId: string } | null> {
  const participation = await db
    .selectFrom("incident_participants")
    .innerJoin("incidents", "incidents.id", "incident_participants.incident_id")
    .select(["incident_participants.incident_id", "incident_participants.actor_id"])
    .where("incident_participants.join_activity_id", "=", joinActivityId)
    .where("incident_participants.group_id", "is not", null)
    .where("incidents.owner_actor_id", "=", ownerActorId)
    .executeTakeFirst();
  if (participation === undefined) return null;
  if (accepted) {
    await db
      .updateTable("incident_participants")
      .set({ state: "accepted", updated_at: toDate(now) })
      .where("incident_id", "=", participation.incident_id)
      .where("actor_id", "=", participation.actor_id)
      .execute();
  } else {
    await db
      .deleteFrom("incident_participants")
      .where("incident_id", "=", participation.incident_id)
      .where("actor_id", "=", participation.actor_id)
      .execute();
  }
  return { incidentId: participation.incident_id };
}

/**
 * Replaces what a copy knows of the other participants with the owner's
 * list (accepted ones only); our own groups' participations stay as they are.
 */
export async function replaceRemoteParticipants(
  db: Kysely<Database>,
  incidentId: string,
  actorIds: readonly string[],
  now: Temporal.Instant,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom("incident_participants")
      .where("incident_id", "=", incidentId)
      .where("group_id", "is", null)
      .execute();
    if (actorIds.length === 0) return;
    await trx
      .insertInto("incident_participants")
      .values(
        actorIds.map((actorId) => ({
          incident_id: incidentId,
          actor_id: actorId,
          group_id: null,
          inbox_url: null,
          shared_inbox_url: null,
          state: "accepted" as const,
          join_activity_id: null,
          created_at: toDate(now),
          updated_at: toDate(now),
        })),
      )
      .onConflict((oc) => oc.columns(["incident_id", "actor_id"]).doNothing())
      .execute();
  });
}

/**
 * The incidents that link `actorId` to one of our groups, so its tagged
 * needs are received although no group here follows it: incidents our group
 * owns that the actor joined (accepted), and incidents the actor owns that
 * our group joined (accepted). Each with the linking group's handle, which
 * signs the fetches.
 */
export async function findIncidentLinks(
  db: Kysely<Database>,
  actorId: string,
): Promise<{ incidentObjectId: string; handle: string }[]> {
  return (await findActorLinks(db, actorId)).incidents;
}

export interface ActorLinks {
  /**
   * The first (by handle, so the choice is stable) of our groups that
   * follows the actor. An asked follow counts: the followed group's first
   * Create can be handled before its Accept.
   */
  readonly followedBy: string | null;
  /** As `findIncidentLinks`, sorted by handle. */
  readonly incidents: { incidentObjectId: string; handle: string }[];
}

/**
 * Every way `actorId` is linked to one of our groups. Every activity in the
 * inbox from someone asks this first, and most come from actors nobody here
 * follows: the lookups a worker makes together are answered by one
 * statement (statement-batcher.ts).
 */
export function findActorLinks(db: Kysely<Database>, actorId: string): Promise<ActorLinks> {
  let reader = actorLinkReaders.get(db);
  if (reader === undefined) {
    reader = new StatementBatcher((actorIds) => findActorLinksOfMany(db, actorIds));
    actorLinkReaders.set(db, reader);
  }
  return reader.submit(actorId);
}

const actorLinkReaders = new WeakMap<Kysely<Database>, StatementBatcher<string, ActorLinks>>();

async function findActorLinksOfMany(
  db: Kysely<Database>,
  actorIds: readonly string[],
): Promise<ActorLinks[]> {
  const ids = [...new Set(actorIds)];
  const rows = await db
    .selectFrom("following")
    .innerJoin("groups", "groups.id", "following.group_id")
    .select([
      "following.actor_id as actor",
      sql<string | null>`NULL::text`.as("object_id"),
      "groups.handle",
    ])
    .where("following.actor_id", "in", ids)
    .where("following.state", "in", ["accepted", "pending"])
    .unionAll(
      db
        .selectFrom("incident_participants")
        .innerJoin("incidents", "incidents.id", "incident_participants.incident_id")
        .innerJoin("groups", "groups.id", "incidents.group_id")
        .select(["incident_participants.actor_id as actor", "incidents.object_id", "groups.handle"])
        .where("incident_participants.actor_id", "in", ids)
        .where("incident_participants.state", "=", "accepted"),
    )
    .unionAll(
      db
        .selectFrom("incidents")
        .innerJoin("incident_participants", "incident_participants.incident_id", "incidents.id")
        .innerJoin("groups", "groups.id", "incident_participants.group_id")
        .select(["incidents.owner_actor_id as actor", "incidents.object_id", "groups.handle"])
        .where("incidents.owner_actor_id", "in", ids)
        .where("incidents.group_id", "is", null)
        .where("incident_participants.state", "=", "accepted"),
    )
    .execute();
  const byHandle = (a: { handle: string }, b: { handle: string }) =>
    a.handle.localeCompare(b.handle);
  return actorIds.map((actorId) => {
    const own = rows.filter((r) => r.actor === actorId);
    const followers = own.filter((r) => r.object_id === null).sort(byHandle);
    return {
      followedBy: followers[0]?.handle ?? null,
      incidents: own
        .flatMap((r) =>
          r.object_id === null ? [] : [{ incidentObjectId: r.object_id, handle: r.handle }],
        )
        .sort(byHandle),
    };
  });
}

/** Whether our group owns the incident or has an accepted participation in it. */
export async function groupMayTag(
  db: Kysely<Database>,
  groupId: string,
  incident: Incident,
): Promise<boolean> {
  if (incident.groupId === groupId) return true;
  const row = await db
    .selectFrom("incident_participants")
    .select("actor_id")
    .where("incident_id", "=", incident.id)
    .where("group_id", "=", groupId)
    .where("state", "=", "accepted")
    .executeTakeFirst();
  return row !== undefined;
}
