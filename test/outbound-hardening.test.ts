import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostLookup } from "../federation/security/outbound/address-policy.ts";
import { storeRemoteProposal } from "../src/db/remote-proposals.repo.ts";
import { newId } from "../src/domain/ids.ts";
import type { RemoteProposal } from "../src/domain/remote-proposal.ts";
import { shortCodeOf } from "../src/domain/short-link.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

/**
 * What the server fetches, from where, and what blocks cover: real servers on
 * loopback addresses, reached by host names the instance under test resolves
 * with its own lookup (InstanceOptions.lookup), as DNS would.
 */

const ADDRESSES: Record<string, string> = {
  "sub.evil.test": "127.0.0.2",
  "friend.test": "127.0.0.3",
  "sub.friend.test": "127.0.0.4",
  "redirect.test": "127.0.0.5",
  "plain.test": "127.0.0.6",
  "private.test": "127.0.0.1",
};
const lookup: HostLookup = async (host) => {
  const address = ADDRESSES[host];
  if (address === undefined)
    throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return [address];
};

/** A bare HTTP server that records every request it gets. */
interface BareServer {
  readonly port: number;
  readonly requests: string[];
  close(): Promise<void>;
}

async function startBare(
  host: string,
  answer: (path: string, res: ServerResponse) => void,
): Promise<BareServer> {
  const requests: string[] = [];
  const server = createServer(async (req, res) => {
    for await (const _ of req) {
      // The body does not matter.
    }
    requests.push(`${req.method} ${req.url}`);
    answer(req.url ?? "/", res);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function followJson(actor: RemoteActor, target: string, n: string) {
  return {
    "@context": "https://www.w3.org/ns/activitystreams",
    id: new URL(`/follows/${n}`, actor.origin).href,
    type: "Follow",
    actor: actor.actorId.href,
    object: target,
  };
}

async function queueDrained(instance: TestInstance): Promise<void> {
  await waitFor("the queue to drain", async () => {
    const rows = await instance.database.db.selectFrom("fedify_queue").select("id").execute();
    return rows.length === 0;
  });
}

describe("outbound hardening", () => {
  let instance: TestInstance;
  let evil: RemoteActor;
  let friend: RemoteActor;
  let subFriend: RemoteActor;
  let groupId: string;
  let groupActor: string;
  let groupInbox: URL;

  beforeAll(async () => {
    instance = await startTestInstance({ lookup });
    [evil, friend, subFriend] = await Promise.all([
      startRemoteActor("127.0.0.2", { name: "sub.evil.test" }),
      startRemoteActor("127.0.0.3", { name: "friend.test" }),
      startRemoteActor("127.0.0.4", { name: "sub.friend.test" }),
    ]);
    const group = await (
      await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food" })
    ).json();
    groupActor = group.actorId;
    groupInbox = new URL(`${group.actorId}/inbox`);
    groupId = (
      await instance.database.db
        .selectFrom("groups")
        .select("id")
        .where("handle", "=", "food")
        .executeTakeFirstOrThrow()
    ).id;
    const blocked = await instance.api("POST", "/api/v1/admin/federation/domains", {
      domain: "evil.test",
      policy: "block",
    });
    expect(blocked.status).toBe(201);
  });
  afterAll(async () => {
    await instance?.stop();
    await Promise.all([evil?.close(), friend?.close(), subFriend?.close()]);
  });

  async function followers(): Promise<string[]> {
    const rows = await instance.database.db
      .selectFrom("followers")
      .select("actor_id")
      .orderBy("actor_id")
      .execute();
    return rows.map((row) => row.actor_id);
  }

  it("a block covers subdomains, in the inbox and for fetches; an allowed host passes", async () => {
    // sub.evil.test is refused at the door: nothing is fetched from it.
    const refused = await evil.postSigned(groupInbox, followJson(evil, groupActor, "1"));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: "domain_refused" });
    const follow = await instance.api("POST", "/api/v1/groups/food/following", {
      account: evil.actorId.href,
    });
    expect(follow.status).toBe(403);
    expect(
      (
        await instance.api("POST", "/api/v1/groups/food/following", {
          account: "alice@sub.evil.test",
        })
      ).status,
    ).toBe(403);
    expect(evil.gets).toEqual([]);

    // friend.test is not blocked.
    const accepted = await friend.postSigned(groupInbox, followJson(friend, groupActor, "1"));
    expect(accepted.status).toBe(202);
    await expect.poll(followers, { timeout: 10_000 }).toContain(friend.actorId.href);

    // Allowlist: friend.test is allowed, its exact host only.
    expect(
      (await instance.api("PUT", "/api/v1/admin/federation", { mode: "allowlist" })).status,
    ).toBe(200);
    try {
      expect(
        (
          await instance.api("POST", "/api/v1/admin/federation/domains", {
            domain: "friend.test",
            policy: "allow",
          })
        ).status,
      ).toBe(201);
      const again = await friend.postSigned(groupInbox, followJson(friend, groupActor, "2"));
      expect(again.status).toBe(202);
      const sub = await subFriend.postSigned(groupInbox, followJson(subFriend, groupActor, "1"));
      expect(sub.status).toBe(403);
      expect(subFriend.gets).toEqual([]);
    } finally {
      await instance.api("PUT", "/api/v1/admin/federation", { mode: "open" });
    }
  });

  it("does not follow a redirect to a blocked host: that host receives nothing", async () => {
    const redirecting = await startBare("127.0.0.5", (_path, res) => {
      res
        .writeHead(302, { location: `http://sub.evil.test:${evil.origin.port}/users/alice` })
        .end();
    });
    try {
      const follow = await instance.api("POST", "/api/v1/groups/food/following", {
        account: `http://redirect.test:${redirecting.port}/users/mallory`,
      });
      expect(follow.status).toBeGreaterThanOrEqual(400);
      expect(redirecting.requests).toEqual(["GET /users/mallory"]);
      expect(evil.gets).toEqual([]);
      expect(evil.wire).toEqual([]);
    } finally {
      await redirecting.close();
    }
  });

  it("an Undo whose object is a URL makes the server fetch nothing", async () => {
    const follow = followJson(friend, groupActor, "undo-me");
    expect((await friend.postSigned(groupInbox, follow)).status).toBe(202);
    const followIds = async () =>
      (
        await instance.database.db
          .selectFrom("followers")
          .select("follow_activity_id")
          .where("actor_id", "=", friend.actorId.href)
          .execute()
      ).map((row) => row.follow_activity_id);
    await expect.poll(followIds, { timeout: 10_000 }).toEqual([follow.id]);
    await queueDrained(instance);
    const before = friend.gets.length;
    const undo = await friend.postSigned(groupInbox, {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: new URL("/undos/1", friend.origin).href,
      type: "Undo",
      actor: friend.actorId.href,
      // By id, not embedded: matched to the stored Follow, never fetched.
      object: follow.id,
    });
    expect(undo.status).toBe(202);
    await expect.poll(followers, { timeout: 10_000 }).not.toContain(friend.actorId.href);
    await queueDrained(instance);
    expect(friend.gets.slice(before).filter((path) => path.startsWith("/follows/"))).toEqual([]);
  });

  it("reads actors only as ActivityPub: one served as application/json is refused", async () => {
    const actor = (port: number, name: string) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `http://plain.test:${port}/users/${name}`,
      type: "Group",
      preferredUsername: name,
      inbox: `http://plain.test:${port}/users/${name}/inbox`,
    });
    const plain: BareServer = await startBare("127.0.0.6", (path, res) => {
      if (path === "/users/json") {
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end(JSON.stringify(actor(plain.port, "json")));
      }
      if (path === "/users/ap") {
        res.writeHead(200, { "content-type": "application/activity+json" });
        return void res.end(JSON.stringify(actor(plain.port, "ap")));
      }
      res.writeHead(202).end();
    });
    try {
      const asJson = await instance.api("POST", "/api/v1/groups/food/following", {
        account: `http://plain.test:${plain.port}/users/json`,
      });
      expect(asJson.status).toBe(404);
      const asActivityPub = await instance.api("POST", "/api/v1/groups/food/following", {
        account: `http://plain.test:${plain.port}/users/ap`,
      });
      expect(asActivityPub.status).toBe(202);
    } finally {
      await queueDrained(instance);
      await plain.close();
    }
  });

  it("a short link never redirects off the object's own origin", async () => {
    const now = Temporal.Now.instant();
    const remote = (objectId: string, url: string): RemoteProposal => ({
      objectId,
      originActorId: "https://aid.example/groups/water",
      kind: "proposal",
      purpose: "request",
      title: "Drinking water",
      summaryText: "",
      category: "water",
      categoryUri: "urn:bayanihan:category:water",
      quantity: null,
      remainingAmount: null,
      quantityStep: null,
      intentId: null,
      location: null,
      urgency: "high",
      status: "open",
      expiresAt: null,
      url,
      publishedAt: now,
      updatedAt: now,
      incident: null,
    });
    const go = async (objectId: string, url: string) => {
      const stored = await storeRemoteProposal(
        instance.database.db,
        remote(objectId, url),
        newId(),
        now,
      );
      const res = await fetch(new URL(`/go/${shortCodeOf(stored!.id)}`, instance.config.origin), {
        redirect: "manual",
      });
      expect(res.status).toBe(302);
      return res.headers.get("location");
    };
    expect(await go("https://aid.example/objects/1", "https://aid.example/needs/1")).toBe(
      "https://aid.example/needs/1",
    );
    expect(await go("https://aid.example/objects/2", "https://phish.example/login")).toBe(
      "https://aid.example/objects/2",
    );
  });

  it("a Create arriving after the Delete does not bring the object back", async () => {
    const now = new Date();
    await instance.database.db
      .insertInto("following")
      .values({
        id: crypto.randomUUID(),
        group_id: groupId,
        actor_id: friend.actorId.href,
        inbox_url: friend.inbox.href,
        shared_inbox_url: null,
        follow_activity_id: `${groupActor}#follows/${crypto.randomUUID()}`,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();
    const note = friend.publish("/notes/1", {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: new URL("/notes/1", friend.origin).href,
      type: "Note",
      attributedTo: friend.actorId.href,
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      content: "Blankets wanted",
      published: "2026-12-01T10:00:00Z",
    });
    const activity = (type: "Create" | "Delete", n: string) => ({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: new URL(`/activities/${n}`, friend.origin).href,
      type,
      actor: friend.actorId.href,
      object: note.href,
    });
    const stored = async () =>
      (
        await instance.database.db
          .selectFrom("remote_proposals")
          .select("object_id")
          .where("object_id", "=", note.href)
          .execute()
      ).length;
    expect((await friend.postSigned(groupInbox, activity("Create", "1"))).status).toBe(202);
    await expect.poll(stored, { timeout: 10_000 }).toBe(1);
    expect((await friend.postSigned(groupInbox, activity("Delete", "2"))).status).toBe(202);
    await expect.poll(stored, { timeout: 10_000 }).toBe(0);
    // The origin still serves the note (a delayed or replayed Create).
    expect((await friend.postSigned(groupInbox, activity("Create", "3"))).status).toBe(202);
    await queueDrained(instance);
    expect(await stored()).toBe(0);
  });
});

describe("addresses checked when connecting", () => {
  let strict: TestInstance;
  beforeAll(async () => {
    strict = await startTestInstance({ lookup, env: { ALLOW_PRIVATE_ADDRESS: "false" } });
    await strict.api("POST", "/api/v1/groups", { handle: "food", name: "Food" });
  });
  afterAll(async () => {
    await strict?.stop();
  });

  it("refuses a host name that resolves to a private address: the server gets nothing", async () => {
    const internal = await startBare("127.0.0.1", (_path, res) => {
      res.writeHead(200, { "content-type": "application/activity+json" }).end("{}");
    });
    try {
      const follow = await strict.api("POST", "/api/v1/groups/food/following", {
        account: `http://private.test:${internal.port}/users/admin`,
      });
      expect(follow.status).toBe(404);
      expect(internal.requests).toEqual([]);
    } finally {
      await internal.close();
    }
  });
});
