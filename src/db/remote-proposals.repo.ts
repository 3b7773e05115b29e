import { type Kysely, type Selectable, sql } from "kysely";
import type { CategorySlug } from "../domain/categories.ts";
import type { NearQuery } from "../domain/near.ts";
import type { ProposalStatus, Purpose, Urgency } from "../domain/proposal.ts";
import type {
  RemoteKind,
  RemoteProposal,
  StoredRemoteProposal,
} from "../domain/remote-proposal.ts";
import type { Unit } from "../domain/units.ts";
import type { Database, RemoteProposalsTable } from "./database.ts";
import { type DistanceCursor, type NearColumns, selectNearest } from "./near.ts";
import { normalizeDecimal } from "./proposals.repo.ts";
import { toDate, toInstant, toInstantOrNull } from "./time.ts";

/**
 * Needs, offers and plain posts received from other instances
 * (`remote_proposals`), who re-shared them (`remote_shares`), and the
 * `following` lookups that decide what is received at all.
 */

export function toStored(
  row: Selectable<RemoteProposalsTable>,
  sharedBy: readonly string[],
): StoredRemoteProposal {
  return {
    id: row.id,
    objectId: row.object_id,
    originActorId: row.origin_actor_id,
    originActorName: row.origin_actor_name,
    originActorHandle: row.origin_actor_handle,
    kind: row.kind,
    purpose: row.purpose,
    title: row.title,
    summaryText: row.summary_text,
    category: row.category as CategorySlug | null,
    categoryUri: row.category_uri,
    quantity:
      row.quantity_amount === null || row.quantity_unit === null
        ? null
        : { amount: normalizeDecimal(row.quantity_amount), unit: row.quantity_unit as Unit },
    remainingAmount: row.remaining_amount === null ? null : normalizeDecimal(row.remaining_amount),
    quantityStep: row.quantity_step === null ? null : normalizeDecimal(row.quantity_step),
    intentId: row.intent_id,
    location:
      row.location_name === null
        ? null
        : { name: row.location_name, latitude: row.latitude, longitude: row.longitude },
    urgency: row.urgency,
    status: row.status,
    expiresAt: toInstantOrNull(row.expires_at),
    url: row.url,
    publishedAt: toInstant(row.published_at),
    updatedAt: toInstant(row.remote_updated_at),
    receivedAt: toInstant(row.received_at),
    incident: row.incident_object_id,
    confirmedAt: toInstant(row.confirmed_at),
    stale: row.stale,
    sharedBy,
  };
}

export type StoreOutcome = "inserted" | "updated" | "unchanged";

/**
 * Stores a fetched object, one row per object id. An existing row changes
 * only when the new reading is strictly newer (`updated`) and comes from the
 * same author: replays, reordered deliveries and stale copies change
 * nothing. Returns the row id and what happened. Whatever happened, the
 * origin has just answered for the copy: it is confirmed now, reachable and
 * not stale (the reconciliation job reads these).
 */
export async function storeRemoteProposal(
  db: Kysely<Database>,
  value: RemoteProposal,
  id: string,
  now: Temporal.Instant,
): Promise<{ id: string; outcome: StoreOutcome } | null> {
  const row = {
    object_id: value.objectId,
    origin_actor_id: value.originActorId,
    origin_actor_name: value.originActorName ?? null,
    origin_actor_handle: value.originActorHandle ?? null,
    kind: value.kind,
    purpose: value.purpose,
    title: value.title,
    summary_text: value.summaryText,
    category: value.category,
    category_uri: value.categoryUri,
    quantity_amount: value.quantity?.amount ?? null,
    quantity_unit: value.quantity?.unit ?? null,
    remaining_amount: value.remainingAmount,
    quantity_step: value.quantityStep,
    intent_id: value.intentId,
    location_name: value.location?.name ?? null,
    latitude: value.location?.latitude ?? null,
    longitude: value.location?.longitude ?? null,
    urgency: value.urgency,
    status: value.status,
    expires_at: value.expiresAt === null ? null : toDate(value.expiresAt),
    url: value.url,
    published_at: toDate(value.publishedAt),
    remote_updated_at: toDate(value.updatedAt),
    received_at: toDate(now),
    incident_object_id: value.incident ?? null,
    ...confirmedBy(now),
  };
  const written = await db
    .insertInto("remote_proposals")
    .values({ id, ...row })
    .onConflict((oc) =>
      oc
        .column("object_id")
        .doUpdateSet(() => {
          const { object_id: _o, origin_actor_id: _a, published_at: _p, ...changes } = row;
          return changes;
        })
        .where("remote_proposals.origin_actor_id", "=", value.originActorId)
        .where("remote_proposals.remote_updated_at", "<", toDate(value.updatedAt)),
    )
    .returning(["id", sql<boolean>`(xmax = 0)`.as("inserted")])
    .executeTakeFirst();
  if (written !== undefined) {
    return { id: written.id, outcome: written.inserted ? "inserted" : "updated" };
  }
  const existing = await db
    .updateTable("remote_proposals")
    .set(confirmedBy(now))
    .where("object_id", "=", value.objectId)
    .where("origin_actor_id", "=", value.originActorId)
    .returning("id")
    .executeTakeFirst();
  if (existing === undefined) return null;
  return { id: existing.id, outcome: "unchanged" };
}

