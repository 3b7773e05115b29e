/**
 * SSRF check for deliveries. Fedify 2.3.6 POSTs to whatever inbox a follower
 * advertises without any address check, so every queued delivery is checked
 * here just before Fedify's worker sees it (each retry again, since DNS
 * answers change). It also applies the instance's federation policy, so a
 * blocked (or, in allowlist mode, not allowed) host receives nothing.
 *
 * The address checked here is checked again when connecting, on the address
 * connected to (fetch-guard.ts), which also refuses the redirects Fedify's
 * delivery would follow. Not covered: deliveries that bypass the queue
 * (`sendActivity(..., { immediate: true })` or a federation without a queue).
 */

import type { MessageQueue } from "@fedify/fedify";
import { assertPublicUrl, DisallowedUrlError, type HostLookup } from "./address-policy.ts";

export interface DeliveryGuardOptions {
  allowPrivateAddress: boolean;
  lookup?: HostLookup;
  /** Called for every refusal; `reason` never contains message contents. */
  onRefused?: (inbox: URL, reason: string) => void;
  /** How long a host's verdict is reused (a fan-out hits one host many times). */
  cacheTtlMs?: number;
  /**
   * The instance's federation policy: whether it federates with a host at
   * all, asked for the inbox and for every recipient actor behind it. Asked
   * on every delivery and never cached here (the policy caches itself and
   * invalidates on change), so a block stops deliveries already queued.
   */
  isHostAllowed?: (url: URL) => Promise<boolean>;
  /**
   * Brings the policy up to date with changes other processes committed
   * (its cache drops on their NOTIFY, which can arrive late or be lost).
   * Awaited before the policy is asked, so a delivery claimed after a block
   * committed anywhere is refused. The policy shares one database read among
   * the deliveries that ask together.
   */
  revalidatePolicy?: () => Promise<void>;
}

export interface DeliveryGuard {
  /**
   * Whether `inbox` may receive a delivery addressed to `recipients` (the
   * actors Fedify delivers to through it). A shared inbox can live on
   * another host than its actors: a refused actor is refused whatever host
   * its inbox is on.
   */
  isDeliverable(inbox: URL, recipients?: readonly URL[]): Promise<boolean>;
}

const DEFAULT_CACHE_TTL_MS = 60_000;
const CACHE_LIMIT = 10_000;

interface Verdict {
  readonly refusal: string | null;
  readonly expiresAt: number;
}

export function createDeliveryGuard(options: DeliveryGuardOptions): DeliveryGuard {
  const ttl = options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
  const verdicts = new Map<string, Verdict>();
  const policy = {
    allowPrivateAddress: options.allowPrivateAddress,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  };

  async function judge(inbox: URL): Promise<string | null> {
    const key = `${inbox.protocol}//${inbox.hostname}`;
    const cached = verdicts.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.refusal;
    try {
      await assertPublicUrl(inbox, policy);
    } catch (error) {
      if (!(error instanceof DisallowedUrlError)) throw error;
      // A failed lookup is not cached and not a refusal: fetch will fail on
      // it too and Fedify retries, and the retry is checked again here.
      if (error.reason === "lookup-failed") return null;
      remember(key, error.message);
      return error.message;
    }
    remember(key, null);
    return null;
  }

  function remember(key: string, refusal: string | null): void {
    verdicts.delete(key);
    verdicts.set(key, { refusal, expiresAt: Date.now() + ttl });
    if (verdicts.size > CACHE_LIMIT) verdicts.delete(verdicts.keys().next().value!);
  }

  return {
    async isDeliverable(inbox, recipients = []) {
      if (options.isHostAllowed !== undefined) {
        await options.revalidatePolicy?.();
        if (!(await options.isHostAllowed(inbox))) {
          options.onRefused?.(inbox, "the federation policy refuses this host");
          return false;
        }
        for (const recipient of recipients) {
          if (!(await options.isHostAllowed(recipient))) {
            options.onRefused?.(
              inbox,
              `the federation policy refuses the recipient's host ${recipient.hostname}`,
            );
            return false;
          }
        }
      }
      const refusal = await judge(inbox);
      if (refusal === null) return true;
      options.onRefused?.(inbox, refusal);
      return false;
    },
  };
}

