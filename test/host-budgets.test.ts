/**
 * Budgets per remote host (domain/host-budget.ts, federation/security/
 * host-budgets.ts): a flood of Follows from one server is throttled (not
 * all stored, not all answered with an Accept, one notification) while
 * another server's Follow is taken at once; the inbox bucket answers 429
 * with Retry-After, and a real sender that retries gets everything through.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RETRY_AFTER_HEADER } from "../federation/security/outbound/fetch-guard.ts";
import {
  followGroup,
  type GroupNode,
  networkOf,
  startGroupNodes,
} from "./helpers/group-network.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import {
  type KeyedActor,
  type KeyedActorServer,
  newRsaKey,
  startKeyedActorServer,
} from "./helpers/keyed-actors.ts";
import { waitFor } from "./helpers/wait.ts";

/** The observed attack was 1,000; enough to be far beyond the test's budget of 20. */
const FLOOD = 300;
const FOLLOW_BURST = 20;
const WAITING_PER_HOST = 5;

/** `count` actors on `server`, sharing one key pair (generating 400 RSA keys would take long). */
async function manyActors(
  server: KeyedActorServer,
  prefix: string,
  count: number,
): Promise<KeyedActor[]> {
  const { pair } = await newRsaKey(new URL("http://unused.invalid/#key"));
  return Promise.all(
    Array.from({ length: count }, (_, i) => server.actor(`${prefix}${i}`, { pair })),
  );
}

function followOf(actor: KeyedActor, target: URL, n = 0): Record<string, unknown> {
  return {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: `${actor.id.href}/follows/${target.pathname.split("/").at(-1)}/${n}`,
    type: "Follow",
    actor: actor.id.href,
    object: target.href,
  };
}

/** Runs `task` over `items`, `width` at a time. */
async function inBatches<T, R>(items: T[], width: number, task: (item: T) => Promise<R>) {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    results.push(...(await Promise.all(items.slice(i, i + width).map(task))));
  }
  return results;
}

function acceptsReceived(actors: KeyedActor[]): number {
  return actors.reduce(
    (sum, actor) => sum + actor.received.filter((a) => a.type === "Accept").length,
    0,
  );
}

