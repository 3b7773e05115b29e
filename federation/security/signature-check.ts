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
 * `verifyRequest` already handles a stale cached key the way we want: when
 * verification fails with a cached key it fetches the key once more, without
 * the cache, and stores what it fetched; so a rotated key still works and a
 * forged signature costs at most one extra key fetch (itself served by the
 * document cache in the KV store).
 *
 * Fedify still verifies the same request after us: its listeners need
 * `ctx.getSignedKey()`, and it alone checks LD signatures and FEP-8b32 proofs.
 */
import { type KeyCache, verifyRequest } from "@fedify/fedify";
import type { CryptographicKey, Multikey } from "@fedify/vocab";
import type { DocumentLoader } from "@fedify/vocab-runtime";

export interface SignatureCheckOptions {
  /** How long an imported key is trusted before it is fetched again. */
  ttl: Temporal.Duration;
  /** Most keys kept; the oldest is dropped first. */
  maxKeys: number;
  now?: () => Temporal.Instant;
}

export interface SignatureCheck {
  /** Whether `request` carries a valid HTTP signature (RFC 9421 or draft-cavage). */
  verify(
    request: Request,
    loaders: {
      documentLoader: DocumentLoader;
      contextLoader: DocumentLoader;
      timeWindow: Temporal.Duration;
    },
  ): Promise<boolean>;
  /** The cache handed to `verifyRequest`, exposed for tests. */
  readonly keyCache: KeyCache;
}

interface CachedKey {
  key: CryptographicKey | Multikey;
  expiresAt: Temporal.Instant;
}

/** A bounded, expiring map from key id to the imported key Fedify fetched. */
export function createKeyCache(options: SignatureCheckOptions): KeyCache {
  const now = options.now ?? (() => Temporal.Now.instant());
  const keys = new Map<string, CachedKey>();
  return {
    async get(keyId) {
      const entry = keys.get(keyId.href);
      if (entry === undefined) return undefined;
      if (Temporal.Instant.compare(now(), entry.expiresAt) >= 0) {
        keys.delete(keyId.href);
        return undefined;
      }
      return entry.key;
    },
    async set(keyId, key) {
      keys.delete(keyId.href);
      // An unavailable key is not remembered: the next request fetches again,
      // so a server that was briefly down is not refused for the whole TTL.
      if (key === null) return;
      keys.set(keyId.href, { key, expiresAt: now().add(options.ttl) });
      while (keys.size > options.maxKeys) {
        const oldest = keys.keys().next().value;
        if (oldest === undefined) break;
        keys.delete(oldest);
      }
    },
  };
}

export function createSignatureCheck(options: SignatureCheckOptions): SignatureCheck {
  const keyCache = createKeyCache(options);
  return {
    keyCache,
    async verify(request, loaders) {
      const key = await verifyRequest(request.clone(), {
        documentLoader: loaders.documentLoader,
        contextLoader: loaders.contextLoader,
        timeWindow: loaders.timeWindow,
        keyCache,
      });
      return key !== null;
    },
  };
}
