import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { hasAcceptedFollowerOnOrigin } from "../db/followers.repo.ts";
import { findGroupById } from "../db/groups.repo.ts";
import { findProposal } from "../db/proposals.repo.ts";
import { isId } from "../domain/ids.ts";
import {
  type ProposalSight,
  type ProposalViewer,
  proposalVisibility,
} from "../domain/proposal-visibility.ts";

/**
 * A need or offer as `viewer` may know it (domain/proposal-visibility.ts):
 * the API, the public pages and object fetches from other servers all read
 * through here, so "a followers-only post exists only for its coordinators"
 * is decided in one place.
 */
export async function findVisibleProposal(
  db: Kysely<Database>,
  viewer: ProposalViewer,
  id: string,
): Promise<ProposalSight> {
  if (!isId(id)) return { state: "missing" };
  const found = await findProposal(db, id);
  if (found.state === "deleted") return { state: "deleted" };
  if (found.state !== "live") return { state: "missing" };
  const { proposal } = found;
  const visibility = proposalVisibility(proposal, viewer);
  if (visibility === "hidden") return { state: "missing" };
  if (visibility === "if-server-follows" && viewer.kind === "server") {
    const origin = await viewer.signerOrigin();
    if (origin === null) return { state: "missing" };
    if (!(await hasAcceptedFollowerOnOrigin(db, proposal.groupId, origin))) {
      return { state: "missing" };
    }
  }
  const group = await findGroupById(db, proposal.groupId);
  return group === null ? { state: "missing" } : { state: "visible", group, proposal };
}
