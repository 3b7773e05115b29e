/**
 * Bounded replacements for Fedify's document loaders, passed to
 * `createFederation` as `documentLoaderFactory`, `contextLoaderFactory` and
 * `authenticatedDocumentLoaderFactory`.
 *
 * Fedify 2.3.6's own loaders read any non-HTML response as JSON, with no size
 * limit and no timeout, so one slow or huge remote document ties up a queue
 * worker or the process memory. Its `allowPrivateAddress` switch cannot be
 * combined with custom factories, so our factories apply our own address
 * policy (ALLOW_PRIVATE_ADDRESS) and ignore the `allowPrivateAddress` that
 * Fedify passes in (always `false` here, as we never set Fedify's option).
 *
 * Every hop of a load (the first URL and each redirect) is put to the
 * federation policy before anything is sent or signed: a redirect to a
 * refused host is not followed, and no signature of ours is made for it.
 * The addresses are checked when connecting (fetch-guard.ts).
 *
 * Objects and actors must be served as ActivityPub
 * (`application/activity+json` or `application/ld+json`); plain
 * `application/json` is accepted only by the context loader (JSON-LD
 * contexts are often served so), whose cache is kept apart, so a document
 * once read as a context is never taken for an object.
 */

import {
  type HttpMessageSignaturesSpec,
  type HttpMessageSignaturesSpecDeterminer,
  type KvStore,
  kvCache,
  signRequest,
} from "@fedify/fedify";
import {
  type AuthenticatedDocumentLoaderFactory,
  type DocumentLoader,
  type DocumentLoaderFactory,
  type DocumentLoaderFactoryOptions,
  type DocumentLoaderOptions,
  FetchError,
  getUserAgent,
  preloadedContexts,
  type RemoteDocument,
} from "@fedify/vocab-runtime";
import { findUnstorableText, mayHoldUnstorableEscape } from "../../../src/domain/storable-text.ts";
import { findOversizedKey } from "../key-size.ts";
import { DisallowedUrlError, type HostLookup } from "./address-policy.ts";
import { createOutboundNetwork } from "./fetch-guard.ts";

/**
 * What a server sent and this loader refuses: too large, not JSON, a
 * content type or redirect chain we do not follow. Fetching it again would
 * get the same answer, so callers need not retry it (a timeout or a refused
 * connection stays a plain FetchError: those may pass).
 */
export class RefusedDocumentError extends FetchError {}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 3;

export const ACCEPT_HEADER =
  'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"';

// What an object or an actor may be served as. HTML and everything else is
// refused rather than guessed at.
const ACTIVITYPUB_MEDIA_TYPES: ReadonlySet<string> = new Set([
  "application/activity+json",
  "application/ld+json",
]);
// JSON-LD contexts are often served as plain JSON.
const CONTEXT_MEDIA_TYPES: ReadonlySet<string> = new Set([
  ...ACTIVITYPUB_MEDIA_TYPES,
  "application/json",
]);

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

export interface BoundedLoaderOptions {
  allowPrivateAddress: boolean;
  /** For the whole load: every redirect hop and the body. */
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  /** Overrides the `User-Agent` Fedify asks for (`Fedify/… (+origin)`). */
  userAgent?: string;
  /** Without `fetch`: how the loader's own network resolves names. */
  lookup?: HostLookup;
  /**
   * Federation's fetch (fetch-guard.ts: addresses checked when connecting,
   * deadlines). Default: a network of the loader's own.
   */
  fetch?: typeof globalThis.fetch;
  /**
   * The federation policy, asked for every hop before it is requested (and,
   * for authenticated loads, signed).
   */
  isHostAllowed?: (url: URL) => Promise<boolean>;
  /** `context`: plain `application/json` is accepted too (JSON-LD contexts only). */
  accept?: "activitypub" | "context";
}

export interface DocumentLoaderFactoryConfig extends BoundedLoaderOptions {
  /**
   * Fedify only caches documents for its built-in loaders; pass the
   * federation's KvStore to keep its 5-minute remote-document cache.
   */
  kv?: KvStore;
}

