/**
 * The instance's Prometheus metrics, on a registry of its own: several
 * instances in one process (tests, benchmarks) each count their own. The
 * composition root creates it and hands plain recording functions to what
 * records (the HTTP app, the inbox screen, the delivery queue), so that only
 * this module knows prom-client. What describes the process itself (memory,
 * CPU, event-loop lag) is shared by the instances it runs.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { QueueStats } from "./db/message-queue.ts";
import type { DatabaseUsage } from "./db/usage.ts";

/**
 * How a changed copy of another instance's need or offer reached us: in an
 * activity sent to our inbox, or read again by the reconciliation job
 * because the copy had gone stale.
 */
export type CopySource = "inbox" | "reconciliation";

/** Why a delivery was given up on (delivery_failures.reason). */
export type DeliveryGiveUpReason = "exhausted" | "gone" | "refused";

export interface InstanceMetrics {
  /** `text/plain; version=0.0.4; charset=utf-8` */
  readonly contentType: string;
  /** The exposition text of every metric (the queue's figures read within the last two QUEUE_READING_PERIOD_MS). */
  scrape(): Promise<string>;
  /** One HTTP request answered: `route` is a pattern (never a raw path). */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** An inbox POST whose activity was authenticated and taken in. */
  inboxAccepted(): void;
  /** An inbox POST refused by the screen, with its error code (a bounded set). */
  inboxRefused(reason: string): void;
  /** One delivery attempt ended: the peer took it, or it failed (retried or given up). */
  deliveryAttempted(outcome: "delivered" | "failed"): void;
  /** A delivery given up on for good. */
  deliveryGivenUp(reason: DeliveryGiveUpReason): void;
  /**
   * A new or changed copy of a remote need or offer stored, `lagSeconds`
   * after its origin published or last updated it (0 when the origin's
   * clock is ahead of ours).
   */
  copyStored(source: CopySource, lagSeconds: number): void;
  /** Stops the queue gauges' background refresh and the database's observer. */
  close(): void;
}

/** How often the queue gauges are read again while scraped (README, "Monitoring"). */
export const QUEUE_READING_PERIOD_MS = 5_000;

/** A refresh stops after this long without a scrape; the next scrape reads afresh. */
const IDLE_AFTER_MS = 5 * 60_000;

/**
 * A value read in the background every `refreshEveryMs` while it is being
 * asked for. `current()` answers the last reading when it is fresh enough,
 * and waits for a new one only on the first call or after a pause (or when
 * the last refresh failed, so an error is not hidden behind an old value).
 */
