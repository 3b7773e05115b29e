import type { KvKey } from "@fedify/fedify";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import { CachedKvStore } from "./cached-kv-store.ts";
import type { DatabaseHandle } from "./connect.ts";
import { KyselyKvStore } from "./kv-store.ts";

/** Counts the statements the database-backed store runs. */
class CountingKv extends KyselyKvStore {
  reads = 0;
  writes = 0;
  override get<T>(key: KvKey): Promise<T | undefined> {
    this.reads++;
    return super.get<T>(key);
  }
  override set(key: KvKey, value: unknown, options?: { ttl?: Temporal.Duration }) {
    this.writes++;
    return super.set(key, value, options);
  }
}

const DOC: KvKey = ["_fedify", "remoteDocument", "https://remote.example/users/alice"];
const KEY: KvKey = ["_fedify", "publicKey", "https://remote.example/users/alice#main-key"];
const SPEC: KvKey = ["_fedify", "httpMessageSignaturesSpec", "https://remote.example"];
const IDEMPOTENCE: KvKey = [
  "_fedify",
  "activityIdempotence",
  "https://remote.example/activities/1",
];

describe(`CachedKvStore (${testEngine})`, () => {
  let database: DatabaseHandle;
  let clock = 0;
  let inner: CountingKv;
  let cached: CachedKvStore;
  /** Another process on the same database, without our memory. */
  let other: KyselyKvStore;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await database.db.deleteFrom("fedify_kv").execute();
    clock = 1_000_000;
    inner = new CountingKv(database.db);
    cached = new CachedKvStore(inner, { maxAgeMs: 60_000, now: () => clock });
    other = new KyselyKvStore(database.db);
  });

  it("reads a hot key from the database once, then from memory", async () => {
    await other.set(KEY, { id: "k1" });
    expect(await cached.get(KEY)).toEqual({ id: "k1" });
    expect(await cached.get(KEY)).toEqual({ id: "k1" });
    expect(await cached.get(KEY)).toEqual({ id: "k1" });
    expect(inner.reads).toBe(1);
  });

  it("keeps its own frozen copy: neither the writer nor a reader can change it", async () => {
    const written = { name: "Alice", tags: ["a"] };
    await cached.set(DOC, written);
    written.name = "changed by the writer";
    const read = await cached.get<{ name: string; tags: string[] }>(DOC);
    expect(read).toEqual({ name: "Alice", tags: ["a"] });
    expect(() => {
      read!.name = "changed by a reader";
    }).toThrow(TypeError);
    expect(() => read!.tags.push("b")).toThrow(TypeError);
    expect(await cached.get(DOC)).toEqual({ name: "Alice", tags: ["a"] });
  });

  it("always reads other keys (idempotence records) from the database", async () => {
    await cached.set(IDEMPOTENCE, true);
    await cached.get(IDEMPOTENCE);
    await other.delete(IDEMPOTENCE);
    expect(await cached.get(IDEMPOTENCE)).toBeUndefined();
    expect(inner.reads).toBe(2);
  });

  it("does not remember absence: a value another process writes is seen at once", async () => {
    expect(await cached.get(KEY)).toBeUndefined();
    await other.set(KEY, { id: "k2" });
    expect(await cached.get(KEY)).toEqual({ id: "k2" });
  });

  it("reads its own writes and deletes", async () => {
    await cached.set(KEY, { id: "k1" });
    await cached.set(KEY, { id: "k2" });
    expect(await cached.get(KEY)).toEqual({ id: "k2" });
    expect(await other.get(KEY)).toEqual({ id: "k2" });
    await cached.delete(KEY);
    expect(await cached.get(KEY)).toBeUndefined();
    expect(await other.get(KEY)).toBeUndefined();
  });

  it("forgets its copy on compare-and-swap, whatever the database decided", async () => {
    await cached.set(KEY, { id: "k1" });
    await other.set(KEY, { id: "k3" });
    expect(await cached.cas(KEY, { id: "k1" }, { id: "k2" })).toBe(false);
    expect(await cached.get(KEY)).toEqual({ id: "k3" });
  });

  it("serves another process's change after at most maxAgeMs", async () => {
    await cached.set(KEY, { id: "k1" });
    await other.set(KEY, { id: "rotated" });
    clock += 59_000;
    expect(await cached.get(KEY)).toEqual({ id: "k1" });
    clock += 2_000;
    expect(await cached.get(KEY)).toEqual({ id: "rotated" });
  });

  it("never serves an entry past its own TTL", async () => {
    await cached.set(DOC, { name: "Alice" }, { ttl: Temporal.Duration.from({ seconds: 5 }) });
    await other.delete(DOC);
    clock += 4_000;
    expect(await cached.get(DOC)).toEqual({ name: "Alice" });
    clock += 2_000;
    expect(await cached.get(DOC)).toBeUndefined();
  });

  it("skips rewriting an unchanged signature flavour, but writes a change", async () => {
    await cached.set(SPEC, "rfc9421");
    await cached.set(SPEC, "rfc9421");
    await cached.set(SPEC, "rfc9421");
    expect(inner.writes).toBe(1);
    await cached.set(SPEC, "draft-cavage-http-signatures-12");
    expect(inner.writes).toBe(2);
    expect(await other.get(SPEC)).toBe("draft-cavage-http-signatures-12");
  });

  it("writes a flavour it has only read once, in case the stored one had a TTL", async () => {
    await other.set(SPEC, "rfc9421", { ttl: Temporal.Duration.from({ hours: 1 }) });
    expect(await cached.get(SPEC)).toBe("rfc9421");
    await cached.set(SPEC, "rfc9421");
    await cached.set(SPEC, "rfc9421");
    expect(inner.writes).toBe(1);
  });

  it("drops the least recently used entries beyond maxEntries", async () => {
    const small = new CachedKvStore(inner, { maxEntries: 2, now: () => clock });
    const keys = [0, 1, 2].map((i): KvKey => ["_fedify", "publicKey", `k${i}`]);
    for (const key of keys) await small.set(key, { key: key[2] });
    inner.reads = 0;
    await small.get(keys[2]!);
    await small.get(keys[1]!);
    expect(inner.reads).toBe(0);
    await small.get(keys[0]!);
    expect(inner.reads).toBe(1);
  });
});