export interface AuthenticatedLoaderConfig extends BoundedLoaderOptions {
  /**
   * Remembers which HTTP signature flavour each origin accepted. Fedify's own
   * KV-backed determiner is not exported; defaults to an in-memory one.
   */
  specDeterminer?: HttpMessageSignaturesSpecDeterminer;
  /** The flavour tried first with unknown origins; Fedify's default too. */
  firstKnock?: HttpMessageSignaturesSpec;
}

interface SigningIdentity {
  keyId: URL;
  privateKey: CryptoKey;
}

interface LoadSettings {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
  readonly userAgent: string;
  readonly isHostAllowed: (url: URL) => Promise<boolean>;
  readonly mediaTypes: ReadonlySet<string>;
  readonly fetch: typeof globalThis.fetch;
  /** Sends one hop; set for authenticated loads to sign each hop anew. */
  readonly send?: (request: Request, signal: AbortSignal) => Promise<Response>;
}

/** Same key prefix as Fedify's built-in cache, so both share entries. */
const REMOTE_DOCUMENT_PREFIX = ["_fedify", "remoteDocument"] as const;
/** Contexts apart: what was read as plain JSON must never be served as an object. */
const REMOTE_CONTEXT_PREFIX = ["bayanihan", "remoteContext"] as const;

const allowEveryHost = async () => true;

/** The loader's fetch: the one given, else one network per options object. */
const ownFetches = new WeakMap<BoundedLoaderOptions, typeof globalThis.fetch>();
function fetchFor(options: BoundedLoaderOptions): typeof globalThis.fetch {
  if (options.fetch !== undefined) return options.fetch;
  let own = ownFetches.get(options);
  if (own === undefined) {
    own = createOutboundNetwork({
      allowPrivateAddress: options.allowPrivateAddress,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    }).fetch;
    ownFetches.set(options, own);
  }
  return own;
}

function settingsFor(
  options: BoundedLoaderOptions,
  factoryOptions: DocumentLoaderFactoryOptions | undefined,
): LoadSettings {
  const fedifyAgent = factoryOptions?.userAgent;
  return {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    maxRedirects: options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    userAgent:
      options.userAgent ??
      (typeof fedifyAgent === "string" ? fedifyAgent : getUserAgent(fedifyAgent)),
    isHostAllowed: options.isHostAllowed ?? allowEveryHost,
    mediaTypes: options.accept === "context" ? CONTEXT_MEDIA_TYPES : ACTIVITYPUB_MEDIA_TYPES,
    fetch: fetchFor(options),
  };
}

function preloaded(url: string): RemoteDocument | null {
  let href: string;
  try {
    href = new URL(url).href;
  } catch {
    return null;
  }
  if (!Object.hasOwn(preloadedContexts, href)) return null;
  return { contextUrl: null, document: preloadedContexts[href], documentUrl: href };
}

function mediaTypeOf(response: Response): string | null {
  const header = response.headers.get("Content-Type");
  if (header === null) return null;
  return header.split(";", 1)[0]!.trim().toLowerCase();
}

async function discardBody(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The connection is going away either way.
  }
}

