import type { Kysely, Transaction } from "kysely";
import type { Database } from "./database.ts";
import { toDate } from "./time.ts";

/** How many rows forgetting an actor changed, table by table. */
export interface ForgottenActorRows {
  /** Our pledges it will never answer now, with the group that made each. */
  rejectedPledges: { id: string; groupId: string }[];
  followers: number;
  following: number;
  pledges: number;
  responses: number;
  remoteProposals: number;
  remoteShares: number;
  incidentParticipants: number;
}

/** Why the pledges and answers an actor left behind were closed (shown to coordinators). */
export const ACTOR_GONE_REASON = "The other group's account was deleted.";

function count(result: { numDeletedRows?: bigint; numUpdatedRows?: bigint }): number {
  return Number(result.numDeletedRows ?? result.numUpdatedRows ?? 0n);
}

/**
 * Removes what a remote actor that no longer exists left with us. Run it in
 * one transaction (services/departed-actors.ts does), so a crash leaves
 * either everything or nothing of the actor.
 *
 * - It follows none of our groups any more: deliveries stop.
 * - Our groups' follows of it end: it can neither accept nor post.
 * - Our pledges still pending on its needs and offers are rejected, and
 *   its answers still proposed on ours are withdrawn. Accepted ones stay as
 *   they are: they record what was agreed, and amounts follow them.
 * - The copies of its needs and offers leave the network feed and boards
 *   (their origin is gone, so no copy can be kept true), with every
 *   re-share of them; its own re-shares of others' items go too.
 * - It no longer takes part in our incidents.
 */
export async function forgetActorRows(
  trx: Transaction<Database> | Kysely<Database>,
  actorId: string,
  now: Temporal.Instant,
): Promise<ForgottenActorRows> {
  const at = toDate(now);
  const followers = await trx
    .deleteFrom("followers")
    .where("actor_id", "=", actorId)
    .executeTakeFirst();
  const following = await trx
    .deleteFrom("following")
    .where("actor_id", "=", actorId)
    .executeTakeFirst();
  const pledges = await trx
    .updateTable("pledges")
    .set({ state: "rejected", reason: ACTOR_GONE_REASON, updated_at: at })
    .where("target_actor_id", "=", actorId)
    .where("state", "=", "pending")
    .returning(["id", "group_id"])
    .execute();
  const responses = await trx
    .updateTable("responses")
    .set({ state: "withdrawn", reason: ACTOR_GONE_REASON, updated_at: at })
    .where("actor_id", "=", actorId)
    .where("state", "=", "proposed")
    .executeTakeFirst();
  const remoteShares = await trx
    .deleteFrom("remote_shares")
    .where("sharer_actor_id", "=", actorId)
    .executeTakeFirst();
  const remoteProposals = await trx
    .deleteFrom("remote_proposals")
    .where("origin_actor_id", "=", actorId)
    .executeTakeFirst();
  const incidentParticipants = await trx
    .deleteFrom("incident_participants")
    .where("actor_id", "=", actorId)
    .where("group_id", "is", null)
    .executeTakeFirst();
  return {
    followers: count(followers),
    following: count(following),
    rejectedPledges: pledges.map((row) => ({ id: row.id, groupId: row.group_id })),
    pledges: pledges.length,
    responses: count(responses),
    remoteProposals: count(remoteProposals),
    remoteShares: count(remoteShares),
    incidentParticipants: count(incidentParticipants),
  };
}
