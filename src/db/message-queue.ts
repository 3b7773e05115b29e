import { randomUUID } from "node:crypto";
import type {
  MessageQueue,
  MessageQueueDepth,
  MessageQueueEnqueueOptions,
  MessageQueueListenOptions,
} from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import { type RawBuilder, sql } from "kysely";
import type { DatabaseHandle } from "./connect.ts";
import { jsonb } from "./json.ts";
import { notifyExpression } from "./notify.ts";
import { StatementBatcher } from "./statement-batcher.ts";

// Messages can carry actors' private keys (fan-out and outbox messages): log
// ids and errors, never a message body.
const logger = getLogger(["bayanihan", "db", "queue"]);

/**
 * The NOTIFY channels that wake a lane's listeners when one of its messages
 * may have become claimable: one per lane, so a fan-out's deliveries do not
 * wake the inbox lane into claims that find nothing.
 */
export const QUEUE_CHANNEL = "fedify_queue";

export function laneChannel(lane: string): string {
  return `${QUEUE_CHANNEL}__${lane}`;
}

/** `pg_notify` on the channel of the lane named by the SQL expression `lane`. */
function laneNotifyExpression(lane: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`pg_notify(current_schema() || '__' || ${laneChannel("")} || ${lane}, '')`;
}

/**
 * After a DELETE whose CTE is named `deleted` (returning `ordering_key`):
 * notifies every lane holding a message that waited on a deleted message's
 * ordering key, since that successor may now be claimable. The statement's
 * snapshot still shows the deleted rows, so their own lanes are woken too.
 */
const successorLanesNotified = sql`
  SELECT ${laneNotifyExpression(sql`waiting.lane`)} AS notified
  FROM (SELECT DISTINCT q.lane FROM fedify_queue AS q
        WHERE q.ordering_key IN (
          SELECT ordering_key FROM deleted WHERE ordering_key IS NOT NULL)) AS waiting`;

/**
 * The queue's own retry policy. Giving one makes the queue retry in place
 * (`nativeRetrial = true`): Fedify rethrows a failed delivery's error instead
 * of enqueueing a copy of the message, and the queue hands the same row out
 * again, so it keeps its place in its ordering key's line.
 */
export interface KyselyMessageQueueRetry {
  /**
   * The delay before the next attempt after the `attempt`-th failure (1 for
   * the first), or null to give up. A negative delay counts as none.
   */
  delayFor(attempt: number, message: unknown, error: unknown): Temporal.Duration | null;
  /**
   * Whether the failure can never succeed on another try (the message
   * itself is unreadable): it is then given up on at once, whatever
   * `delayFor` would say.
   */
  isPermanent?(error: unknown, message: unknown): boolean;
  /**
   * Whether the failure says the message's destination itself is unwell (no
   * answer, a server error), rather than refusing this one message. Such
   * failures in a row park the destination (`parking`); any other outcome
   * of a delivery there ends its run of failures.
   */
  isDestinationFailure?(error: unknown, message: unknown): boolean;
  /**
   * Called once a message is given up on, after its row is deleted. Errors it
   * throws are logged and otherwise ignored. The message can carry private
   * keys: do not log it whole.
   */
  onGiveUp?(message: unknown, error: unknown, attempts: number): void | Promise<void>;
}

