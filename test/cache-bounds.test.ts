import type { KvKey } from "@fedify/fedify";
import { MemoryKvStore } from "@fedify/fedify";
import type { CryptographicKey } from "@fedify/vocab";
import type { RemoteDocument } from "@fedify/vocab-runtime";
import { describe, expect, it } from "vitest";
import { createKeyRefresh } from "../federation/security/key-refresh.ts";
import { createMemorySpecDeterminer } from "../federation/security/outbound/document-loader.ts";
import { createKeyCache } from "../federation/security/signature-check.ts";
import { CACHED_KV_DEFAULTS, CachedKvStore } from "../src/db/cached-kv-store.ts";

/**
 * Every in-process cache a remote party can fill has a bound (ARCHITECTURE.md,
 * "Memory"): a flood of 100,000 distinct key ids and documents, as a crawl or
 * an attacker with many actors would send, leaves each one at its bound.
 */
const FLOOD = 100_000;

function actorDocument(i: number) {
  return {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `https://flood${i % 500}.example/users/u${i}`,
    type: "Person",
    publicKey: {
      id: `https://flood${i % 500}.example/users/u${i}#main-key`,
      owner: `https://flood${i % 500}.example/users/u${i}`,
      publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${"A".repeat(392)}\n-----END PUBLIC KEY-----`,
    },
  };
}

describe("the memory cache in front of the KV store", () => {
  it("keeps at most maxEntries entries", async () => {
    const cache = new CachedKvStore(new MemoryKvStore(), { maxEntries: 3 });
    for (let i = 0; i < 10; i++) await cache.set(["_fedify", "publicKey", `k${i}`], { i });
    expect(cache.usage.entries).toBe(3);
  });

  it("keeps at most maxBytes of values, dropping the least recently used", async () => {
    const inner = new MemoryKvStore();
    const cache = new CachedKvStore(inner, { maxBytes: 1_000 });
    const key = (i: number): KvKey => ["_fedify", "remoteDocument", `https://a.example/${i}`];
    const value = { document: "x".repeat(280) };
    const size = JSON.stringify(value).length;
    for (let i = 0; i < 3; i++) await cache.set(key(i), value);
    expect(cache.usage).toEqual({ entries: 3, bytes: 3 * size });
    await cache.get(key(0)); // now the most recently used
    await cache.set(key(3), value);
    expect(cache.usage).toEqual({ entries: 3, bytes: 3 * size });
    // key 1 went: reading it again goes to the store (and fills memory again).
    let innerReads = 0;
    const get = inner.get.bind(inner);
    inner.get = <T>(k: KvKey) => {
      innerReads++;
      return get<T>(k);
    };
    await cache.get(key(0));
    await cache.get(key(3));
    expect(innerReads).toBe(0);
    await cache.get(key(1));
    expect(innerReads).toBe(1);
  });

  it("does not keep a value larger than maxBytes at all", async () => {
    const cache = new CachedKvStore(new MemoryKvStore(), { maxBytes: 100 });
    await cache.set(["_fedify", "remoteDocument", "https://a.example/big"], "y".repeat(200));
    expect(cache.usage).toEqual({ entries: 0, bytes: 0 });
  });

  it("stays within its default bounds under a flood of 100,000 remote keys and documents", async () => {
    const inner = new MemoryKvStore();
    const cache = new CachedKvStore(inner);
    let highestEntries = 0;
    let highestBytes = 0;
    for (let i = 0; i < FLOOD; i++) {
      const document = actorDocument(i);
      // Half written through the cache (as Fedify stores what it fetched),
      // half read through it from the store (as another process wrote them).
      if (i % 2 === 0) {
        await cache.set(["_fedify", "remoteDocument", document.id], { document });
      } else {
        await inner.set(["_fedify", "publicKey", document.publicKey.id], document.publicKey);
        await cache.get(["_fedify", "publicKey", document.publicKey.id]);
      }
      highestEntries = Math.max(highestEntries, cache.usage.entries);
      highestBytes = Math.max(highestBytes, cache.usage.bytes);
    }
    console.log(
      `CachedKvStore after ${FLOOD} distinct keys: at most ${highestEntries} entries, ${highestBytes} bytes`,
    );
    expect(highestEntries).toBeLessThanOrEqual(CACHED_KV_DEFAULTS.maxEntries);
    expect(highestBytes).toBeLessThanOrEqual(CACHED_KV_DEFAULTS.maxBytes);
    expect(highestEntries).toBeGreaterThan(0);
  }, 180_000);

  it("stays within its byte bound under a flood of 100,000 large remote documents", async () => {
    // A store that keeps nothing, so only the cache's own memory grows.
    const inner = new MemoryKvStore();
    inner.set = async () => {};
    const cache = new CachedKvStore(inner);
    const padding = "p".repeat(4_000);
    let highestBytes = 0;
    for (let i = 0; i < FLOOD; i++) {
      const document = { ...actorDocument(i), summary: padding };
      await cache.set(["_fedify", "remoteDocument", document.id], { document });
      highestBytes = Math.max(highestBytes, cache.usage.bytes);
    }
    // Here the bytes bind before the entry count does.
    expect(highestBytes).toBeLessThanOrEqual(CACHED_KV_DEFAULTS.maxBytes);
    expect(cache.usage.entries).toBeLessThan(CACHED_KV_DEFAULTS.maxEntries);
    expect(highestBytes).toBeGreaterThan(CACHED_KV_DEFAULTS.maxBytes * 0.9);
  }, 180_000);
});

