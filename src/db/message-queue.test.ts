import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { testMessageQueue } from "@fedify/testing";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { Kysely, sql } from "kysely";
import { PostgresJSDialect } from "kysely-postgres-js";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createTestDatabase,
  openSibling,
  siblingTarget,
  testEngine,
} from "../../test/helpers/database.ts";
import { type DatabaseHandle, listenWithPostgres, openPGlite } from "./connect.ts";
import type { Database } from "./database.ts";
import {
  KyselyMessageQueue,
  type KyselyMessageQueueOptions,
  type KyselyMessageQueueRetry,
  laneChannel,
} from "./message-queue.ts";
import { schemaChannel } from "./notify.ts";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Listening {
  readonly controller: AbortController;
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

function startListening(
  queue: KyselyMessageQueue,
  handler: (message: unknown) => Promise<void> | void,
): Listening {
  const controller = new AbortController();
  const done = queue.listen(handler, { signal: controller.signal });
  return {
    controller,
    done,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/**
 * A sibling handle, built like openPostgres builds one, that can also die the
 * way a killed process's connections do (PostgreSQL only). `close()` is no
 * stand-in for that: it drains the pool instead of cutting it, and
 * postgres.js's end() never resolves if a query held a connection when it
 * was called, so closing under a running queue hangs whenever the queue
 * happens to be mid-query.
 */
async function openMortalSibling(
  handle: DatabaseHandle,
): Promise<{ handle: DatabaseHandle; die(): Promise<void> }> {
  const { url, schema } = await siblingTarget(handle);
  const client = postgres(url, {
    max: 4,
    onnotice: () => {},
    connection: { search_path: schema },
  });
  const db = new Kysely<Database>({ dialect: new PostgresJSDialect({ postgres: client }) });
  return {
    handle: {
      db,
      engine: "postgres",
      schema,
      listen: (channel, onNotify) =>
        listenWithPostgres(client, schemaChannel(schema, channel), onNotify),
      close: () => db.destroy(),
    },
    async die() {
      // end({ timeout: 0 }) terminates every connection (the LISTEN one too)
      // at once, failing the queries in flight; destroying Kysely in the same
      // tick makes every later query fail at once instead of reconnecting.
      await Promise.all([client.end({ timeout: 0 }), db.destroy()]);
    },
  };
}

/** Retries after 100 ms for the first two failures, gives up on the third. */
function threeAttempts(onGiveUp?: KyselyMessageQueueRetry["onGiveUp"]): KyselyMessageQueueRetry {
  return {
    delayFor: (attempt) => (attempt < 3 ? Temporal.Duration.from({ milliseconds: 100 }) : null),
    ...(onGiveUp === undefined ? {} : { onGiveUp }),
  };
}

async function queueRows(handle: DatabaseHandle) {
  return handle.db
    .selectFrom("fedify_queue")
    .select(["id", "lease_owner", "ordering_key"])
    .orderBy("id")
    .execute();
}

describe(`KyselyMessageQueue (${testEngine})`, () => {
  let handle: DatabaseHandle;
  const listeners: Listening[] = [];
  const listen = (
    queue: KyselyMessageQueue,
    handler: (message: unknown) => Promise<void> | void,
  ): Listening => {
    const listening = startListening(queue, handler);
    listeners.push(listening);
    return listening;
  };
  const queue = (options?: KyselyMessageQueueOptions) => new KyselyMessageQueue(handle, options);

  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterEach(async () => {
    // A failed test must not leave a loop claiming the next test's messages.
    for (const listening of listeners.splice(0)) listening.controller.abort();
    await sql`DELETE FROM fedify_queue`.execute(handle.db);
    await sql`DELETE FROM fedify_queue_destinations`.execute(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });

  it("passes @fedify/testing's testMessageQueue, ordering keys included", async () => {
    await expect(
      testMessageQueue(
        () => queue(),
        ({ controller }) => controller.abort(),
        { testOrderingKey: true },
      ),
    ).resolves.toBeUndefined();
    expect(await queueRows(handle)).toEqual([]);
  });

  it("passes testMessageQueue with its own retry policy too", async () => {
    await expect(
      testMessageQueue(
        () => queue({ retry: threeAttempts() }),
        ({ controller }) => controller.abort(),
        { testOrderingKey: true },
      ),
    ).resolves.toBeUndefined();
    expect(await queueRows(handle)).toEqual([]);
  });

  it("tells Fedify it retries natively exactly when given a retry policy", () => {
    expect(queue().nativeRetrial).toBe(false);
    expect(queue({ retryDelayMs: 100 }).nativeRetrial).toBe(false);
    expect(queue({ retry: threeAttempts() }).nativeRetrial).toBe(true);
  });

  it("retries a failing message in place until the policy gives up, then calls onGiveUp", async () => {
    const gaveUp: { message: unknown; error: unknown; attempts: number }[] = [];
    const attemptedAt: number[] = [];
    const seenAttempts: number[] = [];
    await queue().enqueue({ n: "doomed" });
    const listening = listen(
      queue({
        retry: threeAttempts((message, error, attempts) => {
          gaveUp.push({ message, error, attempts });
        }),
      }),
      async () => {
        attemptedAt.push(performance.now());
        // The failures counted so far, as stored with the row.
        const rows = await handle.db.selectFrom("fedify_queue").select("attempts").execute();
        seenAttempts.push(rows[0]!.attempts);
        throw new Error(`always fails (${attemptedAt.length})`);
      },
    );
    await expect.poll(() => gaveUp.length, { timeout: 5000 }).toBe(1);
    // Long enough for a fourth attempt, were there one.
    await sleep(500);
    await listening.stop();
    expect(attemptedAt).toHaveLength(3);
    expect(seenAttempts).toEqual([0, 1, 2]);
    expect(attemptedAt[1]! - attemptedAt[0]!).toBeGreaterThanOrEqual(90);
    expect(attemptedAt[2]! - attemptedAt[1]!).toBeGreaterThanOrEqual(90);
    expect(gaveUp).toHaveLength(1);
    expect(gaveUp[0]!.message).toEqual({ n: "doomed" });
    expect(gaveUp[0]!.error).toBeInstanceOf(Error);
    expect((gaveUp[0]!.error as Error).message).toBe("always fails (3)");
    expect(gaveUp[0]!.attempts).toBe(3);
    expect(await queueRows(handle)).toEqual([]);
  });

  it("gives up at once on a failure the policy calls permanent, and retries the others", async () => {
    const gaveUp: { message: unknown; attempts: number }[] = [];
    const attempts = new Map<string, number>();
    await queue().enqueueMany([{ n: "unreadable" }, { n: "flaky" }]);
    const listening = listen(
      queue({
        retry: {
          ...threeAttempts((message, _error, count) => {
            gaveUp.push({ message, attempts: count });
          }),
          isPermanent: (error) => error instanceof TypeError,
        },
      }),
      async (message) => {
        const { n } = message as { n: string };
        attempts.set(n, (attempts.get(n) ?? 0) + 1);
        if (n === "unreadable") throw new TypeError('"lots" is not a decimal');
        if (attempts.get(n)! < 2) throw new Error("the network is down");
      },
    );
    await expect.poll(() => attempts.get("flaky"), { timeout: 5000 }).toBe(2);
    await expect.poll(() => gaveUp.length, { timeout: 5000 }).toBe(1);
    // Long enough for a retry of the unreadable one, were there one.
    await sleep(300);
    await listening.stop();
    expect(attempts.get("unreadable")).toBe(1);
    expect(gaveUp).toEqual([{ message: { n: "unreadable" }, attempts: 1 }]);
    expect(await queueRows(handle)).toEqual([]);
  });

  it("keeps a retried message ahead of its ordering key's later messages", async () => {
    const producer = queue();
    await producer.enqueue({ tag: "A1" }, { orderingKey: "A" });
    await producer.enqueue({ tag: "A2" }, { orderingKey: "A" });
    await producer.enqueue({ tag: "B1" }, { orderingKey: "B" });
    const log: string[] = [];
    let failedOnce = false;
    const listening = listen(queue({ concurrency: 4, retry: threeAttempts() }), (message) => {
      const { tag } = message as { tag: string };
      if (tag === "A1" && !failedOnce) {
        failedOnce = true;
        log.push("A1 fail");
        throw new Error("first attempt fails");
      }
      log.push(`${tag} ok`);
    });
    await expect.poll(() => log.length, { timeout: 5000 }).toBe(4);
    await listening.stop();
    expect(log.filter((entry) => entry.startsWith("A"))).toEqual(["A1 fail", "A1 ok", "A2 ok"]);
    // Another key is not held up by A1's backoff.
    expect(log.indexOf("B1 ok")).toBeLessThan(log.indexOf("A1 ok"));
    expect(await queueRows(handle)).toEqual([]);
  });

  it("survives an onGiveUp that throws, logging neither it nor the retries with the body", async () => {
    const records: LogRecord[] = [];
    await configure({
      reset: true,
      sinks: { memory: (record) => records.push(record) },
      loggers: [
        { category: ["bayanihan"], sinks: ["memory"], lowestLevel: "debug" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
      ],
    });
    try {
      const secret = "-----PRIVATE KEY d=SECRET-JWK-MATERIAL-----";
      await queue().enqueue({ type: "outbox", privateKey: secret });
      let giveUps = 0;
      const handled: unknown[] = [];
      const listening = listen(
        queue({
          concurrency: 1,
          retry: threeAttempts(() => {
            giveUps++;
            throw new Error("onGiveUp exploded");
          }),
        }),
        (message) => {
          if (message === "after") {
            handled.push(message);
            return;
          }
          throw new Error("delivery refused");
        },
      );
      await expect.poll(() => giveUps, { timeout: 5000 }).toBe(1);
      // The loop goes on after the throwing onGiveUp.
      await queue().enqueue("after");
      await expect.poll(() => handled, { timeout: 5000 }).toEqual(["after"]);
      await listening.stop();
      expect(await queueRows(handle)).toEqual([]);
      const logged = JSON.stringify(records, (_key, value) =>
        value instanceof Error ? `${value.message} ${value.stack}` : value,
      );
      expect(logged).toContain("delivery refused");
      expect(logged).toContain("onGiveUp exploded");
      expect(logged).not.toContain("SECRET-JWK-MATERIAL");
    } finally {
      await reset();
    }
  });

  it("keeps messages across a restart of the database", async () => {
    // PGlite: the same data directory closed and opened again. PostgreSQL:
    // the enqueuing handle (its whole connection pool) closed first.
    let reopen: () => Promise<DatabaseHandle>;
    let cleanup = async () => {};
    if (testEngine === "pglite") {
      const dir = await mkdtemp(path.join(tmpdir(), "bayanihan-mq-"));
      const dataDir = path.join(dir, "pgdata");
      const snapshot = await readFile(inject("pgliteSnapshotPath"));
      const first = await openPGlite({ dataDir, loadDataDir: new Blob([snapshot]) });
      await new KyselyMessageQueue(first).enqueue({ n: 1 });
      await new KyselyMessageQueue(first).enqueue({ n: 2 }, { orderingKey: "k" });
      await first.close();
      reopen = () => openPGlite({ dataDir });
      cleanup = () => rm(dir, { recursive: true, force: true });
    } else {
      const first = await openSibling(handle);
      await new KyselyMessageQueue(first).enqueue({ n: 1 });
      await new KyselyMessageQueue(first).enqueue({ n: 2 }, { orderingKey: "k" });
      await first.close();
      reopen = async () => ({ ...handle, close: async () => {} });
    }
    const second = await reopen();
    try {
      const received: unknown[] = [];
      const listening = startListening(new KyselyMessageQueue(second), (m) => {
        received.push(m);
      });
      await expect.poll(() => received.length, { timeout: 5000 }).toBe(2);
      await listening.stop();
      expect(received).toEqual(expect.arrayContaining([{ n: 1 }, { n: 2 }]));
      expect(await queueRows(second)).toEqual([]);
    } finally {
      await second.close();
      await cleanup();
    }
  });

  it("hands a message whose handler threw to a handler again, without logging its body", async () => {
    const records: LogRecord[] = [];
    await configure({
      reset: true,
      sinks: { memory: (record) => records.push(record) },
      loggers: [
        { category: ["bayanihan"], sinks: ["memory"], lowestLevel: "debug" },
        { category: ["logtape", "meta"], sinks: [], lowestLevel: "warning" },
      ],
    });
    try {
      const secret = "-----PRIVATE KEY d=SECRET-JWK-MATERIAL-----";
      await queue().enqueue({ type: "outbox", privateKey: secret });
      let attempts = 0;
      const attemptedAt: number[] = [];
      const listening = listen(queue({ retryDelayMs: 300 }), () => {
        attempts++;
        attemptedAt.push(performance.now());
        if (attempts === 1) throw new Error("transient failure");
      });
      await expect.poll(() => attempts, { timeout: 5000 }).toBe(2);
      await listening.stop();
      expect(attemptedAt[1]! - attemptedAt[0]!).toBeGreaterThanOrEqual(250);
      expect(await queueRows(handle)).toEqual([]);
      expect(records.some((r) => r.level === "warning")).toBe(true);
      const logged = JSON.stringify(records, (_key, value) =>
        value instanceof Error ? `${value.message} ${value.stack}` : value,
      );
      expect(logged).toContain("transient failure");
      expect(logged).not.toContain("SECRET-JWK-MATERIAL");
    } finally {
      await reset();
    }
  });

  it("hands a message over when the worker holding its lease died", async () => {
    await queue().enqueue("orphan");
    // Exactly what a worker leaves behind when its process dies mid-handler:
    // a lease nobody renews.
    const claimedAt = performance.now();
    const claimed = await sql<{ id: string }>`
      UPDATE fedify_queue
      SET lease_owner = 'crashed-worker', lease_until = now() + interval '800 milliseconds'
      RETURNING id`.execute(handle.db);
    expect(claimed.rows).toHaveLength(1);

    let handledAt: number | undefined;
    // The poll interval is far longer than the lease: the listener must wake
    // at the lease's expiry by itself.
    const listening = listen(queue({ pollIntervalMs: 10_000 }), () => {
      handledAt = performance.now();
    });
    await expect.poll(() => handledAt, { timeout: 5000 }).toBeDefined();
    await listening.stop();
    expect(handledAt! - claimedAt).toBeGreaterThanOrEqual(750);
    expect(handledAt! - claimedAt).toBeLessThan(3000);
    expect(await queueRows(handle)).toEqual([]);
  });

  it("renews the lease of a handler that outlives it", async () => {
    await queue().enqueue("slow");
    let started = 0;
    const slow = listen(queue({ leaseMs: 300, concurrency: 1 }), async () => {
      started++;
      await sleep(1200);
    });
    await expect.poll(() => started, { timeout: 5000 }).toBe(1);
    const other: unknown[] = [];
    const otherListening = listen(queue({ leaseMs: 300, pollIntervalMs: 100 }), (m) => {
      other.push(m);
    });
    await sleep(1000);
    // Over three lease lengths later, the live worker still holds it.
    expect(other).toEqual([]);
    await slow.stop();
    await otherListening.stop();
    expect(started).toBe(1);
    expect(await queueRows(handle)).toEqual([]);
  });

  it("resolves listen() only once its last lease renewal has finished", async () => {
    await queue().enqueue("slow");
    // Every answer to this queue comes 100 ms late, so its renewals (one per
    // 20 ms while the handler runs) are still under way when the handler
    // ends. Once listen() resolves the caller closes the database: a query
    // still running then would hang that close.
    let pending = 0;
    const slowDb = handle.db.withPlugin({
      transformQuery(args) {
        pending++;
        return args.node;
      },
      async transformResult(args) {
        await sleep(100);
        pending--;
        return args.result;
      },
    });
    let started = false;
    const listening = listen(
      new KyselyMessageQueue({ ...handle, db: slowDb }, { leaseMs: 60, concurrency: 1 }),
      async () => {
        started = true;
        await sleep(300);
      },
    );
    await expect.poll(() => started, { timeout: 5000 }).toBe(true);
    listening.controller.abort();
    await listening.done;
    expect(pending).toBe(0);
    expect(await queueRows(handle)).toEqual([]);
  });

  it("keeps one ordering key's messages in order, across a retry, without blocking other keys", async () => {
    const producer = queue();
    for (const n of [1, 2, 3]) await producer.enqueue({ key: "A", n }, { orderingKey: "A" });
    await producer.enqueueMany(
      [
        { key: "B", n: 1 },
        { key: "B", n: 2 },
      ],
      { orderingKey: "B" },
    );
    await producer.enqueue({ key: null, n: 1 });

    const log: string[] = [];
    const running = new Set<string>();
    let overlaps = 0;
    let failedOnce = false;
    const listening = listen(queue({ concurrency: 4, retryDelayMs: 400 }), async (message) => {
      const { key, n } = message as { key: string | null; n: number };
      const tag = `${key ?? "-"}${n}`;
      if (key !== null && running.has(key)) overlaps++;
      if (key !== null) running.add(key);
      try {
        await sleep(30);
        if (tag === "A1" && !failedOnce) {
          failedOnce = true;
          log.push("A1!");
          throw new Error("first attempt fails");
        }
        log.push(tag);
      } finally {
        if (key !== null) running.delete(key);
      }
    });
    await expect.poll(() => log.length, { timeout: 5000 }).toBe(7);
    await listening.stop();
    expect(overlaps).toBe(0);
    expect(log.filter((t) => t.startsWith("A"))).toEqual(["A1!", "A1", "A2", "A3"]);
    expect(log.filter((t) => t.startsWith("B"))).toEqual(["B1", "B2"]);
    // While A1 backed off, B and the unkeyed message went ahead.
    expect(log.indexOf("B2")).toBeLessThan(log.indexOf("A1"));
    expect(log.indexOf("-1")).toBeLessThan(log.indexOf("A1"));
  });

  it("wakes on NOTIFY instead of waiting for the poll interval", async () => {
    let handledAt: number | undefined;
    const listening = listen(queue({ pollIntervalMs: 5000 }), () => {
      handledAt = performance.now();
    });
    // Let the listener go idle: it is now asleep for up to 5 s.
    await sleep(700);
    // Enqueue through another queue object (and on PostgreSQL another
    // connection pool), so only the database notification can wake it.
    const producerHandle = testEngine === "postgres" ? await openSibling(handle) : handle;
    try {
      const enqueuedAt = performance.now();
      await new KyselyMessageQueue(producerHandle).enqueue("wake up");
      await expect.poll(() => handledAt, { timeout: 6000 }).toBeDefined();
      expect(handledAt! - enqueuedAt).toBeLessThan(2000);
    } finally {
      if (producerHandle !== handle) await producerHandle.close();
    }
    await listening.stop();
  });

  it("wakes when a delayed message falls due, before the poll interval", async () => {
    let handledAt: number | undefined;
    const listening = listen(queue({ pollIntervalMs: 10_000 }), () => {
      handledAt = performance.now();
    });
    await sleep(300);
    const enqueuedAt = performance.now();
    await queue().enqueue("later", { delay: Temporal.Duration.from({ milliseconds: 1500 }) });
    await expect.poll(() => handledAt, { timeout: 6000 }).toBeDefined();
    await listening.stop();
    // Timestamps are truncated to milliseconds on PGlite: allow for that.
    expect(handledAt! - enqueuedAt).toBeGreaterThanOrEqual(1490);
    expect(handledAt! - enqueuedAt).toBeLessThan(3000);
  });

  it("shares one INSERT among enqueues made together, in call order, each committed when it resolves", async () => {
    const statements: string[] = [];
    const counted: DatabaseHandle = {
      ...handle,
      db: handle.db.withPlugin({
        transformQuery: (args) => {
          statements.push(args.node.kind);
          return args.node;
        },
        transformResult: async (args) => args.result,
      }),
    };
    const producer = new KyselyMessageQueue(counted);
    // As Fedify enqueues a fan-out: one call per inbox, each with its own key,
    // and here a second message for the first key, which must stay behind.
    const calls = Array.from({ length: 300 }, (_, i) =>
      producer.enqueue({ n: i }, { orderingKey: `k${i % 299}` }),
    );
    await Promise.all(calls);
    expect(statements.length).toBeLessThanOrEqual(2);
    const rows = await handle.db
      .selectFrom("fedify_queue")
      .select(["message", "ordering_key"])
      .orderBy("id")
      .execute();
    expect(rows.map((row) => (row.message as { n: number }).n)).toEqual(
      Array.from({ length: 300 }, (_, i) => i),
    );
    const handled: number[] = [];
    const listening = listen(queue({ concurrency: 16 }), (message) => {
      handled.push((message as { n: number }).n);
    });
    await expect.poll(() => handled.length, { timeout: 10_000 }).toBe(300);
    expect(handled.indexOf(0)).toBeLessThan(handled.indexOf(299));
    await listening.stop();
  });

  it("reports depth without the messages being handled", async () => {
    const producer = queue();
    await producer.enqueueMany(["a", "b"]);
    await producer.enqueue("c", { delay: Temporal.Duration.from({ hours: 1 }) });
    expect(await producer.getDepth()).toEqual({ queued: 3, ready: 2, delayed: 1 });

    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started = 0;
    const listening = listen(queue({ concurrency: 1 }), async () => {
      started++;
      await gate;
    });
    await expect.poll(() => started, { timeout: 5000 }).toBe(1);
    expect(await producer.getDepth()).toEqual({ queued: 2, ready: 1, delayed: 1 });
    release();
    await expect.poll(async () => (await producer.getDepth()).queued, { timeout: 5000 }).toBe(1);
    await listening.stop();
  });

  it("resolves listen() on abort only after in-flight handlers finish", async () => {
    await queue().enqueue("in flight");
    let started = false;
    let finished = false;
    const listening = listen(queue(), async () => {
      started = true;
      await sleep(500);
      finished = true;
    });
    await expect.poll(() => started, { timeout: 5000 }).toBe(true);
    listening.controller.abort();
    await listening.done;
    expect(finished).toBe(true);
    expect(await queueRows(handle)).toEqual([]);
  });

  it("returns the messages of handlers still running after the shutdown grace to the queue", async () => {
    await queue().enqueue("stuck");
    await queue().enqueue("quick");
    let started = 0;
    let release: (() => void) | undefined;
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const listening = listen(
      // A lease far longer than the test: only the release can free the message.
      queue({ shutdownGraceMs: 200, leaseMs: 60_000, concurrency: 2 }),
      async (message) => {
        started++;
        if (message === "stuck") await stuck;
      },
    );
    await expect.poll(() => started, { timeout: 5000 }).toBe(2);
    listening.controller.abort();
    await listening.done;
    // The quick one is done and gone; the stuck one is back, claimable now.
    const rows = await sql<{ message: unknown; lease_owner: string | null; due: boolean }>`
      SELECT message, lease_owner, available_at <= now() AS due FROM fedify_queue`.execute(
      handle.db,
    );
    expect(rows.rows).toEqual([{ message: "stuck", lease_owner: null, due: true }]);
    let handledAgain = false;
    listen(queue({ pollIntervalMs: 10_000 }), (message) => {
      if (message === "stuck") handledAgain = true;
    });
    await expect.poll(() => handledAgain, { timeout: 5000 }).toBe(true);
    release?.();
  });

  it("gives each lane slots of its own: a full lane does not hold up another", async () => {
    const lanes = queue({
      lanes: { slow: 2, quick: 1 },
      laneOf: (message) => (String(message).startsWith("slow") ? "slow" : "quick"),
      pollIntervalMs: 50,
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const started: string[] = [];
    listen(lanes, async (message) => {
      started.push(String(message));
      if (String(message).startsWith("slow")) await released;
    });
    try {
      await lanes.enqueueMany(["slow 1", "slow 2", "slow 3"]);
      await expect.poll(() => started.length, { timeout: 5000 }).toBe(2);
      await lanes.enqueue("quick 1");
      await expect.poll(() => started, { timeout: 5000 }).toContain("quick 1");
      expect(started.filter((m) => m.startsWith("slow"))).toHaveLength(2);
      const rows = await sql<{ lane: string }>`SELECT lane FROM fedify_queue ORDER BY id`.execute(
        handle.db,
      );
      expect(rows.rows.map((row) => row.lane)).toEqual(["slow", "slow", "slow"]);
    } finally {
      release();
    }
    await expect.poll(() => started.length, { timeout: 5000 }).toBe(4);
  });

  it("notifies only the lane a message is in", async () => {
    const lanes = queue({
      lanes: { delivery: 2, inbox: 1 },
      laneOf: (message) => (String(message).startsWith("to ") ? "delivery" : "inbox"),
    });
    const heard: string[] = [];
    const stops = await Promise.all(
      ["delivery", "inbox"].map((lane) =>
        handle.listen(laneChannel(lane), () => {
          heard.push(lane);
        }),
      ),
    );
    try {
      await lanes.enqueueMany(["to a", "to b", "to c"]);
      await expect.poll(() => heard, { timeout: 5000 }).toContain("delivery");
      await lanes.enqueue("from x");
      await expect.poll(() => heard, { timeout: 5000 }).toContain("inbox");
      // The fan-out's insert woke the delivery lane once, and never the inbox.
      expect(heard).toEqual(["delivery", "inbox"]);
    } finally {
      for (const stop of stops) await stop();
      await sql`DELETE FROM fedify_queue`.execute(handle.db);
    }
  });

  it("wakes another lane whose message waited on a handled one's ordering key", async () => {
    const lanes = queue({
      lanes: { first: 1, second: 1 },
      laneOf: (message) => (String(message).startsWith("1") ? "first" : "second"),
      // Only a notification can wake the second lane in time.
      pollIntervalMs: 30_000,
    });
    const handled: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    listen(lanes, async (message) => {
      if (String(message) === "1 head") await released;
      handled.push(String(message));
    });
    await lanes.enqueue("1 head", { orderingKey: "k" });
    await lanes.enqueue("2 next", { orderingKey: "k" });
    // Let the second lane find nothing claimable and go to sleep.
    await sleep(500);
    expect(handled).toEqual([]);
    release();
    await expect.poll(() => handled, { timeout: 5000 }).toEqual(["1 head", "2 next"]);
  });

  it("keeps at most perDestination messages of one destination in flight", async () => {
    const limited = queue({
      concurrency: 6,
      perDestination: 2,
      destinationOf: (message) => String(message).split(" ")[0]!,
      pollIntervalMs: 50,
    });
    const inFlight = new Map<string, number>();
    let most = 0;
    const handled: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    listen(limited, async (message) => {
      const destination = String(message).split(" ")[0]!;
      const now = (inFlight.get(destination) ?? 0) + 1;
      inFlight.set(destination, now);
      if (destination === "slow.example") most = Math.max(most, now);
      if (destination === "slow.example") await released;
      inFlight.set(destination, (inFlight.get(destination) ?? 1) - 1);
      handled.push(String(message));
    });
    try {
      await limited.enqueueMany([1, 2, 3, 4, 5].map((n) => `slow.example ${n}`));
      await limited.enqueueMany([1, 2, 3].map((n) => `quick.example ${n}`));
      // The quick destination's three go through while the slow one holds
      // its two slots (of six) and its other three wait.
      await expect
        .poll(() => handled.filter((m) => m.startsWith("quick")).length, { timeout: 5000 })
        .toBe(3);
      expect(inFlight.get("slow.example")).toBe(2);
    } finally {
      release();
    }
    await expect.poll(() => handled.length, { timeout: 5000 }).toBe(8);
    expect(most).toBe(2);
  });

  it("parks a failing destination, then lets one message at a time probe it", async () => {
    let failing = true;
    const attempts: string[] = [];
    const parked = queue({
      concurrency: 4,
      destinationOf: (message) => String(message).split(" ")[0]!,
      parking: (failures) =>
        failures >= 2 ? Temporal.Duration.from({ milliseconds: 1000 }) : null,
      pollIntervalMs: 50,
      retry: {
        delayFor: () => Temporal.Duration.from({ milliseconds: 10 }),
        isDestinationFailure: () => true,
      },
    });
    listen(parked, async (message) => {
      attempts.push(String(message));
      if (failing) throw new Error("no answer");
    });
    await parked.enqueueMany([1, 2, 3].map((n) => `down.example ${n}`));
    const state = async () =>
      (
        await sql<{ failures: number; parked: boolean }>`
          SELECT failures, parked_until > now() AS parked FROM fedify_queue_destinations`.execute(
          handle.db,
        )
      ).rows[0];
    await expect.poll(async () => (await state())?.parked, { timeout: 5000 }).toBe(true);
    // Nothing in flight, every failure counted: the parking holds everything.
    const settled = async () =>
      (await queueRows(handle)).every((row) => row.lease_owner === null) &&
      attempts.length === (await state())!.failures;
    await expect.poll(settled, { timeout: 5000 }).toBe(true);
    const before = attempts.length;
    // Parked for 1 s, then one probe, which fails and parks it again.
    await expect.poll(async () => (await state())!.failures, { timeout: 5000 }).toBe(before + 1);
    expect(attempts.length).toBe(before + 1);
    expect((await state())!.parked).toBe(true);
    // A probe that succeeds ends the parking; the rest follow.
    failing = false;
    await expect.poll(async () => (await queueRows(handle)).length, { timeout: 5000 }).toBe(0);
    expect(await state()).toBeUndefined();
  });

  it("rejects a nonsensical option", () => {
    expect(() => queue({ concurrency: 0 })).toThrow(RangeError);
    expect(() => queue({ leaseMs: 1.5 })).toThrow(RangeError);
  });

  // PGlite has a single connection: two handles on one database exist only on PostgreSQL.
  describe.runIf(testEngine === "postgres")("two processes sharing one PostgreSQL", () => {
    it("handle every message once, never two at a time, none lost", async () => {
      const count = 300;
      const handles = [await openSibling(handle), await openSibling(handle)];
      try {
        const handledBy = new Map<number, number[]>();
        const running = new Set<number>();
        let overlaps = 0;
        const workers = handles.map((h, worker) =>
          startListening(new KyselyMessageQueue(h, { concurrency: 4 }), async (message) => {
            const { n } = message as { n: number };
            if (running.has(n)) overlaps++;
            running.add(n);
            handledBy.set(n, [...(handledBy.get(n) ?? []), worker]);
            await sleep(Math.floor(Math.random() * 5));
            running.delete(n);
          }),
        );
        await sleep(300);
        const producer = new KyselyMessageQueue(handle);
        for (let n = 0; n < count; n += 50) {
          await producer.enqueueMany(Array.from({ length: 50 }, (_, i) => ({ n: n + i })));
        }
        await expect.poll(() => handledBy.size, { timeout: 15_000, interval: 50 }).toBe(count);
        await Promise.all(workers.map((w) => w.stop()));

        expect(overlaps).toBe(0);
        expect([...handledBy.values()].every((by) => by.length === 1)).toBe(true);
        expect([...handledBy.keys()].sort((a, b) => a - b)).toEqual(
          Array.from({ length: count }, (_, n) => n),
        );
        const perWorker = [0, 1].map(
          (w) => [...handledBy.values()].filter((by) => by[0] === w).length,
        );
        expect(perWorker.every((handled) => handled > 0)).toBe(true);
        expect(await queueRows(handle)).toEqual([]);
      } finally {
        await Promise.all(handles.map((h) => h.close()));
      }
    });

    it("hand a dead process's message to a live one", async () => {
      await queue().enqueue("doomed worker's message");
      const doomed = await openMortalSibling(handle);
      let releaseDoomed = () => {};
      const stuck = new Promise<void>((resolve) => {
        releaseDoomed = resolve;
      });
      let doomedStarted = false;
      // Counts the queries the dead worker's loop goes on trying.
      let doomedQueries = 0;
      const doomedDb = doomed.handle.db.withPlugin({
        transformQuery(args) {
          doomedQueries++;
          return args.node;
        },
        transformResult: async (args) => args.result,
      });
      const doomedListening = startListening(
        new KyselyMessageQueue({ ...doomed.handle, db: doomedDb }, { leaseMs: 600 }),
        async () => {
          doomedStarted = true;
          await stuck;
        },
      );
      await expect.poll(() => doomedStarted, { timeout: 5000 }).toBe(true);
      // The process dies, maybe mid-query: its connections are cut, so nothing
      // renews its lease. Its loop runs on against the dead pool.
      await doomed.die();
      const queriesAtDeath = doomedQueries;

      let handledAt: number | undefined;
      const diedAt = performance.now();
      const live = listen(queue({ pollIntervalMs: 10_000 }), () => {
        handledAt = performance.now();
      });
      await expect.poll(() => handledAt, { timeout: 5000 }).toBeDefined();
      expect(handledAt! - diedAt).toBeLessThan(3000);
      await live.stop();
      expect(await queueRows(handle)).toEqual([]);

      // Its claims and renewals fail at once but keep their pace (a claim per
      // poll interval, a renewal per third of a lease) instead of spinning...
      expect(doomedQueries - queriesAtDeath).toBeLessThan(50);
      // ...and it still winds down without throwing.
      releaseDoomed();
      doomedListening.controller.abort();
      await expect(doomedListening.done).resolves.toBeUndefined();
    });
  });
});
