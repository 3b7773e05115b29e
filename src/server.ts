import type { Server as HttpServer } from "node:http";
import type { MessageQueue } from "@fedify/fedify";
import { type ServerType, serve } from "@hono/node-server";
import { getLogger } from "@logtape/logtape";
import type { MiddlewareHandler } from "hono";
import { createConversationGateway } from "../federation/conversations.ts";
import {
  type AppFederation,
  buildFederation,
  type FederationDeps,
} from "../federation/federation.ts";
import { createReconciler } from "../federation/inbox/reconciliation.ts";
import { createInboxIntake, inboxRecipient } from "../federation/inbox-intake.ts";
import { createIncidentGateway } from "../federation/incident-gateway.ts";
import { keyPairGenerator } from "../federation/keys.ts";
import { createPeerGateway } from "../federation/peer-gateway.ts";
import { createGroupActorPublisher, createProposalPublisher } from "../federation/publisher.ts";
import type { HostLookup } from "../federation/security/outbound/address-policy.ts";
import type { RequestDeadlines } from "../federation/security/outbound/fetch-guard.ts";
import { destinationOf, laneOf } from "../federation/security/outbound/queue-lanes.ts";
import { answerUnparseableActivity } from "../federation/security/unparseable.ts";
import {
  createFederationSecurity,
  type FederationSecurity,
} from "../federation/security/wiring.ts";
import type { Config } from "./config.ts";
import { CachedKvStore } from "./db/cached-kv-store.ts";
import type { DatabaseHandle } from "./db/connect.ts";
import { findGroupByHandle } from "./db/groups.repo.ts";
import { probeDatabase } from "./db/health.ts";
import { KyselyKvStore } from "./db/kv-store.ts";
import { KyselyMessageQueue, queueStats } from "./db/message-queue.ts";
import { migrateToLatest } from "./db/migrate.ts";
import { openDatabase } from "./db/open-database.ts";
import { type ParkingRule, parkingFor } from "./domain/delivery-answer.ts";
import type { Group } from "./domain/group.ts";
import { DEFAULT_HOST_BUDGETS, type HostBudgets } from "./domain/host-budget.ts";
import {
  type ReconciliationOptions,
  type ReconciliationReport,
  reconciliationOptions,
} from "./domain/reconciliation.ts";
import { createHttpApp } from "./http/app.ts";
import { createOutboxWorker, type OutboxWorkerOptions } from "./messaging/outbox-worker.ts";
import { createSmsTransport } from "./messaging/sms-transports.ts";
import { createSmtpTransport } from "./messaging/smtp-transport.ts";
import type { MessageTransport } from "./messaging/transport.ts";
import { createInstanceMetrics, type InstanceMetrics } from "./metrics.ts";
import { fanOutEmailEvents, sendDueDigests } from "./services/coordinator-emails.ts";
import { forgetDepartedActor } from "./services/departed-actors.ts";
import { createFederationPolicyService } from "./services/federation-policy.ts";
import { relayGroupUpdates } from "./services/groups.ts";
import { runHousekeeping } from "./services/housekeeping.ts";
import { createInboundResponses } from "./services/inbound-responses.ts";
import { relayPendingIncidentMessages } from "./services/incidents.ts";
import { eraseOldContacts } from "./services/intake.ts";
import type { Clock, KeyPairGenerator } from "./services/ports.ts";
import { findVisibleProposal } from "./services/proposal-reads.ts";
import { expireDueProposals, relayPendingActivities } from "./services/proposals.ts";
import { relayPendingMessages } from "./services/responses.ts";
import { type InstanceUrls, instanceUrls } from "./urls.ts";

/** An inbox POST screened (verified, or its refusal), or any other request as it came. */
type ScreenedRequest = Awaited<ReturnType<FederationSecurity["screenInbox"]>>;

const logger = getLogger(["bayanihan", "server"]);

/** For the command-line tools that create collectives (cli/admin.ts) without a server. */
export { keyPairGenerator } from "../federation/keys.ts";
// Where they were first defined; the command-line tools import them from there.
export { describePostgresUrl, openDatabase } from "./db/open-database.ts";

