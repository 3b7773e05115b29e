import type { Kysely } from "kysely";
import type { Database } from "./database.ts";
import { toInstant } from "./time.ts";

/** A delivery given up on, as the operator's overview lists it. */
export interface DeliveryFailureRow {
  readonly inboxUrl: string;
  readonly activityId: string | null;
  readonly activityType: string | null;
  readonly attempts: number;
  /** 'exhausted', 'gone' or 'refused' (database.ts). */
  readonly reason: string;
  readonly lastError: string;
  readonly failedAt: Temporal.Instant;
}

/** The newest `limit` deliveries given up on, newest first. */
export async function listRecentDeliveryFailures(
  db: Kysely<Database>,
  limit: number,
): Promise<DeliveryFailureRow[]> {
  const rows = await db
    .selectFrom("delivery_failures")
    .selectAll()
    .orderBy("failed_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    inboxUrl: row.inbox_url,
    activityId: row.activity_id,
    activityType: row.activity_type,
    attempts: row.attempts,
    reason: row.reason,
    lastError: row.last_error,
    failedAt: toInstant(row.failed_at),
  }));
}

/** A destination nothing is sent to for now (message-queue.ts, parking). */
export interface ParkedDestinationRow {
  readonly destination: string;
  readonly failures: number;
  readonly parkedUntil: Temporal.Instant;
}

/** Destinations parked now (on the database clock), the longest-parked first. */
export async function listParkedDestinations(
  db: Kysely<Database>,
  limit: number,
): Promise<ParkedDestinationRow[]> {
  const rows = await db
    .selectFrom("fedify_queue_destinations")
    .select(["destination", "failures", "parked_until"])
    .where((eb) => eb("parked_until", ">", eb.fn<Date>("now", [])))
    .orderBy("parked_until", "desc")
    .orderBy("destination")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    destination: row.destination,
    failures: row.failures,
    parkedUntil: toInstant(row.parked_until!),
  }));
}