describe("follow budgets per remote host", () => {
  let instance: TestInstance;
  let flooder: KeyedActorServer;
  let neighbour: KeyedActorServer;
  let asker: KeyedActorServer;
  let inbox: URL;
  let openGroup: URL;
  let approvalGroup: URL;

  beforeAll(async () => {
    [instance, flooder, neighbour, asker] = await Promise.all([
      startTestInstance({
        budgets: {
          follows: { capacity: FOLLOW_BURST, perSecond: 0.001 },
          pendingFollowsPerHost: WAITING_PER_HOST,
        },
      }),
      startKeyedActorServer("127.0.0.3"),
      startKeyedActorServer("127.0.0.4"),
      startKeyedActorServer("127.0.0.5"),
    ]);
    for (const [handle, followPolicy] of [
      ["open", "open"],
      ["asks", "approval"],
    ] as const) {
      const res = await instance.api("POST", "/api/v1/groups", {
        handle,
        name: handle,
        followPolicy,
      });
      expect(res.status).toBe(201);
    }
    inbox = new URL("/inbox", instance.config.origin);
    openGroup = new URL("/groups/open", instance.config.origin);
    approvalGroup = new URL("/groups/asks", instance.config.origin);
  });
  afterAll(async () => {
    await instance?.stop();
    await Promise.all([flooder?.close(), neighbour?.close(), asker?.close()]);
  });

  const followers = async (handle: string, state: "accepted" | "pending") =>
    (
      await instance.database.db
        .selectFrom("followers")
        .innerJoin("groups", "groups.id", "followers.group_id")
        .select("followers.actor_id")
        .where("groups.handle", "=", handle)
        .where("followers.state", "=", state)
        .execute()
    ).map((row) => row.actor_id);

  it("takes a burst of follows from one host, then answers 429 and stores and accepts no more; another host's follow is taken at once", async () => {
    const actors = await manyActors(flooder, "u", FLOOD);
    const answers = await inBatches(actors, 25, async (actor) => {
      const res = await actor.post(inbox, followOf(actor, openGroup));
      return {
        status: res.status,
        // This process's outgoing fetch guard renames the header (fetch-guard.ts).
        retryAfter: res.headers.get("retry-after") ?? res.headers.get(RETRY_AFTER_HEADER),
        body: await res.json().catch(() => null),
      };
    });
    const taken = answers.filter((a) => a.status === 202);
    const throttled = answers.filter((a) => a.status === 429);
    expect(taken).toHaveLength(FOLLOW_BURST);
    expect(throttled).toHaveLength(FLOOD - FOLLOW_BURST);
    for (const answer of throttled) {
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answer.body).toMatchObject({
        error: "host_budget_exceeded",
        message: expect.any(String),
      });
    }

    // While the flooder's budget is spent, a follow from another server is
    // taken and accepted at once.
    const [visitor] = await manyActors(neighbour, "v", 1);
    const res = await visitor!.post(inbox, followOf(visitor!, openGroup));
    expect(res.status).toBe(202);
    await expect.poll(() => acceptsReceived([visitor!]), { timeout: 15_000 }).toBe(1);
    expect(await followers("open", "accepted")).toContain(visitor!.id.href);

    // The burst's follows are stored and accepted; the refused ones never are.
    await expect.poll(() => acceptsReceived(actors), { timeout: 30_000 }).toBe(FOLLOW_BURST);
    const fromFlooder = (await followers("open", "accepted")).filter((id) =>
      id.startsWith(flooder.origin.href),
    );
    expect(fromFlooder).toHaveLength(FOLLOW_BURST);
  }, 180_000);

  it("keeps a few follow requests per host waiting for an approval group, under one notification", async () => {
    const actors = await manyActors(asker, "w", FOLLOW_BURST);
    const statuses = await inBatches(actors, 10, async (actor) => {
      const res = await actor.post(inbox, followOf(actor, approvalGroup));
      return res.status;
    });
    // All within the follow budget, so all queued.
    expect(statuses.every((s) => s === 202)).toBe(true);
    await expect
      .poll(async () => (await followers("asks", "pending")).length, { timeout: 30_000 })
      .toBe(WAITING_PER_HOST);
    // Every Follow handled (the queue is empty), and still no more than the limit.
    await waitFor(
      "the inbox queue to empty",
      async () => {
        const row = await instance.database.db
          .selectFrom("fedify_queue")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow();
        return Number(row.n) === 0;
      },
      30_000,
    );
    expect(await followers("asks", "pending")).toHaveLength(WAITING_PER_HOST);
    expect(acceptsReceived(actors)).toBe(0);

    const notifications = await instance.database.db
      .selectFrom("notifications")
      .innerJoin("groups", "groups.id", "notifications.group_id")
      .select(["notifications.message", "notifications.count"])
      .where("groups.handle", "=", "asks")
      .execute();
    expect(notifications).toEqual([
      {
        // Rendered with the count when read: "3 new follow requests from …".
        message: expect.objectContaining({ key: "follow-request", host: asker.origin.host }),
        count: WAITING_PER_HOST,
      },
    ]);
  }, 60_000);
});

