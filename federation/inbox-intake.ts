/**
 * The inbox's short path: an activity our screen has already authenticated
 * is queued for Fedify's worker directly, without going through Fedify's
 * inbox request handler.
 *
 * By the time the screen lets a POST through (security/wiring.ts) it has
 * checked the size, the signature headers, the date, the digest, the
 * federation policy, the HTTP signature itself (RFC 9421 or draft-cavage,
 * security/signature-check.ts) and that every key the request claims belongs
 * to the activity's actor (security/key-ownership.ts, stricter than Fedify's
 * own check). Fedify's handler would then do all of it again: parse the body
 * as JSON-LD twice, re-read and re-import the key, verify the signature a
 * second time, check ownership its way, and look up an idempotence record
 * under a key its worker never writes (read in Fedify 2.3.6: the request
 * looks for `origin\nid\nsharedInbox`, the worker records `[origin, id]`).
 * That repetition was most of an accepted activity's CPU (BENCHMARKS.md).
 *
 * What the short path keeps: the message is the one Fedify's handler would
 * queue, so Fedify's worker parses it, skips what it has already processed
 * (its idempotence record) and calls our listeners exactly as before; a
 * 202 is answered only once the message is committed to the queue. What it
 * gives up: a body that is JSON but not a readable activity is refused by
 * the worker (dropped with a log line) instead of a 400 in the request,
 * as Mastodon's inbox does. Activities it does not recognise as plainly
 * shaped (no id, no type, an inbox of a group that does not exist) go to
 * Fedify's handler as before.
 */
import { randomUUID } from "node:crypto";
import type { MessageQueue } from "@fedify/fedify";
import { isValidHandle } from "../src/domain/handle.ts";

/** An inbox POST whose signature and key ownership the screen has verified. */
export interface VerifiedInboxPost {
  /** The request as Fedify would get it, if the short path declines. */
  readonly request: Request;
  /** The path it was POSTed to: the shared inbox or a group's. */
  readonly pathname: string;
  /** The parsed body: a JSON object. */
  readonly activity: Readonly<Record<string, unknown>>;
  /** The actor every signing key belongs to. */
  readonly actorId: URL;
}

export interface InboxIntakeDeps {
  /** The queue Fedify's worker listens to (Fedify's `queue` option). */
  readonly queue: MessageQueue;
  /** The instance's origin, as Fedify's context has it. */
  readonly origin: URL;
  /** Whether a local group has this handle (Fedify answers 404 otherwise). */
  groupExists(handle: string): Promise<boolean>;
}

export interface InboxIntake {
  /** 202 once queued, or null: hand the request to Fedify. */
  accept(post: VerifiedInboxPost): Promise<Response | null>;
}

/** Fedify 2.3.6's inbox queue message (its `InboxMessage`, not exported). */
export interface QueuedInboxActivity {
  readonly type: "inbox";
  readonly id: string;
  readonly baseUrl: string;
  readonly activity: unknown;
  /** The HTTP signature authenticated it; an LD signature in it was not checked. */
  readonly ldSignatureVerified: false;
  /** The group whose inbox it came to; null for the shared inbox. */
  readonly identifier: string | null;
  readonly attempt: 0;
  readonly started: string;
  readonly traceContext: Record<string, string>;
}

const GROUP_INBOX = /^\/groups\/([^/]+)\/inbox\/?$/;
const SHARED_INBOX = /^\/inbox\/?$/;

/**
 * Whose inbox a path is: null for the shared one, a group's handle, or
 * undefined for neither (the inbox screen passes such requests through).
 */
export function inboxRecipient(pathname: string): string | null | undefined {
  if (SHARED_INBOX.test(pathname)) return null;
  const handle = GROUP_INBOX.exec(pathname)?.[1];
  return handle !== undefined && isValidHandle(handle) ? handle : undefined;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== "string" || !URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === "https:" || protocol === "http:";
}

/**
 * Whether the activity is plainly shaped enough to queue unread: an http(s)
 * id (Fedify's worker dedupes by it) and a type given as a string or a list
 * of strings. Everything else Fedify's handler judges as before.
 */
export function isPlainActivity(activity: Readonly<Record<string, unknown>>): boolean {
  const { id, type } = activity;
  const typed =
    typeof type === "string" ||
    (Array.isArray(type) && type.length > 0 && type.every((t) => typeof t === "string"));
  return typed && isHttpUrl(id);
}

export function queuedInboxActivity(
  activity: unknown,
  recipient: string | null,
  origin: URL,
  now: Date,
): QueuedInboxActivity {
  return {
    type: "inbox",
    id: randomUUID(),
    baseUrl: origin.origin,
    activity,
    ldSignatureVerified: false,
    identifier: recipient,
    attempt: 0,
    started: now.toISOString(),
    traceContext: {},
  };
}

export function createInboxIntake(deps: InboxIntakeDeps): InboxIntake {
  return {
    async accept(post) {
      const recipient = inboxRecipient(post.pathname);
      if (recipient === undefined || !isPlainActivity(post.activity)) return null;
      if (recipient !== null && !(await deps.groupExists(recipient))) return null;
      await deps.queue.enqueue(
        queuedInboxActivity(post.activity, recipient, deps.origin, new Date()),
      );
      return new Response(null, { status: 202 });
    },
  };
}