interface QueuedOutboxDelivery {
  readonly type: "outbox";
  readonly inbox: string;
  /** The recipient actors behind the inbox (Fedify 2.3.6 `OutboxMessage.actorIds`). */
  readonly actorIds?: unknown;
}

/** The recipients named by a queued delivery; null when one is not a URL. */
function recipientsOf(message: QueuedOutboxDelivery): URL[] | null {
  if (!Array.isArray(message.actorIds)) return [];
  const recipients: URL[] = [];
  for (const id of message.actorIds) {
    if (typeof id !== "string" || !URL.canParse(id)) return null;
    recipients.push(new URL(id));
  }
  return recipients;
}

function isOutboxDelivery(message: unknown): message is QueuedOutboxDelivery {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "outbox"
  );
}

interface QueuedInboxActivity {
  readonly type: "inbox";
  readonly activity?: unknown;
}

function isInboxActivity(message: unknown): message is QueuedInboxActivity {
  return (
    typeof message === "object" &&
    message !== null &&
    (message as { type?: unknown }).type === "inbox"
  );
}

/**
 * Decides, just before the worker acts on a received activity, whether it
 * still may: the policy can have changed since the inbox admitted it.
 */
export interface ReceivedActivityGate {
  /**
   * Called with every queued inbox activity (its JSON as received).
   * Resolving to false drops it. Awaiting a policy revalidation here also
   * brings the policy the listeners ask up to date before they run.
   */
  mayHandle(activity: unknown): Promise<boolean>;
}

/**
 * Wraps the queue given to `createFederation({ queue })`. Outbox messages
 * (one delivery to one inbox; fan-out messages become outbox messages via
 * `enqueue`/`enqueueMany` first) whose inbox or recipient actors are refused
 * are acknowledged without reaching Fedify, i.e. dropped; so are inbox
 * activities `received` no longer admits. Everything else is delegated.
 */
/** What every request a queued message leads to carries. */
export interface OutboundRequestSettings {
  /** Sent with every delivery (Fedify sends none of its own). */
  readonly userAgent?: string;
  /**
   * Runs a handler so that every request it makes (deliveries, and the
   * fetches of received activities) goes through federation's network.
   */
  readonly run?: <T>(work: () => T) => T;
}

export function guardMessageQueue(
  queue: MessageQueue,
  guard: DeliveryGuard,
  received?: ReceivedActivityGate,
  outbound: OutboundRequestSettings = {},
): MessageQueue {
  const handle = (handler: (message: unknown) => Promise<void> | void, message: unknown) =>
    outbound.run === undefined ? handler(message) : outbound.run(() => handler(message));
  return {
    ...(queue.nativeRetrial === undefined ? {} : { nativeRetrial: queue.nativeRetrial }),
    enqueue: (message, options) => queue.enqueue(message, options),
    // Only present when the inner queue has it: Fedify checks for it.
    ...(queue.enqueueMany
      ? { enqueueMany: (messages, options) => queue.enqueueMany!(messages, options) }
      : {}),
    ...(queue.getDepth ? { getDepth: () => queue.getDepth!() } : {}),
    listen: (handler, options) =>
      queue.listen(async (message) => {
        if (isOutboxDelivery(message)) {
          let inbox: URL;
          try {
            inbox = new URL(message.inbox);
          } catch {
            return;
          }
          const recipients = recipientsOf(message);
          if (recipients === null) return;
          if (!(await guard.isDeliverable(inbox, recipients))) return;
          if (outbound.userAgent !== undefined) {
            // Fedify sends the message's headers with the delivery (and signs
            // it after), so a peer sees who is calling.
            const headers = (message as { headers?: unknown }).headers;
            await handle(handler, {
              ...message,
              headers: {
                ...(typeof headers === "object" && headers !== null ? headers : {}),
                "User-Agent": outbound.userAgent,
              },
            });
            return;
          }
        } else if (received !== undefined && isInboxActivity(message)) {
          if (!(await received.mayHandle(message.activity))) return;
        }
        await handle(handler, message);
      }, options),
  } satisfies MessageQueue;
}
