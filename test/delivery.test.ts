import { type Kysely, sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import type { DatabaseHandle } from "../src/db/connect.ts";
import type { Database } from "../src/db/database.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { createTestDatabase } from "./helpers/database.ts";
import { addAcceptedFollower } from "./helpers/followers.ts";
import { type InboxServer, startInboxServer } from "./helpers/inbox-server.ts";
import { ADMIN_TOKEN, freePort, startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { pooledKeyPairGenerator } from "./helpers/test-keys.ts";

/*
 * Deliveries to followers' inboxes when those inboxes misbehave. Each inbox
 * is a plain HTTP server on loopback that records what reaches it.
 *
 * Fedify double-knocks: when an inbox answers a POST with a status above 401
 * it POSTs again at once with the other HTTP Signatures spec, within the same
 * delivery attempt, and remembers per origin the spec it used last. So one
 * failed attempt against an inbox that always fails is two POSTs, and the
 * queue's retry is the POST after those two.
 */

const AS_CREATE = "https://www.w3.org/ns/activitystreams#Create";
const POLL = { timeout: 15_000, interval: 50 } as const;

type Db = Kysely<Database>;

/** Queued deliveries to this inbox (waiting, leased or backing off). */
async function queuedFor(db: Db, inbox: URL): Promise<number> {
  const row = await db
    .selectFrom("fedify_queue")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where(sql<string>`message->>'inbox'`, "=", inbox.href)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function failuresFor(db: Db, inbox: URL) {
  return db
    .selectFrom("delivery_failures")
    .selectAll()
    .where("inbox_url", "=", inbox.href)
    .orderBy("id")
    .execute();
}

type Api = (method: string, path: string, body?: unknown) => Promise<Response>;

function apiFor(origin: URL): Api {
  return (method, path, body) =>
    fetch(new URL(path, origin), {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
}

async function createGroup(api: Api, handle: string): Promise<void> {
  const res = await api("POST", "/api/v1/groups", { handle, name: `The ${handle} collective` });
  expect(res.status).toBe(201);
}

async function createNeed(
  api: Api,
  handle: string,
  title: string,
): Promise<{ id: string; objectId: string }> {
  const res = await api("POST", `/api/v1/groups/${handle}/needs`, { title, category: "food" });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; objectId: string };
}

describe("delivery to follower inboxes that fail", () => {
  let instance: TestInstance;
  let api: Api;
  const inboxes: InboxServer[] = [];
  const db = () => instance.database.db;

  async function inboxServer(...args: Parameters<typeof startInboxServer>) {
    const server = await startInboxServer(...args);
    inboxes.push(server);
    return server;
  }

  /** A group with `inbox` as its only follower. */
  async function groupFollowedBy(handle: string, inbox: URL): Promise<void> {
    await createGroup(api, handle);
    await addAcceptedFollower(db(), handle, inbox);
  }

  beforeAll(async () => {
    instance = await startTestInstance({
      // Three attempts 100 ms apart instead of 17 over 72 hours.
      retry: {
        delayFor: (attempt) =>
          attempt >= 3 ? null : Temporal.Duration.from({ milliseconds: 100 }),
      },
      queue: { pollIntervalMs: 100 },
    });
    api = apiFor(instance.config.origin);
  });
  afterEach(async () => {
    await Promise.all(inboxes.splice(0).map((server) => server.close()));
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("retries a failed delivery until the inbox takes it", async () => {
    // The first attempt (two POSTs, see above) fails; the retry succeeds.
    const inbox = await inboxServer(({ index }) => (index < 2 ? 500 : 202));
    await groupFollowedBy("retry", inbox.inbox);
    const need = await createNeed(api, "retry", "Rice for 30 families");

    await expect.poll(() => inbox.accepted(), POLL).toEqual(["Create"]);
    await expect.poll(() => queuedFor(db(), inbox.inbox), POLL).toBe(0);
    const posts = inbox.posts();
    expect(posts.map((p) => p.status)).toEqual([500, 500, 202]);
    expect(posts.map((p) => p.id)).toEqual(Array(3).fill(`${need.objectId}#create`));
    expect(await failuresFor(db(), inbox.inbox)).toEqual([]);
  });

  it("keeps an Update behind its Create while the Create is being retried", async () => {
    // The first Create POST is held open until the Update is queued, then it
    // and the double-knock that follows fail: the Create must go back to the
    // queue with the Update already waiting behind it.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inbox = await inboxServer(async ({ index }) => {
      if (index === 0) await released;
      return index < 2 ? 500 : 202;
    });
    await groupFollowedBy("order", inbox.inbox);
    const need = await createNeed(api, "order", "Blankets for the evacuation centre");
    try {
      await expect.poll(() => inbox.posts().length, POLL).toBeGreaterThanOrEqual(1);
      const res = await api("PATCH", `/api/v1/needs/${need.id}`, { status: "pledged" });
      expect(res.status).toBe(200);
      const queued = await db()
        .selectFrom("fedify_queue")
        .select([sql<string>`message->>'activityType'`.as("type"), "ordering_key"])
        .where(sql<string>`message->>'inbox'`, "=", inbox.inbox.href)
        .orderBy("id")
        .execute();
      expect(queued.map((row) => row.type.split("#").pop())).toEqual(["Create", "Update"]);
      // One line per object (and peer): the Update cannot be claimed before the Create is done.
      expect(queued[0]!.ordering_key).toContain(need.objectId);
      expect(queued[1]!.ordering_key).toBe(queued[0]!.ordering_key);
    } finally {
      release();
    }

    await expect.poll(() => inbox.accepted(), POLL).toEqual(["Create", "Update"]);
    await expect.poll(() => queuedFor(db(), inbox.inbox), POLL).toBe(0);
    const posts = inbox.posts();
    const createdAt = posts.findIndex((p) => p.type === "Create" && p.status === 202);
    const firstUpdate = posts.findIndex((p) => p.type === "Update");
    // The Create did fail a whole attempt (two POSTs) before it got through,
    // and the Update was not even tried before that.
    expect(posts.slice(0, createdAt).map((p) => [p.type, p.status])).toEqual([
      ["Create", 500],
      ["Create", 500],
    ]);
    expect(firstUpdate).toBeGreaterThan(createdAt);
    expect(posts.filter((p) => p.status === 202).map((p) => p.type)).toEqual(["Create", "Update"]);
  });

  it("records a delivery given up on after the last retry, once", async () => {
    const inbox = await inboxServer(() => 500);
    await groupFollowedBy("giveup", inbox.inbox);
    const need = await createNeed(api, "giveup", "Drinking water");

    await expect.poll(async () => (await failuresFor(db(), inbox.inbox)).length, POLL).toBe(1);
    // The message is gone from the queue, so nothing will retry or record it again.
    await expect.poll(() => queuedFor(db(), inbox.inbox), POLL).toBe(0);
    const failures = await failuresFor(db(), inbox.inbox);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      inbox_url: inbox.inbox.href,
      activity_id: `${need.objectId}#create`,
      activity_type: AS_CREATE,
      attempts: 3,
    });
    expect(failures[0]!.last_error).toContain("500");
    expect(inbox.posts().length).toBeGreaterThanOrEqual(3);
    expect(inbox.accepted()).toEqual([]);
  });

  it("records a 410 inbox at once and does not retry it", async () => {
    const inbox = await inboxServer(() => 410);
    await groupFollowedBy("gone", inbox.inbox);
    const need = await createNeed(api, "gone", "Diapers, size 3");

    await expect.poll(async () => (await failuresFor(db(), inbox.inbox)).length, POLL).toBe(1);
    await expect.poll(() => queuedFor(db(), inbox.inbox), POLL).toBe(0);
    const failures = await failuresFor(db(), inbox.inbox);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      inbox_url: inbox.inbox.href,
      activity_id: `${need.objectId}#create`,
      activity_type: AS_CREATE,
      attempts: 1,
    });
    expect(failures[0]!.last_error).toContain("410");
    // One attempt: at most the double-knock's two POSTs.
    expect(inbox.posts().length).toBeGreaterThanOrEqual(1);
    expect(inbox.posts().length).toBeLessThanOrEqual(2);
  });

  it("never re-POSTs a delivery to where an inbox redirects", async () => {
    const elsewhere = await inboxServer(() => 202);
    const inbox = await inboxServer(() => ({
      status: 307,
      headers: { location: elsewhere.inbox.href },
    }));
    await groupFollowedBy("redirect", inbox.inbox);
    await createNeed(api, "redirect", "Tarpaulins");

    // Each redirect fails its attempt and is retried; after the third the
    // delivery is given up, so no later attempt can reach `elsewhere` either.
    await expect.poll(() => inbox.posts().length, POLL).toBeGreaterThanOrEqual(2);
    await expect.poll(async () => (await failuresFor(db(), inbox.inbox)).length, POLL).toBe(1);
    await expect.poll(() => queuedFor(db(), inbox.inbox), POLL).toBe(0);
    expect(elsewhere.requests).toEqual([]);
    const [failure] = await failuresFor(db(), inbox.inbox);
    expect(failure).toMatchObject({ attempts: 3, activity_type: AS_CREATE });
    expect(failure!.last_error).toMatch(/redirect/i);
    expect(inbox.posts().every((p) => p.status === 307)).toBe(true);
  });

  // A 429 or 503 with Retry-After would make Fedify 2.3.6 take its
  // non-native retry path even with `nativeRetrial`: it enqueues a copy of
  // the message (behind everything queued since) and returns normally, so
  // the queue deletes the original; the copy skips the line and its retries
  // follow Fedify's own counter and give up silently. See middleware
  // `#listenOutboxMessage`:
  // `if (this.outboxQueue?.nativeRetrial && retryAfterDelay == null) throw error;`
  // The fetch guard hands Retry-After on under another name, so Fedify
  // throws and the queue retries in place, waiting as long as it asks.

  it("keeps an Update behind its Create when the inbox asks to retry later (503 + Retry-After)", async () => {
    // The ordering scenario again, but the failed attempt carries Retry-After,
    // as a peer behind a rate limiter or in maintenance answers.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inbox = await inboxServer(async ({ index }) => {
      if (index === 0) await released;
      return index < 2 ? { status: 503, headers: { "retry-after": "1" } } : 202;
    });
    await groupFollowedBy("later", inbox.inbox);
    const need = await createNeed(api, "later", "Hot meals");
    try {
      await expect.poll(() => inbox.posts().length, POLL).toBeGreaterThanOrEqual(1);
      const res = await api("PATCH", `/api/v1/needs/${need.id}`, { status: "pledged" });
      expect(res.status).toBe(200);
    } finally {
      release();
    }
    await expect.poll(() => inbox.accepted().length, POLL).toBe(2);
    expect(inbox.accepted()).toEqual(["Create", "Update"]);
  });

  it("records a delivery given up on while the inbox kept answering 503 + Retry-After", async () => {
    const inbox = await inboxServer(() => ({ status: 503, headers: { "retry-after": "0" } }));
    await groupFollowedBy("busy", inbox.inbox);
    const need = await createNeed(api, "busy", "Candles");

    await expect.poll(() => inbox.posts().length, POLL).toBeGreaterThanOrEqual(2);
    // The give-up is recorded just after its row leaves the queue.
    await expect.poll(async () => (await failuresFor(db(), inbox.inbox)).length, POLL).toBe(1);
    await expect.poll(() => queuedFor(db(), inbox.inbox), POLL).toBe(0);
    // The test schedule's three attempts (two POSTs each), then a recorded
    // give-up (not Fedify's copies, see above).
    expect({
      posts: inbox.posts().length,
      failures: await failuresFor(db(), inbox.inbox),
    }).toMatchObject({
      posts: 6,
      failures: [{ activity_id: `${need.objectId}#create`, activity_type: AS_CREATE, attempts: 3 }],
    });
  });
});

