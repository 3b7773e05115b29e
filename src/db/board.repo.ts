import { type Kysely, sql } from "kysely";
import type { CategorySlug } from "../domain/categories.ts";
import type { NearQuery } from "../domain/near.ts";
import type { Proposal, ProposalStatus, Purpose } from "../domain/proposal.ts";
import type { StoredRemoteProposal } from "../domain/remote-proposal.ts";
import type { Database } from "./database.ts";
import { type NearColumns, nearBoxCondition, sharedDistanceKm } from "./near.ts";
import { PROPOSAL_PLACE, toProposal } from "./proposals.repo.ts";
import { REMOTE_PLACE, toStored } from "./remote-proposals.repo.ts";

/**
 * The boards: needs and offers across groups and instances, most urgent
 * first. Two scopes:
 * - `incident`: what is tagged with one incident, from this instance's
 *   groups and from received remote copies;
 * - `allies`: this instance's groups' needs and offers and one group's
 *   network feed (what the groups it follows published or re-shared).
 *
 * Each side is read in board order (what still needs help before what is
 * fully pledged, then urgency, then needed-by soonest, none last, then
 * newest) and capped at `limit`; the caller merges the two and
 * cuts the result to `limit` again. There is no cursor: a board is a
 * working view of the most pressing items, capped at BOARD_MAX_ITEMS.
 * The order is read off indexes that hold it (migrations/…_board_gaps.ts):
 * `proposals_board` for the allies board's local side, and
 * `proposals_board_incident` / `remote_proposals_board_incident` for an
 * incident's, so the first rows come without sorting every candidate. The
 * expressions here (urgencyRank, the NULLS LAST) must stay the indexes' own.
 * The allies board's received side has no such index: it is an OR of the
 * followed authors' rows and what they re-shared, and sorted.
 * Filters are plain WHERE clauses on both sides. A distance filter (`near`)
 * keeps board order: it narrows to what lies within `km` of the point (the
 * place as shown publicly, as every `near` list measures it) and says how
 * far each item is; the most urgent still come first.
 */
export const BOARD_MAX_ITEMS = 200;

export type BoardScope =
  | { readonly kind: "incident"; readonly incidentObjectId: string }
  | { readonly kind: "allies"; readonly groupId: string };

export interface BoardQuery {
  readonly scope: BoardScope;
  readonly purpose?: Purpose | undefined;
  readonly category?: CategorySlug | undefined;
  /** Omitted: the live ones (open and pledged). */
  readonly status?: ProposalStatus | undefined;
  /** Only items within `km` of the point; each then has its distance in `distances`. */
  readonly near?: NearQuery | null | undefined;
  readonly limit: number;
}

export interface BoardRows {
  readonly local: readonly { readonly proposal: Proposal; readonly groupHandle: string }[];
  readonly remote: readonly StoredRemoteProposal[];
  /** With `near`: km from the point to each row's shared place, by row id (local and remote). */
  readonly distances: ReadonlyMap<string, number>;
}

/** The box and the distance cut of a `near` filter, on one side of the board. */
function withinKm(columns: NearColumns, near: NearQuery) {
  return sql<boolean>`${nearBoxCondition(columns, near)}
    AND ${sharedDistanceKm(columns, near)} <= ${near.km}::float8`;
}

const LIVE: readonly ProposalStatus[] = ["open", "pledged"];

const urgencyRank = (column: string) => sql<number>`CASE ${sql.ref(column)}
  WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 WHEN 'low' THEN 3 ELSE 4 END`;

/**
 * Fully pledged: a quantity, and nothing of it still needed (or available).
 * Never null, so that NOT of it is the rest.
 */
const LOCAL_COVERED = sql<boolean>`(proposals.quantity_amount IS NOT NULL
  AND proposals.pledged_amount >= proposals.quantity_amount)`;
const REMOTE_COVERED = sql<boolean>`COALESCE(remote_proposals.quantity_amount IS NOT NULL
  AND remote_proposals.remaining_amount <= 0, false)`;

/**
 * What still needs help first, then what is fully pledged: each read in
 * board order, the second only for the room the first left, so covered
 * items never push open ones past the cap (domain/incident.arrangeBoard
 * puts them last too). Both reads keep the board indexes' order; the
 * condition is a filter on it.
 */