export interface KyselyMessageQueueOptions {
  /** Longest idle wait between claim attempts when no notification arrives. Default 1000. */
  readonly pollIntervalMs?: number;
  /** Messages one `listen()` handles at the same time. Default 4. */
  readonly concurrency?: number;
  /**
   * How long a claimed message stays invisible to other workers. A live
   * worker renews the lease while its handler runs, so this bounds how long a
   * crashed worker's message waits, not how long a handler may take.
   * Default 60000.
   */
  readonly leaseMs?: number;
  /**
   * Delay before a message whose handler threw becomes claimable again, when
   * no `retry` policy is given (or when the policy itself throws). Default 5000.
   */
  readonly retryDelayMs?: number;
  /**
   * Retry failed messages in place with this policy, and say so to Fedify
   * (`nativeRetrial = true`). Without it Fedify does its own retries by
   * enqueueing copies, and the queue only backs off by `retryDelayMs`.
   */
  readonly retry?: KyselyMessageQueueRetry;
  /**
   * Lanes and the messages each handles at once (instead of `concurrency`):
   * each lane has its own claim loop and slots, so one kind of message (slow
   * deliveries) can never take the slots of another (received activities).
   */
  readonly lanes?: Readonly<Record<string, number>>;
  /** The lane of a message; an unknown lane (or none given) is the first lane. */
  readonly laneOf?: (message: unknown) => string;
  /**
   * Where a message goes (e.g. an inbox's host and port), or null. Messages
   * to one destination are in flight at most `perDestination` at a time,
   * across every worker reading the table (up to a claim's race between two
   * workers), and a destination that keeps failing is parked.
   */
  readonly destinationOf?: (message: unknown) => string | null;
  /** Default 4. */
  readonly perDestination?: number;
  /**
   * How long a destination is parked after `failures` destination failures
   * in a row (`retry.isDestinationFailure`), or null not to park it yet.
   * While parked none of its messages is claimed (nor their attempts
   * counted); afterwards they go one at a time until one succeeds. Default:
   * never parked.
   */
  readonly parking?: (failures: number) => Temporal.Duration | null;
  /**
   * How long `listen()` waits, once its signal is aborted, for the handlers
   * it started to finish. Those still running then have their messages
   * released at once (another worker, or this one restarted, takes them
   * without waiting for the lease to expire; a handler that still finishes
   * may make its delivery twice, which at-least-once allows). Default 30000.
   */
  readonly shutdownGraceMs?: number;
}

/** Rows in one INSERT at most (each carries a whole message, private keys and all). */
const MAX_ROWS_PER_INSERT = 500;

/** One row of an enqueue call. */
interface QueuedRow {
  readonly message: unknown;
  readonly orderingKey: string | null;
  readonly delayMs: number;
}

interface ClaimedMessage {
  readonly id: string;
  readonly message: unknown;
  readonly orderingKey: string | null;
  /** Failed attempts before this claim. */
  readonly attempts: number;
  readonly destination: string | null;
  /** Whether the destination had failures on record when this was claimed. */
  readonly destinationFailing: boolean;
}

