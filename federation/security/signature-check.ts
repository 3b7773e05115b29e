/**
 * Verifies an inbox POST's HTTP signature in our screen, before Fedify parses
 * the activity.
 *
 * Fedify 2.3.6 refuses a bad signature only after JSON-LD-parsing the body,
 * re-reading the key and verifying twice, and it imports the RSA key again on
 * every request (about 0.56 ms). Running its own `verifyRequest` here with an
 * in-memory key cache refuses a forged request for one verification, and the
 * cache keeps the imported `CryptoKey` between requests from the same sender.
 *
 * When verification fails with a key that came through a cache, the key is
 * read once more bypassing every cache (key-refresh.ts) and the signature
 * verified again, so a peer that rotated its key is accepted at once. That
 * read happens at most once per key document per `minInterval` (30 s):
 * within that time of the last one a failure is final, so a flood of forged
 * signatures costs one read, not one read per request.
 *
 * Most forged requests never reach `verifyRequest` at all: a draft-cavage
 * signature (what Mastodon sends) or an RFC 9421 one (what Fedify sends, its
 * signature base built as Fedify builds it: rfc9421-base.ts) under a key
 * already in the cache is checked here with node:crypto, synchronously,
 * against a `KeyObject` made once from the cached key. In a profile of forged requests, `verifyRequest` took 30 %
 * of the server's CPU, the RSA verification only 7 % of it (the rest: a clone
 * of the request, a second SHA-256 of the body through WebCrypto, tracing
 * spans, Temporal arithmetic, the key lookup), and building the Fedify
 * context and loaders it needs another 10 % (BENCHMARKS.md). The fast path decides only what `verifyRequest` would
 * decide the same way: a valid signature, or an invalid one under a key read
 * again less than `minInterval` ago (which `verify` would refuse too, its
 * re-read being refused). Anything else (no cached key, a key not read again lately,
 * a key that is not RSA with SHA-256, several RFC 9421 signatures none of
 * which verifies) goes to `verifyRequest`.
 *
 * An activity verified here (and whose keys are its actor's, key-ownership.ts)
 * is queued without Fedify's request handler (inbox-intake.ts); the few
 * others go on to Fedify, which verifies them again.
 */
import { KeyObject, verify as verifySignature } from "node:crypto";
import { type KeyCache, verifyRequest } from "@fedify/fedify";
import type { CryptographicKey, Multikey } from "@fedify/vocab";
import type { DocumentLoader } from "@fedify/vocab-runtime";
import { type KeyRefresh, RefetchTooSoon, withoutFragment } from "./key-refresh.ts";
import {
  type ParsedRfc9421Headers,
  readRfc9421Signatures,
  rfc9421SignatureBase,
} from "./rfc9421-base.ts";

export interface SignatureCheckOptions {
  /** How long an imported key is trusted before it is fetched again. */
  ttl: Temporal.Duration;
  /** Most keys kept; the oldest is dropped first. */
  maxKeys: number;
  /**
   * Reads a key document again bypassing every cache, at most once per
   * document and interval; tells the check when it did, so the check drops
   * the keys it imported from the old document.
   */
  refresh: Pick<KeyRefresh, "refetchedRecently" | "refetch" | "onRefreshed">;
  /** How far an RFC 9421 `created` may be from now (Fedify's default: an hour). */
  window?: Temporal.Duration;
  now?: () => Temporal.Instant;
}

export interface SignatureLoaders {
  documentLoader: DocumentLoader;
  contextLoader: DocumentLoader;
  timeWindow: Temporal.Duration;
}

/** What the signing string is built from; the body is not needed (the screen checked the digest). */
export type SignedHead = Pick<Request, "method" | "url" | "headers">;

/**
 * A request to verify, or its head plus a way to build the whole request,
 * so that one refused by the fast path is never built.
 */
export type SignedMessage = Request | { head: SignedHead; request: () => Request };

/**
 * The signature headers as the inbox screen parsed them (strictly: a header
 * it passed reads the same here), so that the fast path does not parse them
 * again: the draft-cavage parameters, or both RFC 9421 dictionaries.
 */
