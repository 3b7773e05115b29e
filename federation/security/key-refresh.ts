/**
 * Reading a signer's key again when the cached one no longer verifies.
 *
 * A key is cached at four layers: the imported keys of the signature check
 * (signature-check.ts, 5 minutes), Fedify's document cache in `fedify_kv`
 * (`_fedify/remoteDocument`, 5 minutes), Fedify's own key cache there
 * (`_fedify/publicKey`, no expiry) and, in front of both, each process's
 * memory (src/db/cached-kv-store.ts, up to 60 s). Fedify's retry after a
 * failed signature asks its document loader again, which answers from the
 * document cache: a peer that changed its key was refused until that entry
 * expired, 5 to 10 minutes.
 *
 * `refetch` reads a document with the bounded loader and no cache at all,
 * then makes every layer hold what it read: the document cache gets the
 * fresh document under the URL asked for, under the document's own URL
 * (where key-ownership.ts reads the actor) and under every key id the
 * document lists; Fedify's cached copies of those keys are dropped, so its
 * verifier imports them from the fresh document; and listeners (the
 * signature check's key cache) drop their imported copies.
 *
 * Each document is read this way at most once per `minInterval` (30 s) in
 * each process, whatever the outcome: a flood of bad signatures under one
 * key costs one read, not one read per request. The limit is per process,
 * not shared through the database: n processes read a document at most n
 * times per interval, and each process can refresh its own memory.
 */
import type { KvKey, KvStore } from "@fedify/fedify";
import type { DocumentLoader, DocumentLoaderOptions, RemoteDocument } from "@fedify/vocab-runtime";

/** Thrown instead of reading a document read less than `minInterval` ago. */
export class RefetchTooSoon extends Error {
  override readonly name = "RefetchTooSoon";
}

export interface KeyRefreshOptions {
  /** Reads a document from the network, with no cache in front. */
  load: DocumentLoader;
  /** Where Fedify keeps its caches; absent, only listeners are told. */
  kv?: KvStore;
  /** Shortest time between two reads of one document. */
  minInterval: Temporal.Duration;
  /** How long the fresh document stays in the document cache (Fedify's rule: 5 minutes). */
  documentTtl: Temporal.Duration;
  /** Documents whose last read is remembered; the oldest are forgotten first. */
  maxDocuments: number;
  now?: () => number;
}

export interface KeyRefresh {
  /** Whether the document holding `url` (fragment ignored) was read by `refetch` less than `minInterval` ago. */
  refetchedRecently(url: string): boolean;
  /**
   * Reads `url` bypassing every cache and refreshes the caches with it.
   * Throws RefetchTooSoon when its document was read less than
   * `minInterval` ago, and the loader's error when the read fails.
   */
  refetch: DocumentLoader;
  /** Called with the document URL (no fragment) after each successful refetch. */
  onRefreshed(listener: (documentUrl: string, keyIds: readonly string[]) => void): void;
  /** Called with the document URL (no fragment) when a refetch is answered 410 Gone. */
  onGone(listener: (documentUrl: string) => Promise<void>): void;
}

/** Whether a load failed because the server answered 410 Gone (Fedify's FetchError carries the response). */
export function isGone(error: unknown): boolean {
  const response = (error as { response?: unknown } | null)?.response;
  return response instanceof Response && response.status === 410;
}

/** Fedify 2.3.6's default `kvPrefixes` (read in its source). */
export const REMOTE_DOCUMENT_PREFIX: KvKey = ["_fedify", "remoteDocument"];
export const PUBLIC_KEY_PREFIX: KvKey = ["_fedify", "publicKey"];

export function withoutFragment(url: string): string {
  const hash = url.indexOf("#");
  return hash < 0 ? url : url.slice(0, hash);
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The ids of the keys an actor (or key) document lists on its own URL, as
 * Fedify reads them (compact JSON-LD: `publicKey`, `assertionMethod`, or the
 * document being a key itself).
 */
export function listedKeyIds(document: unknown, documentUrl: string): string[] {
  if (!isObject(document)) return [];
  const ids = new Set<string>();
  const add = (entry: unknown) => {
    const id =
      typeof entry === "string" ? entry : isObject(entry) ? (entry.id ?? entry["@id"]) : null;
    if (typeof id !== "string" || !URL.canParse(id)) return;
    const href = new URL(id).href;
    if (withoutFragment(href) === documentUrl) ids.add(href);
  };
  const type = document.type ?? document["@type"];
  if (type === "CryptographicKey" || type === "Multikey") add(document);
  for (const field of ["publicKey", "assertionMethod"]) {
    const value = document[field];
    for (const entry of Array.isArray(value) ? value : [value]) add(entry);
  }
  return [...ids];
}

export function createKeyRefresh(options: KeyRefreshOptions): KeyRefresh {
  const now = options.now ?? Date.now;
  const interval = Math.abs(options.minInterval.total({ unit: "milliseconds" }));
  /** Document URL → when `refetch` last read it (epoch ms), oldest first. */
  const reads = new Map<string, number>();
  const listeners: ((documentUrl: string, keyIds: readonly string[]) => void)[] = [];
  const goneListeners: ((documentUrl: string) => Promise<void>)[] = [];

  const recently = (documentUrl: string) => {
    const readAt = reads.get(documentUrl);
    return readAt !== undefined && now() < readAt + interval;
  };

  /** Every layer of Fedify's cache gets (or loses) what the fresh read says. */
  async function refreshCaches(asked: string, fetched: RemoteDocument, documentUrl: string) {
    const keyIds = listedKeyIds(fetched.document, documentUrl);
    const kv = options.kv;
    if (kv !== undefined) {
      const urls = new Set([asked, documentUrl, ...keyIds]);
      const ttl = options.documentTtl;
      await Promise.all(
        [...urls].map((url) => kv.set([...REMOTE_DOCUMENT_PREFIX, url], fetched, { ttl })),
      );
      await Promise.all(
        [...new Set([asked, ...keyIds])].map((id) => kv.delete([...PUBLIC_KEY_PREFIX, id])),
      );
    }
    for (const listener of listeners) listener(documentUrl, keyIds);
  }

  return {
    refetchedRecently: (url) => recently(withoutFragment(url)),
    async refetch(url: string, loaderOptions?: DocumentLoaderOptions): Promise<RemoteDocument> {
      const documentUrl = withoutFragment(url);
      if (recently(documentUrl)) throw new RefetchTooSoon(`${documentUrl} was read moments ago`);
      // Claimed before the read, and kept if it fails: a failing server is
      // not asked again by every request of a flood.
      reads.delete(documentUrl);
      reads.set(documentUrl, now());
      while (reads.size > options.maxDocuments) {
        const oldest = reads.keys().next().value;
        if (oldest === undefined) break;
        reads.delete(oldest);
      }
      let fetched: RemoteDocument;
      try {
        fetched = await options.load(url, loaderOptions);
      } catch (error) {
        if (isGone(error)) {
          await Promise.all(goneListeners.map((listener) => listener(documentUrl)));
        }
        throw error;
      }
      await refreshCaches(url, fetched, documentUrl);
      return fetched;
    },
    onRefreshed(listener) {
      listeners.push(listener);
    },
    onGone(listener) {
      goneListeners.push(listener);
    },
  };
}
