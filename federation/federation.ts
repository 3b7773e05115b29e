import {
  type AuthenticatedDocumentLoaderFactory,
  createFederation,
  type Federation,
  type KvStore,
  type MessageQueue,
  type OutboxPermanentFailureHandler,
  type RetryPolicy,
} from "@fedify/fedify";
import type { DocumentLoaderFactory } from "@fedify/vocab-runtime";
import type { Kysely } from "kysely";
import type { Database } from "../src/db/database.ts";
import type { FindVisibleProposal } from "../src/domain/proposal-visibility.ts";
import type { Clock, InboundResponses } from "../src/services/ports.ts";
import type { InstanceUrls } from "../src/urls.ts";
import { registerActors } from "./actors.ts";
import { registerInbox } from "./inbox/index.ts";
import { registerNodeInfo } from "./nodeinfo.ts";
import { registerIncidentObjects, registerObjects } from "./objects.ts";

export interface FederationDeps {
  readonly db: Kysely<Database>;
  readonly urls: InstanceUrls;
  readonly kv: KvStore;
  readonly queue: MessageQueue;
  readonly clock: Clock;
  /** Our own loaders: address policy, timeouts and size caps Fedify's defaults lack. */
  readonly documentLoaderFactory: DocumentLoaderFactory;
  readonly contextLoaderFactory: DocumentLoaderFactory;
  readonly authenticatedDocumentLoaderFactory: AuthenticatedDocumentLoaderFactory;
  readonly outboxRetryPolicy: RetryPolicy;
  readonly onPermanentFailure: OutboxPermanentFailureHandler<void>;
  /** The instance's federation policy for a remote actor or object URL. */
  readonly isAllowed: (url: URL) => Promise<boolean>;
  /** Whether an inbox URL may receive deliveries (public address unless ALLOW_PRIVATE_ADDRESS). */
  readonly isDeliverable: (inbox: URL) => Promise<boolean>;
  /**
   * Reads an actor's document again bypassing every cache, so every cache
   * holds its current keys (security/wiring.ts `refreshActor`). Never throws.
   */
  readonly refreshActor: (actorId: URL) => Promise<void>;
  /** Answers to our needs and offers and to our pledges (services/inbound-responses.ts). */
  readonly responses: InboundResponses;
  /** A need or offer as a viewer may know it (services/proposal-reads.ts). */
  readonly findVisibleProposal: FindVisibleProposal;
  /** Forgets a remote actor that deleted itself (services/departed-actors.ts). */
  readonly forgetActor: (actorId: URL) => Promise<void>;
  /**
   * A new or changed copy of a remote need or offer was stored, `lagSeconds`
   * after its origin published or last updated it (for the metrics; copies
   * a backfill brings are old by nature and not told).
   */
  readonly onCopyStored?: (source: "inbox" | "reconciliation", lagSeconds: number) => void;
  /** Start the queue workers in this process (false for a web-only process). */
  readonly manuallyStartQueue?: boolean;
  /** Follow requests waiting per remote host and group (default: domain/host-budget.ts). */
  readonly pendingFollowsPerHost?: number;
}

export type AppFederation = Federation<void>;

export function buildFederation(deps: FederationDeps): AppFederation {
  const federation = createFederation<void>({
    kv: deps.kv,
    queue: deps.queue,
    origin: deps.urls.origin.href,
    documentLoaderFactory: deps.documentLoaderFactory,
    contextLoaderFactory: deps.contextLoaderFactory,
    authenticatedDocumentLoaderFactory: deps.authenticatedDocumentLoaderFactory,
    outboxRetryPolicy: deps.outboxRetryPolicy,
    manuallyStartQueue: deps.manuallyStartQueue ?? true,
    // The circuit breaker holds failed deliveries by re-enqueueing copies,
    // which would let an Update overtake its Create; the queue parks a
    // failing destination instead (message-queue.ts), with its per-message
    // backoff (72 h horizon).
    circuitBreaker: false,
    // Every failed delivery reaches the queue's retry policy, which decides
    // what is final (404/410 and other 4xx but 401/408/429) in one place:
    // src/domain/delivery-answer.ts.
    permanentFailureStatusCodes: [],
  });
  federation.setOutboxPermanentFailureHandler(deps.onPermanentFailure);
  registerActors(federation, deps);
  registerObjects(federation, deps);
  registerIncidentObjects(federation, deps);
  registerInbox(federation, deps);
  registerNodeInfo(federation, deps);
  return federation;
}
