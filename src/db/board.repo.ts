import { type Kysely, sql } from "kysely";
import type { CategorySlug } from "../domain/categories.ts";
import type { Proposal, ProposalStatus, Purpose } from "../domain/proposal.ts";
import type { StoredRemoteProposal } from "../domain/remote-proposal.ts";
import type { Database } from "./database.ts";
import { toProposal } from "./proposals.repo.ts";
import { toStored } from "./remote-proposals.repo.ts";

/**
 * The boards: needs and offers across groups and instances, most urgent
 * first. Two scopes:
 * - `incident`: what is tagged with one incident, from this instance's
 *   groups and from received remote copies;
 * - `allies`: this instance's groups' needs and offers and one group's
 *   network feed (what the groups it follows published or re-shared).
 *
 * Each side is read in board order (urgency, then needed-by soonest, none
 * last, then newest) and capped at `limit`; the caller merges the two and
 * cuts the result to `limit` again. There is no cursor: a board is a
 * working view of the most pressing items, capped at BOARD_MAX_ITEMS.
 * Filters are plain WHERE clauses on both sides, so a distance filter can
 * be added here beside them.
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
  readonly limit: number;
}

export interface BoardRows {
  readonly local: readonly { readonly proposal: Proposal; readonly groupHandle: string }[];
  readonly remote: readonly StoredRemoteProposal[];
}

const LIVE: readonly ProposalStatus[] = ["open", "pledged"];

const urgencyRank = (column: string) => sql<number>`CASE ${sql.ref(column)}
  WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 WHEN 'low' THEN 3 ELSE 4 END`;

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
  const localRows = await local
    .orderBy(urgencyRank("proposals.urgency"))
    .orderBy(sql`proposals.expires_at ASC NULLS LAST`)
    .orderBy("proposals.created_at", "desc")
    .orderBy("proposals.id", "desc")
    .limit(limit)
    .execute();

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
  const remoteRows = await remote
    .orderBy(urgencyRank("remote_proposals.urgency"))
    .orderBy(sql`remote_proposals.expires_at ASC NULLS LAST`)
    .orderBy("remote_proposals.published_at", "desc")
    .orderBy("remote_proposals.id", "desc")
    .limit(limit)
    .execute();

  return {
    local: localRows.map(({ group_handle, ...row }) => ({
      proposal: toProposal(row),
      groupHandle: group_handle,
    })),
    remote: remoteRows.map((row) => toStored(row, [])),
  };
}
