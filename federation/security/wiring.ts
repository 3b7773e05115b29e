import type {
  AuthenticatedDocumentLoaderFactory,
  Context,
  KvStore,
  MessageQueue,
  OutboxPermanentFailureHandler,
  RetryPolicy,
} from "@fedify/fedify";
import { getTypeId } from "@fedify/vocab";
import type { DocumentLoader, DocumentLoaderFactory } from "@fedify/vocab-runtime";
import { getLogger } from "@logtape/logtape";
import type { Kysely } from "kysely";
import type { Config } from "../../src/config.ts";
import type { Database } from "../../src/db/database.ts";
import { toDate } from "../../src/db/time.ts";
import { DEFAULT_HOST_BUDGETS, type HostBudgets } from "../../src/domain/host-budget.ts";
import type { AppFederation } from "../federation.ts";
import { inboxRecipient, type VerifiedInboxPost } from "../inbox-intake.ts";
import { SOFTWARE_VERSION } from "../nodeinfo.ts";
import { recordDeliveryProblem } from "./delivery-problems.ts";
import {
  claimedActorIds,
  claimedKeyIds,
  firstRefused,
  type HostPolicy,
  isSignedRequest,
} from "./domain-screen.ts";
import { createInboxBudgets } from "./host-budgets.ts";
import { type InboxScreenFailure, screenInboxRequest } from "./inbox-guard.ts";
import { checkClaimedKeyOrigins, checkKeyOwnership } from "./key-ownership.ts";
import { createKeyRefresh, isGone, RefetchTooSoon, withoutFragment } from "./key-refresh.ts";
import type { HostLookup } from "./outbound/address-policy.ts";
import {
  type DeliveryFailureFacts,
  describeDeliveryFailure,
} from "./outbound/delivery-failures.ts";
import { createDeliveryGuard, guardMessageQueue } from "./outbound/delivery-guard.ts";
import {
  createDocumentLoaderFactory,
  createOutboundLoaderFactories,
  REMOTE_DOCUMENT_TTL,
} from "./outbound/document-loader.ts";
import {
  createOutboundNetwork,
  DEFAULT_DEADLINES,
  type RequestDeadlines,
} from "./outbound/fetch-guard.ts";
import {
  deliveryBackoff,
  deliveryRetryPolicy,
  finalVerdict,
  isDestinationFailure,
  withRetryAfter,
} from "./outbound/retry-policy.ts";
import { type CachedVerdict, createSignatureCheck } from "./signature-check.ts";
import { isUnreadableActivityError } from "./unparseable.ts";

const logger = getLogger(["bayanihan", "federation", "security"]);

/** Mastodon's limit too: larger inbox bodies get 413 before anything parses them. */
export const MAX_INBOX_BODY_BYTES = 1024 * 1024;
/** How far a signature's time may be from ours (Fedify's and Mastodon's default). */
const SIGNATURE_WINDOW = Temporal.Duration.from({ hours: 1 });
/** Keys imported for signature checks are re-fetched after this long. */
const SIGNING_KEY_TTL = Temporal.Duration.from({ minutes: 5 });
const MAX_CACHED_SIGNING_KEYS = 4096;
/**
 * A key document is read bypassing every cache at most this often per
 * process (after a signature fails under a cached key, an actor Update, a key
 * the cached actor does not list): key-refresh.ts.
 */
const KEY_REFETCH_INTERVAL = Temporal.Duration.from({ seconds: 30 });
/** An actor found gone is forgotten once; its later 410s within this time cost nothing. */
const GONE_MEMORY_MS = 10 * 60_000;
const MAX_GONE_REMEMBERED = 1000;
/** Actors of a gone inbox whose documents are read again after a failed delivery. */
const MAX_GONE_CHECKS = 20;