/** The columns saying the origin answered for a copy at `now`. */
function confirmedBy(now: Temporal.Instant) {
  return {
    confirmed_at: toDate(now),
    checked_at: toDate(now),
    unreachable_since: null,
    stale: false,
  };
}

export async function findRemoteProposal(
  db: Kysely<Database>,
  objectId: string,
): Promise<StoredRemoteProposal | null> {
  const row = await db
    .selectFrom("remote_proposals")
    .selectAll()
    .where("object_id", "=", objectId)
    .executeTakeFirst();
  if (row === undefined) return null;
  const shares = await db
    .selectFrom("remote_shares")
    .select("sharer_actor_id")
    .where("remote_proposal_id", "=", row.id)
    .orderBy("shared_at")
    .execute();
  return toStored(
    row,
    shares.map((s) => s.sharer_actor_id),
  );
}

/** Deletes an object if `actorId` is its author; its shares go with it. */
export async function deleteRemoteProposal(
  db: Kysely<Database>,
  objectId: string,
  actorId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom("remote_proposals")
    .where("object_id", "=", objectId)
    .where("origin_actor_id", "=", actorId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/**
 * Deletes our copy of an object its origin says is gone (404, 410 or a
 * Tombstone, read from the origin itself): whoever told us, the origin has
 * the last word. Its shares go with it.
 */
export async function deleteRemoteCopy(db: Kysely<Database>, objectId: string): Promise<boolean> {
  const result = await db
    .deleteFrom("remote_proposals")
    .where("object_id", "=", objectId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Records (or refreshes) that `sharerActorId` announced the object; one row per sharer. */
export async function addRemoteShare(
  db: Kysely<Database>,
  share: { remoteProposalId: string; sharerActorId: string; announceId: string },
  now: Temporal.Instant,
): Promise<void> {
  await db
    .insertInto("remote_shares")
    .values({
      remote_proposal_id: share.remoteProposalId,
      sharer_actor_id: share.sharerActorId,
      announce_id: share.announceId,
      shared_at: toDate(now),
    })
    .onConflict((oc) =>
      oc.columns(["remote_proposal_id", "sharer_actor_id"]).doUpdateSet((eb) => ({
        announce_id: eb.ref("excluded.announce_id"),
      })),
    )
    .execute();
}

/** Undo(Announce): only the sharer can withdraw its own share. */
export async function removeRemoteShare(
  db: Kysely<Database>,
  sharerActorId: string,
  announceId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom("remote_shares")
    .where("sharer_actor_id", "=", sharerActorId)
    .where("announce_id", "=", announceId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export interface NetworkFilter {
  readonly groupId: string;
  /** Given: needs or offers only (plain posts have no purpose). */
  readonly purpose?: Purpose | undefined;
  readonly status?: ProposalStatus | undefined;
  /** Any of these statuses (the open-data exports list open and pledged together). */
  readonly statuses?: readonly ProposalStatus[] | undefined;
  readonly category?: CategorySlug | undefined;
  readonly urgency?: Urgency | undefined;
  readonly kind?: RemoteKind | undefined;
}

export interface NetworkPageQuery extends NetworkFilter {
  readonly limit: number;
  /** Keyset cursor: the last row of the previous page. */
  readonly after?: { readonly publishedAt: Temporal.Instant; readonly id: string } | undefined;
}

function followedBy(db: Kysely<Database>, groupId: string) {
  return db
    .selectFrom("following")
    .select("following.actor_id")
    .where("following.group_id", "=", groupId)
    .where("following.state", "=", "accepted");
}

/**
 * What a group's network feed holds, filtered, without order: objects whose
 * author the group follows (accepted), and objects a group it follows
 * re-shared.
 */
function filteredNetwork(db: Kysely<Database>, q: NetworkFilter) {
  const followed = followedBy(db, q.groupId);
  let query = db
    .selectFrom("remote_proposals")
    .selectAll("remote_proposals")
    .where((eb) =>
      eb.or([
        eb("remote_proposals.origin_actor_id", "in", followed),
        eb.exists(
          eb
            .selectFrom("remote_shares")
            .select("remote_shares.remote_proposal_id")
            .whereRef("remote_shares.remote_proposal_id", "=", "remote_proposals.id")
            .where("remote_shares.sharer_actor_id", "in", followed),
        ),
      ]),
    );
  if (q.kind !== undefined) query = query.where("remote_proposals.kind", "=", q.kind);
  if (q.purpose !== undefined) query = query.where("remote_proposals.purpose", "=", q.purpose);
  if (q.status !== undefined) query = query.where("remote_proposals.status", "=", q.status);
  if (q.statuses !== undefined) {
    // An empty list matches nothing (not everything, as leaving it out would).
    query =
      q.statuses.length === 0
        ? query.where(sql<boolean>`false`)
        : query.where("remote_proposals.status", "in", [...q.statuses]);
  }
  if (q.category !== undefined) query = query.where("remote_proposals.category", "=", q.category);
  if (q.urgency !== undefined) query = query.where("remote_proposals.urgency", "=", q.urgency);
  return query;
}

/**
 * A group's network feed, newest first. Each object once, with the followed
 * groups that shared it. Keyset-paginated.
 */
export async function listNetwork(
  db: Kysely<Database>,
  q: NetworkPageQuery,
): Promise<StoredRemoteProposal[]> {
  let query = filteredNetwork(db, q);
  if (q.after !== undefined) {
    const publishedAt = toDate(q.after.publishedAt);
    query = query.where(
      sql<boolean>`(remote_proposals.published_at, remote_proposals.id) < (${publishedAt}, ${q.after.id})`,
    );
  }
  const rows = await query
    .orderBy("remote_proposals.published_at", "desc")
    .orderBy("remote_proposals.id", "desc")
    .limit(q.limit)
    .execute();
  const sharedBy = await sharersOf(db, q.groupId, rows);
  return rows.map((row) => toStored(row, sharedBy.get(row.id) ?? []));
}

/**
 * Received objects carry no "exact" mark: their point is measured rounded,
 * as matching does, whatever precision the origin sent.
 */
export const REMOTE_PLACE: NearColumns = {
  latitude: "remote_proposals.latitude",
  longitude: "remote_proposals.longitude",
  exact: null,
};

export interface NearbyNetworkPageQuery extends NetworkFilter {
  readonly near: NearQuery;
  readonly limit: number;
  /** Keyset cursor in distance order: the last row of the previous page. */
  readonly after?: DistanceCursor | undefined;
}

export interface NearbyRemoteProposal {
  readonly item: StoredRemoteProposal;
  /** Full precision, to the rounded point: round it to show it, keep it for the cursor. */
  readonly distanceKm: number;
}

/** The network feed's located objects within `near.km`, nearest first. */
export async function listNearbyNetwork(
  db: Kysely<Database>,
  q: NearbyNetworkPageQuery,
): Promise<NearbyRemoteProposal[]> {
  const rows = await selectNearest(db, filteredNetwork(db, q), REMOTE_PLACE, q.near, q);
  const sharedBy = await sharersOf(db, q.groupId, rows);
  return rows.map((row) => ({
    item: toStored(row, sharedBy.get(row.id) ?? []),
    distanceKm: row.distance_km,
  }));
}

/** Which of the group's followed actors re-shared each row, oldest share first. */
async function sharersOf(
  db: Kysely<Database>,
  groupId: string,
  rows: readonly { id: string }[],
): Promise<Map<string, string[]>> {
  const sharedBy = new Map<string, string[]>();
  if (rows.length === 0) return sharedBy;
  const shares = await db
    .selectFrom("remote_shares")
    .select(["remote_shares.remote_proposal_id", "remote_shares.sharer_actor_id"])
    .where(
      "remote_shares.remote_proposal_id",
      "in",
      rows.map((r) => r.id),
    )
    .where("remote_shares.sharer_actor_id", "in", followedBy(db, groupId))
    .orderBy("remote_shares.shared_at")
    .orderBy("remote_shares.sharer_actor_id")
    .execute();
  for (const share of shares) {
    const list = sharedBy.get(share.remote_proposal_id) ?? [];
    list.push(share.sharer_actor_id);
    sharedBy.set(share.remote_proposal_id, list);
  }
  return sharedBy;
}

/**
 * Records an incident tag on the version already held, when it arrived
 * earlier by a path that could not vouch for the tag (a follow, before the
 * author was known as a participant). Never replaces another tag.
 */
export async function addIncidentTag(
  db: Kysely<Database>,
  objectId: string,
  originActorId: string,
  incidentObjectId: string,
): Promise<boolean> {
  const result = await db
    .updateTable("remote_proposals")
    .set({ incident_object_id: incidentObjectId })
    .where("object_id", "=", objectId)
    .where("origin_actor_id", "=", originActorId)
    .where("incident_object_id", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The incident tag the stored copy of `objectId` by `originActorId` carries, if any. */
export async function findHeldIncidentTag(
  db: Kysely<Database>,
  objectId: string,
  originActorId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("remote_proposals")
    .select("incident_object_id")
    .where("object_id", "=", objectId)
    .where("origin_actor_id", "=", originActorId)
    .executeTakeFirst();
  return row?.incident_object_id ?? null;
}
