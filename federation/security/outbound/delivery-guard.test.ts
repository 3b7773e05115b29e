import { InProcessMessageQueue, type MessageQueue } from "@fedify/fedify";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HostLookup } from "./address-policy.ts";
import { createDeliveryGuard, guardMessageQueue } from "./delivery-guard.ts";

const SECRET_JWK = { kty: "RSA", d: "very-secret-private-exponent", n: "AQAB", e: "AQAB" };

/** Shaped like Fedify 2.3.6's OutboxMessage, private key included. */
const outbox = (inbox: string, id = crypto.randomUUID()) => ({
  type: "outbox" as const,
  id,
  baseUrl: "https://bayanihan.example",
  keys: [{ keyId: "https://bayanihan.example/groups/g1#main-key", privateKey: SECRET_JWK }],
  activity: { type: "Create", id: "https://bayanihan.example/activities/1" },
  activityId: "https://bayanihan.example/activities/1",
  activityType: "https://www.w3.org/ns/activitystreams#Create",
  inbox,
  sharedInbox: false,
  started: new Date().toISOString(),
  attempt: 0,
  headers: {},
  traceContext: {},
});

const lookup: HostLookup = async (host) => {
  const table: Record<string, string[]> = {
    "social.example": ["93.184.215.14"],
    "evil.example": ["93.184.215.14", "10.0.0.1"],
  };
  const answer = table[host];
  if (answer === undefined) throw new Error(`ENOTFOUND ${host}`);
  return answer;
};

const aborts: AbortController[] = [];
afterEach(() => {
  for (const controller of aborts.splice(0)) controller.abort();
});

/** Runs the guarded queue's listener; resolves once `last` reached the handler. */
function listen(queue: MessageQueue) {
  const seen: unknown[] = [];
  const waiters = new Map<string, () => void>();
  const controller = new AbortController();
  aborts.push(controller);
  void queue.listen(
    (message: { id?: string }) => {
      seen.push(message);
      if (message.id !== undefined) waiters.get(message.id)?.();
    },
    { signal: controller.signal },
  );
  const reached = (id: string) => new Promise<void>((resolve) => waiters.set(id, resolve));
  return { seen, reached };
}