export interface FederationSecurity {
  readonly documentLoaderFactory: DocumentLoaderFactory;
  readonly contextLoaderFactory: DocumentLoaderFactory;
  readonly authenticatedDocumentLoaderFactory: AuthenticatedDocumentLoaderFactory;
  readonly outboxRetryPolicy: RetryPolicy;
  /** For the queue's native retries: the same schedule, counted per message. */
  readonly retry: {
    /** The schedule's wait, made longer by a delivery's `Retry-After`. */
    delayFor(attempt: number, message: unknown, error: unknown): Temporal.Duration | null;
    /**
     * Unreadable inbox activities, and deliveries the peer answered with
     * 404/410 or another final 4xx, are not retried.
     */
    isPermanent(error: unknown, message: unknown): boolean;
    /** No answer or a 5xx: counts towards parking the destination. */
    isDestinationFailure(error: unknown, message: unknown): boolean;
    onGiveUp(message: unknown, error: unknown, attempts: number): Promise<void>;
  };
  /** For `setOutboxPermanentFailureHandler`: a 404/410 inbox is not retried, only recorded. */
  onPermanentFailure: OutboxPermanentFailureHandler<void>;
  isDeliverable(inbox: URL): Promise<boolean>;
  /** Drops queued deliveries to addresses the policy refuses. */
  guardQueue(queue: MessageQueue): MessageQueue;
  /**
   * Screens inbox POSTs before Fedify parses them: size, signature headers,
   * digest, the federation policy (signing key and actor hosts), the
   * signature itself, then key ownership. Signed GETs (authorized fetch of actors, objects, collections)
   * from a host the policy refuses get 403. Returns the refusal, or the
   * verified inbox POST (for inbox-intake.ts, which may queue it without
   * Fedify's handler), or else the request to hand to Fedify. Other requests
   * pass through untouched.
   */
  screenInbox(
    request: Request,
    federation: AppFederation,
  ): Promise<Request | Response | VerifiedInboxPost>;
  /**
   * Reads an actor's document again bypassing every cache (at most once per
   * 30 s), so that every cache holds the keys it lists now: for an actor's
   * `Update` of itself. Never throws.
   */
  refreshActor(actorId: URL): Promise<void>;
  /** Forgets per-host budgets idle long enough to be full again (housekeeping). */
  pruneBudgets(): Promise<void>;
  /**
   * Runs `work` so that the requests Fedify makes in it with the global
   * `fetch` (deliveries, WebFinger) go through this instance's network: its
   * addresses checked when connecting, its policy, its deadlines.
   */
  runOutbound<T>(work: () => T): T;
  /** Closes the network's connections. */
  close(): Promise<void>;
}

/**
 * The defences Fedify 2.3.6 leaves to the application, assembled from the
 * small modules beside this one (see FEDERATION.md, "Security").
 */