describe("deliveries across a restart", () => {
  let database: DatabaseHandle;
  const servers: RunningServer[] = [];
  let inbox: InboxServer | undefined;

  afterAll(async () => {
    for (const server of servers.splice(0)) await server.stop();
    await inbox?.close();
    await database?.close();
  });

  it("delivers what was accepted before a stop, and relays the outbox at startup", async () => {
    database = await createTestDatabase();
    const port = await freePort();
    const config = loadConfig({
      HOST: "127.0.0.1",
      PORT: String(port),
      ORIGIN: `http://127.0.0.1:${port}`,
      ADMIN_TOKEN,
      ALLOW_PRIVATE_ADDRESS: "true",
      LOG_LEVEL: "warning",
    });
    const options = {
      database,
      keys: pooledKeyPairGenerator,
      // Never gives up within the test: the inbox is down for a while.
      retry: { delayFor: () => Temporal.Duration.from({ milliseconds: 100 }) },
      queue: { pollIntervalMs: 100 },
    };
    const api = apiFor(config.origin);
    const db = database.db;
    // Nothing listens on this port until the second instance is running.
    const inboxPort = await freePort();
    const inboxUrl = new URL(`http://127.0.0.1:${inboxPort}/inbox`);

    const first = await startServer(config, options);
    servers.push(first);
    await createGroup(api, "restart");
    await addAcceptedFollower(db, "restart", inboxUrl);
    const need = await createNeed(api, "restart", "Hygiene kits");
    // The delivery has been tried and failed (connection refused), and waits.
    await expect
      .poll(
        async () =>
          (
            await db
              .selectFrom("fedify_queue")
              .select("attempts")
              .where(sql<string>`message->>'inbox'`, "=", inboxUrl.href)
              .execute()
          ).map((row) => row.attempts >= 1),
        POLL,
      )
      .toEqual([true]);

    await first.stop();
    servers.splice(servers.indexOf(first), 1);
    // No worker runs now: the Create is still in the database, and unleased.
    const waiting = await db
      .selectFrom("fedify_queue")
      .select([sql<string>`message->>'activityType'`.as("type"), "lease_owner"])
      .where(sql<string>`message->>'inbox'`, "=", inboxUrl.href)
      .execute();
    expect(waiting).toEqual([{ type: AS_CREATE, lease_owner: null }]);
    // A change committed just before a crash, never handed to the queue.
    await db
      .insertInto("pending_activities")
      .values({ proposal_id: need.id, kind: "update", created_at: new Date() })
      .execute();

    const second = await startServer(config, options);
    servers.push(second);
    expect(second.port).toBe(port);
    // The relay ran at startup.
    expect(
      await db
        .selectFrom("pending_activities")
        .select("id")
        .where("proposal_id", "=", need.id)
        .execute(),
    ).toEqual([]);
    inbox = await startInboxServer(() => 202, { port: inboxPort });

    await expect.poll(() => inbox!.accepted(), POLL).toEqual(["Create", "Update"]);
    await expect.poll(() => queuedFor(db, inboxUrl), POLL).toBe(0);
    expect(inbox.posts().map((p) => p.id)).toEqual([
      `${need.objectId}#create`,
      expect.stringMatching(new RegExp(`^${escapeRegExp(need.objectId)}#update-\\d+$`)),
    ]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