function createBackgroundReading<T>(
  read: () => Promise<T>,
  options: { refreshEveryMs: number },
): { current(): Promise<T>; close(): void } {
  let last: { value: T; readAt: number } | null = null;
  let inFlight: Promise<T> | null = null;
  let lastAsked = 0;
  let timer: ReturnType<typeof setInterval> | null = null;

  const refresh = (): Promise<T> => {
    inFlight ??= read()
      .then((value) => {
        last = { value, readAt: Date.now() };
        return value;
      })
      .catch((error: unknown) => {
        last = null;
        throw error;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  const stop = () => {
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
  return {
    async current() {
      lastAsked = Date.now();
      if (timer === null) {
        timer = setInterval(() => {
          if (Date.now() - lastAsked > IDLE_AFTER_MS) stop();
          // A failed background refresh is seen by the next scrape, which reads again.
          else refresh().catch(() => {});
        }, options.refreshEveryMs);
        timer.unref();
      }
      // Twice the period: a refresh under way is not waited for.
      if (last !== null && Date.now() - last.readAt <= 2 * options.refreshEveryMs) {
        return last.value;
      }
      return await refresh();
    },
    close: stop,
  };
}

/**
 * process_* and nodejs_* (memory, CPU, event-loop lag, GC) under their usual
 * names, on a registry of their own made once per process: they describe the
 * process, whatever instances it runs, and each collection starts an
 * event-loop monitor and a GC observer that nothing can stop.
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Seconds; from an index lookup to a slow write waiting behind others. */
const QUERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Seconds; from an activity delivered at once to a copy repaired a day later. */
const CONVERGENCE_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 21_600, 86_400];

/** Seconds; from a cached page to a slow federation fetch. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createInstanceMetrics(deps: {
  /** The queue's depth per lane and parked destinations (one cheap read, on scrape). */
  queueStats: () => Promise<QueueStats>;
  /** Lanes reported even when empty. */
  lanes: readonly string[];
  /** How often the queue gauges are read again while scraped (QUEUE_READING_PERIOD_MS). */
  queueReadingPeriodMs?: number;
  /** The database's connections and statements; absent, their metrics are not served. */
  database?: DatabaseUsage;
}): InstanceMetrics {
  const registry = new Registry();
  const processWide = processMetrics();

  const requests = new Counter({
    name: "bayanihan_http_requests_total",
    help: "HTTP requests answered, by route pattern, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "bayanihan_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by route pattern and method",
    labelNames: ["route", "method"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const inboxAccepted = new Counter({
    name: "bayanihan_inbox_activities_accepted_total",
    help: "Inbox POSTs whose signature and key ownership verified, taken in",
    registers: [registry],
  });
  const inboxRefused = new Counter({
    name: "bayanihan_inbox_activities_refused_total",
    help: "Inbox POSTs refused before they were taken in, by error code",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  const attempts = new Counter({
    name: "bayanihan_delivery_attempts_total",
    help: "Delivery attempts to remote inboxes, by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const givenUp = new Counter({
    name: "bayanihan_deliveries_given_up_total",
    help: "Deliveries given up on for good, by reason (exhausted, gone, refused)",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  // Every outcome shows from the start, so a rate over it has a first point.
  for (const outcome of ["delivered", "failed"]) attempts.inc({ outcome }, 0);
  for (const reason of ["exhausted", "gone", "refused"]) givenUp.inc({ reason }, 0);

  // The three queue gauges share one reading of the queue tables, read
  // again every QUEUE_READING_PERIOD_MS in the background while scrapes
  // come: a scrape then never waits for the database, which on the embedded
  // one means waiting behind the inbox's writes on its single connection.
  const queueReading = createBackgroundReading(deps.queueStats, {
    refreshEveryMs: deps.queueReadingPeriodMs ?? QUEUE_READING_PERIOD_MS,
  });
  const stats = () => queueReading.current();
  new Gauge({
    name: "bayanihan_queue_messages",
    help: "Messages in the queue (waiting, delayed or in flight), by lane",
    labelNames: ["lane"] as const,
    registers: [registry],
    async collect() {
      const { lanes } = await stats();
      this.reset();
      for (const lane of deps.lanes) this.set({ lane }, 0);
      for (const row of lanes) this.set({ lane: row.lane }, row.messages);
    },
  });
  new Gauge({
    name: "bayanihan_queue_oldest_message_age_seconds",
    help: "Age of the oldest message in the queue, by lane (0 when empty)",
    labelNames: ["lane"] as const,
    registers: [registry],
    async collect() {
      const { lanes } = await stats();
      this.reset();
      for (const lane of deps.lanes) this.set({ lane }, 0);
      for (const row of lanes) this.set({ lane: row.lane }, row.oldestAgeSeconds);
    },
  });
  new Gauge({
    name: "bayanihan_delivery_parked_hosts",
    help: "Delivery destinations parked now after failures in a row",
    registers: [registry],
    async collect() {
      this.set((await stats()).parkedDestinations);
    },
  });

  const convergenceLag = new Histogram({
    name: "bayanihan_convergence_lag_seconds",
    help: "Time from a remote need or offer's publication or last update to our copy of it, by how it came (inbox, reconciliation)",
    labelNames: ["source"] as const,
    buckets: CONVERGENCE_BUCKETS,
    registers: [registry],
  });
  for (const source of ["inbox", "reconciliation"]) convergenceLag.zero({ source });

  const stopObservingDatabase =
    deps.database === undefined ? () => {} : databaseMetrics(registry, deps.database);

  return {
    contentType: registry.contentType,
    async scrape() {
      return await Registry.merge([processWide, registry]).metrics();
    },
    close: () => {
      queueReading.close();
      stopObservingDatabase();
    },
    copyStored: (source, lagSeconds) => convergenceLag.observe({ source }, Math.max(0, lagSeconds)),
    observeRequest(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      latency.observe({ route, method }, seconds);
    },
    inboxAccepted: () => inboxAccepted.inc(),
    inboxRefused: (reason) => inboxRefused.inc({ reason }),
    deliveryAttempted: (outcome) => attempts.inc({ outcome }),
    deliveryGivenUp: (reason) => givenUp.inc({ reason }),
  };
}

/**
 * Statement durations and the connection counts of `usage`, registered on
 * `registry`. The counts are kept in memory as connections are taken and
 * given back, so a scrape reads them without touching the database.
 * Returns the function that stops observing statements.
 */
function databaseMetrics(registry: Registry, usage: DatabaseUsage): () => void {
  const kinds = ["select", "insert", "update", "delete", "other"] as const;
  const duration = new Histogram({
    name: "bayanihan_db_query_duration_seconds",
    help: "Time from sending a statement to its result, by statement kind (select, insert, update, delete, other)",
    labelNames: ["statement"] as const,
    buckets: QUERY_BUCKETS,
    registers: [registry],
  });
  const failed = new Counter({
    name: "bayanihan_db_query_errors_total",
    help: "Statements the database answered with an error, by statement kind",
    labelNames: ["statement"] as const,
    registers: [registry],
  });
  for (const statement of kinds) {
    duration.zero({ statement });
    failed.inc({ statement }, 0);
  }
  new Gauge({
    name: "bayanihan_db_connections_in_use",
    help: "Database connections held by a statement or a transaction now",
    registers: [registry],
    collect() {
      this.set(usage.inUse);
    },
  });
  new Gauge({
    name: "bayanihan_db_connections_waiting",
    help: "Statements or transactions waiting for a free database connection now",
    registers: [registry],
    collect() {
      this.set(usage.waiting);
    },
  });
  new Gauge({
    name: "bayanihan_db_connections_max",
    help: "Database connections this process may open (1 for the embedded database)",
    registers: [registry],
    collect() {
      this.set(usage.maxConnections);
    },
  });
  return usage.onStatement((statement, seconds, error) => {
    duration.observe({ statement }, seconds);
    if (error) failed.inc({ statement });
  });
}