export function createFederationSecurity(deps: {
  db: Kysely<Database>;
  config: Config;
  /** Fedify turns its document cache off for custom loaders; this turns it back on. */
  kv: KvStore;
  /**
   * The instance's federation policy (mode, allowed and blocked domains),
   * cached by its owner; `revalidate` catches up with other processes'
   * changes before a delivery and before a received activity is handled.
   */
  policy: { isAllowed: HostPolicy; revalidate(): Promise<void> };
  /**
   * Forgets an actor whose own server answers 410 Gone for it (its document
   * read on a key fetch or after a failed delivery).
   */
  onActorGone?: (actorId: URL) => Promise<void>;
  /** The retry schedule (the wait after the n-th failure, 1-based); tests shorten it. */
  schedule?: (attempt: number) => Temporal.Duration | null;
  /** Deadlines of every outgoing request; tests shorten them. */
  deadlines?: RequestDeadlines;
  /** Budgets per remote host (default DEFAULT_HOST_BUDGETS); tests make them small. */
  budgets?: HostBudgets;
  /** The instance's clock: budgets refill by it (tests hold it still). */
  clock?: () => Temporal.Instant;
  /** How host names are resolved when connecting; tests map names to loopback. */
  lookup?: HostLookup;
  /** Told the error code of every inbox POST the screen refuses (for the metrics). */
  onInboxRefusal?: (reason: string) => void;
  /** Told why each delivery given up on for good was (for the metrics). */
  onDeliveryGivenUp?: (reason: "exhausted" | "gone" | "refused") => void;
}): FederationSecurity {
  const { allowPrivateAddress } = deps.config;
  const isHostAllowed: HostPolicy = (url) => deps.policy.isAllowed(url);
  const network = createOutboundNetwork({
    allowPrivateAddress,
    isHostAllowed,
    deadlines: deps.deadlines ?? DEFAULT_DEADLINES,
    ...(deps.lookup ? { lookup: deps.lookup } : {}),
  });
  const userAgent = `Bayanihan/${SOFTWARE_VERSION} (+${deps.config.origin.href})`;
  const outbound = { allowPrivateAddress, userAgent, fetch: network.fetch, isHostAllowed };
  const loaders = createOutboundLoaderFactories({ ...outbound, kv: deps.kv });
  const keyRefresh = createKeyRefresh({
    // The same bounded loader, without the KV document cache in front.
    load: createDocumentLoaderFactory(outbound)(),
    kv: deps.kv,
    minInterval: KEY_REFETCH_INTERVAL,
    documentTtl: REMOTE_DOCUMENT_TTL,
    maxDocuments: MAX_CACHED_SIGNING_KEYS,
  });
  const signatures = createSignatureCheck({
    ttl: SIGNING_KEY_TTL,
    maxKeys: MAX_CACHED_SIGNING_KEYS,
    refresh: keyRefresh,
  });

  /** Actor ids forgotten lately (epoch ms), so a flood of 410s forgets once. */
  const forgotten = new Map<string, number>();
  async function actorGone(actorId: string): Promise<void> {
    if (deps.onActorGone === undefined || !URL.canParse(actorId)) return;
    const at = forgotten.get(actorId);
    if (at !== undefined && Date.now() < at + GONE_MEMORY_MS) return;
    forgotten.delete(actorId);
    forgotten.set(actorId, Date.now());
    if (forgotten.size > MAX_GONE_REMEMBERED) forgotten.delete(forgotten.keys().next().value!);
    logger.info("{actorId} is gone (410): forgetting it", { actorId });
    try {
      await deps.onActorGone(new URL(actorId));
    } catch (error) {
      forgotten.delete(actorId);
      logger.warn("Could not forget the gone actor {actorId}: {error}", { actorId, error });
    }
  }
  // A document answering 410 to a read that bypassed the caches: whatever
  // actor has that id is gone, as its own server says.
  keyRefresh.onGone(actorGone);
  /** The caching loader, noticing a 410 for the document of the key's actor. */
  const noticingGone =
    (load: DocumentLoader): DocumentLoader =>
    async (url, options) => {
      try {
        return await load(url, options);
      } catch (error) {
        if (isGone(error)) await actorGone(withoutFragment(url));
        throw error;
      }
    };
  const schedule = deps.schedule ?? deliveryBackoff;
  const budgets = createInboxBudgets({
    db: deps.db,
    budgets: deps.budgets ?? DEFAULT_HOST_BUDGETS,
    ...(deps.clock ? { now: deps.clock } : {}),
  });
  const isDelivery = (message: unknown) => (message as { type?: unknown }).type === "outbox";
  const guard = createDeliveryGuard({
    allowPrivateAddress,
    ...(deps.lookup ? { lookup: deps.lookup } : {}),
    isHostAllowed: (inbox) => deps.policy.isAllowed(inbox),
    revalidatePolicy: () => deps.policy.revalidate(),
    onRefused: (inbox, reason) =>
      logger.warn("Refused a delivery to {inbox}: {reason}", { inbox: inbox.href, reason }),
  });

  async function recordFailure(
    facts: DeliveryFailureFacts,
    reason: "exhausted" | "gone" | "refused",
  ): Promise<void> {
    deps.onDeliveryGivenUp?.(reason);
    const row = describeDeliveryFailure(facts);
    logger.warn(
      "Gave up delivering {activityId} to {inbox} after {attempts} attempt(s) ({reason}): {error}",
      {
        activityId: row.activity_id,
        inbox: row.inbox_url,
        attempts: row.attempts,
        reason,
        error: row.last_error,
      },
    );
    await deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("delivery_failures")
        .values({ ...row, reason, failed_at: toDate(row.failed_at) })
        .execute();
      // A peer that stopped answering, or refuses us, is the collective's to
      // know about; a gone actor is only forgotten.
      if (reason !== "gone") {
        await recordDeliveryProblem(trx, deps.config.origin, {
          activityId: row.activity_id,
          inbox: row.inbox_url,
          at: row.failed_at,
        });
      }
    });
  }

  /** An inbox POST's refusal, its reason told to `onInboxRefusal`. */
  function refuse(status: number, error: string, message: string): Response {
    deps.onInboxRefusal?.(error);
    return refusal(status, error, message);
  }

  return {
    ...loaders,
    outboxRetryPolicy: deliveryRetryPolicy,
    retry: {
      delayFor(attempt, message, error) {
        const backoff = schedule(attempt);
        return backoff === null || !isDelivery(message) ? backoff : withRetryAfter(backoff, error);
      },
      isPermanent: (error, message) =>
        isDelivery(message)
          ? finalVerdict(error) !== null
          : (message as { type?: unknown }).type === "inbox" && isUnreadableActivityError(error),
      isDestinationFailure: (error, message) => isDelivery(message) && isDestinationFailure(error),
      async onGiveUp(message, error, attempts) {
        const delivery = message as {
          type?: unknown;
          inbox?: unknown;
          activityId?: unknown;
          activityType?: unknown;
        };
        if (delivery.type === "inbox" && isUnreadableActivityError(error)) {
          const activity = (message as { activity?: { id?: unknown } }).activity;
          logger.info("Dropped the unreadable activity {activityId}: {error}", {
            activityId: String(activity?.id ?? "(no id)"),
            error: error.message.slice(0, 200),
          });
          return;
        }
        if (delivery.type !== "outbox" || typeof delivery.inbox !== "string") {
          logger.warn("Gave up on a queued {type} message after {attempts} attempts: {error}", {
            type: String(delivery.type),
            attempts,
            error,
          });
          return;
        }
        const verdict = finalVerdict(error) ?? "exhausted";
        if (verdict === "gone") {
          // An inbox that is gone may mean its actor is: ask the actor's own
          // document, bypassing the caches (a 410 there forgets the actor). A
          // shared inbox serves many actors; a few are asked, in parallel, so
          // the worker is not held for long.
          const actorIds = (message as { actorIds?: unknown }).actorIds;
          const ids = Array.isArray(actorIds)
            ? actorIds.filter((id): id is string => typeof id === "string" && URL.canParse(id))
            : [];
          await Promise.all(ids.slice(0, MAX_GONE_CHECKS).map((id) => refetchQuietly(new URL(id))));
        }
        await recordFailure(
          {
            inbox: delivery.inbox,
            activityId: typeof delivery.activityId === "string" ? delivery.activityId : null,
            activityType: typeof delivery.activityType === "string" ? delivery.activityType : null,
            attempts,
            error,
            failedAt: Temporal.Now.instant(),
          },
          verdict,
        );
      },
    },
    // Fedify's own permanent failures (federation.ts leaves its list of
    // final statuses empty, so every answer is classified by the queue's
    // policy above; this stays for anything Fedify still gives up on).
    async onPermanentFailure(_ctx, { inbox, activity, error }) {
      await recordFailure(
        {
          inbox,
          activityId: activity.id?.href ?? null,
          activityType: getTypeId(activity).href,
          attempts: 1,
          error,
          failedAt: Temporal.Now.instant(),
        },
        finalVerdict(error) ?? "exhausted",
      );
    },
    isDeliverable: (inbox) => guard.isDeliverable(inbox),
    guardQueue: (queue) =>
      guardMessageQueue(
        queue,
        guard,
        {
          // An activity admitted before a block made in any process, handled
          // after it, is dropped; and whatever the listeners then ask the
          // policy (the host of an object they fetch) is answered as of now.
          async mayHandle(activity) {
            await deps.policy.revalidate();
            const refused = await firstRefused(claimedActorIds(activity), deps.policy.isAllowed);
            if (refused === null) return true;
            logger.warn("Dropped an activity from {host} received before its host was refused", {
              host: refused.hostname,
            });
            return false;
          },
        },
        { userAgent, run: network.run },
      ),

    async screenInbox(request, federation) {
      if (request.method === "GET" || request.method === "HEAD") {
        // Unsigned GETs stay public: every server must be able to read an
        // actor's key. A signed one tells who asks, and a refused host is
        // answered 403 before Fedify verifies anything.
        if (!isSignedRequest(request.headers)) return request;
        const refused = await firstRefused(claimedKeyIds(request.headers), deps.policy.isAllowed);
        return refused === null ? request : domainRefusal(refused, "GET");
      }
      if (request.method !== "POST" || inboxRecipient(new URL(request.url).pathname) === undefined)
        return request;
      // What the headers alone can tell about the signer, before the body is
      // read: a refused host, or a forged signature under a cached key (one
      // RSA verification; reading, hashing and parsing the body cost more).
      let early = "undecided" as CachedVerdict;
      const screened = await screenInboxRequest(request, {
        maxBodyBytes: MAX_INBOX_BODY_BYTES,
        signatureWindow: SIGNATURE_WINDOW,
        authority: deps.config.origin.host,
        async judgeSigner(keyIds, signature) {
          const refusedKey = await firstRefused(keyIds, deps.policy.isAllowed);
          if (refusedKey !== null) return domainFailure(refusedKey, "inbox POST");
          early = signatures.verifyWithCachedKey(request, signature);
          return early === "invalid" ? invalidSignature() : null;
        },
      });
      if (!screened.ok) return refuse(screened.status, screened.error, screened.message);
      // The policy before the key-ownership fetch: a refused server costs no
      // outgoing request, and Fedify never sees (nor stores) its activity.
      const refused = await firstRefused(
        [...screened.keyIds, ...claimedActorIds(screened.json)],
        deps.policy.isAllowed,
      );
      if (refused !== null) {
        const failure = domainFailure(refused, "inbox POST");
        return refuse(failure.status, failure.error, failure.message);
      }
      // Free, and before the signature: a key on another host than the actor
      // is refused without fetching it.
      const foreignKey = checkClaimedKeyOrigins(screened.json, screened.keyIds);
      if (foreignKey !== null) {
        logger.info("Refused an inbox POST: {error}", { error: foreignKey.error });
        return refuse(foreignKey.status, foreignKey.error, foreignKey.message);
      }
      // Fedify's context and loaders were a tenth of a forged request's CPU
      // (BENCHMARKS.md), so only a request that needs them builds them.
      let ctx: Context<void> | undefined;
      const context = (): Context<void> => {
        ctx ??= federation.createContext(new URL(deps.config.origin), undefined);
        return ctx;
      };
      // The signature before key ownership: a forged signature under a cached
      // key is refused for one RSA verification (signature-check.ts), before
      // the ownership check expands the activity as JSON-LD or reads the
      // actor, and before Fedify parses anything.
      const verified =
        early === "valid" ||
        (await signatures.verify({ head: request, request: () => screened.request }, () => ({
          documentLoader: noticingGone(context().documentLoader),
          contextLoader: context().contextLoader,
          timeWindow: SIGNATURE_WINDOW,
        })));
      if (!verified) {
        const failure = invalidSignature();
        return refuse(failure.status, failure.error, failure.message);
      }
      // The signer is now known (every claimed key is on the actor's origin,
      // checked above): its host's budgets, before the dearer ownership check.
      const overBudget = await budgets.spend(
        screened.keyIds[0]!,
        screened.json as Readonly<Record<string, unknown>>,
      );
      if (overBudget !== null) {
        logger.info("Refused an inbox POST from {host}: {error}", {
          host: screened.keyIds[0]!.host,
          error: overBudget.error,
        });
        deps.onInboxRefusal?.(overBudget.error);
        return Response.json(
          { error: overBudget.error, message: overBudget.message },
          { status: 429, headers: { "retry-after": String(overBudget.retryAfterSeconds) } },
        );
      }
      const ownership = await checkKeyOwnership(
        screened.json,
        screened.keyIds,
        context().documentLoader,
        { contextLoader: context().contextLoader, refetchDocument: keyRefresh.refetch },
      );
      if (!ownership.ok && ownership.error === "actor_gone") {
        const actorId = claimedActorIds(screened.json)[0];
        if (actorId !== undefined) await actorGone(withoutFragment(actorId.href));
      }
      if (!ownership.ok) {
        logger.info("Refused an inbox POST: {error}", { error: ownership.error });
        return refuse(ownership.status, ownership.error, ownership.message);
      }
      return {
        // Built only if Fedify's handler is to get it (1 % of the inbox's CPU).
        get request() {
          return screened.request;
        },
        pathname: new URL(request.url).pathname,
        activity: screened.json as Readonly<Record<string, unknown>>,
        actorId: ownership.actorId,
      };
    },
    refreshActor: (actorId) => refetchQuietly(actorId),
    pruneBudgets: () => budgets.prune(),
    runOutbound: (work) => network.run(work),
    close: () => network.close(),
  };

  async function refetchQuietly(actorId: URL): Promise<void> {
    try {
      await keyRefresh.refetch(actorId.href);
    } catch (error) {
      if (error instanceof RefetchTooSoon) return;
      logger.info("Could not read {actorId} again: {error}", {
        actorId: actorId.href,
        error: String(error),
      });
    }
  }
}

function domainFailure(claim: URL, what: "inbox POST" | "GET"): InboxScreenFailure {
  logger.info("Refused a signed {what} from {host}: federation policy", {
    what,
    host: claim.hostname,
  });
  return {
    ok: false,
    status: 403,
    error: "domain_refused",
    message: `This instance does not federate with ${claim.hostname}.`,
  };
}

function domainRefusal(claim: URL, what: "inbox POST" | "GET"): Response {
  const failure = domainFailure(claim, what);
  return refusal(failure.status, failure.error, failure.message);
}

function invalidSignature(): InboxScreenFailure {
  logger.info("Refused an inbox POST: invalid signature");
  return {
    ok: false,
    status: 401,
    error: "signature_invalid",
    message: "The HTTP signature does not verify with the signer's public key.",
  };
}

function refusal(status: number, error: string, message: string): Response {
  // A refused body may be unread: the connection cannot be reused.
  const headers = status === 413 ? { connection: "close" } : undefined;
  return Response.json({ error, message }, { status, ...(headers ? { headers } : {}) });
}
