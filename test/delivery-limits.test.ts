import { type Kysely, sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.ts";
import { addAcceptedFollower } from "./helpers/followers.ts";
import { type InboxServer, startInboxServer } from "./helpers/inbox-server.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/*
 * What one peer can do to everyone else's traffic: inboxes that accept the
 * connection and never answer, that refuse, that ask us to come back later,
 * or that keep failing. Each inbox is a plain HTTP server on loopback
 * (127.0.0.1, a port each: a destination is a host and port).
 */

const POLL = { timeout: 15_000, interval: 50 } as const;
/** What "promptly" means below: far less than any deadline a stuck delivery waits for. */
const PROMPTLY = { timeout: 5_000, interval: 50 } as const;

type Db = Kysely<Database>;

async function groupFollowedBy(
  instance: TestInstance,
  handle: string,
  ...inboxes: URL[]
): Promise<void> {
  const res = await instance.api("POST", "/api/v1/groups", { handle, name: `The ${handle} group` });
  expect(res.status).toBe(201);
  for (const inbox of inboxes) await addAcceptedFollower(instance.database.db, handle, inbox);
}

async function createNeed(instance: TestInstance, handle: string, title: string) {
  const res = await instance.api("POST", `/api/v1/groups/${handle}/needs`, {
    title,
    category: "food",
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; objectId: string };
}

function queuedFor(db: Db, inbox: URL) {
  return db
    .selectFrom("fedify_queue")
    .select([
      "attempts",
      "lease_owner",
      "destination",
      "lane",
      sql<number>`extract(epoch from available_at - now())`.as("due_in_s"),
    ])
    .where(sql<string>`message->>'inbox'`, "=", inbox.href)
    .orderBy("id")
    .execute();
}

function failuresFor(db: Db, inbox: URL) {
  return db
    .selectFrom("delivery_failures")
    .selectAll()
    .where("inbox_url", "=", inbox.href)
    .orderBy("id")
    .execute();
}

/** An inbox that accepts the connection, reads the request, and never answers. */
const never = () => new Promise<number>(() => {});

describe("a peer that never answers", () => {
  const servers: InboxServer[] = [];
  const instances: TestInstance[] = [];
  afterEach(async () => {
    // The inboxes first: closing them ends the deliveries they hold, which
    // an instance's stop() waits for.
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await Promise.all(instances.splice(0).map((instance) => instance.stop()));
  });

  async function inbox(...args: Parameters<typeof startInboxServer>) {
    const server = await startInboxServer(...args);
    servers.push(server);
    return server;
  }

  async function instance(...args: Parameters<typeof startTestInstance>) {
    const started = await startTestInstance(...args);
    instances.push(started);
    return started;
  }

  /**
   * Four delivery slots, and deadlines longer than the test: every delivery
   * to the silent inbox holds its slot for as long as the test runs.
   */
  const fewSlots = (perDestination: number) => ({
    queue: { concurrency: 4, pollIntervalMs: 100 },
    delivery: {
      perDestination,
      deadlines: { connectMs: 5_000, headersMs: 60_000, totalMs: 60_000 },
    },
  });

  it("holds only its share of the slots: another peer gets its delivery promptly", async () => {
    const silent = await inbox(never);
    const healthy = await inbox(() => 202);
    const a = await instance(fewSlots(2));
    await groupFollowedBy(a, "slowpoke", silent.inbox);
    await groupFollowedBy(a, "prompt", healthy.inbox);
    // Six needs: six deliveries to the silent inbox, each its own line
    // (ordering key), more than the instance has slots.
    for (let n = 1; n <= 6; n++) await createNeed(a, "slowpoke", `Water, crate ${n}`);
    await expect.poll(() => silent.posts().length, POLL).toBe(2);

    const need = await createNeed(a, "prompt", "Rice for 30 families");
    await expect.poll(() => healthy.accepted(), PROMPTLY).toEqual(["Create"]);
    expect(healthy.posts()[0]!.id).toBe(`${need.objectId}#create`);
    // Deliveries say who sends them.
    expect(healthy.posts()[0]!.headers["user-agent"]).toBe(
      `Bayanihan/0.1.0 (+${a.config.origin.href})`,
    );
    // The silent inbox still holds two, and only two.
    expect(silent.posts()).toHaveLength(2);
    const queued = await queuedFor(a.database.db, silent.inbox);
    expect(queued).toHaveLength(6);
    expect(queued.filter((row) => row.lease_owner !== null)).toHaveLength(2);
    expect(queued[0]).toMatchObject({ lane: "delivery", destination: silent.inbox.host });
  });

  it("cannot hold up received activities: a signed Follow is processed promptly", async () => {
    const silent = await inbox(never);
    // Every delivery slot may go to the silent inbox here: only the inbox
    // lane's own slots can keep the Follow from waiting behind them.
    const a = await instance({ host: "127.0.0.1", ...fewSlots(4) });
    const b = await instance({ host: "127.0.0.2" });
    await groupFollowedBy(a, "slowpoke", silent.inbox);
    for (let n = 1; n <= 6; n++) await createNeed(a, "slowpoke", `Water, crate ${n}`);
    await expect.poll(() => silent.posts().length, POLL).toBe(4);

    await a.api("POST", "/api/v1/groups", { handle: "kitchen", name: "Kitchen" });
    await b.api("POST", "/api/v1/groups", { handle: "drivers", name: "Drivers" });
    const token = (await (await b.api("POST", "/api/v1/groups/drivers/tokens")).json()).token;
    const res = await b.api(
      "POST",
      "/api/v1/groups/drivers/following",
      { account: `${a.config.origin.origin}/groups/kitchen` },
      token,
    );
    expect(res.status).toBe(202);
    // A stores the follower when its worker has handled the Follow.
    await expect
      .poll(
        async () =>
          (
            await a.database.db
              .selectFrom("followers")
              .select("actor_id")
              .where("actor_id", "=", `${b.config.origin.origin}/groups/drivers`)
              .execute()
          ).length,
        PROMPTLY,
      )
      .toBe(1);
    expect(silent.posts()).toHaveLength(4);
  });
});

describe("what a peer's answer means", () => {
  let a: TestInstance;
  const servers: InboxServer[] = [];
  const db = () => a.database.db;

  async function inbox(...args: Parameters<typeof startInboxServer>) {
    const server = await startInboxServer(...args);
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    a = await startTestInstance({
      // 100 ms apart, 30 attempts: retries that would happen are seen at once.
      retry: {
        delayFor: (attempt) =>
          attempt >= 30 ? null : Temporal.Duration.from({ milliseconds: 100 }),
      },
      queue: { pollIntervalMs: 100 },
      delivery: {
        deadlines: { connectMs: 1_000, headersMs: 700, totalMs: 1_500 },
        parking: {
          afterFailures: 3,
          first: Temporal.Duration.from({ milliseconds: 1_500 }),
          longest: Temporal.Duration.from({ milliseconds: 1_500 }),
        },
      },
    });
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  afterAll(async () => {
    await a?.stop();
  });

  it("does not retry a 403: the delivery is recorded as refused at once", async () => {
    const peer = await inbox(() => 403);
    await groupFollowedBy(a, "forbidden", peer.inbox);
    const need = await createNeed(a, "forbidden", "Blankets");

    await expect.poll(async () => (await failuresFor(db(), peer.inbox)).length, POLL).toBe(1);
    await expect.poll(async () => (await queuedFor(db(), peer.inbox)).length, POLL).toBe(0);
    const [failure] = await failuresFor(db(), peer.inbox);
    expect(failure).toMatchObject({
      activity_id: `${need.objectId}#create`,
      attempts: 1,
      reason: "refused",
    });
    expect(failure!.last_error).toContain("403");
    // One attempt: Fedify's double knock is at most two POSTs.
    expect(peer.posts().length).toBeLessThanOrEqual(2);
  });

  it.each([404, 410])("records a %i inbox as gone, without retrying", async (status) => {
    const peer = await inbox(() => status);
    await groupFollowedBy(a, `gone${status}`, peer.inbox);
    await createNeed(a, `gone${status}`, "Diapers");

    await expect.poll(async () => (await failuresFor(db(), peer.inbox)).length, POLL).toBe(1);
    await expect.poll(async () => (await queuedFor(db(), peer.inbox)).length, POLL).toBe(0);
    expect(await failuresFor(db(), peer.inbox)).toMatchObject([{ attempts: 1, reason: "gone" }]);
    expect(peer.posts().length).toBeLessThanOrEqual(2);
  });

  it("waits as long as a 429's Retry-After asks before the next attempt", async () => {
    const peer = await inbox(() => ({ status: 429, headers: { "retry-after": "3600" } }));
    await groupFollowedBy(a, "ratelimited", peer.inbox);
    await createNeed(a, "ratelimited", "Tarpaulins");

    // Retried in place (the same row), an hour from now rather than the
    // schedule's 100 ms.
    await expect
      .poll(async () => (await queuedFor(db(), peer.inbox)).map((row) => row.attempts), POLL)
      .toEqual([1]);
    const [row] = await queuedFor(db(), peer.inbox);
    expect(row!.lease_owner).toBeNull();
    expect(Number(row!.due_in_s)).toBeGreaterThan(3590);
    expect(Number(row!.due_in_s)).toBeLessThanOrEqual(3600);
    expect(await failuresFor(db(), peer.inbox)).toEqual([]);
  });

  it("retries a delivery whose inbox did not answer before the deadline", async () => {
    // The first POST is never answered; later ones are.
    const peer = await inbox(({ index }) => (index === 0 ? never() : 202));
    await groupFollowedBy(a, "sleepy", peer.inbox);
    await createNeed(a, "sleepy", "Hot meals");

    await expect.poll(() => peer.accepted(), POLL).toEqual(["Create"]);
    await expect.poll(async () => (await queuedFor(db(), peer.inbox)).length, POLL).toBe(0);
    expect(peer.posts()[0]!.status).toBeNull();
    expect(await failuresFor(db(), peer.inbox)).toEqual([]);
  });

  it("parks a host that keeps failing and probes it one delivery at a time", async () => {
    const peer = await inbox(() => 503);
    await groupFollowedBy(a, "flaky", peer.inbox);
    for (let n = 1; n <= 3; n++) await createNeed(a, "flaky", `Candles, box ${n}`);
    const destination = () =>
      db()
        .selectFrom("fedify_queue_destinations")
        .select(["failures", "parked_until"])
        .where("destination", "=", peer.inbox.host)
        .executeTakeFirst();
    const attempts = async () =>
      (await queuedFor(db(), peer.inbox)).reduce((sum, row) => sum + row.attempts, 0);

    // Three failures in a row park the host. Once no delivery is in flight
    // and every failure is counted, nothing more is tried until the parking
    // is over (without parking, three deliveries 100 ms apart would make
    // dozens of attempts meanwhile).
    await expect.poll(async () => (await destination())?.parked_until ?? null, POLL).not.toBeNull();
    const settled = async () => {
      const rows = await queuedFor(db(), peer.inbox);
      const failures = (await destination())?.failures;
      return rows.every((row) => row.lease_owner === null) && (await attempts()) === failures;
    };
    await expect.poll(settled, POLL).toBe(true);
    const parked = (await destination())!;
    const tried = await attempts();
    expect(tried).toBeGreaterThanOrEqual(3);
    const parkedUntil = parked.parked_until!.getTime();
    await expect.poll(() => Date.now() >= parkedUntil - 100, POLL).toBe(true);
    expect(await attempts()).toBe(tried);

    // Then one delivery probes the host; it fails and parks it again.
    await expect.poll(async () => (await destination())!.failures, POLL).toBe(parked.failures + 1);
    await expect.poll(attempts, POLL).toBe(tried + 1);
    expect((await destination())!.parked_until!.getTime()).toBeGreaterThan(parkedUntil);

    // A host that answers again is no longer parked, and gets the rest.
    await peer.close();
    servers.splice(servers.indexOf(peer), 1);
    const back = await inbox(() => 202, { port: peer.port });
    await expect.poll(() => back.accepted().length, POLL).toBe(3);
    await expect.poll(destination, POLL).toBeUndefined();
  });
});
