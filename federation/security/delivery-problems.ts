import type { Transaction } from "kysely";
import { recordEmailEvent } from "../../src/db/coordinator-email.repo.ts";
import type { Database } from "../../src/db/database.ts";
import { findGroupByHandle } from "../../src/db/groups.repo.ts";

/**
 * Records a delivery given up on as a problem of the collective that sent
 * it (its activity ids live under its actor's path), in the transaction
 * that records the failure. Activities of no collective of ours: nothing.
 */
export async function recordDeliveryProblem(
  trx: Transaction<Database>,
  origin: URL,
  failure: { activityId: string | null; inbox: string; at: Temporal.Instant },
): Promise<void> {
  if (failure.activityId === null || !URL.canParse(failure.activityId)) return;
  const id = new URL(failure.activityId);
  const handle = /^\/groups\/([a-z0-9_]{1,30})(?:\/|$)/.exec(id.pathname)?.[1];
  if (id.origin !== origin.origin || handle === undefined) return;
  const group = await findGroupByHandle(trx, handle);
  if (group === null) return;
  const host = URL.canParse(failure.inbox) ? new URL(failure.inbox).host : failure.inbox;
  await recordEmailEvent(trx, {
    kind: "delivery-problem",
    groupId: group.id,
    // One email per peer and hour at most: a server that is down fails many deliveries.
    eventKey: `delivery:${group.id}:${host}:${failure.at.round({ smallestUnit: "hour", roundingMode: "floor" }).toString()}`,
    message: { key: "delivery-problem", host },
    path: "following",
    createdAt: failure.at,
  });
}
