import { isDeepStrictEqual } from "node:util";
import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";

/**
 * Which keys a process may serve from memory, and how.
 *
 * Only entries that are safe to read slightly stale are listed: a remote
 * document cached for minutes anyway, a public key (when a signature fails
 * with the cached one, federation/security/key-refresh.ts reads it again
 * past every cache and overwrites or drops these entries), which signature flavour a server accepted (a wrong guess costs one
 * retry). Idempotence records, nonces and anything compared-and-set are
 * never cached: they must be read from the database every time.
 */
export interface HotKeyRule {
  /** The rule applies to keys that start with these elements. */
  readonly prefix: KvKey;
  /**
   * A `set` of the value memory already holds is not written again. Only for
   * entries written without a TTL (Fedify rewrites the accepted signature
   * flavour after every delivery, and a public key after every bad signature).
   */
  readonly skipUnchangedWrites?: boolean;
}

/** The hot keys of Fedify 2.3.6 (its `kvPrefixes` defaults). */
export const FEDIFY_HOT_KEYS: readonly HotKeyRule[] = [
  { prefix: ["_fedify", "remoteDocument"] },
  // Fedify writes a key back after every signature that fails to verify
  // with it (it fetches the key again, usually getting the same one).
  { prefix: ["_fedify", "publicKey"], skipUnchangedWrites: true },
  { prefix: ["_fedify", "httpMessageSignaturesSpec"], skipUnchangedWrites: true },
];

export interface CachedKvStoreOptions {
  readonly rules?: readonly HotKeyRule[];
  /**
   * How long an entry is served from memory at most. Other processes sharing
   * the database may change an entry meanwhile; this bounds how long this one
   * keeps the old value. Default 60 s.
   */
  readonly maxAgeMs?: number;
  /** Entries kept (least recently used dropped first). Default 5,000. */
  readonly maxEntries?: number;
  /**
   * Total size of the values kept, counted as the length of their JSON
   * (least recently used dropped first; a larger value alone is not kept).
   * The entry count alone does not bound memory: a remote document may be
   * up to a megabyte (DEFAULT_MAX_BYTES of the document loader), and a
   * flood of distinct actors would fill every slot. Default 8 MB, which
   * costs about two to three times as much of the JS heap.
   */
  readonly maxBytes?: number;
  /** For tests. */
  readonly now?: () => number;
}

interface Entry {
  readonly value: unknown;
  /** The entry's own expiry (its TTL) or the memory limit, whichever is first. */
  readonly until: number;
  /** Whether the value was written without a TTL (for skipUnchangedWrites). */
  readonly permanent: boolean;
  /** Its JSON length (maxBytes). */
  readonly size: number;
}

/** The cache's bounds when none are given (ARCHITECTURE.md, "Memory"). */
export const CACHED_KV_DEFAULTS = { maxEntries: 5_000, maxBytes: 8 * 1024 * 1024 } as const;

