/**
 * A guard around the process's `fetch`, for what Fedify does not let us hook:
 * its deliveries call the global `fetch` directly and follow redirects
 * themselves, re-POSTing the signed body to any `Location` without an address
 * check. Wrapping `fetch` covers every outgoing request at its last step:
 *
 * - every URL must pass the address policy (public addresses only unless
 *   ALLOW_PRIVATE_ADDRESS), redirect hops included;
 * - a redirect answer to anything but GET/HEAD is an error, so a delivery is
 *   never re-sent elsewhere (an inbox that redirects fails and is retried,
 *   like Mastodon's own inboxes, which never redirect);
 * - every request has deadlines (connect, headers, whole request; see
 *   `RequestDeadlines`), so a peer that accepts the connection and never
 *   answers holds a delivery slot for seconds, not undici's 300 s;
 * - `Retry-After` on answers to deliveries is handed on under another name
 *   (`RETRY_AFTER_HEADER`): on seeing `Retry-After`, Fedify re-enqueues a
 *   copy of the message at the back of the line instead of letting our queue
 *   retry it in place, which lets an Update overtake its Create and escapes
 *   the 72-hour schedule and its failure record. The queue's retry policy
 *   reads it under the other name (retry-policy.ts).
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { FetchError } from "@fedify/vocab-runtime";
import { Agent } from "undici";
import { assertPublicUrl, type HostLookup } from "./address-policy.ts";

/** Where a delivery's `Retry-After` is found by the retry policy (see above). */
export const RETRY_AFTER_HEADER = "Bayanihan-Retry-After";

/**
 * How long an outgoing request may take: to connect, until the answer's
 * headers (connect included), and in all (body included). Each failure is a
 * network error, which the delivery queue retries like no answer at all.
 */
export interface RequestDeadlines {
  readonly connectMs: number;
  readonly headersMs: number;
  readonly totalMs: number;
}

/** The production deadlines (FEDERATION.md, "Delivery"). */
export const DEFAULT_DEADLINES: RequestDeadlines = {
  connectMs: 5_000,
  headersMs: 15_000,
  totalMs: 30_000,
};

export interface FetchGuardOptions {
  readonly allowPrivateAddress: boolean;
  readonly lookup?: HostLookup;
  /** For requests made outside `withDeadlines`. Default `DEFAULT_DEADLINES`. */
  readonly deadlines?: RequestDeadlines;
}

const scopedDeadlines = new AsyncLocalStorage<RequestDeadlines>();

/**
 * Runs `work` with these deadlines for every request it makes, whatever the
 * process-wide guard says: each instance's queue runs its handlers in its
 * own deadlines (several instances share one process in tests).
 */
export function withDeadlines<T>(deadlines: RequestDeadlines, work: () => T): T {
  return scopedDeadlines.run(deadlines, work);
}

// One connection pool per set of deadlines (in practice one or two).
const agents = new Map<string, Agent>();

function agentFor(deadlines: RequestDeadlines): Agent {
  const key = `${deadlines.connectMs}/${deadlines.headersMs}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    agent = new Agent({
      connect: { timeout: deadlines.connectMs },
      headersTimeout: deadlines.headersMs,
      // Between two chunks of the body; the whole request is bounded by totalMs.
      bodyTimeout: deadlines.headersMs,
    });
    agents.set(key, agent);
  }
  return agent;
}

export class RedirectRefusedError extends FetchError {
  constructor(url: URL, status: number) {
    super(url, `Refused to follow a ${status} redirect answering a non-GET request to ${url.href}`);
    this.name = "RedirectRefusedError";
  }
}

export function guardFetch(inner: typeof fetch, options: FetchGuardOptions): typeof fetch {
  const guarded = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(
      input instanceof Request ? input.url : input instanceof URL ? input.href : input,
    );
    const method = (
      init?.method ?? (input instanceof Request ? input.method : "GET")
    ).toUpperCase();
    await assertPublicUrl(url, {
      allowPrivateAddress: options.allowPrivateAddress,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    });
    const deadlines = scopedDeadlines.getStore() ?? options.deadlines ?? DEFAULT_DEADLINES;
    const signals = [AbortSignal.timeout(deadlines.totalMs)];
    if (init?.signal) signals.push(init.signal);
    if (input instanceof Request) signals.push(input.signal);
    const response = await inner(input, {
      ...init,
      signal: AbortSignal.any(signals),
      // undici's own option (Node's fetch is undici): connect and headers deadlines.
      dispatcher: agentFor(deadlines),
    } as RequestInit);
    if (method !== "GET" && method !== "HEAD" && response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new RedirectRefusedError(url, response.status);
    }
    if (method === "POST" && response.headers.has("retry-after")) {
      const headers = new Headers(response.headers);
      headers.set(RETRY_AFTER_HEADER, headers.get("retry-after")!);
      headers.delete("retry-after");
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers,
      });
    }
    return response;
  };
  return guarded as typeof fetch;
}

let unguardedFetch: typeof fetch | null = null;

/**
 * Installs the guard as the process's `fetch`. Idempotent: a later call
 * replaces the policy rather than stacking guards. One process runs one
 * instance in production, so one policy per process is what we need.
 */
export function installFetchGuard(options: FetchGuardOptions): void {
  unguardedFetch ??= globalThis.fetch;
  globalThis.fetch = guardFetch(unguardedFetch, options);
}