describe("guardMessageQueue", () => {
  it("drops outbox messages to private inboxes before Fedify's handler sees them", async () => {
    const refused: [string, string][] = [];
    const guard = createDeliveryGuard({
      allowPrivateAddress: false,
      lookup,
      onRefused: (inbox, reason) => refused.push([inbox.href, reason]),
    });
    const queue = guardMessageQueue(new InProcessMessageQueue(), guard);
    const { seen, reached } = listen(queue);

    const metadata = outbox("http://169.254.169.254/latest/meta-data/iam");
    const rfc1918 = outbox("http://10.0.0.1/inbox");
    const rebound = outbox("https://evil.example/inbox");
    const loopback = outbox("http://[::1]:6379/");
    const fanout = { type: "fanout", id: crypto.randomUUID(), inboxes: {} };
    const inbox = { type: "inbox", id: crypto.randomUUID() };
    const publicOne = outbox("https://social.example/inbox");
    const done = reached(publicOne.id);
    // InProcessMessageQueue hands messages over in order, so once the last
    // one is seen, every earlier one has been through the guard.
    await queue.enqueueMany!([metadata, rfc1918, rebound, loopback, fanout, inbox]);
    await queue.enqueue(publicOne);
    await done;

    expect(seen).toEqual([fanout, inbox, publicOne]);
    expect(refused.map(([url]) => url)).toEqual([
      metadata.inbox,
      rfc1918.inbox,
      rebound.inbox,
      "http://[::1]:6379/",
    ]);
    expect(refused[2]![1]).toContain("resolves to 10.0.0.1");
    expect(JSON.stringify(refused)).not.toContain(SECRET_JWK.d);
  });

  it("delivers to private inboxes when private addresses are allowed", async () => {
    const onRefused = vi.fn();
    const guard = createDeliveryGuard({ allowPrivateAddress: true, onRefused });
    const queue = guardMessageQueue(new InProcessMessageQueue(), guard);
    const { seen, reached } = listen(queue);
    const local = outbox("http://127.0.0.1:3001/groups/g2/inbox");
    const done = reached(local.id);
    await queue.enqueue(local);
    await done;
    expect(seen).toEqual([local]);
    expect(onRefused).not.toHaveBeenCalled();
  });

  it("drops a queued delivery whose recipient actor is on a refused host, whatever its inbox's host", async () => {
    const refused: string[] = [];
    const guard = createDeliveryGuard({
      allowPrivateAddress: false,
      lookup,
      isHostAllowed: async (url) => url.hostname !== "blocked.example",
      onRefused: (_inbox, reason) => refused.push(reason),
    });
    const queue = guardMessageQueue(new InProcessMessageQueue(), guard);
    const { seen, reached } = listen(queue);
    const behindSharedInbox = {
      ...outbox("https://social.example/inbox"),
      sharedInbox: true,
      actorIds: ["https://social.example/users/a", "https://blocked.example/users/b"],
    };
    const malformed = { ...outbox("https://social.example/inbox"), actorIds: ["not a url"] };
    const allowed = {
      ...outbox("https://social.example/inbox"),
      actorIds: ["https://social.example/users/a"],
    };
    const done = reached(allowed.id);
    await queue.enqueueMany!([behindSharedInbox, malformed]);
    await queue.enqueue(allowed);
    await done;
    expect(seen).toEqual([allowed]);
    expect(refused).toEqual(["the federation policy refuses the recipient's host blocked.example"]);
  });

  it("drops deliveries to hosts the federation policy refuses, asking it every time", async () => {
    const refused: string[] = [];
    let blocked = "blocked.example";
    const guard = createDeliveryGuard({
      allowPrivateAddress: false,
      lookup,
      isHostAllowed: async (inbox) => inbox.hostname !== blocked,
      onRefused: (inbox, reason) => refused.push(`${inbox.hostname}: ${reason}`),
    });
    const queue = guardMessageQueue(new InProcessMessageQueue(), guard);
    const { seen, reached } = listen(queue);
    const toBlocked = outbox("https://blocked.example/inbox");
    const toSocial = outbox("https://social.example/inbox");
    let done = reached(toSocial.id);
    await queue.enqueueMany!([toBlocked, toSocial]);
    await done;
    expect(seen).toEqual([toSocial]);
    expect(refused).toEqual(["blocked.example: the federation policy refuses this host"]);

    // A change of policy applies to the very next delivery (no verdict cache).
    blocked = "social.example";
    const again = outbox("https://social.example/inbox");
    const later = outbox("https://blocked.example/inbox");
    done = reached(later.id);
    await queue.enqueueMany!([again, later]);
    await done;
    expect(seen).toEqual([toSocial, later]);
  });

  it("brings the policy up to date before judging each delivery", async () => {
    // A policy whose cache still says "open" after another process blocked
    // social.example: only revalidating shows the block.
    let blockedHere = false;
    const blockedElsewhere = true;
    const calls: string[] = [];
    const guard = createDeliveryGuard({
      allowPrivateAddress: false,
      lookup: async () => ["93.184.215.14"],
      revalidatePolicy: async () => {
        calls.push("revalidate");
        blockedHere = blockedElsewhere;
      },
      isHostAllowed: async (url) => {
        calls.push(`ask ${url.hostname}`);
        return !(blockedHere && url.hostname === "social.example");
      },
    });
    const queue = guardMessageQueue(new InProcessMessageQueue(), guard);
    const { seen, reached } = listen(queue);
    const toSocial = outbox("https://social.example/inbox");
    const marker = outbox("https://other.example/inbox");
    const done = reached(marker.id);
    await queue.enqueueMany!([toSocial, marker]);
    await done;
    expect(seen).toEqual([marker]);
    expect(calls.slice(0, 2)).toEqual(["revalidate", "ask social.example"]);
    expect(calls.filter((call) => call === "revalidate")).toHaveLength(2);
  });

  it("lets a delivery through when DNS fails, so Fedify retries and it is checked again", async () => {
    const guard = createDeliveryGuard({ allowPrivateAddress: false, lookup });
    await expect(guard.isDeliverable(new URL("https://nxdomain.example/inbox"))).resolves.toBe(
      true,
    );
  });

  it("reuses a host's verdict for a while", async () => {
    const counting = vi.fn(lookup);
    const guard = createDeliveryGuard({ allowPrivateAddress: false, lookup: counting });
    for (let i = 0; i < 5; i++) {
      expect(await guard.isDeliverable(new URL(`https://social.example/users/${i}/inbox`))).toBe(
        true,
      );
      expect(await guard.isDeliverable(new URL(`https://evil.example/users/${i}/inbox`))).toBe(
        false,
      );
    }
    expect(counting).toHaveBeenCalledTimes(2);
  });

  it("delegates everything else to the wrapped queue", async () => {
    const inner = new InProcessMessageQueue();
    const queue = guardMessageQueue(inner, createDeliveryGuard({ allowPrivateAddress: false }));
    expect(queue.nativeRetrial).toBe(false);
    await queue.enqueue(outbox("http://10.0.0.1/inbox"), {
      delay: Temporal.Duration.from({ hours: 1 }),
    });
    await queue.enqueueMany!([
      outbox("https://social.example/a"),
      outbox("https://social.example/b"),
    ]);
    expect(await queue.getDepth!()).toEqual(await inner.getDepth());
    expect(await queue.getDepth!()).toEqual({ queued: 3, ready: 2, delayed: 1 });

    const bare: MessageQueue = { enqueue: async () => {}, listen: async () => {} };
    const guardedBare = guardMessageQueue(
      bare,
      createDeliveryGuard({ allowPrivateAddress: false }),
    );
    // Fedify looks at these to choose its code paths; absent must stay absent.
    expect("enqueueMany" in guardedBare).toBe(false);
    expect("getDepth" in guardedBare).toBe(false);
    expect("nativeRetrial" in guardedBare).toBe(false);
  });

  it("asks the received-activity gate about every inbox activity, and drops what it refuses", async () => {
    const asked: unknown[] = [];
    const queue = guardMessageQueue(
      new InProcessMessageQueue(),
      createDeliveryGuard({ allowPrivateAddress: true }),
      {
        mayHandle: async (activity) => {
          asked.push(activity);
          return (activity as { actor?: string }).actor !== "https://refused.example/users/a";
        },
      },
    );
    const { seen, reached } = listen(queue);
    const received = (actor: string) => ({
      type: "inbox",
      id: crypto.randomUUID(),
      activity: { id: `https://x.example/${crypto.randomUUID()}`, type: "Create", actor },
    });
    const refused = received("https://refused.example/users/a");
    const allowed = received("https://friend.example/users/b");
    const delivery = outbox("https://social.example/inbox");
    const done = reached(delivery.id);
    await queue.enqueueMany!([refused, allowed, delivery]);
    await done;

    expect(seen).toEqual([allowed, delivery]);
    // Deliveries are the delivery guard's to judge, not the gate's.
    expect(asked).toEqual([refused.activity, allowed.activity]);
  });
});
