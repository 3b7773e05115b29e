import { type KvKey, type KvStoreListEntry, MemoryKvStore } from "@fedify/fedify";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "./connect.ts";
import { KyselyKvStore } from "./kv-store.ts";

/** A small seeded PRNG, so a failing sequence can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Keys chosen to trip a naive text encoding: a prefix that is a string prefix
// of a sibling ("a" / "ab"), LIKE wildcards, quotes and backslashes that
// JSON escapes, an element containing the element separator, non-ASCII.
const KEYS: readonly KvKey[] = [
  ["a"],
  ["ab"],
  ["a", "b"],
  ["a", "b", "c"],
  ["a", "bc"],
  ["a", "b%"],
  ["a%"],
  ["a_"],
  ["a\\"],
  ['a","b'],
  ["a,b"],
  ['x"y', "z"],
  ["é", "🙂"],
  ["", ""],
  ["fedify", "https://example.com/users/1", "key"],
];

const PREFIXES: readonly (KvKey | undefined)[] = [
  undefined,
  ["a"],
  ["a", "b"],
  ["ab"],
  ["a%"],
  ["a_"],
  ["a\\"],
  ['a","b'],
  ["x"],
  ['x"y'],
  ["é"],
  [""],
  ["fedify"],
  ["nothing"],
];

const VALUES: readonly unknown[] = [
  null,
  true,
  false,
  0,
  42,
  -1.5,
  1e-7,
  2 ** 53 - 1,
  "",
  'quotes " and \\ backslashes, unicode 🙂 and é',
  [],
  [1, [2, [3, {}]], null, "x"],
  {},
  { a: 1, b: [null, true], c: { d: { e: "deep" } } },
  { "": 0, "key with spaces": "v" },
  { state: "open", failures: ["2026-01-01T00:00:00Z"], __version: 1 },
];

/** The same JSON value with every object's keys in reverse order. */
function reorderKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorderKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reorderKeys(v)]),
    );
  }
  return value;
}

/**
 * list() order is not part of the contract; sort by encoded key. MemoryKvStore
 * keeps an entry whose value is `undefined` (what Fedify's `cas(k, v,
 * undefined)` leaves); a JSON store cannot, and treats it as deletion.
 */
