import { randomBytes } from "node:crypto";
import { sql, TableNode } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, openSibling, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "../db/connect.ts";
import { deleteDomainPolicy, insertDomainPolicy } from "../db/federation-policy.repo.ts";
import {
  createFederationPolicyService,
  type FederationPolicyService,
} from "./federation-policy.ts";
import { createGroup } from "./groups.ts";

const HOUR_MS = 3_600_000;

describe(`federation policy service (${testEngine})`, () => {
  let handle: DatabaseHandle;
  let groupId: string;
  const clock = () => Temporal.Now.instant();
  const services: FederationPolicyService[] = [];

  const extraHandles: DatabaseHandle[] = [];

  /** A long fallback TTL: only invalidation and NOTIFY can make a change visible. */
  async function service(database: DatabaseHandle = handle): Promise<FederationPolicyService> {
    const created = await createFederationPolicyService({
      database,
      clock,
      fallbackTtlMs: HOUR_MS,
    });
    services.push(created);
    return created;
  }

  beforeAll(async () => {
    handle = await createTestDatabase();
    const result = await createGroup(
      { db: handle.db, keys: { generate: async () => [] }, clock },
      { handle: "food", name: "Food", summary: "", followPolicy: "open" },
    );
    if (!result.ok) throw new Error("group not created");
    groupId = result.group.id;
  });
  afterAll(async () => {
    for (const s of services) await s.close();
    for (const h of extraHandles) await h.close();
    await handle?.close();
  });

  /** The database as another process sees it; PGlite is one in-process database, shared. */
  async function otherProcess(applicationName?: string): Promise<DatabaseHandle> {
    if (testEngine !== "postgres") return handle;
    const other = await openSibling(handle, {
      maxConnections: 2,
      ...(applicationName !== undefined ? { applicationName } : {}),
    });
    extraHandles.push(other);
    return other;
  }

  it("a change made through the service applies to its own next answer", async () => {
    const policy = await service();
    expect(await policy.isAllowed("https://spam.example/users/a")).toBe(true);
    const added = await policy.addDomain({ domain: "SPAM.example:443", policy: "block" });
    expect(added).toMatchObject({ ok: true, entry: { domain: "spam.example" } });
    expect(await policy.isAllowed("https://spam.example/users/a")).toBe(false);
    // A block covers subdomains.
    expect(await policy.isAllowed("https://sub.spam.example/users/a")).toBe(false);

    await policy.setMode("allowlist");
    expect(await policy.isAllowed("https://friend.example/users/a")).toBe(false);
    await policy.addDomain({ domain: "friend.example", policy: "allow" });
    expect(await policy.isAllowed("https://friend.example/users/a")).toBe(true);
    expect(await policy.removeDomain("FRIEND.example")).toBe("removed");
    expect(await policy.isAllowed("https://friend.example/users/a")).toBe(false);
    await policy.setMode("open");
    expect(await policy.removeDomain("spam.example")).toBe("removed");
    expect(await policy.removeDomain("spam.example")).toBe("not_found");
    expect(await policy.isAllowed("https://spam.example/users/a")).toBe(true);
  });

  it("another process sharing the database drops its cache on the NOTIFY", async () => {
    const writer = await service();
    const readerHandle = await otherProcess();
    const reader = await service(readerHandle);
    // Cache the open policy in the reader.
    expect(await reader.isAllowed("https://elsewhere.example/")).toBe(true);
    await writer.addDomain({ domain: "elsewhere.example", policy: "block" });
    await expect
      .poll(() => reader.isAllowed("https://elsewhere.example/"), { timeout: 5_000 })
      .toBe(false);
    await writer.setMode("allowlist");
    await expect
      .poll(() => reader.isAllowed("https://stranger.example/"), { timeout: 5_000 })
      .toBe(false);
    await writer.setMode("open");
    await writer.removeDomain("elsewhere.example");
    await expect
      .poll(() => reader.isAllowed("https://elsewhere.example/"), { timeout: 5_000 })
      .toBe(true);
  });

  it.runIf(testEngine === "postgres")(
    "drops its cache when its lost LISTEN connection is re-established",
    async () => {
      const name = `policy-relisten-${randomBytes(4).toString("hex")}`;
      const reader = await service(await otherProcess(name));
      expect(await reader.isAllowed("https://unnoticed.example/")).toBe(true);
      // A block whose notification this reader never gets: written while
      // its LISTEN connection is down (here: written without a NOTIFY)...
      await insertDomainPolicy(handle.db, {
        domain: "unnoticed.example",
        policy: "block",
        reason: null,
        createdAt: clock(),
      });
      try {
        expect(await reader.isAllowed("https://unnoticed.example/")).toBe(true);
        // ...then the connection is lost.
        const { rows } = await sql<{ terminated: boolean }>`
          SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
          WHERE application_name = ${name} AND query ILIKE 'listen %'`.execute(handle.db);
        expect(rows).toEqual([{ terminated: true }]);
        // Once postgres.js listens again, the reader no longer trusts its cache.
        await expect
          .poll(() => reader.isAllowed("https://unnoticed.example/"), { timeout: 5_000 })
          .toBe(false);
      } finally {
        await deleteDomainPolicy(handle.db, "unnoticed.example");
      }
    },
  );

  /**
   * A second process on the database that never hears the NOTIFY (one still
   * on its way, or lost while its LISTEN connection reconnected). `queries`
   * counts the statements it runs and `results` their answers; the results of its reads of the domain
   * entries reach it only once `holdEntries` resolves.
   */
  async function deafReader(holdEntries: Promise<void> = Promise.resolve()): Promise<{
    policy: FederationPolicyService;
    queries: () => number;
    results: () => number;
    entriesRead: () => number;
  }> {
    const readerHandle = await otherProcess();
    let count = 0;
    let entriesRead = 0;
    let results = 0;
    const entryReads = new WeakSet<object>();
    const counted = readerHandle.db.withPlugin({
      transformQuery: (args) => {
        count++;
        const { node } = args;
        if (
          node.kind === "SelectQueryNode" &&
          node.from?.froms.some(
            (from) => TableNode.is(from) && from.table.identifier.name === "domain_policies",
          )
        ) {
          entryReads.add(args.queryId);
        }
        return node;
      },
      // Held after the statement ran: what it read predates whatever commits meanwhile.
      transformResult: async (args) => {
        results++;
        if (entryReads.has(args.queryId)) {
          entriesRead++;
          await holdEntries;
        }
        return args.result;
      },
    });
    const policy = await service({
      ...readerHandle,
      db: counted,
      listen: async () => async () => {},
    });
    return {
      policy,
      queries: () => count,
      results: () => results,
      entriesRead: () => entriesRead,
    };
  }

  it("revalidate() catches up with a change whose NOTIFY never arrived", async () => {
    const writer = await service();
    const { policy: reader } = await deafReader();
    expect(await reader.isAllowed("https://unheard.example/")).toBe(true);
    await writer.addDomain({ domain: "unheard.example", policy: "block" });
    // Without the notification the cache is stale (for up to its fallback TTL)...
    expect(await reader.isAllowed("https://unheard.example/")).toBe(true);
    // ...until the version says the policy changed.
    await reader.revalidate();
    expect(await reader.isAllowed("https://unheard.example/")).toBe(false);

    await writer.setMode("allowlist");
    await reader.revalidate();
    expect(await reader.isAllowed("https://stranger.example/")).toBe(false);
    await writer.setMode("open");
    await writer.removeDomain("unheard.example");
    await reader.revalidate();
    expect(await reader.isAllowed("https://unheard.example/")).toBe(true);
  });

  it("revalidate() costs one read for the callers that ask together, and keeps an unchanged cache", async () => {
    const { policy: reader, queries } = await deafReader();
    await reader.isAllowed("https://warm.example/");
    const before = queries();
    await Promise.all(Array.from({ length: 20 }, () => reader.revalidate()));
    // One version read; the policy was not loaded again.
    expect(queries() - before).toBe(1);
    expect(await reader.isAllowed("https://warm.example/")).toBe(true);
    expect(queries() - before).toBe(1);
    // A later caller gets a read of its own: the first may predate its claim.
    await reader.revalidate();
    expect(queries() - before).toBe(2);
  });

  it("revalidate() does not trust a load that read the policy before a change", async () => {
    const writer = await service();
    let release!: () => void;
    const {
      policy: reader,
      results,
      entriesRead,
    } = await deafReader(
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    // A load has read the entries, and its answer is slow to come back...
    const early = reader.isAllowed("https://racing.example/");
    await expect.poll(entriesRead).toBe(1);
    const before = results();
    // ...while a block commits, and a delivery asks to revalidate.
    await writer.addDomain({ domain: "racing.example", policy: "block" });
    const revalidated = reader.revalidate();
    // The version read has answered while the load is still under way.
    await expect.poll(results).toBe(before + 1);
    release();
    await revalidated;
    // The early caller got what the load read; nobody after the revalidation does.
    expect(await early).toBe(true);
    expect(await reader.isAllowed("https://racing.example/")).toBe(false);
    await writer.removeDomain("racing.example");
  });

  it("refuses a second entry for a domain and junk domains, writing nothing", async () => {
    const policy = await service();
    await policy.addDomain({ domain: "twice.example", policy: "block", reason: "spam" });
    expect(await policy.addDomain({ domain: "Twice.Example.", policy: "allow" })).toEqual({
      ok: false,
      error: "exists",
      domain: "twice.example",
    });
    expect(
      await policy.addDomain({ domain: "https://x.example/a", policy: "block" }),
    ).toMatchObject({ ok: false, error: "invalid" });
    const entries = await policy.domains();
    expect(entries.map((e) => [e.domain, e.policy, e.reason])).toEqual([
      ["twice.example", "block", "spam"],
    ]);
    await policy.removeDomain("twice.example");
  });

  it("a block deletes the followers and follows on that host and its subdomains, in one transaction", async () => {
    const now = new Date();
    const actors = [
      "https://blocked.example/users/a",
      "https://BLOCKED.example:8443/users/b",
      "https://sub.blocked.example/users/c",
      "https://a.b.blocked.example/users/e",
      "https://notblocked.example/users/blocked.example",
      "https://blocked.example.org/users/f",
      "http://[::ffff:127.0.0.9]/users/d",
    ];
    await handle.db
      .insertInto("followers")
      .values(
        actors.map((actorId, i) => ({
          id: crypto.randomUUID(),
          group_id: groupId,
          actor_id: actorId,
          inbox_url: `${actorId}/inbox`,
          shared_inbox_url: null,
          follow_activity_id: `${actorId}#follow-${i}`,
          state: "accepted" as const,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    await handle.db
      .insertInto("following")
      .values(
        actors.map((actorId, i) => ({
          id: crypto.randomUUID(),
          group_id: groupId,
          actor_id: actorId,
          inbox_url: `${actorId}/inbox`,
          shared_inbox_url: null,
          follow_activity_id: `https://local.example/groups/food#follows/${i}`,
          state: "accepted" as const,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();

    const policy = await service();
    const blocked = await policy.addDomain({ domain: "blocked.example", policy: "block" });
    expect(blocked).toMatchObject({ ok: true, removed: { followers: 4, following: 4 } });
    const ip = await policy.addDomain({ domain: "127.0.0.9", policy: "block" });
    expect(ip).toMatchObject({ ok: true, removed: { followers: 1, following: 1 } });
    const left = async (table: "followers" | "following") =>
      (await handle.db.selectFrom(table).select("actor_id").orderBy("actor_id").execute()).map(
        (r) => r.actor_id,
      );
    const expected = [
      "https://blocked.example.org/users/f",
      "https://notblocked.example/users/blocked.example",
    ];
    expect(await left("followers")).toEqual(expected);
    expect(await left("following")).toEqual(expected);
    // An allow entry removes nothing.
    expect(
      await policy.addDomain({ domain: "blocked.example.org", policy: "allow" }),
    ).toMatchObject({ ok: true, removed: { followers: 0, following: 0 } });
    expect(await left("followers")).toEqual(expected);
  });
});
