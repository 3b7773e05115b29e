import type { Context } from "hono";
import { findGroupByHandle } from "../../db/groups.repo.ts";
import type { Group } from "../../domain/group.ts";
import type { Proposal, Purpose, Quantity } from "../../domain/proposal.ts";
import type { Unit } from "../../domain/units.ts";
import { findVisibleProposal } from "../../services/proposal-reads.ts";
import { type Caller, identifyCaller, requireCoordinator } from "../auth.ts";
import { notFound, proposalThing } from "../errors.ts";
import type { ApiDeps } from "./deps.ts";

/** The group `handle`, for one of its coordinators (or the admin) only. */
export async function coordinatedGroup(c: Context, deps: ApiDeps, handle: string): Promise<Group> {
  const caller = await identifyCaller(c, deps);
  const group = await findGroupByHandle(deps.db, handle);
  if (group === null) throw notFound("group");
  requireCoordinator(caller, group);
  return group;
}

/**
 * A live need or offer as `caller` may see it (services/proposal-reads.ts):
 * followers-only ones do not exist for anyone but the group's coordinators.
 * `purpose` null: either.
 */
export async function visibleProposal(
  deps: ApiDeps,
  caller: Caller,
  id: string,
  purpose: Purpose | null,
): Promise<{ group: Group; proposal: Proposal }> {
  const sight = await findVisibleProposal(deps.db, caller, id);
  if (sight.state !== "visible" || (purpose !== null && sight.proposal.purpose !== purpose)) {
    throw notFound(proposalThing(purpose));
  }
  return { group: sight.group, proposal: sight.proposal };
}

/** A validated input quantity (at most six decimals) as a decimal string, without float noise. */
export function quantityFromInput(q: { amount: number; unit: Unit }): Quantity {
  return { amount: q.amount.toFixed(6).replace(/\.?0+$/, ""), unit: q.unit };
}

/** A quantity as the API shows it. */
export function quantityJson(q: Quantity | null): { amount: number; unit: string } | null {
  return q === null ? null : { amount: Number(q.amount), unit: q.unit };
}
