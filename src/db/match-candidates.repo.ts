import { type Kysely, type RawBuilder, type SqlBool, sql } from "kysely";
import type { CategorySlug } from "../domain/categories.ts";
import type { BoundingBox, Coordinates } from "../domain/geo.ts";
import type { Proposal, Purpose } from "../domain/proposal.ts";
import type { StoredRemoteProposal } from "../domain/remote-proposal.ts";
import type { Database } from "./database.ts";
import { toProposal } from "./proposals.repo.ts";
import { toStored } from "./remote-proposals.repo.ts";
import { toDate } from "./time.ts";

/**
 * The needs or offers that matching considers for one subject, read with
 * the partial indexes of migration 2026_11_28_060000 and always bounded by
 * a LIMIT: matching must cost the same with a hundred live offers or a
 * hundred thousand. Ranking is not done here; the order below only decides
 * which candidates make it into the bounded pool.
 *
 * With an `area`, two pools: located candidates inside the box, nearest
 * first by a flat approximation (the exact distance is the domain's), and
 * candidates without coordinates, newest first. Without one, the newest.
 */

export interface CandidateArea {
  readonly center: Coordinates;
  readonly box: BoundingBox;
}

interface CandidateFilter {
  /** The candidates' purpose: the opposite of the subject's. */
  readonly purpose: Purpose;
  readonly category: CategorySlug;
  readonly now: Temporal.Instant;
  readonly area: CandidateArea | null;
  /** At most this many per pool. */
  readonly limit: number;
}

export interface LocalCandidateQuery extends CandidateFilter {
  /** This group's followers-only needs and offers are candidates too; other groups' only when public. */
  readonly ownGroupId: string | null;
}

export interface LocalCandidate {
  readonly proposal: Proposal;
  readonly groupHandle: string;
}

type Table = "proposals" | "remote_proposals";

function inBox(table: Table, box: BoundingBox): RawBuilder<SqlBool> {
  const latitude = sql.ref(`${table}.latitude`);
  const longitude = sql.ref(`${table}.longitude`);
  const band = sql<SqlBool>`${latitude} BETWEEN ${box.minLatitude} AND ${box.maxLatitude}`;
  if (box.longitudes === null) return band;
  const { west, east } = box.longitudes;
  return west <= east
    ? sql<SqlBool>`${band} AND ${longitude} BETWEEN ${west} AND ${east}`
    : sql<SqlBool>`${band} AND (${longitude} >= ${west} OR ${longitude} <= ${east})`;
}

/** Squared equirectangular degrees: orders by nearness, across the antimeridian too. */
function flatDistance(table: Table, center: Coordinates): RawBuilder<number> {
  const latitude = sql.ref(`${table}.latitude`);
  const longitude = sql.ref(`${table}.longitude`);
  const cosine = Math.cos((center.latitude * Math.PI) / 180);
  const dLon = sql`abs(${longitude} - ${center.longitude})`;
  return sql<number>`power(${latitude} - ${center.latitude}, 2) + power(least(${dLon}, 360 - ${dLon}) * ${cosine}, 2)`;
}

export async function listLocalCandidates(
  db: Kysely<Database>,
  q: LocalCandidateQuery,
): Promise<LocalCandidate[]> {
  const base = db
    .selectFrom("proposals")
    .innerJoin("groups", "groups.id", "proposals.group_id")
    .selectAll("proposals")
    .select("groups.handle as group_handle")
    .where("proposals.purpose", "=", q.purpose)
    .where("proposals.category", "=", q.category)
    .where("proposals.deleted_at", "is", null)
    // Literal, not parameters: the planner must see it matches the partial indexes.
    .where(sql<SqlBool>`proposals.status IN ('open', 'pledged')`)
    .where((eb) =>
      eb.or([
        eb("proposals.expires_at", "is", null),
        eb("proposals.expires_at", ">", toDate(q.now)),
      ]),
    )
    .where((eb) =>
      q.ownGroupId === null
        ? eb("proposals.audience", "=", "public")
        : eb.or([
            eb("proposals.audience", "=", "public"),
            eb("proposals.group_id", "=", q.ownGroupId),
          ]),
    );
  const newest = <T extends typeof base>(query: T) =>
    query.orderBy("proposals.created_at", "desc").orderBy("proposals.id", "desc").limit(q.limit);

  const rows =
    q.area === null
      ? await newest(base).execute()
      : [
          ...(await base
            .where("proposals.latitude", "is not", null)
            .where(inBox("proposals", q.area.box))
            .orderBy(flatDistance("proposals", q.area.center))
            .orderBy("proposals.id")
            .limit(q.limit)
            .execute()),
          ...(await newest(base.where("proposals.latitude", "is", null)).execute()),
        ];
  return rows.map((row) => ({ proposal: toProposal(row), groupHandle: row.group_handle }));
}

export interface RemoteCandidateQuery extends CandidateFilter {
  /** Whose network feed: what the groups it follows published or re-shared. */
  readonly groupId: string;
}

export async function listRemoteCandidates(
  db: Kysely<Database>,
  q: RemoteCandidateQuery,
): Promise<StoredRemoteProposal[]> {
  const followed = db
    .selectFrom("following")
    .select("following.actor_id")
    .where("following.group_id", "=", q.groupId)
    .where("following.state", "=", "accepted");
  // The feed's two halves, each through its own index: objects by the
  // followed actors (remote_proposals_match), and objects they re-shared
  // (remote_shares_by_sharer). An OR over both would read the whole table.
  const inFeed = db
    .selectFrom("remote_proposals as authored")
    .select("authored.id")
    .where("authored.origin_actor_id", "in", followed)
    .where("authored.purpose", "=", q.purpose)
    .where("authored.category", "=", q.category)
    .where(sql<SqlBool>`authored.kind = 'proposal' AND authored.status IN ('open', 'pledged')`)
    .union(
      db
        .selectFrom("remote_shares")
        .select("remote_shares.remote_proposal_id as id")
        .where("remote_shares.sharer_actor_id", "in", followed),
    );
  const base = db
    .selectFrom("remote_proposals")
    .selectAll("remote_proposals")
    .where("remote_proposals.id", "in", inFeed)
    .where("remote_proposals.kind", "=", "proposal")
    .where("remote_proposals.purpose", "=", q.purpose)
    .where("remote_proposals.category", "=", q.category)
    .where(sql<SqlBool>`remote_proposals.status IN ('open', 'pledged')`)
    .where((eb) =>
      eb.or([
        eb("remote_proposals.expires_at", "is", null),
        eb("remote_proposals.expires_at", ">", toDate(q.now)),
      ]),
    );
  const newest = <T extends typeof base>(query: T) =>
    query
      .orderBy("remote_proposals.published_at", "desc")
      .orderBy("remote_proposals.id", "desc")
      .limit(q.limit);

  const rows =
    q.area === null
      ? await newest(base).execute()
      : [
          ...(await base
            .where("remote_proposals.latitude", "is not", null)
            .where(inBox("remote_proposals", q.area.box))
            .orderBy(flatDistance("remote_proposals", q.area.center))
            .orderBy("remote_proposals.id")
            .limit(q.limit)
            .execute()),
          ...(await newest(base.where("remote_proposals.latitude", "is", null)).execute()),
        ];
  // Who re-shared them does not matter for matching.
  return rows.map((row) => toStored(row, []));
}