async function readBounded(response: Response, url: URL, maxBytes: number): Promise<Uint8Array> {
  const declared = response.headers.get("Content-Length");
  if (declared !== null && Number(declared) > maxBytes) {
    await discardBody(response);
    throw new RefusedDocumentError(
      url,
      `Document too large: Content-Length ${declared} > ${maxBytes} bytes`,
    );
  }
  if (response.body === null) return new Uint8Array(0);
  // Counted on the decoded stream, so a small gzip bomb is caught as well.
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new RefusedDocumentError(url, `Document too large: more than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The system resolver takes no signal; don't let it outlive the timeout. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function load(
  url: string,
  settings: LoadSettings,
  callerSignal: AbortSignal | undefined,
): Promise<RemoteDocument> {
  callerSignal?.throwIfAborted();
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const signal = callerSignal ? AbortSignal.any([timeout, callerSignal]) : timeout;
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    throw new RefusedDocumentError(url, "Invalid URL");
  }
  try {
    for (let redirects = 0; ; redirects++) {
      if (current.protocol !== "http:" && current.protocol !== "https:") {
        throw new DisallowedUrlError(current, "unsupported-scheme", current.protocol);
      }
      // Before the request is made or signed, for the first URL and every redirect.
      if (!(await untilAborted(settings.isHostAllowed(current), signal))) {
        throw new DisallowedUrlError(
          current,
          "refused-host",
          `the federation policy refuses ${current.hostname}`,
        );
      }
      const request = new Request(current, {
        method: "GET",
        headers: { Accept: ACCEPT_HEADER, "User-Agent": settings.userAgent },
        redirect: "manual",
      });
      const response = settings.send
        ? await settings.send(request, signal)
        : await settings.fetch(request, { redirect: "manual", signal });
      if (REDIRECT_STATUSES.has(response.status)) {
        const location = response.headers.get("Location");
        await discardBody(response);
        if (location === null)
          throw new RefusedDocumentError(current, `HTTP ${response.status} without Location`);
        if (redirects >= settings.maxRedirects) {
          throw new RefusedDocumentError(current, `More than ${settings.maxRedirects} redirects`);
        }
        current = new URL(location, current);
        continue;
      }
      if (!response.ok) {
        await discardBody(response);
        // A bodiless copy: Fedify reads only the status (404/410 = gone), and
        // clone() of a cancelled body would throw.
        const bare = new Response(null, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
        throw new FetchError(current, `HTTP ${response.status}`, bare);
      }
      const mediaType = mediaTypeOf(response);
      if (mediaType === null || !settings.mediaTypes.has(mediaType)) {
        await discardBody(response);
        throw new RefusedDocumentError(
          current,
          `Unacceptable content type: ${mediaType ?? "(none)"}`,
        );
      }
      const body = await readBounded(response, current, settings.maxBytes);
      const text = new TextDecoder().decode(body);
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch {
        throw new RefusedDocumentError(current, "Response is not valid JSON");
      }
      if (typeof document !== "object" || document === null) {
        throw new RefusedDocumentError(current, "Response is not a JSON object or array");
      }
      // Neither database can store such a string, so an object holding one
      // would fail every time its activity was handled: refused here, once,
      // as the inbox refuses an activity holding one.
      if (mayHoldUnstorableEscape(text) && findUnstorableText(document) !== null) {
        throw new RefusedDocumentError(current, "Document holds U+0000 or a lone surrogate");
      }
      // A key that costly to verify would make every forged signature under
      // it expensive to refuse: the actor is refused instead (key-size.ts).
      const oversized = findOversizedKey(document);
      if (oversized !== null) throw new RefusedDocumentError(current, oversized);
      return { contextUrl: null, document, documentUrl: current.href };
    }
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (timeout.aborted) {
      throw new FetchError(current, `Timed out after ${settings.timeoutMs} ms`);
    }
    if (error instanceof FetchError) throw error;
    // fetch() wraps what the connection refused ("fetch failed"): the refusal is the answer.
    const refusal = disallowedIn(error);
    if (refusal !== null) throw refusal;
    const wrapped = new FetchError(current, error instanceof Error ? error.message : String(error));
    wrapped.cause = error;
    throw wrapped;
  }
}

function disallowedIn(error: unknown): DisallowedUrlError | null {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause instanceof DisallowedUrlError) return cause;
    cause = cause.cause;
  }
  return null;
}

/**
 * Fedify's default rule (every document for 5 minutes), built once: left to
 * itself `kvCache` compiles a new URLPattern each time it is called, and
 * Fedify calls the factories for every context it makes, i.e. for every
 * inbox activity and delivery; that was 3 % of the inbox's CPU.
 */
const CACHE_RULES: readonly [URLPattern, Temporal.Duration][] = [
  [new URLPattern({}), Temporal.Duration.from({ minutes: 5 })],
];

/** How long a remote document stays in the KV cache (key-refresh.ts writes with it too). */
export const REMOTE_DOCUMENT_TTL: Temporal.Duration = CACHE_RULES[0]![1];

/**
 * For `documentLoaderFactory` and `contextLoaderFactory`. Fedify's preloaded
 * JSON-LD contexts (ActivityStreams, security/v1, data-integrity, multikey,
 * …) are served from memory; everything else goes through the bounded fetch.
 */
export function createDocumentLoaderFactory(
  options: DocumentLoaderFactoryConfig,
): DocumentLoaderFactory {
  return (factoryOptions) => {
    const settings = settingsFor(options, factoryOptions);
    const loader: DocumentLoader = async (url, loaderOptions?: DocumentLoaderOptions) =>
      preloaded(url) ?? (await load(url, settings, loaderOptions?.signal));
    if (options.kv === undefined) return loader;
    return kvCache({
      loader,
      kv: options.kv,
      prefix: [...(options.accept === "context" ? REMOTE_CONTEXT_PREFIX : REMOTE_DOCUMENT_PREFIX)],
      rules: CACHE_RULES,
    });
  };
}

/** Bounded so a crawl of many origins cannot grow it without limit. */
const SPEC_MEMORY_LIMIT = 1000;

export function createMemorySpecDeterminer(
  firstKnock: HttpMessageSignaturesSpec = "rfc9421",
): HttpMessageSignaturesSpecDeterminer {
  const remembered = new Map<string, HttpMessageSignaturesSpec>();
  return {
    determineSpec: (origin) => remembered.get(origin) ?? firstKnock,
    rememberSpec: (origin, spec) => {
      remembered.delete(origin);
      remembered.set(origin, spec);
      if (remembered.size > SPEC_MEMORY_LIMIT) {
        remembered.delete(remembered.keys().next().value!);
      }
    },
  };
}

function otherSpec(spec: HttpMessageSignaturesSpec): HttpMessageSignaturesSpec {
  return spec === "rfc9421" ? "draft-cavage-http-signatures-12" : "rfc9421";
}

/**
 * For `authenticatedDocumentLoaderFactory` (authorized fetch). Signs every
 * GET, including each redirect hop, with Fedify's `signRequest`, and
 * double-knocks like Fedify: if the first signature flavour is answered with
 * an error status, the other flavour is tried once. Documents are never
 * cached, as in Fedify, because they may be visible to this actor only.
 * Not implemented: answering RFC 9421 `Accept-Signature` challenges.
 */
export function createAuthenticatedDocumentLoaderFactory(
  options: AuthenticatedLoaderConfig,
): AuthenticatedDocumentLoaderFactory {
  const determiner = options.specDeterminer ?? createMemorySpecDeterminer(options.firstKnock);
  return (identity: SigningIdentity, factoryOptions) => {
    const base = settingsFor(options, factoryOptions);
    const signAndFetch = async (
      request: Request,
      spec: HttpMessageSignaturesSpec,
      signal: AbortSignal,
    ): Promise<Response> => {
      const signed = await signRequest(request, identity.privateKey, identity.keyId, {
        spec,
        body: null,
      });
      return await base.fetch(signed, { redirect: "manual", signal });
    };
    const send = async (request: Request, signal: AbortSignal): Promise<Response> => {
      const origin = new URL(request.url).origin;
      const first = await determiner.determineSpec(origin);
      const response = await signAndFetch(request, first, signal);
      if (response.status < 400) {
        await determiner.rememberSpec(origin, first);
        return response;
      }
      await discardBody(response);
      const second = otherSpec(first);
      const retried = await signAndFetch(request, second, signal);
      if (retried.status < 400) await determiner.rememberSpec(origin, second);
      return retried;
    };
    const settings: LoadSettings = { ...base, send };
    return async (url, loaderOptions) =>
      preloaded(url) ?? (await load(url, settings, loaderOptions?.signal));
  };
}

export interface OutboundLoaderFactories {
  documentLoaderFactory: DocumentLoaderFactory;
  contextLoaderFactory: DocumentLoaderFactory;
  authenticatedDocumentLoaderFactory: AuthenticatedDocumentLoaderFactory;
}

/** The three `createFederation` options, named as Fedify names them. */
export function createOutboundLoaderFactories(
  options: DocumentLoaderFactoryConfig &
    Pick<AuthenticatedLoaderConfig, "specDeterminer" | "firstKnock">,
): OutboundLoaderFactories {
  return {
    documentLoaderFactory: createDocumentLoaderFactory({ ...options, accept: "activitypub" }),
    contextLoaderFactory: createDocumentLoaderFactory({ ...options, accept: "context" }),
    authenticatedDocumentLoaderFactory: createAuthenticatedDocumentLoaderFactory(options),
  };
}