/** How often the server looks for needs whose expiry has passed. */
const EXPIRY_SWEEP_INTERVAL_MS = 60_000;
const QUEUE_LEASE_MS = 15_000;
/**
 * On SIGTERM: how long requests being answered may take to finish (then
 * their connections are cut), and how long deliveries and received
 * activities being handled may (then their messages go back to the queue).
 * A delivery's own deadline is 30 s in all, so normally every one finishes;
 * docker-compose.yml's stop_grace_period leaves room for both.
 */
const HTTP_DRAIN_MS = 10_000;
const QUEUE_DRAIN_MS = 30_000;
/**
 * Deliveries handled at once per worker process (the queue's `delivery`
 * lane; received activities have their own). Chosen when both shared one
 * set of slots: deliveries mostly wait on remote servers; inbox
 * activities mostly wait on the database, and the handlers of one claim
 * share their statements (statement-batcher.ts), so a larger claim costs
 * less per message. On loopback (BENCHMARKS.md, 2026-12-04) 64 took 0.66×
 * (PGlite) and 0.74× (PostgreSQL) of 16's fan-out time, and with 16 the
 * worker fell behind a steady inbox (processed 0.69× of 64's rate on
 * PGlite); 128 was no better than 64.
 */
const QUEUE_CONCURRENCY = 64;
/**
 * Received activities have slots of their own (as many again), so slow
 * peers holding every delivery slot cannot hold up what arrives.
 */
const INBOX_CONCURRENCY = 64;
/** Deliveries in flight to one inbox host at once, across the workers. */
const PER_DESTINATION = 4;
/** Failures in a row (no answer, 5xx) before a host is parked, and for how long. */
const PARKING: ParkingRule = {
  afterFailures: 5,
  first: Temporal.Duration.from({ minutes: 1 }),
  longest: Temporal.Duration.from({ hours: 1 }),
};
/** How often deliveries that could not be queued at once are tried again. */
const RELAY_INTERVAL_MS = 30_000;
/** How often tables that grow with traffic are pruned (services/housekeeping.ts). */
const HOUSEKEEPING_INTERVAL_MS = 60 * 60_000;

export interface InstanceOptions {
  /** An open database to use instead of the configured one (tests); it is not closed by stop(). */
  readonly database?: DatabaseHandle;
  readonly clock?: Clock;
  /** Queue tuning (tests poll faster). */
  readonly queue?: {
    readonly pollIntervalMs?: number;
    readonly concurrency?: number;
    readonly shutdownGraceMs?: number;
  };
  /** Background job timing (tests with a controllable clock sweep often). */
  readonly jobs?: {
    readonly expirySweepIntervalMs?: number;
    /** How often old rows are pruned (services/housekeeping.ts); default hourly. */
    readonly housekeepingIntervalMs?: number;
    /** Reconciliation of received copies (domain/reconciliation.ts has the defaults). */
    readonly reconciliation?: Partial<ReconciliationOptions>;
  };
  /**
   * Replaces the delivery retry schedule (tests cannot wait 72 hours); which
   * answers are retried, and `Retry-After`, apply all the same.
   */
  readonly retry?: { delayFor(attempt: number): Temporal.Duration | null };
  /** Delivery limits (tests use short deadlines and parkings). */
  readonly delivery?: {
    readonly deadlines?: RequestDeadlines;
    readonly perDestination?: number;
    readonly parking?: ParkingRule;
    /** Slots for deliveries and for received activities (default QUEUE_CONCURRENCY / INBOX_CONCURRENCY). */
    readonly inboxConcurrency?: number;
  };
  /** Budgets per remote host (tests make them small); domain/host-budget.ts has the defaults. */
  readonly budgets?: Partial<HostBudgets>;
  /**
   * How federation resolves host names when it connects (tests map names
   * to loopback servers). Default: the system resolver.
   */
  readonly lookup?: HostLookup;
  /** Where new collectives' key pairs come from (tests hand out pre-made ones). */
  readonly keys?: KeyPairGenerator;
  /** Email and SMS: transports added to the configured ones, and the outbox worker's timing. */
  readonly messaging?: {
    readonly transports?: readonly MessageTransport[];
    readonly outbox?: OutboxWorkerOptions;
  };
}