export type ParsedSignature =
  | { readonly draft: ReadonlyMap<string, string> }
  | { readonly rfc9421: ParsedRfc9421Headers };

/** What the cached key alone can tell about a request's signature. */
export type CachedVerdict = "valid" | "invalid" | "undecided";

export interface SignatureCheck {
  /**
   * Whether `request` carries a valid HTTP signature (RFC 9421 or
   * draft-cavage). `loaders` may be a function: it is then called only when
   * the cached key cannot decide, so a refused forgery needs no loaders.
   */
  verify(
    message: SignedMessage,
    loaders: SignatureLoaders | (() => SignatureLoaders),
  ): Promise<boolean>;
  /**
   * The fast path of `verify`: a draft-cavage or RFC 9421 signature checked
   * against the cached key, without `verifyRequest`. The request is not consumed.
   * `parsed` is the inbox screen's reading of the signature headers, if any.
   */
  verifyWithCachedKey(request: SignedHead, parsed?: ParsedSignature): CachedVerdict;
  /** The cache handed to `verifyRequest`, exposed for tests. */
  readonly keyCache: ImportedKeyCache;
}

interface CachedKey {
  key: CryptographicKey | Multikey;
  /** Epoch milliseconds. */
  storedAt: number;
  expiresAt: number;
  /** Made from `key` the first time the fast path needs it; null if it cannot use it. */
  keyObject?: KeyObject | null;
}

/** The cache, plus what the fast path and a refreshed document need. */
export interface ImportedKeyCache extends KeyCache {
  /** The unexpired entry for `keyId` (an exact href), without Fedify's async wrapper. */
  entry(keyId: string): CachedKey | undefined;
  /** Drops every key imported from the document at `documentUrl` (no fragment). */
  forgetDocument(documentUrl: string): void;
}

const DEFAULT_WINDOW = Temporal.Duration.from({ hours: 1 });

function milliseconds(duration: Temporal.Duration): number {
  return Math.abs(duration.total({ unit: "milliseconds" }));
}

/**
 * A bounded, expiring map from key id to the imported key Fedify fetched.
 * Times are epoch milliseconds: the Temporal polyfill costs microseconds per
 * comparison, and this runs on every inbox POST.
 */
export function createKeyCache(
  options: Pick<SignatureCheckOptions, "ttl" | "maxKeys" | "now">,
): ImportedKeyCache {
  const clock = options.now;
  const now = clock === undefined ? Date.now : () => clock().epochMilliseconds;
  const ttl = milliseconds(options.ttl);
  const keys = new Map<string, CachedKey>();
  const entry = (keyId: string) => {
    const found = keys.get(keyId);
    if (found === undefined) return undefined;
    if (now() >= found.expiresAt) {
      keys.delete(keyId);
      return undefined;
    }
    return found;
  };
  return {
    entry,
    forgetDocument(documentUrl) {
      for (const keyId of [...keys.keys()]) {
        if (withoutFragment(keyId) === documentUrl) keys.delete(keyId);
      }
    },
    async get(keyId) {
      return entry(keyId.href)?.key;
    },
    async set(keyId, key) {
      // An unavailable key is not remembered, so a server that was briefly
      // down is not refused for the whole TTL. (A re-read refused as too
      // soon never gets here: `verify` keeps the key it holds.)
      keys.delete(keyId.href);
      if (key === null) return;
      const storedAt = now();
      keys.set(keyId.href, { key, storedAt, expiresAt: storedAt + ttl });
      while (keys.size > options.maxKeys) {
        const oldest = keys.keys().next().value;
        if (oldest === undefined) break;
        keys.delete(oldest);
      }
    },
  };
}

// The pair syntax and header names exactly as Fedify 2.3.6's verifyRequestDraft
// reads them, so that the signing string built here is the one it would build.
const DRAFT_PAIR = /^\s*([A-Za-z]+)=(?:"([^"]*)"|(\d+))\s*$/;