describe("the signature flavour remembered per server", () => {
  it("remembers at most 1,000 servers after 100,000 distinct ones", () => {
    const determiner = createMemorySpecDeterminer("rfc9421");
    for (let i = 0; i < FLOOD; i++) {
      determiner.rememberSpec(`https://flood${i}.example`, "draft-cavage-http-signatures-12");
    }
    const remembered = (i: number) =>
      determiner.determineSpec(`https://flood${i}.example`) === "draft-cavage-http-signatures-12";
    const kept = Array.from({ length: FLOOD }, (_, i) => i).filter(remembered);
    expect(kept.length).toBe(1_000);
    expect(kept[0]).toBe(FLOOD - 1_000);
  });
});

describe("the imported signing keys of the signature check", () => {
  it("holds at most maxKeys keys after 100,000 distinct key ids", async () => {
    const cache = createKeyCache({ ttl: Temporal.Duration.from({ minutes: 5 }), maxKeys: 4096 });
    const key = {} as CryptographicKey;
    for (let i = 0; i < FLOOD; i++) {
      await cache.set(new URL(`https://flood${i % 500}.example/users/u${i}#main-key`), key);
    }
    let held = 0;
    for (let i = 0; i < FLOOD; i++) {
      if (cache.entry(`https://flood${i % 500}.example/users/u${i}#main-key`)) held++;
    }
    expect(held).toBe(4096);
  });
});

describe("the key documents read past the caches", () => {
  it("remembers at most maxDocuments reads after 100,000 distinct documents", async () => {
    const refresh = createKeyRefresh({
      load: async (url): Promise<RemoteDocument> => ({
        contextUrl: null,
        documentUrl: url,
        document: {},
      }),
      minInterval: Temporal.Duration.from({ seconds: 30 }),
      documentTtl: Temporal.Duration.from({ minutes: 5 }),
      maxDocuments: 4096,
    });
    for (let i = 0; i < FLOOD; i++) await refresh.refetch(`https://flood.example/u${i}`);
    let remembered = 0;
    for (let i = 0; i < FLOOD; i++) {
      if (refresh.refetchedRecently(`https://flood.example/u${i}`)) remembered++;
    }
    expect(remembered).toBe(4096);
  });
});