async function listed(entries: AsyncIterable<KvStoreListEntry>): Promise<[string, unknown][]> {
  const result: [string, unknown][] = [];
  for await (const { key, value } of entries) {
    if (value !== undefined) result.push([JSON.stringify(key), value]);
  }
  return result.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

describe(`KyselyKvStore (${testEngine})`, () => {
  let handle: DatabaseHandle;
  let store: KyselyKvStore;
  beforeAll(async () => {
    handle = await createTestDatabase();
    store = new KyselyKvStore(handle.db);
  });
  afterEach(async () => {
    await sql`DELETE FROM fedify_kv`.execute(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });

  it("answers reads and writes made together with one statement each", async () => {
    let statements = 0;
    const counted = new KyselyKvStore(
      handle.db.withPlugin({
        transformQuery(args) {
          statements++;
          return args.node;
        },
        transformResult: async (args) => args.result,
      }),
    );
    const hour = { ttl: Temporal.Duration.from({ hours: 1 }) };
    // The same key twice in one batch: the later write wins, as in sequence.
    await Promise.all([
      counted.set(["b", "1"], "first"),
      counted.set(["b", "2"], { n: 2 }, hour),
      counted.set(["b", "1"], "second"),
      counted.set(["b", "3"], null),
    ]);
    expect(statements).toBe(1);
    statements = 0;
    const read = await Promise.all([
      counted.get(["b", "1"]),
      counted.get(["b", "2"]),
      counted.get(["b", "3"]),
      counted.get(["b", "missing"]),
      counted.get(["b", "1"]),
    ]);
    expect(statements).toBe(1);
    expect(read).toEqual(["second", { n: 2 }, null, undefined, "second"]);
    // Still one row per key, and the TTL went to the row it was given for.
    const rows = await sql<{ key: string; ttl: boolean }>`
      SELECT key, expires_at IS NOT NULL AS ttl FROM fedify_kv ORDER BY key`.execute(handle.db);
    expect(rows.rows).toEqual([
      { key: '["b","1"]', ttl: false },
      { key: '["b","2"]', ttl: true },
      { key: '["b","3"]', ttl: false },
    ]);
  });

  it("fails only the calls of a batch whose statement failed", async () => {
    let fail = true;
    const flaky = new KyselyKvStore(
      handle.db.withPlugin({
        transformQuery(args) {
          if (fail) throw new Error("the database is away");
          return args.node;
        },
        transformResult: async (args) => args.result,
      }),
    );
    const failed = await Promise.allSettled([flaky.set(["c"], 1), flaky.get(["c"])]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    await flaky.set(["c"], 2);
    expect(await flaky.get(["c"])).toBe(2);
  });

  it("behaves like MemoryKvStore over a random sequence of operations", async () => {
    const memory = new MemoryKvStore();
    const random = mulberry32(20261128);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const hour = { ttl: Temporal.Duration.from({ hours: 1 }) };
    const tally = { casHit: 0, casMiss: 0, casCreate: 0, casDelete: 0, listNonEmpty: 0 };

    for (let step = 0; step < 600; step++) {
      const key = pick(KEYS);
      const roll = random();
      const where = `step ${step}: key ${JSON.stringify(key)}`;
      if (roll < 0.3) {
        const value = pick(VALUES);
        const options = random() < 0.4 ? hour : undefined;
        await memory.set(key, value, options);
        await store.set(key, value, options);
      } else if (roll < 0.45) {
        expect(await store.get(key), where).toEqual(await memory.get(key));
      } else if (roll < 0.52) {
        await memory.delete(key);
        await store.delete(key);
      } else if (roll < 0.62) {
        const prefix = pick(PREFIXES);
        const expected = await listed(memory.list(prefix));
        if (expected.length > 0) tally.listNonEmpty++;
        expect(
          await listed(store.list(prefix)),
          `${where}, prefix ${JSON.stringify(prefix)}`,
        ).toEqual(expected);
      } else {
        // Compare-and-swap: expect the current value (a hit, given with its
        // object keys reordered), a random value (mostly a miss), or absence.
        const current = await memory.get(key);
        const kind = random();
        const expectedValue =
          kind < 0.45 ? reorderKeys(current) : kind < 0.75 ? pick(VALUES) : undefined;
        const newValue = random() < 0.15 ? undefined : pick(VALUES);
        const options = random() < 0.3 ? hour : undefined;
        const memoryResult = await memory.cas(key, expectedValue, newValue, options);
        const storeResult = await store.cas(key, expectedValue, newValue, options);
        expect(storeResult, `${where}, cas ${JSON.stringify(expectedValue)}`).toBe(memoryResult);
        if (memoryResult && expectedValue === undefined && newValue !== undefined) {
          tally.casCreate++;
        } else if (memoryResult && newValue === undefined) tally.casDelete++;
        else if (memoryResult) tally.casHit++;
        else tally.casMiss++;
      }
    }
    for (const key of KEYS) expect(await store.get(key)).toEqual(await memory.get(key));
    expect(await listed(store.list())).toEqual(await listed(memory.list()));
    // The sequence really exercised every branch.
    for (const count of Object.values(tally)) expect(count).toBeGreaterThan(3);
  });

  it("matches a prefix on whole key elements only", async () => {
    await store.set(["a"], 1);
    await store.set(["ab"], 2);
    await store.set(["a", "b"], 3);
    await store.set(['a","b'], 4);
    await store.set(["a%", "x"], 5);
    const keys = async (prefix: KvKey) =>
      (await listed(store.list(prefix))).map(([key]) => JSON.parse(key));
    expect(await keys(["a"])).toEqual([["a", "b"], ["a"]]);
    expect(await keys(["a", "b"])).toEqual([["a", "b"]]);
    expect(await keys(["a%"])).toEqual([["a%", "x"]]);
    expect(await keys(["a", "b", "c"])).toEqual([]);
  });

  it("stores JSON null as a present value, distinct from absence", async () => {
    await store.set(["null"], null);
    expect(await store.get(["null"])).toBeNull();
    expect(await store.cas(["null"], undefined, 1)).toBe(false);
    expect(await store.cas(["null"], null, 2)).toBe(true);
    expect(await store.get(["null"])).toBe(2);
  });

  it("treats undefined as absence: set deletes, cas to undefined deletes if it matches", async () => {
    await store.set(["nonce"], true);
    expect(await store.cas(["nonce"], false, undefined)).toBe(false);
    expect(await store.get(["nonce"])).toBe(true);
    // How Fedify consumes a signature nonce: exactly one consumer wins.
    expect(await store.cas(["nonce"], true, undefined)).toBe(true);
    expect(await store.cas(["nonce"], true, undefined)).toBe(false);
    expect(await listed(store.list(["nonce"]))).toEqual([]);
    await store.set(["gone"], 1);
    await store.set(["gone"], undefined);
    expect(await store.get(["gone"])).toBeUndefined();
    expect(await store.cas(["gone"], undefined, undefined)).toBe(true);
    await store.set(["here"], 1);
    expect(await store.cas(["here"], undefined, undefined)).toBe(false);
  });

  it("expires entries after their ttl", async () => {
    const short = { ttl: Temporal.Duration.from({ milliseconds: 300 }) };
    await store.set(["ttl", "plain"], "v", short);
    await store.set(["ttl", "cas"], "old", short);
    await store.set(["ttl", "overwritten"], "v", short);
    await store.set(["ttl", "overwritten"], "kept");
    expect(await store.cas(["ttl", "created"], undefined, "c", short)).toBe(true);
    expect(await store.get(["ttl", "plain"])).toBe("v");
    expect((await listed(store.list(["ttl"]))).length).toBe(4);

    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await store.get(["ttl", "plain"])).toBeUndefined();
    expect(await store.get(["ttl", "created"])).toBeUndefined();
    expect(await store.get(["ttl", "overwritten"])).toBe("kept");
    expect(await listed(store.list(["ttl"]))).toEqual([['["ttl","overwritten"]', "kept"]]);
    // An expired entry is absent for compare-and-swap too.
    expect(await store.cas(["ttl", "cas"], "old", "new")).toBe(false);
    expect(await store.cas(["ttl", "cas"], undefined, "new")).toBe(true);
    expect(await store.get(["ttl", "cas"])).toBe("new");

    expect(await store.purgeExpired()).toBe(2);
    const rows = await handle.db.selectFrom("fedify_kv").select("key").orderBy("key").execute();
    expect(rows.map((r) => r.key)).toEqual(['["ttl","cas"]', '["ttl","overwritten"]']);
  });

  it("makes compare-and-swap atomic under concurrent writers", async () => {
    const workers = 8;
    const incrementsEach = 10;
    await store.set(["counter"], { n: 0 });
    let conflicts = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let i = 0; i < incrementsEach; i++) {
          for (;;) {
            const current = await store.get<{ n: number }>(["counter"]);
            if (await store.cas(["counter"], current, { n: current!.n + 1 })) break;
            conflicts++;
          }
        }
      }),
    );
    expect(await store.get(["counter"])).toEqual({ n: workers * incrementsEach });
    // PGlite serialises every query, so only PostgreSQL can really race.
    if (testEngine === "postgres") expect(conflicts).toBeGreaterThan(0);
  });
});
