/**
 * How Fedify 2.3.6's queued messages are spread over the queue's lanes and
 * destinations (src/db/message-queue.ts): received activities have slots of
 * their own that deliveries cannot take, and a delivery's destination is its
 * inbox's host and port, so that one slow host holds only a few slots.
 */

export type QueueLane = "inbox" | "delivery";

/** `inbox` for received activities; deliveries and fan-outs are `delivery`. */
export function laneOf(message: unknown): QueueLane {
  return typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "inbox"
    ? "inbox"
    : "delivery";
}

/** The inbox's `host:port` of a delivery; null for anything else (or an unreadable inbox). */
export function destinationOf(message: unknown): string | null {
  if (typeof message !== "object" || message === null) return null;
  const { type, inbox } = message as { type?: unknown; inbox?: unknown };
  if (type !== "outbox" || typeof inbox !== "string" || !URL.canParse(inbox)) return null;
  return new URL(inbox).host;
}
