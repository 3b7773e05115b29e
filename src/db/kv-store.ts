import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from "kysely";
import type { Database } from "./database.ts";
import { jsonb } from "./json.ts";
import { StatementBatcher } from "./statement-batcher.ts";

/**
 * JSON.stringify is canonical for an array of strings (same input, same
 * text; every `"` and `\` inside an element is escaped), so equal keys encode
 * equally and an encoded prefix can be matched as plain text.
 */
function encodeKey(key: KvKey): string {
  return JSON.stringify(key);
}

// Expiry is computed and compared on the database clock, so several
// processes (and machines) sharing one database agree on what has expired.
function ttlMsOf(options: KvStoreSetOptions | undefined): number | null {
  return options?.ttl == null ? null : options.ttl.total({ unit: "millisecond" });
}

function expiresAt(ttlMs: number | null): Expression<Date> | null {
  if (ttlMs === null) return null;
  return sql<Date>`now() + ${ttlMs}::double precision * interval '1 millisecond'`;
}

function isLive(eb: ExpressionBuilder<Database, "fedify_kv">): Expression<SqlBool> {
  return eb.or([eb("expires_at", "is", null), eb("expires_at", ">", sql<Date>`now()`)]);
}

/**
 * Fedify's key–value store in the application's own database (`fedify_kv`).
 *
 * Values are stored as jsonb, so they must be JSON values; `undefined` as a
 * value means "no entry" (Fedify writes `cas(key, expected, undefined)` to
 * consume a nonce or drop a circuit-breaker state), so it deletes instead.
 * Expired rows read as absent; `purgeExpired()` reclaims their space.
 */
export class KyselyKvStore implements KvStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Reads and plain writes made together share one statement each
   * (statement-batcher.ts): a worker handling several inbox activities at
   * once checks and records their idempotence keys in one round trip.
   */
  readonly #reads = new StatementBatcher<string, { found: boolean; value: unknown }>((keys) =>
    this.#readMany(keys),
  );
  readonly #writes = new StatementBatcher<
    { key: string; value: unknown; ttlMs: number | null },
    undefined
  >((entries) => this.#writeMany(entries));

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const read = await this.#reads.submit(encodeKey(key));
    // A stored JSON null comes back as a row whose value is null: present.
    return read.found ? (read.value as T) : undefined;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    if (value === undefined) {
      await this.delete(key);
      return;
    }
    await this.#writes.submit({ key: encodeKey(key), value, ttlMs: ttlMsOf(options) });
  }

  async #readMany(keys: readonly string[]): Promise<{ found: boolean; value: unknown }[]> {
    const distinct = [...new Set(keys)];
    const rows = await this.#db
      .selectFrom("fedify_kv")
      .select(["key", "value"])
      .where(
        distinct.length === 1
          ? sql<SqlBool>`key = ${distinct[0]}`
          : sql<SqlBool>`key = ANY(${distinct}::text[])`,
      )
      .where(isLive)
      .execute();
    const found = new Map(rows.map((row) => [row.key, row.value]));
    return keys.map((key) => ({ found: found.has(key), value: found.get(key) }));
  }

  async #writeMany(
    entries: readonly { key: string; value: unknown; ttlMs: number | null }[],
  ): Promise<undefined[]> {
    // One upsert may not touch a row twice: the last write of a key wins,
    // as it would have one statement after the other.
    const latest = new Map<string, { value: unknown; ttlMs: number | null }>();
    for (const entry of entries) {
      latest.delete(entry.key);
      latest.set(entry.key, entry);
    }
    await this.#db
      .insertInto("fedify_kv")
      .values(
        [...latest].map(([key, { value, ttlMs }]) => ({
          key,
          value: jsonb(value),
          expires_at: expiresAt(ttlMs),
        })),
      )
      .onConflict((oc) =>
        oc.column("key").doUpdateSet((eb) => ({
          value: eb.ref("excluded.value"),
          expires_at: eb.ref("excluded.expires_at"),
        })),
      )
      .execute();
    return entries.map(() => undefined);
  }

  async delete(key: KvKey): Promise<void> {
    await this.#db.deleteFrom("fedify_kv").where("key", "=", encodeKey(key)).execute();
  }

  /**
   * Each branch is one statement, so the comparison and the write are atomic
   * on PostgreSQL: a concurrent writer's UPDATE makes ours re-check the
   * condition against the committed row (and fail), and INSERT … ON CONFLICT
   * never lets two creators both win. jsonb equality is deep equality for
   * JSON values (object key order ignored), like MemoryKvStore's isEqual.
   */
  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    const encoded = encodeKey(key);
    if (expectedValue === undefined) {
      if (newValue === undefined) {
        // Nothing to write: it succeeds exactly when there is nothing there.
        return (await this.get(key)) === undefined;
      }
      const created = await this.#db
        .insertInto("fedify_kv")
        .values({ key: encoded, value: jsonb(newValue), expires_at: expiresAt(ttlMsOf(options)) })
        .onConflict((oc) =>
          oc
            .column("key")
            .doUpdateSet((eb) => ({
              value: eb.ref("excluded.value"),
              expires_at: eb.ref("excluded.expires_at"),
            }))
            // An expired row counts as absent, so it may be replaced.
            .where("fedify_kv.expires_at", "<=", sql<Date>`now()`),
        )
        .returning("key")
        .executeTakeFirst();
      return created !== undefined;
    }
    if (newValue === undefined) {
      const deleted = await this.#db
        .deleteFrom("fedify_kv")
        .where("key", "=", encoded)
        .where("value", "=", jsonb(expectedValue))
        .where(isLive)
        .returning("key")
        .executeTakeFirst();
      return deleted !== undefined;
    }
    const updated = await this.#db
      .updateTable("fedify_kv")
      .set({ value: jsonb(newValue), expires_at: expiresAt(ttlMsOf(options)) })
      .where("key", "=", encoded)
      .where("value", "=", jsonb(expectedValue))
      .where(isLive)
      .returning("key")
      .executeTakeFirst();
    return updated !== undefined;
  }

  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    let query = this.#db.selectFrom("fedify_kv").select(["key", "value"]).where(isLive);
    if (prefix !== undefined) {
      const exact = encodeKey(prefix);
      // `["a",` — the encoded prefix with its closing bracket replaced by the
      // element separator — starts exactly the keys that extend the prefix
      // (so ["a"] never matches ["ab"]); starts_with needs no LIKE escaping.
      const extended = `${exact.slice(0, -1)},`;
      query = query.where((eb) =>
        eb.or([eb("key", "=", exact), sql<SqlBool>`starts_with(key, ${extended})`]),
      );
    }
    // Read everything before yielding: a cursor held open while the caller
    // runs other queries would deadlock PGlite's single connection.
    const rows = await query.orderBy("key").execute();
    for (const row of rows) {
      yield { key: JSON.parse(row.key) as KvKey, value: row.value };
    }
  }

  /** Deletes expired entries (they already read as absent); returns how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.#db
      .deleteFrom("fedify_kv")
      .where("expires_at", "<=", sql<Date>`now()`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