function draftParameters(header: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of header.split(",")) {
    const match = DRAFT_PAIR.exec(pair);
    if (match !== null) params.set(match[1]!, match[2] ?? match[3]!);
  }
  return params;
}

/** The draft-cavage signing string, built as Fedify's verifyRequestDraft builds it. */
function draftSigningString(
  request: SignedHead,
  params: ReadonlyMap<string, string>,
  names: string[],
) {
  return names
    .map((name) => {
      const value =
        name === "(request-target)"
          ? `${request.method.toLowerCase()} ${new URL(request.url).pathname}`
          : name === "(created)"
            ? (params.get("created") ?? "")
            : name === "(expires)"
              ? (params.get("expires") ?? "")
              : name === "host"
                ? (request.headers.get("host") ?? new URL(request.url).host)
                : request.headers.get(name);
      return `${name}: ${value}`;
    })
    .join("\n");
}

/**
 * A KeyObject for the key, when Fedify would verify with it exactly as
 * node:crypto's RSA PKCS#1 v1.5 with SHA-256 does; null otherwise.
 */
function rsaSha256KeyObject(key: CryptographicKey | Multikey): KeyObject | null {
  const publicKey = key.publicKey;
  if (publicKey === null) return null;
  const algorithm = publicKey.algorithm as RsaHashedKeyAlgorithm;
  if (algorithm.name !== "RSASSA-PKCS1-v1_5" || algorithm.hash?.name !== "SHA-256") return null;
  return KeyObject.from(publicKey);
}

