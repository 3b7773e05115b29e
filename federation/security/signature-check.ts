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
 * When verification fails with a cached key, `verifyRequest` fetches the key
 * once more, without the cache, and stores what it fetched, so a rotated key
 * still works. Left alone, that makes every forged signature cost a re-read,
 * a JSON-LD parse and a key import (about 2 ms). So a key is re-read at most
 * once per `minReread`: within that time of the last read the re-read is
 * refused and the signature with it. The document the re-read would get comes
 * from the KV document cache anyway, which keeps it for longer than that, so a
 * key rotated moments ago is accepted no later than it would be otherwise,
 * and a sender refused meanwhile retries.
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
  /** Shortest time between two reads of the same key. */
  minReread: Temporal.Duration;
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
  storedAt: Temporal.Instant;
  expiresAt: Temporal.Instant;
}

/** The cache, plus what the re-read limit needs to know. */
export interface ImportedKeyCache extends KeyCache {
  /** Whether the key at `url` (its fragment ignored) was read less than `minReread` ago. */
  readRecently(url: string): boolean;
}

class RereadTooSoon extends Error {}

function withoutFragment(url: string): string {
  const hash = url.indexOf("#");
  return hash < 0 ? url : url.slice(0, hash);
}

/** A bounded, expiring map from key id to the imported key Fedify fetched. */
export function createKeyCache(options: SignatureCheckOptions): ImportedKeyCache {
  const now = options.now ?? (() => Temporal.Now.instant());
  const keys = new Map<string, CachedKey>();
  const readRecently = (entry: CachedKey | undefined) =>
    entry !== undefined &&
    Temporal.Instant.compare(now(), entry.storedAt.add(options.minReread)) < 0;
  return {
    readRecently(url) {
      const document = withoutFragment(url);
      for (const [keyId, entry] of keys) {
        if (withoutFragment(keyId) === document && readRecently(entry)) return true;
      }
      return false;
    },
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
      if (key === null) {
        // A re-read refused as too soon reports the key unavailable: the key
        // we hold stays. Otherwise an unavailable key is not remembered, so a
        // server that was briefly down is not refused for the whole TTL.
        if (!readRecently(keys.get(keyId.href))) keys.delete(keyId.href);
        return;
      }
      keys.delete(keyId.href);
      const storedAt = now();
      keys.set(keyId.href, { key, storedAt, expiresAt: storedAt.add(options.ttl) });
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
      const documentLoader: DocumentLoader = (url, options) => {
        if (keyCache.readRecently(url)) throw new RereadTooSoon(`${url} was read moments ago`);
        return loaders.documentLoader(url, options);
      };
      const key = await verifyRequest(request.clone(), {
        documentLoader,
        contextLoader: loaders.contextLoader,
        timeWindow: loaders.timeWindow,
        keyCache,
      });
      return key !== null;
    },
  };
}