async function stillNeededFirst<Row>(
  limit: number,
  read: (covered: boolean, n: number) => Promise<Row[]>,
): Promise<Row[]> {
  const open = await read(false, limit);
  if (open.length >= limit) return open;
  return [...open, ...(await read(true, limit - open.length))];
}

export async function listBoard(db: Kysely<Database>, q: BoardQuery): Promise<BoardRows> {
  const limit = Math.min(Math.max(1, q.limit), BOARD_MAX_ITEMS);
  const statuses = q.status === undefined ? LIVE : [q.status];

  let local = db
    .selectFrom("proposals")
    .innerJoin("groups", "groups.id", "proposals.group_id")
    .selectAll("proposals")
    .select("groups.handle as group_handle")
    .where("proposals.deleted_at", "is", null)
    .where("proposals.audience", "=", "public")
    .where("proposals.status", "in", statuses);
  if (q.scope.kind === "incident") {
    local = local.where("proposals.incident_object_id", "=", q.scope.incidentObjectId);
  }
  if (q.purpose !== undefined) local = local.where("proposals.purpose", "=", q.purpose);
  if (q.category !== undefined) local = local.where("proposals.category", "=", q.category);
  const near = q.near ?? null;
  const localRows = await stillNeededFirst(limit, (covered, n) =>
    (near === null
      ? local.select(sql<number | null>`NULL::float8`.as("distance_km"))
      : local
          .where(withinKm(PROPOSAL_PLACE, near))
          .select(sharedDistanceKm(PROPOSAL_PLACE, near).as("distance_km"))
    )
      .where(covered ? LOCAL_COVERED : sql<boolean>`NOT ${LOCAL_COVERED}`)
      .orderBy(urgencyRank("proposals.urgency"))
      .orderBy(sql`proposals.expires_at ASC NULLS LAST`)
      .orderBy("proposals.created_at", "desc")
      .orderBy("proposals.id", "desc")
      .limit(n)
      .execute(),
  );

  let remote = db
    .selectFrom("remote_proposals")
    .selectAll("remote_proposals")
    .where("remote_proposals.kind", "=", "proposal")
    .where("remote_proposals.status", "in", statuses);
  if (q.scope.kind === "incident") {
    remote = remote.where("remote_proposals.incident_object_id", "=", q.scope.incidentObjectId);
  } else {
    // The network feed's rule (remote-proposals.repo.ts listNetwork):
    // authored by a followed group, or re-shared by one.
    const followed = db
      .selectFrom("following")
      .select("following.actor_id")
      .where("following.group_id", "=", q.scope.groupId)
      .where("following.state", "=", "accepted");
    remote = remote.where((eb) =>
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
  }
  if (q.purpose !== undefined) remote = remote.where("remote_proposals.purpose", "=", q.purpose);
  if (q.category !== undefined) {
    remote = remote.where("remote_proposals.category", "=", q.category);
  }
  const remoteRows = await stillNeededFirst(limit, (covered, n) =>
    (near === null
      ? remote.select(sql<number | null>`NULL::float8`.as("distance_km"))
      : remote
          .where(withinKm(REMOTE_PLACE, near))
          .select(sharedDistanceKm(REMOTE_PLACE, near).as("distance_km"))
    )
      .where(covered ? REMOTE_COVERED : sql<boolean>`NOT ${REMOTE_COVERED}`)
      .orderBy(urgencyRank("remote_proposals.urgency"))
      .orderBy(sql`remote_proposals.expires_at ASC NULLS LAST`)
      .orderBy("remote_proposals.published_at", "desc")
      .orderBy("remote_proposals.id", "desc")
      .limit(n)
      .execute(),
  );

  const distances = new Map<string, number>();
  for (const row of [...localRows, ...remoteRows]) {
    if (row.distance_km !== null) distances.set(row.id, Number(row.distance_km));
  }
  return {
    local: localRows.map(({ group_handle, distance_km: _distance, ...row }) => ({
      proposal: toProposal(row),
      groupHandle: group_handle,
    })),
    remote: remoteRows.map(({ distance_km: _distance, ...row }) => toStored(row, [])),
    distances,
  };
}