export function createSignatureCheck(options: SignatureCheckOptions): SignatureCheck {
  const keyCache = createKeyCache(options);
  const clock = options.now;
  const now = clock === undefined ? Date.now : () => clock().epochMilliseconds;
  const windowSeconds = milliseconds(options.window ?? DEFAULT_WINDOW) / 1000;

  /** The cached key for `keyId` as a KeyObject the fast path can use, or null. */
  function cachedRsaKey(keyId: string): KeyObject | null {
    if (!URL.canParse(keyId)) return null;
    const cached = keyCache.entry(new URL(keyId).href);
    if (cached === undefined) return null;
    if (cached.keyObject === undefined) cached.keyObject = rsaSha256KeyObject(cached.key);
    return cached.keyObject;
  }

  /**
   * RFC 9421 (what Fedify sends): valid when a signature Fedify would try
   * verifies under its cached RSA key, as Fedify stops at the first that
   * does. Invalid only in the one case `verify`'s answer is sure too: a
   * single signature, in the time window, under a cached key read again
   * moments ago (another re-read would be refused). Anything else is
   * `verify`'s to decide.
   */
  function verifyRfc9421WithCachedKey(
    request: SignedHead,
    parsed: ParsedRfc9421Headers | undefined,
  ): CachedVerdict {
    const signatures = readRfc9421Signatures(request, parsed);
    if (signatures === null || signatures.length === 0) return "undecided";
    const nowSeconds = now() / 1000;
    let provenInvalid = signatures.length === 1;
    for (const signature of signatures) {
      const key = cachedRsaKey(signature.keyId);
      const inWindow = Math.abs(nowSeconds - signature.created) <= windowSeconds;
      const algorithm = signature.alg ?? "rsa-v1_5-sha256";
      const base = rfc9421SignatureBase(request, signature);
      if (
        key === null ||
        signature.signature === null ||
        !inWindow ||
        algorithm !== "rsa-v1_5-sha256" ||
        base === null
      ) {
        provenInvalid = false;
        continue;
      }
      if (verifySignature("sha256", Buffer.from(base), key, signature.signature)) return "valid";
      if (!options.refresh.refetchedRecently(signature.keyId)) provenInvalid = false;
    }
    return provenInvalid ? "invalid" : "undecided";
  }

  function verifyWithCachedKey(request: SignedHead, parsed?: ParsedSignature): CachedVerdict {
    if (request.headers.has("signature-input")) {
      return verifyRfc9421WithCachedKey(
        request,
        parsed !== undefined && "rfc9421" in parsed ? parsed.rfc9421 : undefined,
      );
    }
    let params: ReadonlyMap<string, string>;
    if (parsed !== undefined && "draft" in parsed) {
      params = parsed.draft;
    } else {
      const header = request.headers.get("signature");
      if (header === null) return "undecided";
      params = draftParameters(header);
    }
    const keyId = params.get("keyId");
    const signature = params.get("signature");
    const headers = params.get("headers");
    if (keyId === undefined || signature === undefined || headers === undefined) {
      return "undecided";
    }
    const keyObject = cachedRsaKey(keyId);
    if (keyObject === null) return "undecided";
    const names = headers.split(/\s+/g);
    // Fedify's own requirements; the inbox screen has refused such requests already.
    if (!names.includes("(request-target)") || !names.includes("date")) return "undecided";
    const message = draftSigningString(request, params, names);
    const valid = verifySignature(
      "sha256",
      Buffer.from(message),
      keyObject,
      Buffer.from(signature, "base64"),
    );
    if (valid) return "valid";
    // `verify` would re-read the key now, and that re-read would be refused.
    return options.refresh.refetchedRecently(keyId) ? "invalid" : "undecided";
  }

  // Keys imported from a document read again are stale: the next request
  // imports them from the fresh one (which Fedify's document cache now holds).
  options.refresh.onRefreshed((documentUrl) => keyCache.forgetDocument(documentUrl));

  /**
   * One `verifyRequest` run. `refetchAll` false: keys come from the cache and
   * documents through the caching loader, except when Fedify retries after a
   * failure under a key our cache gave it (its retry asks the loader again):
   * that read bypasses every cache. `refetchAll` true: every key is read
   * bypassing the caches. Records which documents were read which way.
   */
  async function run(
    request: Request,
    loaders: SignatureLoaders,
    refetchAll: boolean,
    reads: { cached: Set<string>; fresh: Set<string> },
  ): Promise<boolean> {
    const fromCache = new Set<string>();
    let refused = false;
    const refetch: DocumentLoader = async (url, loaderOptions) => {
      try {
        const fetched = await options.refresh.refetch(url, loaderOptions);
        reads.fresh.add(withoutFragment(url));
        return fetched;
      } catch (error) {
        if (error instanceof RefetchTooSoon) refused = true;
        throw error;
      }
    };
    const documentLoader: DocumentLoader = async (url, loaderOptions) => {
      if (refetchAll || fromCache.has(url)) return await refetch(url, loaderOptions);
      const loaded = await loaders.documentLoader(url, loaderOptions);
      reads.cached.add(withoutFragment(url));
      return loaded;
    };
    const runCache: KeyCache = {
      async get(keyId) {
        if (refetchAll) return undefined;
        const key = await keyCache.get(keyId);
        if (key != null) fromCache.add(keyId.href);
        return key;
      },
      async set(keyId, key) {
        // A re-read refused as too soon: the key we hold stays.
        if (key === null && refused) return;
        await keyCache.set(keyId, key);
      },
    };
    const key = await verifyRequest(request.clone(), {
      documentLoader,
      contextLoader: loaders.contextLoader,
      timeWindow: loaders.timeWindow,
      keyCache: runCache,
    });
    return key !== null;
  }

  return {
    keyCache,
    verifyWithCachedKey,
    async verify(message, loaders) {
      const whole = message instanceof Request;
      const verdict = verifyWithCachedKey(whole ? message : message.head);
      if (verdict !== "undecided") return verdict === "valid";
      const resolved = typeof loaders === "function" ? loaders() : loaders;
      const request = whole ? message : message.request();
      const reads = { cached: new Set<string>(), fresh: new Set<string>() };
      if (await run(request, resolved, false, reads)) return true;
      // The key came through the document cache, which may hold a document
      // the peer has replaced since: read it once more, bypassing the caches.
      const stale = [...reads.cached].filter(
        (url) => !reads.fresh.has(url) && !options.refresh.refetchedRecently(url),
      );
      if (stale.length === 0) return false;
      return await run(request, resolved, true, reads);
    },
  };
}
