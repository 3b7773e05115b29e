import { type Kysely, type Selectable, sql } from "kysely";
import type { CategorySlug } from "../domain/categories.ts";
import type { NearQuery } from "../domain/near.ts";
import type { Proposal, ProposalStatus, Purpose, Urgency } from "../domain/proposal.ts";
import type { Unit } from "../domain/units.ts";
import type { Database, ProposalsTable } from "./database.ts";
import { type DistanceCursor, type NearColumns, selectNearest } from "./near.ts";
import { toDate, toInstant, toInstantOrNull } from "./time.ts";

export function toProposal(row: Selectable<ProposalsTable>): Proposal {
  return {
    id: row.id,
    groupId: row.group_id,
    purpose: row.purpose,
    title: row.title,
    description: row.description,
    category: row.category as CategorySlug,
    quantity:
      row.quantity_amount === null || row.quantity_unit === null
        ? null
        : { amount: normalizeDecimal(row.quantity_amount), unit: row.quantity_unit as Unit },
    location:
      row.location_name === null
        ? null
        : {
            name: row.location_name,
            latitude: row.latitude,
            longitude: row.longitude,
            ...(row.location_exact ? { exact: true } : {}),
          },
    urgency: row.urgency,
    expiresAt: toInstantOrNull(row.expires_at),
    // Some reads select the columns they need, without this one.
    expiresOn: row.expires_on == null ? null : Temporal.PlainDate.from(row.expires_on),
    audience: row.audience,
    contact: row.contact,
    status: row.status,
    pledgedAmount: normalizeDecimal(row.pledged_amount),
    previousId: row.previous_id,
    incident: row.incident_object_id,
    createdAt: toInstant(row.created_at),
    updatedAt: toInstant(row.updated_at),
  };
}

/** numeric comes back as "20.000" or "20" depending on input; keep the canonical form. */
export function normalizeDecimal(value: string): string {
  if (!value.includes(".")) return value;
  return value.replace(/\.?0+$/, "");
}

function toRow(p: Proposal) {
  return {
    id: p.id,
    group_id: p.groupId,
    purpose: p.purpose,
    title: p.title,
    description: p.description,
    category: p.category,
    quantity_amount: p.quantity?.amount ?? null,
    quantity_unit: p.quantity?.unit ?? null,
    location_name: p.location?.name ?? null,
    latitude: p.location?.latitude ?? null,
    longitude: p.location?.longitude ?? null,
    location_exact: p.location?.exact === true,
    urgency: p.urgency,
    expires_at: p.expiresAt === null ? null : toDate(p.expiresAt),
    expires_on: p.expiresOn?.toString() ?? null,
    audience: p.audience,
    contact: p.contact,
    status: p.status,
    pledged_amount: p.pledgedAmount,
    previous_id: p.previousId,
    incident_object_id: p.incident ?? null,
    created_at: toDate(p.createdAt),
    updated_at: toDate(p.updatedAt),
  };
}

export async function insertProposal(db: Kysely<Database>, proposal: Proposal): Promise<void> {
  await db.insertInto("proposals").values(toRow(proposal)).execute();
}

export type ProposalLookup =
  | { readonly state: "live"; readonly proposal: Proposal }
  | { readonly state: "deleted"; readonly groupId: string; readonly purpose: Purpose }
  | { readonly state: "missing" };

export async function findProposal(db: Kysely<Database>, id: string): Promise<ProposalLookup> {
  const row = await db.selectFrom("proposals").selectAll().where("id", "=", id).executeTakeFirst();
  if (row === undefined) return { state: "missing" };
  if (row.deleted_at !== null)
    return { state: "deleted", groupId: row.group_id, purpose: row.purpose };
  return { state: "live", proposal: toProposal(row) };
}

/**
 * Writes an edited proposal, but only if nobody else changed it since it was
 * read (`updated_at` unchanged): two coordinators editing at once must not
 * silently overwrite each other. Returns false on a lost race.
 */
