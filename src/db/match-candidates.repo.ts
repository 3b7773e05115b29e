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

function inBox(table: string, box: BoundingBox): RawBuilder<SqlBool> {
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
function flatDistance(table: string, center: Coordinates): RawBuilder<number> {
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

type Ordering = readonly [RawBuilder<unknown>, "asc" | "desc"];

/** One bounded pool: which rows, and in what order the first `limit` are taken. */
interface Pool {
  where(alias: string): RawBuilder<SqlBool>;
  order(alias: string): readonly Ordering[];
}

function pools(area: CandidateArea | null): Pool[] {
  const newest = (alias: string): Ordering[] => [
    [sql.ref(`${alias}.published_at`), "desc"],
    [sql.ref(`${alias}.id`), "desc"],
  ];
  if (area === null) return [{ where: () => sql<SqlBool>`true`, order: newest }];
  return [
    {
      where: (alias) =>
        sql<SqlBool>`${sql.ref(`${alias}.latitude`)} IS NOT NULL AND ${inBox(alias, area.box)}`,
      order: (alias) => [
        [flatDistance(alias, area.center), "asc"],
        [sql.ref(`${alias}.id`), "asc"],
      ],
    },
    { where: (alias) => sql<SqlBool>`${sql.ref(`${alias}.latitude`)} IS NULL`, order: newest },
  ];
}

function liveRemote(alias: string, q: CandidateFilter): RawBuilder<SqlBool> {
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  // kind and status as literals: the planner must see they match remote_proposals_match.
  return sql<SqlBool>`${column("purpose")} = ${q.purpose} AND ${column("category")} = ${q.category}
    AND ${sql.raw(`${alias}.kind = 'proposal' AND ${alias}.status IN ('open', 'pledged')`)}
    AND (${column("expires_at")} IS NULL OR ${column("expires_at")} > ${toDate(q.now)})`;
}

export async function listRemoteCandidates(
  db: Kysely<Database>,
  q: RemoteCandidateQuery,
): Promise<StoredRemoteProposal[]> {
  const rows = [];
  for (const pool of pools(q.area)) {
    // The feed's two halves, each read per followed actor (LATERAL) and
    // stopping at the limit: objects by followed actors, through
    // remote_proposals_match (a join would read every actor's rows of the
    // category), and objects they re-shared. UNION drops a row found both ways.
    const authored = db
      .selectFrom("following")
      .innerJoinLateral(
        (eb) => {
          let inner = eb
            .selectFrom("remote_proposals")
            .selectAll("remote_proposals")
            .whereRef("remote_proposals.origin_actor_id", "=", "following.actor_id")
            .where(liveRemote("remote_proposals", q))
            .where(pool.where("remote_proposals"));
          for (const [expression, direction] of pool.order("remote_proposals")) {
            inner = inner.orderBy(expression, direction);
          }
          return inner.limit(q.limit).as("authored");
        },
        (join) => join.onTrue(),
      )
      .selectAll("authored")
      .where("following.group_id", "=", q.groupId)
      .where("following.state", "=", "accepted");
    const shared = db
      .selectFrom("following")
      .innerJoinLateral(
        // Per followed actor too, through remote_shares_by_sharer, and one
        // primary-key lookup per share (LIMIT 1 keeps it one). Left to
        // itself, PostgreSQL scanned every share of every actor, and PGlite,
        // which has no statistics, walked the whole category instead.
        (eb) => {
          let inner = eb
            .selectFrom("remote_shares")
            .innerJoinLateral(
              (byId) =>
                byId
                  .selectFrom("remote_proposals")
                  .selectAll("remote_proposals")
                  .whereRef("remote_proposals.id", "=", "remote_shares.remote_proposal_id")
                  .where(liveRemote("remote_proposals", q))
                  .where(pool.where("remote_proposals"))
                  .limit(1)
                  .as("object"),
              (join) => join.onTrue(),
            )
            .selectAll("object")
            .whereRef("remote_shares.sharer_actor_id", "=", "following.actor_id");
          for (const [expression, direction] of pool.order("object")) {
            inner = inner.orderBy(expression, direction);
          }
          return inner.limit(q.limit).as("shared");
        },
        (join) => join.onTrue(),
      )
      .selectAll("shared")
      .where("following.group_id", "=", q.groupId)
      .where("following.state", "=", "accepted");
    let query = db.selectFrom(authored.union(shared).as("candidates")).selectAll();
    for (const [expression, direction] of pool.order("candidates")) {
      query = query.orderBy(expression, direction);
    }
    rows.push(...(await query.limit(q.limit).execute()));
  }
  // Who re-shared them does not matter for matching.
  return rows.map((row) => toStored(row, []));
}
