/**
 * Sends what the outbox holds. Each pass claims due pending messages with a
 * lease (two worker processes never hold the same row; a crashed worker's
 * rows come back when their lease runs out), hands each to the transport of
 * its channel, and marks it sent, or due again after a growing wait, or
 * failed once the attempts are used up. Messages of a channel without a
 * transport are never claimed: they wait, pending, until one is configured.
 *
 * Delivery is at least once: a crash after the other side took a message
 * and before it is marked sent sends it again when the lease expires. Emails
 * carry a Message-ID made from the row id, so such a resend is the same
 * message to the receiving side.
 */
import { getLogger } from "@logtape/logtape";
import type { Kysely } from "kysely";
import type { DatabaseHandle } from "../db/connect.ts";
import type { Database } from "../db/database.ts";
import {
  type ClaimedMessage,
  claimDueMessages,
  markAttemptFailed,
  markSent,
  nextDueAt,
  OUTBOX_CHANNEL,
} from "../db/outbound-messages.repo.ts";
import type { Clock } from "../services/ports.ts";
import { type MessageChannel, type MessageTransport, PermanentSendError } from "./transport.ts";

const logger = getLogger(["bayanihan", "outbox"]);

export interface OutboxWorkerOptions {
  /** How long a claim holds a row; longer than any send may take (SMTP timeouts are shorter). */
  readonly leaseMs?: number;
  /** Attempts before a message is given up as failed. */
  readonly maxAttempts?: number;
  /** Wait before attempt n+1 after n failed ones. */
  readonly retryDelay?: (failedAttempts: number) => Temporal.Duration;
  /** The longest sleep between passes when nothing wakes the worker. */
  readonly pollIntervalMs?: number;
  /** Messages claimed per pass. */
  readonly batchSize?: number;
  /**
   * Runs before each pass (it may write messages): turning recorded events
   * into emails, writing due digests. Its failure is logged; the pass goes on.
   */
  readonly beforeEachPass?: () => Promise<unknown>;
}

export const DEFAULT_LEASE_MS = 5 * 60_000;
export const DEFAULT_MAX_ATTEMPTS = 10;
const DEFAULT_POLL_MS = 30_000;
const DEFAULT_BATCH = 20;

/** 30 s, doubling, at most an hour: ten attempts span about five hours. */
export function defaultRetryDelay(failedAttempts: number): Temporal.Duration {
  const seconds = Math.min(30 * 2 ** Math.max(0, failedAttempts - 1), 3600);
  return Temporal.Duration.from({ seconds });
}

export interface OutboxWorker {
  /** Sends every message due now; resolves to how many were sent. */
  drain(): Promise<number>;
  /** Runs passes until `signal` aborts: on a timer, and when a message is written. */
  run(signal: AbortSignal): Promise<void>;
}

export function createOutboxWorker(
  deps: {
    readonly database: Pick<DatabaseHandle, "db" | "listen">;
    readonly clock: Clock;
    readonly transports: readonly MessageTransport[];
  },
  options: OutboxWorkerOptions = {},
): OutboxWorker {
  const db: Kysely<Database> = deps.database.db;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const retryDelay = options.retryDelay ?? defaultRetryDelay;
  const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const byChannel = new Map<MessageChannel, MessageTransport>();
  for (const transport of deps.transports) byChannel.set(transport.channel, transport);
  const channels = [...byChannel.keys()];

  async function sendOne(claim: ClaimedMessage): Promise<boolean> {
    const transport = byChannel.get(claim.message.channel)!;
    try {
      await transport.send(claim.message);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const giveUp = error instanceof PermanentSendError || claim.message.attempts >= maxAttempts;
      const retryAt = giveUp ? null : deps.clock().add(retryDelay(claim.message.attempts));
      logger.warn("Sending {channel} message {id} failed (attempt {attempt}): {reason}", {
        channel: claim.message.channel,
        id: claim.message.id,
        attempt: claim.message.attempts,
        reason,
        ...(giveUp ? { gaveUp: true } : {}),
      });
      await markAttemptFailed(db, claim, reason.slice(0, 2000), retryAt);
      return false;
    }
    if (!(await markSent(db, claim, deps.clock()))) {
      logger.warn("Message {id} was sent after its lease ran out", { id: claim.message.id });
    }
    return true;
  }

  let passing: Promise<number> | null = null;
  async function pass(): Promise<number> {
    if (options.beforeEachPass !== undefined) {
      await options.beforeEachPass().catch((error: unknown) => {
        logger.error("Preparing messages failed: {error}", { error });
      });
    }
    let sent = 0;
    for (;;) {
      const now = deps.clock();
      const claims = await claimDueMessages(
        db,
        channels,
        now,
        now.add({ milliseconds: leaseMs }),
        batchSize,
      );
      if (claims.length === 0) return sent;
      for (const claim of claims) if (await sendOne(claim)) sent++;
    }
  }
  /** One pass at a time in this process; a caller arriving meanwhile runs another after it. */
  async function drain(): Promise<number> {
    while (passing !== null) await passing.catch(() => 0);
    passing = pass().finally(() => {
      passing = null;
    });
    return passing;
  }

  return {
    drain,
    async run(signal) {
      let wake: (() => void) | null = null;
      let woken = false;
      const poke = () => {
        woken = true;
        wake?.();
      };
      const unlisten = await deps.database.listen(OUTBOX_CHANNEL, poke);
      signal.addEventListener("abort", poke, { once: true });
      try {
        while (!signal.aborted) {
          woken = false;
          try {
            await drain();
          } catch (error) {
            logger.error("Outbox pass failed: {error}", { error });
          }
          if (signal.aborted || woken) continue;
          const due = await nextDueAt(db, channels).catch(() => null);
          const untilDue =
            due === null
              ? pollMs
              : Math.max(0, due.epochMilliseconds - deps.clock().epochMilliseconds);
          await new Promise<void>((resolve) => {
            if (woken) return resolve();
            const timer = setTimeout(resolve, Math.min(pollMs, untilDue + 10));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = null;
        }
      } finally {
        await unlisten();
      }
    },
  };
}
