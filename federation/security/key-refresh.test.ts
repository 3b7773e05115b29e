import { MemoryKvStore } from "@fedify/fedify";
import type { DocumentLoader } from "@fedify/vocab-runtime";
import { FetchError } from "@fedify/vocab-runtime";
import { describe, expect, it } from "vitest";
import {
  createKeyRefresh,
  PUBLIC_KEY_PREFIX,
  REMOTE_DOCUMENT_PREFIX,
  RefetchTooSoon,
} from "./key-refresh.ts";

const ACTOR = "https://remote.example/users/alice";
const MAIN_KEY = `${ACTOR}#main-key`;
const ED_KEY = `${ACTOR}#ed25519-key`;

function actorDocument(version: number) {
  return {
    id: ACTOR,
    type: "Person",
    publicKey: { id: MAIN_KEY, owner: ACTOR, publicKeyPem: `pem ${version}` },
    assertionMethod: [{ id: ED_KEY, type: "Multikey", publicKeyMultibase: `z${version}` }],
  };
}

function setup() {
  let now = 0;
  let version = 1;
  let status = 200;
  const reads: string[] = [];
  const load: DocumentLoader = async (url) => {
    reads.push(url);
    if (status !== 200) {
      throw new FetchError(url, `HTTP ${status}`, new Response(null, { status }));
    }
    return { contextUrl: null, documentUrl: ACTOR, document: actorDocument(version) };
  };
  const kv = new MemoryKvStore();
  const refresh = createKeyRefresh({
    load,
    kv,
    minInterval: Temporal.Duration.from({ seconds: 30 }),
    documentTtl: Temporal.Duration.from({ minutes: 5 }),
    maxDocuments: 10,
    now: () => now,
  });
  return {
    refresh,
    kv,
    reads,
    advance: (ms: number) => {
      now += ms;
    },
    rotate: () => version++,
    answer: (code: number) => {
      status = code;
    },
  };
}

describe("key refresh", () => {
  it("puts the fresh document in every cache entry Fedify reads the keys from", async () => {
    const { refresh, kv, rotate } = setup();
    const stale = { contextUrl: null, documentUrl: ACTOR, document: actorDocument(1) };
    for (const url of [ACTOR, MAIN_KEY, ED_KEY]) {
      await kv.set([...REMOTE_DOCUMENT_PREFIX, url], stale);
    }
    await kv.set([...PUBLIC_KEY_PREFIX, MAIN_KEY], { id: MAIN_KEY, publicKeyPem: "pem 1" });
    await kv.set([...PUBLIC_KEY_PREFIX, ED_KEY], { id: ED_KEY });
    const refreshed: string[] = [];
    refresh.onRefreshed((documentUrl, keyIds) => refreshed.push(documentUrl, ...keyIds));
    rotate();

    await refresh.refetch(MAIN_KEY);
    for (const url of [ACTOR, MAIN_KEY, ED_KEY]) {
      const cached = await kv.get<{ document: unknown }>([...REMOTE_DOCUMENT_PREFIX, url]);
      expect(cached?.document, url).toEqual(actorDocument(2));
    }
    // Fedify's imported copies go; it imports the keys again from the fresh document.
    expect(await kv.get([...PUBLIC_KEY_PREFIX, MAIN_KEY])).toBeUndefined();
    expect(await kv.get([...PUBLIC_KEY_PREFIX, ED_KEY])).toBeUndefined();
    expect(refreshed).toEqual([ACTOR, MAIN_KEY, ED_KEY]);
  });

  it("reads a document at most once per interval, whatever the key or the outcome", async () => {
    const { refresh, reads, advance, answer } = setup();
    await refresh.refetch(MAIN_KEY);
    expect(refresh.refetchedRecently(ED_KEY)).toBe(true);
    await expect(refresh.refetch(ED_KEY)).rejects.toBeInstanceOf(RefetchTooSoon);
    await expect(refresh.refetch(ACTOR)).rejects.toBeInstanceOf(RefetchTooSoon);
    expect(reads).toEqual([MAIN_KEY]);
    advance(30_001);
    expect(refresh.refetchedRecently(MAIN_KEY)).toBe(false);
    // A failed read counts too: a failing server is not asked by every request.
    answer(503);
    await expect(refresh.refetch(MAIN_KEY)).rejects.toBeInstanceOf(FetchError);
    await expect(refresh.refetch(MAIN_KEY)).rejects.toBeInstanceOf(RefetchTooSoon);
    expect(reads).toEqual([MAIN_KEY, MAIN_KEY]);
  });

  it("tells who listens when a document answers 410 Gone", async () => {
    const { refresh, answer } = setup();
    const gone: string[] = [];
    refresh.onGone(async (url) => {
      gone.push(url);
    });
    answer(404);
    await expect(refresh.refetch(MAIN_KEY)).rejects.toBeInstanceOf(FetchError);
    expect(gone).toEqual([]);
    const other = setup();
    other.refresh.onGone(async (url) => {
      gone.push(url);
    });
    other.answer(410);
    await expect(other.refresh.refetch(MAIN_KEY)).rejects.toBeInstanceOf(FetchError);
    expect(gone).toEqual([ACTOR]);
  });
});