export async function updateProposal(
  db: Kysely<Database>,
  proposal: Proposal,
  expectedUpdatedAt: Temporal.Instant,
): Promise<boolean> {
  const { id: _id, group_id: _g, created_at: _c, purpose: _p, ...changes } = toRow(proposal);
  const result = await db
    .updateTable("proposals")
    .set(changes)
    .where("id", "=", proposal.id)
    .where("deleted_at", "is", null)
    .where("updated_at", "=", toDate(expectedUpdatedAt))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Deletion keeps a row without content, so the object id can answer "gone"
 * and is never reused; the private contact goes with the content.
 */
export async function markProposalDeleted(
  db: Kysely<Database>,
  id: string,
  at: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("proposals")
    .set({
      deleted_at: toDate(at),
      updated_at: toDate(at),
      title: "",
      description: "",
      contact: null,
      location_name: null,
      latitude: null,
      longitude: null,
    })
    .where("id", "=", id)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export interface ProposalFilter {
  readonly groupId: string;
  /** Omitted: needs and offers together (the outbox). */
  readonly purpose?: Purpose | undefined;
  readonly status?: ProposalStatus | undefined;
  /** Any of these statuses (the open-data exports list open and pledged together). */
  readonly statuses?: readonly ProposalStatus[] | undefined;
  readonly category?: CategorySlug | undefined;
  readonly urgency?: Urgency | undefined;
  /** Only public proposals unless the reader is a coordinator of the group. */
  readonly includeFollowersOnly: boolean;
}

export interface ProposalPageQuery extends ProposalFilter {
  readonly limit: number;
  /** Keyset cursor: the last row of the previous page. */
  readonly after?: { readonly createdAt: Temporal.Instant; readonly id: string } | undefined;
}

/** The filters of a page, without its order or cursor (shared by both orders). */
function filteredProposals(db: Kysely<Database>, q: ProposalFilter) {
  let query = db
    .selectFrom("proposals")
    .selectAll("proposals")
    .where("proposals.group_id", "=", q.groupId)
    .where("proposals.deleted_at", "is", null);
  if (q.purpose !== undefined) query = query.where("proposals.purpose", "=", q.purpose);
  if (q.status !== undefined) query = query.where("proposals.status", "=", q.status);
  if (q.statuses !== undefined) {
    // An empty list matches nothing (not everything, as leaving it out would).
    query =
      q.statuses.length === 0
        ? query.where(sql<boolean>`false`)
        : query.where("proposals.status", "in", [...q.statuses]);
  }
  if (q.category !== undefined) query = query.where("proposals.category", "=", q.category);
  if (q.urgency !== undefined) query = query.where("proposals.urgency", "=", q.urgency);
  if (!q.includeFollowersOnly) query = query.where("proposals.audience", "=", "public");
  return query;
}

/**
 * One page, newest first. Keyset pagination (no OFFSET) and no count(*), so a
 * page costs the same with a hundred needs or a hundred thousand.
 */
export async function listProposals(
  db: Kysely<Database>,
  q: ProposalPageQuery,
): Promise<Proposal[]> {
  let query = filteredProposals(db, q);
  if (q.after !== undefined) {
    const createdAt = toDate(q.after.createdAt);
    query = query.where(sql<boolean>`(created_at, id) < (${createdAt}, ${q.after.id})`);
  }
  const rows = await query
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(q.limit)
    .execute();
  return rows.map(toProposal);
}

/** The columns `db/near.ts` measures: the shared point honours `location_exact`. */
export const PROPOSAL_PLACE: NearColumns = {
  latitude: "proposals.latitude",
  longitude: "proposals.longitude",
  exact: "proposals.location_exact",
};

export interface NearbyProposalPageQuery extends ProposalFilter {
  readonly near: NearQuery;
  readonly limit: number;
  /** Keyset cursor in distance order: the last row of the previous page. */
  readonly after?: DistanceCursor | undefined;
}

export interface NearbyProposal {
  readonly proposal: Proposal;
  /** Full precision, to the shared point: round it to show it, keep it for the cursor. */
  readonly distanceKm: number;
}

/**
 * One page of located proposals within `near.km`, nearest first, through
 * the proposals_near index (group, purpose, then the box). Unlocated ones
 * are never part of it.
 */
export async function listNearbyProposals(
  db: Kysely<Database>,
  q: NearbyProposalPageQuery,
): Promise<NearbyProposal[]> {
  const rows = await selectNearest(db, filteredProposals(db, q), PROPOSAL_PLACE, q.near, q);
  return rows.map((row) => ({ proposal: toProposal(row), distanceKm: row.distance_km }));
}

/** Live proposals whose expiry has passed, for the expiry sweep. */
export async function listDueProposals(
  db: Kysely<Database>,
  now: Temporal.Instant,
  limit: number,
): Promise<Proposal[]> {
  const rows = await db
    .selectFrom("proposals")
    .selectAll()
    .where("deleted_at", "is", null)
    // Literal, not parameters: the planner must see it matches the
    // proposals_due partial index.
    .where(sql<boolean>`status IN ('open', 'pledged')`)
    .where("expires_at", "<=", toDate(now))
    .orderBy("expires_at")
    .limit(limit)
    .execute();
  return rows.map(toProposal);
}

export type ActivityKind = "create" | "update" | "delete";

export async function insertPendingActivity(
  db: Kysely<Database>,
  proposalId: string,
  kind: ActivityKind,
  at: Temporal.Instant,
): Promise<void> {
  await db
    .insertInto("pending_activities")
    .values({ proposal_id: proposalId, kind, created_at: toDate(at) })
    .execute();
}

export async function listPendingActivities(
  db: Kysely<Database>,
  limit: number,
): Promise<{ id: string; proposalId: string; kind: ActivityKind }[]> {
  const rows = await db
    .selectFrom("pending_activities")
    .select(["id", "proposal_id", "kind"])
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: String(r.id), proposalId: r.proposal_id, kind: r.kind }));
}

export async function deletePendingActivity(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom("pending_activities").where("id", "=", id).execute();
}

/** Deleted proposals keep their row; this reads it regardless, for the relay. */
export async function findProposalIncludingDeleted(
  db: Kysely<Database>,
  id: string,
): Promise<{ proposal: Proposal; deleted: boolean } | null> {
  const row = await db.selectFrom("proposals").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? null : { proposal: toProposal(row), deleted: row.deleted_at !== null };
}

/** For the outbox's totalItems only (not on the needs-list hot path). */
export async function countPublicProposals(db: Kysely<Database>, groupId: string): Promise<number> {
  const row = await db
    .selectFrom("proposals")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("group_id", "=", groupId)
    .where("deleted_at", "is", null)
    .where("audience", "=", "public")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