/** One instance: its database, federation and HTTP handler, not yet listening. */
export interface Instance {
  readonly urls: InstanceUrls;
  readonly database: DatabaseHandle;
  readonly federation: AppFederation;
  /** `env` is the Node adapter's (the connection, for the client's address). */
  fetch(request: Request, env?: object): Promise<Response>;
  /** Starts the delivery workers and the periodic jobs. */
  startWorkers(): Promise<void>;
  /** One reconciliation run now (null: another process holds its lease, or a run is under way). */
  reconcile(): Promise<ReconciliationReport | null>;
  stop(): Promise<void>;
}

export async function createInstance(
  config: Config,
  options: InstanceOptions = {},
): Promise<Instance> {
  const database = options.database ?? (await openDatabase(config));
  const ownsDatabase = options.database === undefined;
  const migrations = await migrateToLatest(database.db, database.schema);
  const applied = (migrations.results ?? []).filter((r) => r.status === "Success");
  if (applied.length === 0) {
    logger.info("Database schema is up to date: no migration pending");
  } else {
    logger.info("Migrations: applied {count}, up to {last}", {
      count: applied.length,
      last: applied.at(-1)!.migrationName,
    });
  }

  const clock = options.clock ?? (() => Temporal.Now.instant());
  // Instants add hours, not days: a day here is 24 hours.
  const contactRetention = Temporal.Duration.from({ hours: config.contactRetentionDays * 24 });
  const urls = instanceUrls(config.origin);
  // Each inbox request reads the sender's actor document and key, and each
  // delivery the receiver's signature flavour: kept in memory, not re-read.
  const kv = new CachedKvStore(new KyselyKvStore(database.db));
  const federationPolicy = await createFederationPolicyService({ database, clock });
  const forgetActor = async (actorId: URL) => {
    await forgetDepartedActor({ db: database.db, clock }, actorId);
  };
  const budgets: HostBudgets = { ...DEFAULT_HOST_BUDGETS, ...options.budgets };
  // A registry per instance: several instances share a process in tests.
  const metrics = createInstanceMetrics({
    queueStats: () => queueStats(database.db),
    lanes: ["delivery", "inbox"],
    ...(database.usage ? { database: database.usage } : {}),
  });
  const security = createFederationSecurity({
    db: database.db,
    budgets,
    clock,
    config,
    kv,
    policy: federationPolicy,
    onActorGone: forgetActor,
    onInboxRefusal: metrics.inboxRefused,
    onDeliveryGivenUp: metrics.deliveryGivenUp,
    ...(options.retry ? { schedule: (attempt: number) => options.retry!.delayFor(attempt) } : {}),
    ...(options.delivery?.deadlines ? { deadlines: options.delivery.deadlines } : {}),
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
  const parking = options.delivery?.parking ?? PARKING;
  const guardedQueue = security.guardQueue(
    new KyselyMessageQueue(database, {
      // Retries in place keep a failed Create ahead of its Update.
      retry: security.retry,
      lanes: {
        delivery: options.queue?.concurrency ?? QUEUE_CONCURRENCY,
        inbox: options.delivery?.inboxConcurrency ?? INBOX_CONCURRENCY,
      },
      laneOf,
      destinationOf,
      perDestination: options.delivery?.perDestination ?? PER_DESTINATION,
      parking: (failures) => parkingFor(failures, parking),
      // Live workers renew their leases every 5 s; a killed worker's messages
      // go to another worker after at most 15 s.
      leaseMs: QUEUE_LEASE_MS,
      shutdownGraceMs: options.queue?.shutdownGraceMs ?? QUEUE_DRAIN_MS,
      ...(options.queue?.pollIntervalMs !== undefined
        ? { pollIntervalMs: options.queue.pollIntervalMs }
        : {}),
    }),
  );
  // Outermost: deliveries the guard drops are not counted as attempts.
  const queue = countingDeliveries(guardedQueue, metrics);
  const federationDeps: FederationDeps = {
    db: database.db,
    urls,
    kv,
    queue,
    clock,
    documentLoaderFactory: security.documentLoaderFactory,
    contextLoaderFactory: security.contextLoaderFactory,
    authenticatedDocumentLoaderFactory: security.authenticatedDocumentLoaderFactory,
    outboxRetryPolicy: security.outboxRetryPolicy,
    onPermanentFailure: security.onPermanentFailure,
    isAllowed: (url) => federationPolicy.isAllowed(url),
    isDeliverable: security.isDeliverable,
    responses: createInboundResponses({
      db: database.db,
      clock,
      // A withdrawn pledge's Update leaves at once (the periodic relay would
      // also send it, up to RELAY_INTERVAL_MS later).
      onOutboxWritten: () => void runJob("relay", relayOutboxes),
    }),
    refreshActor: (actorId) => security.refreshActor(actorId),
    forgetActor,
    findVisibleProposal: (viewer, id) => findVisibleProposal(database.db, viewer, id),
    onCopyStored: metrics.copyStored,
    manuallyStartQueue: true,
    pendingFollowsPerHost: budgets.pendingFollowsPerHost,
  };
  const federation = buildFederation(federationDeps);
  const reconciliation = reconciliationOptions(options.jobs?.reconciliation);
  const reconciler = createReconciler(
    federation,
    federationDeps,
    reconciliation,
    crypto.randomUUID(),
  );
  const reconcile = () => security.runOutbound(() => reconciler.run());
  const isAllowed = (url: URL) => federationPolicy.isAllowed(url);
  const publisher = createProposalPublisher(federation, { db: database.db, urls, isAllowed });
  const groupActors = createGroupActorPublisher(federation, { db: database.db, urls, isAllowed });
  const peers = createPeerGateway(federation, { db: database.db, urls, isAllowed });
  const conversations = createConversationGateway(federation, { urls });
  const incidents = createIncidentGateway(federation, { db: database.db, urls, isAllowed });
  const proposalDeps = { db: database.db, publisher, clock, conversations };
  const messageDeps = { db: database.db, conversations };
  const incidentMessageDeps = {
    db: database.db,
    incidents,
    actorIdOf: (group: Group) => urls.group(group.handle).href,
  };
  const expirySweepMs = options.jobs?.expirySweepIntervalMs ?? EXPIRY_SWEEP_INTERVAL_MS;
  /** Sends what the transactional outboxes hold (after a crash, or at once after a write). */
  async function relayOutboxes(): Promise<void> {
    await relayPendingActivities(proposalDeps);
    await relayPendingMessages(messageDeps);
    await relayPendingIncidentMessages(incidentMessageDeps);
    await relayGroupUpdates({ db: database.db, groupActors });
  }

  const intake = createInboxIntake({
    queue,
    origin: config.origin,
    groupExists: async (handle) => (await findGroupByHandle(database.db, handle)) !== null,
  });
  let ready = false;
  /** What `fetch` made of an inbox POST before handing it to the HTTP app. */
  const screenedBeforeRouting = new WeakMap<Request, ScreenedRequest>();
  const federationMiddleware: MiddlewareHandler = async (c, next) => {
    const screened =
      screenedBeforeRouting.get(c.req.raw) ?? (await security.screenInbox(c.req.raw, federation));
    if (screened instanceof Response) return screened;
    let request: Request;
    if (screened instanceof Request) {
      request = screened;
    } else {
      const queued = await intake.accept(screened);
      if (queued !== null) {
        if (queued.ok) metrics.inboxAccepted();
        return queued;
      }
      request = screened.request;
    }
    const answer = await federation
      .fetch(request, {
        contextData: undefined,
        onNotFound: async () => {
          await next();
          return c.res;
        },
        onNotAcceptable: async () => {
          await next();
          return c.res;
        },
      })
      .catch((error: unknown) => {
        const answer = answerUnparseableActivity(request, error);
        if (answer === null) throw error;
        return answer;
      });
    // A verified inbox POST Fedify's own handler took in.
    if (!(screened instanceof Request) && answer.ok) metrics.inboxAccepted();
    return answer;
  };
  const app = createHttpApp({
    db: database.db,
    urls,
    clock,
    keys: options.keys ?? keyPairGenerator,
    publisher,
    groupActors,
    conversations,
    adminToken: config.adminToken,
    peers,
    incidents,
    isAllowed: (url) => federationPolicy.isAllowed(url),
    federationPolicy,
    actorIdOf: (group) => urls.group(group.handle).href,
    federationMiddleware,
    isReady: () => ready,
    databaseAnswers: probeDatabase(database.db),
    trustProxy: config.trustProxy,
    mapTiles: config.mapTiles,
    timeZone: config.timeZone,
    intakeLimitPerHour: config.intakeLimitPerHour,
    mailFrom: config.smtpUrl === null ? null : config.mailFrom,
    contactRetention,
    metrics: {
      token: config.metricsToken,
      contentType: metrics.contentType,
      scrape: metrics.scrape,
      observeRequest: metrics.observeRequest,
    },
    metricsRouteOf: inboxRoute,
  });

  const workers = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  let queueRunning: Promise<void> | null = null;
  const smtp =
    config.smtpUrl === null
      ? null
      : createSmtpTransport({ url: config.smtpUrl, from: config.mailFrom, origin: config.origin });
  const emailDeps = { db: database.db, clock, origin: config.origin, timeZone: config.timeZone };
  const outboxWorker = createOutboxWorker(
    {
      database,
      clock,
      // Each collective's SMS gateway is in the database; given transports replace these.
      transports: [
        createSmsTransport({ db: database.db }),
        ...(smtp === null ? [] : [smtp]),
        ...(options.messaging?.transports ?? []),
      ],
    },
    {
      // Recorded events become emails and digest entries, and ended digest
      // periods become emails, before each pass sends what is due.
      beforeEachPass: async () => {
        await fanOutEmailEvents(emailDeps);
        await sendDueDigests(emailDeps);
      },
      ...options.messaging?.outbox,
    },
  );
  let outboxRunning: Promise<void> | null = null;

  /** The minute's sweep: needs and offers past their time, then contacts kept long enough. */
  const expire = async () => {
    await expireDueProposals(proposalDeps);
    await eraseOldContacts({ db: database.db, clock }, contactRetention);
  };

  /** Background jobs under way: stop() lets them finish before closing the database. */
  const runningJobs = new Set<Promise<void>>();
  let stopping = false;
  function runJob(name: string, job: () => Promise<unknown>): Promise<void> {
    if (stopping) return Promise.resolve();
    const run = security
      .runOutbound(job)
      .then(
        () => {},
        (error: unknown) => {
          logger.error("Background job {name} failed: {error}", { name, error });
        },
      )
      .finally(() => runningJobs.delete(run));
    runningJobs.add(run);
    return run;
  }

  return {
    urls,
    database,
    federation,
    // What a request leads Fedify to fetch (a follow's WebFinger lookup, …)
    // goes through this instance's federation network.
    fetch: async (request, env) =>
      security.runOutbound(async () => {
        // Inbox POSTs are screened before the HTTP app routes them: most of
        // the refused ones are floods, and routing, the middleware chain and
        // the app's context were a few percent of a refusal's CPU, spent for
        // nothing.
        // Should the screen fail, the app screens again and answers the
        // error as it answers every other.
        if (request.method === "POST") {
          const started = performance.now();
          const screened = await security.screenInbox(request, federation).catch(() => null);
          if (screened instanceof Response) {
            const seconds = (performance.now() - started) / 1000;
            metrics.observeRequest("inbox", "POST", screened.status, seconds);
            return screened;
          }
          if (screened !== null) screenedBeforeRouting.set(request, screened);
        }
        return app.fetch(request, env);
      }),
    reconcile,
    async startWorkers() {
      // A web process only queues work; worker processes (ROLE=worker, or
      // this one with ROLE=all) claim it from the shared queue.
      if (config.role !== "web") {
        queueRunning = federation.startQueue(undefined, { signal: workers.signal });
        // Emails and text messages written before a crash are sent on its first pass.
        outboxRunning = outboxWorker.run(workers.signal).catch((error: unknown) => {
          logger.error("The outbox worker stopped: {error}", { error });
        });
        // Changes committed before a crash are still waiting to be federated.
        await runJob("relay", relayOutboxes);
        await runJob("expiry", expire);
        const housekeeping = () => runHousekeeping({ db: database.db, clock });
        timers.push(
          setInterval(() => void runJob("expiry", expire), expirySweepMs),
          setInterval(() => void runJob("relay", relayOutboxes), RELAY_INTERVAL_MS),
          setInterval(
            () => void runJob("housekeeping", housekeeping),
            options.jobs?.housekeepingIntervalMs ?? HOUSEKEEPING_INTERVAL_MS,
          ),
          setInterval(() => void runJob("reconciliation", reconcile), reconciliation.intervalMs),
          // Buckets idle long enough to be full again are as good as absent.
          setInterval(
            () => void runJob("budgets", security.pruneBudgets),
            HOUSEKEEPING_INTERVAL_MS,
          ),
        );
      }
      ready = true;
    },
    async stop() {
      ready = false;
      stopping = true;
      for (const timer of timers) clearInterval(timer);
      metrics.close();
      // Handlers under way finish (or, past the queue's grace, their
      // messages are released); nothing new is claimed.
      workers.abort();
      await reconciler.settled();
      await queueRunning?.catch(() => {});
      await Promise.all(runningJobs);
      await outboxRunning;
      smtp?.close();
      await federationPolicy.close();
      await security.close();
      if (ownsDatabase) await database.close();
    },
  };
}

/** Inbox POSTs are counted under one route, whichever inbox they went to. */
function inboxRoute(request: Request): string | null {
  if (request.method !== "POST") return null;
  return inboxRecipient(new URL(request.url).pathname) === undefined ? null : "inbox";
}

/**
 * Counts the outcome of every delivery attempt the queue hands Fedify: the
 * handler returns once the peer took the activity and throws when it did
 * not. Outermost, so deliveries the guard drops are not counted.
 */
function countingDeliveries(queue: MessageQueue, metrics: InstanceMetrics): MessageQueue {
  const isDelivery = (message: unknown) =>
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "outbox";
  return {
    ...(queue.nativeRetrial === undefined ? {} : { nativeRetrial: queue.nativeRetrial }),
    enqueue: (message, options) => queue.enqueue(message, options),
    ...(queue.enqueueMany
      ? { enqueueMany: (messages, options) => queue.enqueueMany!(messages, options) }
      : {}),
    ...(queue.getDepth ? { getDepth: () => queue.getDepth!() } : {}),
    listen: (handler, options) =>
      queue.listen(async (message) => {
        if (!isDelivery(message)) return handler(message);
        try {
          await handler(message);
        } catch (error) {
          metrics.deliveryAttempted("failed");
          throw error;
        }
        metrics.deliveryAttempted("delivered");
      }, options),
  } satisfies MessageQueue;
}

export interface RunningServer {
  readonly instance: Instance;
  readonly port: number;
  stop(): Promise<void>;
}

const WORKER_PATHS = new Set(["/healthz", "/metrics"]);

/** Creates an instance and listens on HOST:PORT (PORT 0 picks a free port, for tests). */
export async function startServer(
  config: Config,
  options: InstanceOptions = {},
): Promise<RunningServer> {
  const instance = await createInstance(config, options);
  // A worker answers only its health check and its metrics (its deliveries
  // are counted there): requests belong to web processes.
  const fetch =
    config.role === "worker"
      ? (request: Request, env?: object) =>
          WORKER_PATHS.has(new URL(request.url).pathname)
            ? instance.fetch(request, env)
            : Promise.resolve(
                Response.json(
                  { error: "not_found", message: "This is a worker process" },
                  { status: 404 },
                ),
              )
      : instance.fetch;
  const listening = await new Promise<{ server: ServerType; port: number } | Error>((resolve) => {
    const server = serve({ fetch, hostname: config.host, port: config.port }, (info) =>
      resolve({ server, port: info.port }),
    );
    // EADDRINUSE, EACCES: said by the caller, after the database is closed.
    server.once("error", (error) => resolve(error));
  });
  if (listening instanceof Error) {
    await instance.stop();
    throw listening;
  }
  const { server, port } = listening;
  await instance.startWorkers();
  return {
    instance,
    port,
    async stop() {
      // No new connections; requests being answered finish, idle keep-alive
      // connections close. One that takes longer than HTTP_DRAIN_MS is cut.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const cut = setTimeout(() => {
        logger.warn("Stopping: cutting the connections still open after {ms} ms", {
          ms: HTTP_DRAIN_MS,
        });
        (server as HttpServer).closeAllConnections();
      }, HTTP_DRAIN_MS);
      await closed;
      clearTimeout(cut);
      await instance.stop();
    },
  };
}
