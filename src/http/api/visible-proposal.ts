import { findGroupById } from "../../db/groups.repo.ts";
import { findProposal } from "../../db/proposals.repo.ts";
import type { Group } from "../../domain/group.ts";
import type { Proposal, Purpose } from "../../domain/proposal.ts";
import { type Caller, isCoordinatorOf } from "../auth.ts";
import { notFound } from "../errors.ts";
import type { ApiDeps } from "./deps.ts";

/**
 * A live need or offer the caller may read, or 404. Every route under
 * `/api/v1/needs/{id}` and `/api/v1/offers/{id}` goes through here, so the
 * rule is the same for the proposal and everything derived from it.
 */
export async function loadVisibleProposal(
  deps: Pick<ApiDeps, "db">,
  caller: Caller,
  id: string,
  purpose: Purpose,
  noun: string,
): Promise<{ group: Group; proposal: Proposal }> {
  const found = await findProposal(deps.db, id);
  if (found.state !== "live" || found.proposal.purpose !== purpose) throw notFound(noun);
  const group = await findGroupById(deps.db, found.proposal.groupId);
  if (group === null) throw notFound(noun);
  // Followers-only needs are not public: to anyone else they do not exist.
  if (found.proposal.audience !== "public" && !isCoordinatorOf(caller, group)) throw notFound(noun);
  return { group, proposal: found.proposal };
}