/** Candidates one claim looks at per slot it fills: room to skip busy destinations. */
const CLAIM_SCAN_FACTOR = 8;
const MIN_CLAIM_SCAN = 256;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${result}`);
  }
  return result;
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

function nowPlus(ms: number) {
  return sql<Date>`now() + ${ms}::double precision * interval '1 millisecond'`;
}

/**
 * Fedify's message queue in the application's own database (`fedify_queue`).
 *
 * At least once: a message is leased while its handler runs and deleted only
 * after the handler succeeds; a handler that throws releases it for another
 * try; a worker that dies leaves a lease that expires. Claims lock with SKIP
 * LOCKED, so any number of processes can share the table.
 *
 * Without a `retry` policy Fedify does its own retries (`nativeRetrial =
 * false`) by enqueueing a copy of a failed message at the back of its ordering
 * key's line; its handler rarely throws, a throw is retried after
 * `retryDelayMs`, forever. With one (`nativeRetrial = true`) Fedify rethrows
 * and the failed row itself backs off: it keeps its id, so later messages
 * with the same ordering key wait behind it, and once the policy gives up the
 * row is deleted and `onGiveUp` told.
 *
 * Times are all on the database clock, so processes on different machines
 * agree on when a delay or a lease is over.
 */
export class KyselyMessageQueue implements MessageQueue {
  readonly nativeRetrial: boolean;
  readonly #handle: DatabaseHandle;
  readonly #pollIntervalMs: number;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #shutdownGraceMs: number;
  readonly #retryDelayMs: number;
  readonly #retry: KyselyMessageQueueRetry | undefined;
  readonly #lanes: ReadonlyMap<string, number>;
  readonly #laneOf: ((message: unknown) => string) | undefined;
  readonly #destinationOf: ((message: unknown) => string | null) | undefined;
  readonly #perDestination: number;
  readonly #parking: ((failures: number) => Temporal.Duration | null) | undefined;
  /** The failures in a row at which `parking` first parks; from then on the destination is probed. */
  readonly #probeAfter: number | null;
  /**
   * Enqueue calls made together share one INSERT (in call order, whole
   * calls only: one call's messages commit together or not at all), and
   * handled messages one DELETE (statement-batcher.ts).
   */
  readonly #inserts = new StatementBatcher<readonly QueuedRow[], undefined>(
    (calls) => this.#insertCalls(calls),
    MAX_ROWS_PER_INSERT,
    (rows) => rows.length,
  );
  readonly #deletes = new StatementBatcher<string, undefined>((ids) => this.#deleteMany(ids));

  constructor(handle: DatabaseHandle, options: KyselyMessageQueueOptions = {}) {
    this.#handle = handle;
    this.#pollIntervalMs = positiveInteger("pollIntervalMs", options.pollIntervalMs, 1000);
    this.#concurrency = positiveInteger("concurrency", options.concurrency, 4);
    this.#leaseMs = positiveInteger("leaseMs", options.leaseMs, 60_000);
    this.#shutdownGraceMs = positiveInteger("shutdownGraceMs", options.shutdownGraceMs, 30_000);
    this.#retryDelayMs = positiveInteger("retryDelayMs", options.retryDelayMs, 5000);
    this.#retry = options.retry;
    this.nativeRetrial = options.retry !== undefined;
    const lanes = Object.entries(options.lanes ?? { default: this.#concurrency });
    if (lanes.length === 0) throw new RangeError("lanes must name at least one lane");
    this.#lanes = new Map(
      lanes.map(([lane, slots]) => [lane, positiveInteger(`lanes.${lane}`, slots, 1)]),
    );
    this.#laneOf = options.laneOf;
    this.#destinationOf = options.destinationOf;
    this.#perDestination = positiveInteger("perDestination", options.perDestination, 4);
    this.#parking = options.parking;
    this.#probeAfter = null;
    for (let failures = 1; this.#parking !== undefined && failures <= 1000; failures++) {
      if (this.#parking(failures) !== null) {
        this.#probeAfter = failures;
        break;
      }
    }
  }

  #laneFor(message: unknown): string {
    const lane = this.#laneOf?.(message);
    return lane !== undefined && this.#lanes.has(lane) ? lane : this.#lanes.keys().next().value!;
  }

  enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    return this.enqueueMany([message], options);
  }

  /**
   * Resolves once the messages are committed. Calls made together (Fedify
   * enqueues a fan-out's deliveries one call per inbox, all at once, because
   * each has its own ordering key; inbox requests arrive together) and calls
   * made while an INSERT is on its way share one INSERT, in call order.
   */
  enqueueMany(messages: readonly unknown[], options?: MessageQueueEnqueueOptions): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const delayMs = Math.max(0, options?.delay?.total({ unit: "millisecond" }) ?? 0);
    const orderingKey = options?.orderingKey ?? null;
    return this.#inserts
      .submit(messages.map((message) => ({ message, orderingKey, delayMs })))
      .then(() => undefined);
  }

  async #insertCalls(calls: readonly (readonly QueuedRow[])[]): Promise<undefined[]> {
    // One statement, so the notification is sent exactly when the rows
    // commit (listeners never wake before they can see them). A delayed
    // message notifies too: listeners shorten their wait to its due time.
    // Rows of one VALUES list take ids in list order, which keeps each
    // ordering key's messages in the order they were enqueued.
    const lanes = new Set(calls.flatMap((rows) => rows.map((row) => this.#laneFor(row.message))));
    await this.#handle.db
      .with("inserted", (db) =>
        db
          .insertInto("fedify_queue")
          .values(
            calls.flatMap((rows) =>
              rows.map((row) => ({
                message: jsonb(row.message),
                ordering_key: row.orderingKey,
                lane: this.#laneFor(row.message),
                destination: this.#destinationOf?.(row.message) ?? null,
                available_at: nowPlus(row.delayMs),
                created_at: sql<Date>`now()`,
              })),
            ),
          )
          .returning("id"),
      )
      .selectNoFrom([...lanes].map((lane, i) => notifyExpression(laneChannel(lane)).as(`n${i}`)))
      .execute();
    return calls.map(() => undefined);
  }

  async getDepth(): Promise<MessageQueueDepth> {
    const result = await sql<{ ready: string | number; delayed: string | number }>`
      SELECT count(*) FILTER (WHERE available_at <= now()) AS ready,
             count(*) FILTER (WHERE available_at > now()) AS delayed
      FROM fedify_queue
      WHERE lease_until IS NULL OR lease_until <= now()`.execute(this.#handle.db);
    const ready = Number(result.rows[0]?.ready ?? 0);
    const delayed = Number(result.rows[0]?.delayed ?? 0);
    return { queued: ready + delayed, ready, delayed };
  }

  /**
   * One claim loop per call, running up to `concurrency` handlers at once.
   * Resolves after the signal is aborted and every handler it started has
   * finished (and its message is deleted or released), with none of its
   * queries still running, so the database can be closed right away. Never
   * rejects: database errors are logged and retried after the poll interval.
   */
  async listen(
    handler: (message: unknown) => Promise<void> | void,
    options: MessageQueueListenOptions = {},
  ): Promise<void> {
    await Promise.all(
      [...this.#lanes].map(([lane, slots]) =>
        this.#listenLane(lane, slots, handler, options.signal),
      ),
    );
  }

  /** One lane's claim loop, with its own slots (see `listen`). */
  async #listenLane(
    lane: string,
    concurrency: number,
    handler: (message: unknown) => Promise<void> | void,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (signal?.aborted) return;
    // A lease owner per listen(), so renewing touches only this loop's messages.
    const owner = randomUUID();
    const inFlight = new Set<Promise<void>>();

    // A wake-up that arrives while the loop is busy (claiming, or computing
    // how long to sleep) must not be lost: the loop compares generations
    // before going to sleep.
    let generation = 0;
    let wakeSleeper: (() => void) | undefined;
    // The last claim found fewer messages than it asked for, and nothing has
    // said since that more may have come: a finishing handler then has no
    // reason to claim again (on PGlite each empty claim costs as much CPU as
    // a full one). A notification, a timer or the abort clears it.
    let drained = false;
    // The last claim left messages behind for their destination's limit.
    let heldBack = false;
    const wakeLoop = () => {
      generation++;
      const sleeper = wakeSleeper;
      wakeSleeper = undefined;
      sleeper?.();
    };
    const wake = () => {
      drained = false;
      wakeLoop();
    };
    const sleep = (ms: number | undefined) =>
      new Promise<void>((resolve) => {
        const timer = ms === undefined ? undefined : setTimeout(wake, ms);
        wakeSleeper = () => {
          clearTimeout(timer);
          resolve();
        };
      });

    signal?.addEventListener("abort", wake);
    let unlisten: (() => Promise<void>) | undefined;
    try {
      unlisten = await this.#handle.listen(laneChannel(lane), wake);
    } catch (error) {
      logger.warn("Cannot LISTEN for queue notifications; polling only: {error}", { error });
    }
    // At most one renewal at a time, and listen() waits for it before
    // resolving: callers close the database once listen() resolves, and a
    // query still running then can hang that close (postgres.js's end() waits
    // forever for a connection reserved when it was called).
    let renewing: Promise<void> | undefined;
    const renewal = setInterval(
      () => {
        if (inFlight.size === 0 || renewing !== undefined) return;
        renewing = this.#renewLeases(owner).finally(() => {
          renewing = undefined;
        });
      },
      Math.max(1, Math.floor(this.#leaseMs / 3)),
    );

    try {
      while (!signal?.aborted) {
        if (inFlight.size >= concurrency) {
          // A finishing handler wakes us.
          await sleep(undefined);
          continue;
        }
        const seen = generation;
        let claimed: ClaimedMessage[] = [];
        let idleMs = this.#pollIntervalMs;
        try {
          // As many messages as there are free slots, in one statement.
          const asked = concurrency - inFlight.size;
          const claim = await this.#claim(owner, lane, asked);
          claimed = claim.messages;
          drained = claimed.length < asked;
          heldBack = claim.heldBack;
          if (claim.dueInMs !== null) {
            idleMs = Math.min(idleMs, Math.max(1, Math.ceil(claim.dueInMs)));
          }
        } catch (error) {
          drained = false;
          logger.error("Claiming from the queue failed; retrying: {error}", { error });
        }
        if (claimed.length > 0) {
          if (signal?.aborted) {
            for (const message of claimed) await this.#release(message.id, owner, 0);
            break;
          }
          for (const message of claimed) {
            const task = this.#process(message, handler, owner).finally(() => {
              inFlight.delete(task);
              // A message left behind for its destination's limit may be
              // claimable now that this one is done.
              if (message.destination !== null && heldBack) drained = false;
              if (!drained) wakeLoop();
            });
            inFlight.add(task);
          }
          // A full claim may have left more behind; a short one emptied
          // what was ready, and the next message will notify (or a delayed
          // one be found within the poll interval).
          if (!drained) continue;
        }
        if (generation !== seen) continue;
        await sleep(idleMs);
      }
    } finally {
      if (!(await settlesWithin(Promise.all(inFlight), this.#shutdownGraceMs))) {
        // Renewals stop, so this must not wait for the leases to run out.
        await renewing;
        await this.#releaseOwned(owner);
      }
      clearInterval(renewal);
      await renewing;
      signal?.removeEventListener("abort", wake);
      wakeSleeper = undefined;
      await unlisten?.().catch((error: unknown) => {
        logger.warn("UNLISTEN failed: {error}", { error });
      });
    }
  }

  // Never rejects: every outcome ends in a deleted, released or (if the
  // database is unreachable) lease-expiring row.
  async #process(
    claimed: ClaimedMessage,
    handler: (message: unknown) => Promise<void> | void,
    owner: string,
  ): Promise<void> {
    try {
      await handler(claimed.message);
    } catch (error) {
      if (this.#retry === undefined) {
        logger.warn(
          "Handler failed for queued message {id}; retrying in {retryDelayMs} ms: {error}",
          {
            id: claimed.id,
            retryDelayMs: this.#retryDelayMs,
            error,
          },
        );
        await this.#release(claimed.id, owner, this.#retryDelayMs);
      } else {
        await this.#failWithPolicy(this.#retry, claimed, owner, error);
      }
      return;
    }
    if (claimed.destinationFailing) await this.#destinationAnswered(claimed.destination!);
    try {
      // Deleted whoever holds the lease now: the work is done. When the
      // message had an ordering key its successor just became claimable, and
      // the notification tells other processes so.
      await this.#deleteHandled(claimed.id);
    } catch (error) {
      logger.error(
        "Cannot delete handled message {id}; it will be handled again when its lease expires: {error}",
        { id: claimed.id, error },
      );
    }
  }

  // Never rejects. The attempt is counted in the same statement that releases
  // or deletes the row, and only while this loop still holds the lease: a
  // worker whose lease ran out (another one may be running the message now)
  // leaves the row's fate to that worker.
  async #failWithPolicy(
    retry: KyselyMessageQueueRetry,
    claimed: ClaimedMessage,
    owner: string,
    error: unknown,
  ): Promise<void> {
    const attempts = claimed.attempts + 1;
    if (claimed.destination !== null && retry.isDestinationFailure !== undefined) {
      let unwell: boolean;
      try {
        unwell = retry.isDestinationFailure(error, claimed.message);
      } catch {
        unwell = true;
      }
      if (unwell) await this.#destinationFailed(claimed.destination);
      else if (claimed.destinationFailing) await this.#destinationAnswered(claimed.destination);
    }
    let delayMs: number | null;
    try {
      const delay = retry.isPermanent?.(error, claimed.message)
        ? null
        : retry.delayFor(attempts, claimed.message, error);
      delayMs = delay === null ? null : Math.max(0, delay.total({ unit: "millisecond" }));
    } catch (policyError) {
      logger.error(
        "Retry policy failed for queued message {id}; retrying in {retryDelayMs} ms: {policyError}",
        { id: claimed.id, retryDelayMs: this.#retryDelayMs, policyError },
      );
      delayMs = this.#retryDelayMs;
    }

    if (delayMs !== null) {
      logger.warn(
        "Handler failed for queued message {id} (attempt {attempts}); retrying in {delayMs} ms: {error}",
        { id: claimed.id, attempts, delayMs, error },
      );
      await this.#release(claimed.id, owner, delayMs, attempts);
      return;
    }

    logger.error(
      "Handler failed for queued message {id} (attempt {attempts}); giving up: {error}",
      { id: claimed.id, attempts, error },
    );
    let deleted: boolean;
    try {
      deleted = await this.#delete(claimed.id, owner);
    } catch (deleteError) {
      // The lease expires and the message is handled again; its attempts were
      // not counted, so the policy gives up on it again at the same count.
      logger.error(
        "Cannot delete given-up message {id}; it will be handled again when its lease expires: {error}",
        { id: claimed.id, error: deleteError },
      );
      return;
    }
    if (!deleted) {
      logger.warn(
        "Given-up message {id} is no longer leased by this worker; leaving it to its new owner",
        { id: claimed.id },
      );
      return;
    }
    try {
      await retry.onGiveUp?.(claimed.message, error, attempts);
    } catch (giveUpError) {
      logger.error("onGiveUp failed for queued message {id}: {error}", {
        id: claimed.id,
        error: giveUpError,
      });
    }
  }

  /**
   * Deletes a handled message; while one DELETE is on its way, the messages
   * that finish meanwhile wait for the next one. Under load (a fan-out
   * finishing 16 deliveries at a time) that is a fraction of the round trips.
   */
  #deleteHandled(id: string): Promise<undefined> {
    return this.#deletes.submit(id);
  }

  async #deleteMany(ids: readonly string[]): Promise<undefined[]> {
    await sql`
      WITH deleted AS (
        DELETE FROM fedify_queue
        WHERE id = ANY(${ids}::bigint[])
        RETURNING ordering_key)
      ${successorLanesNotified}`.execute(this.#handle.db);
    return ids.map(() => undefined);
  }

  /**
   * Deletes a message (only while `owner` leases it, when given) and, when it
   * had an ordering key, notifies: its successor just became claimable.
   * Resolves to whether a row was deleted.
   */
  async #delete(id: string, owner?: string): Promise<boolean> {
    const result = await sql<{ ordering_key: string | null }>`
      WITH deleted AS (
        DELETE FROM fedify_queue
        WHERE id = ${id} ${owner === undefined ? sql`` : sql`AND lease_owner = ${owner}`}
        RETURNING ordering_key),
      notified AS (${successorLanesNotified})
      SELECT (SELECT count(*) FROM notified) AS notified, ordering_key
      FROM deleted`.execute(this.#handle.db);
    return result.rows.length > 0;
  }

  /**
   * Leases up to `limit` claimable messages. When there is none, also says in
   * how many milliseconds the earliest future moment a message becomes due
   * (a delay ends, a backoff ends, or a lease expires), or null: one round
   * trip either way. Messages due already but not claimable wait on an
   * ordering key; the predecessor's deletion notifies, so they need no timer.
   */
  async #claim(
    owner: string,
    lane: string,
    limit: number,
  ): Promise<{
    messages: ClaimedMessage[];
    dueInMs: number | null;
    /** Claimable messages were left for their destination's limit (or parking). */
    heldBack: boolean;
  }> {
    // A message with an ordering key waits while any earlier message with the
    // same key exists (delayed, leased, or backing off after a failure), so
    // only the head of each key's chain is ever claimable and a key's
    // messages never run concurrently, even across processes (nor within one
    // batch: a key's second message has an earlier one).
    //
    // Of the lane's first claimable messages, those whose destination is
    // parked, or already has its share in flight (leased anywhere, plus those
    // ranked before it in this claim), are left for later: a destination
    // being probed after a parking gets one at a time. Only the chosen rows
    // are locked (locking every candidate would write each one's row on
    // PostgreSQL), and their lease is checked again under the lock, so two
    // workers never take the same message; one that lost a race claims
    // fewer this time. The due time is read in the same snapshot as the
    // claim, and only matters when nothing was claimed.
    const scan = Math.max(MIN_CLAIM_SCAN, limit * CLAIM_SCAN_FACTOR);
    const result = await sql<{
      id: string | number | null;
      message: unknown;
      ordering_key: string | null;
      attempts: number | null;
      destination: string | null;
      failing: boolean | null;
      due_in_ms: number | null;
      held_back: boolean;
    }>`
      WITH candidates AS (
        SELECT q.id, q.available_at, q.destination FROM fedify_queue AS q
        WHERE q.lane = ${lane}
          AND q.available_at <= now()
          AND (q.lease_until IS NULL OR q.lease_until <= now())
          AND (q.ordering_key IS NULL OR NOT EXISTS (
            SELECT 1 FROM fedify_queue AS earlier
            WHERE earlier.ordering_key = q.ordering_key AND earlier.id < q.id))
        ORDER BY q.available_at, q.id
        LIMIT ${scan}),
      ranked AS (
        SELECT c.id, c.available_at, c.destination,
          row_number() OVER (PARTITION BY c.destination ORDER BY c.available_at, c.id) AS rank
        FROM candidates AS c),
      chosen AS (
        SELECT r.id FROM ranked AS r
        LEFT JOIN fedify_queue_destinations AS d ON d.destination = r.destination
        WHERE r.destination IS NULL
          OR ((d.parked_until IS NULL OR d.parked_until <= now())
            AND r.rank + (SELECT count(*) FROM fedify_queue AS busy
                          WHERE busy.destination = r.destination AND busy.lease_until > now())
              <= CASE WHEN d.failures >= ${this.#probeAfter ?? 2_147_483_647} THEN 1
                      ELSE ${this.#perDestination} END)
        ORDER BY r.available_at, r.id
        LIMIT ${Math.max(1, limit)}),
      locked AS (
        SELECT q.id FROM fedify_queue AS q
        WHERE q.id IN (SELECT id FROM chosen)
          AND (q.lease_until IS NULL OR q.lease_until <= now())
        FOR UPDATE SKIP LOCKED),
      claimed AS (
        UPDATE fedify_queue
        SET lease_until = ${nowPlus(this.#leaseMs)}, lease_owner = ${owner}
        WHERE id IN (SELECT id FROM locked)
        RETURNING id, message, ordering_key, attempts, available_at, destination)
      SELECT c.id, c.message, c.ordering_key, c.attempts, c.destination,
        d.destination IS NOT NULL AS failing, NULL::double precision AS due_in_ms,
        (SELECT count(*) FROM ranked) > (SELECT count(*) FROM chosen) AS held_back
      FROM (SELECT * FROM claimed ORDER BY available_at, id) AS c
      LEFT JOIN fedify_queue_destinations AS d ON d.destination = c.destination
      UNION ALL
      SELECT NULL, NULL, NULL, NULL, NULL, NULL,
        (SELECT (EXTRACT(EPOCH FROM min(due) - now()) * 1000)::double precision
         FROM (SELECT GREATEST(available_at, COALESCE(lease_until, available_at)) AS due
               FROM fedify_queue WHERE lane = ${lane}
               UNION ALL
               SELECT parked_until FROM fedify_queue_destinations) AS upcoming
         WHERE due > now()),
        (SELECT count(*) FROM ranked) > 0
      WHERE NOT EXISTS (SELECT 1 FROM claimed)`.execute(this.#handle.db);
    const messages: ClaimedMessage[] = [];
    let dueInMs: number | null = null;
    let heldBack = false;
    for (const row of result.rows) {
      heldBack ||= row.held_back === true;
      if (row.id === null) {
        dueInMs = row.due_in_ms == null ? null : Number(row.due_in_ms);
        continue;
      }
      messages.push({
        id: String(row.id),
        message: row.message,
        orderingKey: row.ordering_key,
        attempts: Number(row.attempts),
        destination: row.destination,
        destinationFailing: row.failing === true,
      });
    }
    return { messages, dueInMs, heldBack };
  }

  /**
   * Counts a destination failure and, when `parking` says so, parks the
   * destination. Never rejects: bookkeeping lost to a database error only
   * delays the parking.
   */
  async #destinationFailed(destination: string): Promise<void> {
    try {
      const row = await sql<{ failures: number }>`
        INSERT INTO fedify_queue_destinations (destination, failures, parked_until, updated_at)
        VALUES (${destination}, 1, NULL, now())
        ON CONFLICT (destination) DO UPDATE
        SET failures = fedify_queue_destinations.failures + 1, updated_at = now()
        RETURNING failures`.execute(this.#handle.db);
      const failures = Number(row.rows[0]?.failures ?? 0);
      const parked = this.#parking?.(failures) ?? null;
      if (parked === null) return;
      const parkedMs = Math.max(0, parked.total({ unit: "millisecond" }));
      await sql`
        UPDATE fedify_queue_destinations SET parked_until = ${nowPlus(parkedMs)}
        WHERE destination = ${destination}`.execute(this.#handle.db);
      logger.warn(
        "Parked deliveries to {destination} for {parkedMs} ms after {failures} failures in a row",
        { destination, parkedMs, failures },
      );
    } catch (error) {
      logger.warn("Cannot count a failure of {destination}: {error}", { destination, error });
    }
  }

  /** The destination answered: its run of failures (and any parking) is over. */
  async #destinationAnswered(destination: string): Promise<void> {
    try {
      const result = await sql<{ parked: boolean }>`
        DELETE FROM fedify_queue_destinations WHERE destination = ${destination}
        RETURNING parked_until IS NOT NULL AS parked`.execute(this.#handle.db);
      if (result.rows[0]?.parked) {
        logger.info("Deliveries to {destination} resume: it answered", { destination });
      }
    } catch (error) {
      logger.warn("Cannot clear the failures of {destination}: {error}", { destination, error });
    }
  }

  /** Gives back every message `owner` leases, due at once (a shutdown past its grace). */
  async #releaseOwned(owner: string): Promise<void> {
    try {
      const released = await sql`
        UPDATE fedify_queue SET lease_until = NULL, lease_owner = NULL, available_at = now()
        WHERE lease_owner = ${owner}`.execute(this.#handle.db);
      logger.warn("Stopping: returned {count} unfinished message(s) to the queue", {
        count: Number(released.numAffectedRows ?? 0n),
      });
    } catch (error) {
      logger.error(
        "Cannot return unfinished messages to the queue; their leases will expire: {error}",
        {
          error,
        },
      );
    }
  }

  /** Releases a leased message, due after `delayMs`; `attempts`, when given, is stored with it. */
  async #release(id: string, owner: string, delayMs: number, attempts?: number): Promise<void> {
    try {
      await sql`
        UPDATE fedify_queue
        SET lease_until = NULL, lease_owner = NULL, available_at = ${nowPlus(delayMs)}
          ${attempts === undefined ? sql`` : sql`, attempts = ${attempts}`}
        WHERE id = ${id} AND lease_owner = ${owner}`.execute(this.#handle.db);
    } catch (error) {
      logger.error("Cannot release queued message {id}; its lease will expire: {error}", {
        id,
        error,
      });
    }
  }

  async #renewLeases(owner: string): Promise<void> {
    try {
      await sql`
        UPDATE fedify_queue SET lease_until = ${nowPlus(this.#leaseMs)}
        WHERE lease_owner = ${owner}`.execute(this.#handle.db);
    } catch (error) {
      logger.warn("Cannot renew queue leases: {error}", { error });
    }
  }
}

/** What the queue holds now, for the metrics. */
export interface QueueStats {
  readonly lanes: readonly {
    readonly lane: string;
    /** Waiting, delayed or in flight. */
    readonly messages: number;
    /** Since the oldest was first queued (retries in place keep their row). */
    readonly oldestAgeSeconds: number;
  }[];
  /** Destinations whose deliveries are parked now. */
  readonly parkedDestinations: number;
}

/** One read of the queue per lane, and one of the parked destinations. */
export async function queueStats(db: DatabaseHandle["db"]): Promise<QueueStats> {
  const lanes = await sql<{ lane: string; messages: string | number; oldest: string | number }>`
    SELECT lane, count(*) AS messages,
           greatest(0, EXTRACT(EPOCH FROM now() - min(created_at))) AS oldest
    FROM fedify_queue GROUP BY lane`.execute(db);
  const parked = await sql<{ parked: string | number }>`
    SELECT count(*) AS parked FROM fedify_queue_destinations
    WHERE parked_until > now()`.execute(db);
  return {
    lanes: lanes.rows.map((row) => ({
      lane: row.lane,
      messages: Number(row.messages),
      oldestAgeSeconds: Number(row.oldest),
    })),
    parkedDestinations: Number(parked.rows[0]?.parked ?? 0),
  };
}
