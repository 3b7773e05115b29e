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
 * - `Retry-After` is removed from answers to deliveries: on seeing it, Fedify
 *   re-enqueues a copy of the message at the back of the line instead of
 *   letting our queue retry it in place, which lets an Update overtake its
 *   Create and escapes the 72-hour schedule and its failure record. The
 *   queue's own backoff (30 s doubling) applies instead.
 */

import { FetchError } from "@fedify/vocab-runtime";
import { assertPublicUrl, type HostLookup } from "./address-policy.ts";

export interface FetchGuardOptions {
  readonly allowPrivateAddress: boolean;
  readonly lookup?: HostLookup;
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
    const response = await inner(input, init);
    if (method !== "GET" && method !== "HEAD" && response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new RedirectRefusedError(url, response.status);
    }
    if (method === "POST" && response.headers.has("retry-after")) {
      const headers = new Headers(response.headers);
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
