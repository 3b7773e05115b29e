import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import {
  type DeliveryFailureRow,
  listParkedDestinations,
  listRecentDeliveryFailures,
  type ParkedDestinationRow,
} from "../db/delivery-status.repo.ts";
import { type QueueStats, queueStats } from "../db/message-queue.ts";

/** What the operator's `npm run admin -- queue` shows: the queue, parked hosts, recent failures. */
export interface DeliveryStatus {
  readonly queue: QueueStats;
  readonly parked: readonly ParkedDestinationRow[];
  readonly failures: readonly DeliveryFailureRow[];
}

/** Read together, but not in one snapshot: an overview, not an audit. */
export async function deliveryStatus(
  deps: { readonly db: Kysely<Database> },
  limits: { readonly failures: number; readonly parked: number },
): Promise<DeliveryStatus> {
  // One after the other: the embedded database runs one statement at a time anyway.
  const queue = await queueStats(deps.db);
  const parked = await listParkedDestinations(deps.db, limits.parked);
  const failures = await listRecentDeliveryFailures(deps.db, limits.failures);
  return { queue, parked, failures };
}