/** A value's size as maxBytes counts it: its JSON length (0 if it has none). */
function sizeOf(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Freezes a JSON value through and through. Cached values are handed out
 * as they are, without a copy per read (copying an actor document cost more
 * than the rest of the cache's work), so nobody may change them: a caller
 * that tries gets a TypeError instead of corrupting later reads.
 */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function startsWith(key: KvKey, prefix: KvKey): boolean {
  return prefix.length <= key.length && prefix.every((part, i) => key[i] === part);
}

/**
 * A memory cache in front of the database-backed KV store for the few keys
 * every inbox request and every delivery reads (the sender's actor document
 * and public key; the signature flavour of the receiving server). Without it
 * each of them costs a database round trip per request.
 *
 * Writes, deletes and compare-and-swaps always go to the database; this
 * process's copy is updated or dropped in the same call, so the process reads
 * its own writes. Other keys pass straight through.
 */
export class CachedKvStore implements KvStore {
  readonly #inner: KvStore;
  readonly #rules: readonly HotKeyRule[];
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(inner: KvStore, options: CachedKvStoreOptions = {}) {
    this.#inner = inner;
    this.#rules = options.rules ?? FEDIFY_HOT_KEYS;
    this.#maxAgeMs = options.maxAgeMs ?? 60_000;
    this.#maxEntries = options.maxEntries ?? CACHED_KV_DEFAULTS.maxEntries;
    this.#maxBytes = options.maxBytes ?? CACHED_KV_DEFAULTS.maxBytes;
    this.#now = options.now ?? Date.now;
  }

  #rule(key: KvKey): HotKeyRule | undefined {
    return this.#rules.find((rule) => startsWith(key, rule.prefix));
  }

  /** Entries and their total size now (for tests and the memory benchmark). */
  get usage(): { readonly entries: number; readonly bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  #forget(encoded: string): void {
    const entry = this.#entries.get(encoded);
    if (entry === undefined) return;
    this.#entries.delete(encoded);
    this.#bytes -= entry.size;
  }

  #fresh(encoded: string): Entry | undefined {
    const entry = this.#entries.get(encoded);
    if (entry === undefined) return undefined;
    if (entry.until <= this.#now()) {
      this.#forget(encoded);
      return undefined;
    }
    // Most recently used last, so the first key is the one to evict.
    this.#entries.delete(encoded);
    this.#entries.set(encoded, entry);
    return entry;
  }

  /** `options` null: read from the database, whose TTL for the entry is unknown. */
  #remember(encoded: string, value: unknown, options: KvStoreSetOptions | undefined | null): void {
    const now = this.#now();
    const ttlMs = options?.ttl?.total({ unit: "millisecond" });
    const until = now + Math.min(this.#maxAgeMs, ttlMs ?? Number.POSITIVE_INFINITY);
    this.#forget(encoded);
    if (until <= now) return;
    const size = sizeOf(value);
    if (size > this.#maxBytes) return;
    this.#entries.set(encoded, {
      // A copy of what the caller gave: it may go on changing its own.
      value: deepFreeze(structuredClone(value)),
      until,
      permanent: options !== null && ttlMs == null,
      size,
    });
    this.#bytes += size;
    while (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      this.#forget(this.#entries.keys().next().value!);
    }
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    if (this.#rule(key) === undefined) return this.#inner.get<T>(key);
    const encoded = JSON.stringify(key);
    const entry = this.#fresh(encoded);
    if (entry !== undefined) return entry.value as T;
    const value = await this.#inner.get<T>(key);
    // Absence is not remembered: another process may be writing it now.
    // The caller gets the frozen copy memory keeps, like every later reader.
    // The remaining TTL is unknown here, so the memory limit alone applies;
    // it is shorter than any TTL Fedify gives these entries.
    if (value === undefined) return undefined;
    this.#remember(encoded, value, null);
    return (this.#entries.get(encoded)?.value as T | undefined) ?? value;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    const rule = this.#rule(key);
    if (rule === undefined) return this.#inner.set(key, value, options);
    const encoded = JSON.stringify(key);
    if (rule.skipUnchangedWrites && options?.ttl == null) {
      const entry = this.#fresh(encoded);
      if (entry?.permanent && isDeepStrictEqual(entry.value, value)) return;
    }
    this.#forget(encoded);
    await this.#inner.set(key, value, options);
    if (value !== undefined) this.#remember(encoded, value, options);
  }

  async delete(key: KvKey): Promise<void> {
    this.#forget(JSON.stringify(key));
    await this.#inner.delete(key);
  }

  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    if (this.#inner.cas === undefined) throw new TypeError("The inner KV store has no cas()");
    // Whatever the outcome, the database decides: forget our copy.
    this.#forget(JSON.stringify(key));
    return this.#inner.cas(key, expectedValue, newValue, options);
  }

  list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    return this.#inner.list(prefix);
  }
}