describe("inbox budget per signing host", () => {
  let receiver: GroupNode;
  let sender: GroupNode;
  let people: KeyedActorServer;
  /** Answers to deliveries to the receiver's inboxes, as senders in this process saw them. */
  const answers: { status: number; retryAfter: string | null }[] = [];
  const realFetch = globalThis.fetch;
  /** While set, the receiver's clock stands still: its buckets do not refill. */
  let heldAt: Temporal.Instant | null = null;

  beforeAll(async () => {
    [[receiver], [sender], people] = await Promise.all([
      // Three activities at once, then one every two seconds of the
      // receiver's clock, which the first test holds still.
      startGroupNodes(["127.0.0.6"], "aid", {
        budgets: { inbox: { capacity: 3, perSecond: 0.5 } },
        clock: () => heldAt ?? Temporal.Now.instant(),
      }),
      // A sender that retries quickly (its Retry-After still applies).
      startGroupNodes(["127.0.0.7"], "relief", {
        retry: { delayFor: () => Temporal.Duration.from({ milliseconds: 200 }) },
        queue: { pollIntervalMs: 100 },
      }),
      startKeyedActorServer("127.0.0.8"),
    ]);
    // Installed after the instances' fetch guards, so it sees their answers.
    const guarded = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const request = new Request(input, init);
      const response = await guarded(request);
      if (
        request.method === "POST" &&
        request.url.startsWith(receiver.instance.config.origin.href)
      ) {
        answers.push({
          status: response.status,
          retryAfter: response.headers.get(RETRY_AFTER_HEADER),
        });
      }
      return response;
    };
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    await Promise.all([receiver?.instance.stop(), sender?.instance.stop(), people?.close()]);
  });

  it("answers 429 with Retry-After beyond the bucket, stores nothing refused, and takes the retry", async () => {
    const group = new URL(receiver.actor);
    const inbox = new URL("/inbox", receiver.instance.config.origin);
    const actors = await manyActors(people, "p", 5);
    heldAt = Temporal.Now.instant();
    const first = await Promise.all(
      actors.map(async (actor) => {
        const res = await actor.post(inbox, followOf(actor, group));
        return {
          actor,
          status: res.status,
          retryAfter: res.headers.get("retry-after") ?? res.headers.get(RETRY_AFTER_HEADER),
          body: await res.json().catch(() => null),
        };
      }),
    );
    // The bucket holds three, and does not refill while the clock stands still.
    const taken = first.filter((a) => a.status === 202);
    const refused = first.filter((a) => a.status === 429);
    expect(taken).toHaveLength(3);
    expect(refused).toHaveLength(2);
    for (const answer of refused) {
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answer.body).toMatchObject({ error: "host_budget_exceeded" });
    }
    const stored = async () =>
      (
        await receiver.instance.database.db
          .selectFrom("followers")
          .select("actor_id")
          .where("actor_id", "like", `${people.origin.href}%`)
          .execute()
      ).map((row) => row.actor_id);
    await expect.poll(async () => (await stored()).length, { timeout: 15_000 }).toBe(taken.length);
    for (const answer of refused) expect(await stored()).not.toContain(answer.actor.id.href);

    // Retrying as a sender does, once time has passed, gets each one in.
    heldAt = null;
    for (const { actor } of refused) {
      await waitFor("the retried Follow to be taken", async () => {
        const res = await actor.post(inbox, followOf(actor, group));
        return res.status === 202;
      });
    }
    await expect.poll(async () => (await stored()).length, { timeout: 15_000 }).toBe(5);
  }, 60_000);

  it("loses nothing a real server sends in a burst: it is told to wait, retries, and gets through", async () => {
    heldAt = null;
    await followGroup(receiver, sender);
    answers.length = 0;
    const titles = Array.from({ length: 8 }, (_, i) => `Water jugs ${i}`);
    for (const title of titles) {
      const res = await sender.api("POST", `/api/v1/groups/${sender.handle}/needs`, {
        title,
        category: "water",
      });
      expect(res.status).toBe(201);
    }
    await expect
      .poll(async () => (await networkOf(receiver)).map((item) => item.title).sort(), {
        timeout: 45_000,
      })
      .toEqual(titles);
    // The burst went beyond the bucket: some deliveries were answered 429,
    // with a Retry-After, and retried.
    const throttled = answers.filter((a) => a.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    for (const answer of throttled) expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
