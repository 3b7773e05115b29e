/**
 * Describing a delivery that was given up on, as a `delivery_failures` row.
 * The queue calls this when its retry schedule (72 h or more) runs out, and
 * the federation when a peer answers 404/410 (Fedify does not retry those).
 */

import { SendActivityError } from "@fedify/fedify";

/** One `delivery_failures` row; `failed_at` as the app's Temporal type. */
export interface DeliveryFailureRow {
  inbox_url: string;
  activity_id: string | null;
  activity_type: string | null;
  attempts: number;
  last_error: string;
  failed_at: Temporal.Instant;
}

export interface DeliveryFailureFacts {
  inbox: URL | string;
  activityId?: string | null;
  /** Fedify gives the full type IRI, e.g. `https://www.w3.org/ns/activitystreams#Create`. */
  activityType?: string | null;
  /** Delivery attempts made, the failed last one included. */
  attempts: number;
  error: unknown;
  failedAt: Temporal.Instant;
}

/** Long enough for an HTTP status and the start of the peer's error page. */
const MAX_ERROR_LENGTH = 1000;

function describeError(error: unknown): string {
  if (error instanceof SendActivityError) {
    const body = error.responseBody.trim();
    return body === "" ? `HTTP ${error.statusCode}` : `HTTP ${error.statusCode}: ${body}`;
  }
  if (error instanceof Error) {
    // fetch() buries the useful part ("ECONNREFUSED") a few causes deep.
    let root: unknown = error;
    for (let depth = 0; depth < 5 && root instanceof Error && root.cause !== undefined; depth++) {
      root = root.cause;
    }
    if (root === error) return error.message;
    const code = (root as { code?: unknown }).code;
    const detail =
      typeof code === "string" ? code : root instanceof Error ? root.message : String(root);
    return `${error.message} (${detail})`;
  }
  return String(error);
}

/** Pure mapping from what Fedify tells us to a `delivery_failures` row. */
export function describeDeliveryFailure(facts: DeliveryFailureFacts): DeliveryFailureRow {
  const message = describeError(facts.error);
  return {
    inbox_url: typeof facts.inbox === "string" ? facts.inbox : facts.inbox.href,
    activity_id: facts.activityId ?? null,
    activity_type: facts.activityType ?? null,
    attempts: facts.attempts,
    last_error:
      message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH - 1)}…` : message,
    failed_at: facts.failedAt,
  };
}
