import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signRequest } from "@fedify/fedify";
import { CryptographicKey, Person } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { testKeyPair } from "./helpers/test-keys.ts";

const PEER_HOST = "127.0.0.2";
const OTHER_HOST = "127.0.0.3";
const COUNTED_HOST = "127.0.0.4";
const FRESH_HOST = "127.0.0.5";
/** A follower's actor host whose inbox lives on OTHER_HOST. */
const STRAY_HOST = "127.0.0.6";

/**
 * A signed actor served by a bare HTTP server that counts every request it
 * gets: it shows whether the instance fetched anything from it.
 */
interface CountedActor {
  readonly actorId: URL;
  readonly requests: string[];
  /** A correctly signed Follow (draft-cavage, like Mastodon) of `target`, POSTed to `inbox`. */
  follow(target: URL, inbox: URL): Promise<Response>;
  close(): Promise<void>;
}

async function startCountedActor(host: string): Promise<CountedActor> {
  const keys = await testKeyPair("RSASSA-PKCS1-v1_5");
  const requests: string[] = [];
  let actorDocument: unknown = null;
  const drain = async (req: IncomingMessage) => {
    for await (const _ of req) {
      // The body does not matter.
    }
  };
  const server: Server = createServer(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    await drain(req);
    if (req.method === "GET" && req.url === "/users/bob") {
      res.writeHead(200, { "content-type": "application/activity+json" });
      return void res.end(JSON.stringify(actorDocument));
    }
    res.writeHead(req.method === "POST" ? 202 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  const actorId = new URL(`${origin}/users/bob`);
  const keyId = new URL(`${actorId.href}#main-key`);
  actorDocument = await new Person({
    id: actorId,
    preferredUsername: "bob",
    inbox: new URL(`${actorId.href}/inbox`),
    publicKey: new CryptographicKey({ id: keyId, owner: actorId, publicKey: keys.publicKey }),
  }).toJsonLd();
  return {
    actorId,
    requests,
    async follow(target, inbox) {
      const request = new Request(inbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify({
          "@context": "https://www.w3.org/ns/activitystreams",
          id: `${origin}/follows/${crypto.randomUUID()}`,
          type: "Follow",
          actor: actorId.href,
          object: target.href,
        }),
      });
      return fetch(
        await signRequest(request, keys.privateKey, keyId, {
          spec: "draft-cavage-http-signatures-12",
        }),
      );
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("federation policy", () => {
  let instance: TestInstance;
  let peer: RemoteActor;
  let other: RemoteActor;
  let counted: CountedActor;
  let coordinatorToken: string;
  let groupId: URL;
  let groupInbox: URL;

  beforeAll(async () => {
    instance = await startTestInstance();
    [peer, other, counted] = await Promise.all([
      startRemoteActor(PEER_HOST),
      startRemoteActor(OTHER_HOST),
      startCountedActor(COUNTED_HOST),
    ]);
    const group = await (
      await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food" })
    ).json();
    groupId = new URL(group.actorId);
    groupInbox = new URL(`${group.actorId}/inbox`);
    coordinatorToken = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json())
      .token;
  });
  afterAll(async () => {
    await instance?.stop();
    await peer?.close();
    await other?.close();
    await counted?.close();
  });

  async function followerActors(): Promise<string[]> {
    const rows = await instance.database.db
      .selectFrom("followers")
      .select("actor_id")
      .orderBy("actor_id")
      .execute();
    return rows.map((r) => r.actor_id);
  }

  async function queueDepth(): Promise<number> {
    return (await instance.database.db.selectFrom("fedify_queue").select("id").execute()).length;
  }

  function followJson(from: RemoteActor, actor: URL = from.actorId) {
    return {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${from.origin.href}follows/${crypto.randomUUID()}`,
      type: "Follow",
      actor: actor.href,
      object: groupId.href,
    };
  }

  async function setMode(mode: string): Promise<void> {
    const res = await instance.api("PUT", "/api/v1/admin/federation", { mode });
    expect(res.status).toBe(200);
  }

  async function addEntry(domain: string, policy: "allow" | "block") {
    const res = await instance.api("POST", "/api/v1/admin/federation/domains", { domain, policy });
    expect(res.status).toBe(201);
    return res.json();
  }

  async function removeEntry(domain: string): Promise<void> {
    const res = await instance.api("DELETE", `/api/v1/admin/federation/domains/${domain}`);
    expect(res.status).toBe(204);
  }

  async function publishNeed(title: string): Promise<string> {
    const res = await instance.api(
      "POST",
      "/api/v1/groups/food/needs",
      { title, category: "food" },
      coordinatorToken,
    );
    expect(res.status).toBe(201);
    return (await res.json()).objectId;
  }

  describe("admin API", () => {
    const endpoints: [string, string, unknown?][] = [
      ["GET", "/api/v1/admin/federation"],
      ["PUT", "/api/v1/admin/federation", { mode: "allowlist" }],
      ["GET", "/api/v1/admin/federation/domains"],
      ["POST", "/api/v1/admin/federation/domains", { domain: "x.example", policy: "block" }],
      ["DELETE", "/api/v1/admin/federation/domains/x.example"],
    ];

    it("answers only the admin token: 401 without one, 403 for a coordinator", async () => {
      for (const [method, path, body] of endpoints) {
        const anonymous = await instance.api(method, path, body, null);
        expect(anonymous.status, `${method} ${path}`).toBe(401);
        expect(await anonymous.json()).toMatchObject({ error: "unauthorized" });
        const coordinator = await instance.api(method, path, body, coordinatorToken);
        expect(coordinator.status, `${method} ${path}`).toBe(403);
        const wrong = await instance.api(method, path, body, "not-a-token");
        expect(wrong.status, `${method} ${path}`).toBe(401);
      }
      // Authorization comes before validation.
      const junk = await instance.api("PUT", "/api/v1/admin/federation", { mode: 7 }, null);
      expect(junk.status).toBe(401);
      expect((await (await instance.api("GET", "/api/v1/admin/federation")).json()).mode).toBe(
        "open",
      );
      expect(
        (await (await instance.api("GET", "/api/v1/admin/federation/domains")).json()).items,
      ).toEqual([]);
    });

    it("is described in the OpenAPI document", async () => {
      const doc = await (await instance.api("GET", "/api/openapi.json", undefined, null)).json();
      expect(Object.keys(doc.paths["/api/v1/admin/federation"])).toEqual(["get", "put"]);
      expect(Object.keys(doc.paths["/api/v1/admin/federation/domains"])).toEqual(["get", "post"]);
      const post = doc.paths["/api/v1/admin/federation/domains"].post;
      expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(["201", "400", "409"]));
      expect(post.description).toMatch(/409/);
      expect(
        doc.paths["/api/v1/admin/federation/domains/{domain}"].delete.responses,
      ).toHaveProperty("204");
    });

    it("refuses bad input with 400 JSON and writes nothing", async () => {
      const bad: [string, string, unknown][] = [
        ["PUT", "/api/v1/admin/federation", { mode: "closed" }],
        ["PUT", "/api/v1/admin/federation", { mode: "allowlist", extra: true }],
        ["PUT", "/api/v1/admin/federation", {}],
        ["PUT", "/api/v1/admin/federation", "{not json"],
        ["POST", "/api/v1/admin/federation/domains", { domain: "x.example", policy: "deny" }],
        ["POST", "/api/v1/admin/federation/domains", { policy: "block" }],
        ["POST", "/api/v1/admin/federation/domains", { domain: "", policy: "block" }],
        ["POST", "/api/v1/admin/federation/domains", { domain: 42, policy: "block" }],
        [
          "POST",
          "/api/v1/admin/federation/domains",
          { domain: "https://x.example/a", policy: "block" },
        ],
        ["POST", "/api/v1/admin/federation/domains", { domain: "*.x.example", policy: "block" }],
        ["POST", "/api/v1/admin/federation/domains", { domain: "x..example", policy: "block" }],
        ["POST", "/api/v1/admin/federation/domains", { domain: "a@x.example", policy: "block" }],
        ["POST", "/api/v1/admin/federation/domains", { domain: "x".repeat(301), policy: "block" }],
        [
          "POST",
          "/api/v1/admin/federation/domains",
          { domain: "x.example", policy: "block", reason: "r".repeat(1001) },
        ],
        [
          "POST",
          "/api/v1/admin/federation/domains",
          { domain: "x.example", policy: "block", by: "me" },
        ],
        ["POST", "/api/v1/admin/federation/domains", "[]"],
        ["DELETE", "/api/v1/admin/federation/domains/not%20a%20domain", undefined],
      ];
      for (const [method, path, body] of bad) {
        const res = await instance.api(method, path, body);
        const label = `${method} ${JSON.stringify(body)}`;
        expect(res.status, label).toBe(400);
        expect(res.headers.get("content-type"), label).toContain("application/json");
        expect((await res.json()).error, label).toMatch(/^invalid_(request|json)$/);
      }
      const url = (await instance
        .api("POST", "/api/v1/admin/federation/domains", {
          domain: "https://x.example/a",
          policy: "block",
        })
        .then((r) => r.json())) as { message: string };
      expect(url.message).toContain('"x.example"');
      expect((await (await instance.api("GET", "/api/v1/admin/federation")).json()).mode).toBe(
        "open",
      );
      expect(
        (await (await instance.api("GET", "/api/v1/admin/federation/domains")).json()).items,
      ).toEqual([]);
    });

    it("stores entries in canonical form, refuses a second one with 409, deletes by any spelling", async () => {
      const res = await instance.api("POST", "/api/v1/admin/federation/domains", {
        domain: "Bücher.Example:8443",
        policy: "block",
        reason: "  spam waves  ",
      });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({
        domain: "xn--bcher-kva.example",
        policy: "block",
        reason: "spam waves",
        removed: {
          followers: 0,
          following: 0,
          remoteProposals: 0,
          remoteShares: 0,
          incidentParticipants: 0,
          incidentCopies: 0,
        },
      });
      const again = await instance.api("POST", "/api/v1/admin/federation/domains", {
        domain: "xn--bcher-kva.example.",
        policy: "allow",
      });
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({ error: "conflict" });
      await addEntry("[2001:DB8::1]:443", "allow");

      const list = await (await instance.api("GET", "/api/v1/admin/federation/domains")).json();
      expect(list.items).toEqual([
        { domain: "2001:db8::1", policy: "allow", reason: null, createdAt: expect.any(String) },
        {
          domain: "xn--bcher-kva.example",
          policy: "block",
          reason: "spam waves",
          createdAt: expect.any(String),
        },
      ]);
      expect(Temporal.Instant.from(list.items[1].createdAt)).toBeInstanceOf(Temporal.Instant);

      await removeEntry(encodeURIComponent("BÜCHER.example"));
      await removeEntry("2001:db8:0::1");
      const gone = await instance.api("DELETE", "/api/v1/admin/federation/domains/bücher.example");
      expect(gone.status).toBe(404);
      expect(await gone.json()).toMatchObject({ error: "not_found" });

      await setMode("allowlist");
      expect((await (await instance.api("GET", "/api/v1/admin/federation")).json()).mode).toBe(
        "allowlist",
      );
      await setMode("open");
    });
  });

  describe("enforcement on a running instance", () => {
    it("answers a blocked peer's correctly signed Follow with 403 and stores nothing", async () => {
      await addEntry(PEER_HOST, "block");
      const refused = await peer.postSigned(groupInbox, followJson(peer));
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: "domain_refused" });
      expect(await followerActors()).toEqual([]);

      // The same Follow is accepted once the block is lifted, without a restart.
      await removeEntry(PEER_HOST);
      const accepted = await peer.postSigned(groupInbox, followJson(peer));
      expect(accepted.status).toBe(202);
      await expect.poll(followerActors, { timeout: 15_000 }).toEqual([peer.actorId.href]);
      expect(refused.status).toBe(403);
    });

    it("refuses a blocked host before the key-ownership fetch, and removes its followers", async () => {
      // Unblocked, the instance reads bob's actor document to check his key.
      const first = await counted.follow(groupId, groupInbox);
      expect(first.status).toBe(202);
      await expect.poll(followerActors, { timeout: 15_000 }).toContain(counted.actorId.href);
      expect(counted.requests.some((r) => r.startsWith("GET /users/bob"))).toBe(true);
      // Its Accept is delivered before the block, so nothing is in flight to bob afterwards.
      await expect
        .poll(() => counted.requests.includes("POST /users/bob/inbox"), { timeout: 15_000 })
        .toBe(true);

      const block = await addEntry(COUNTED_HOST, "block");
      expect(block.removed).toEqual({
        followers: 1,
        following: 0,
        remoteProposals: 0,
        remoteShares: 0,
        incidentParticipants: 0,
        incidentCopies: 0,
      });
      expect(await followerActors()).toEqual([peer.actorId.href]);
      const seen = counted.requests.length;
      const refused = await counted.follow(groupId, groupInbox);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: "domain_refused" });
      expect(counted.requests.length).toBe(seen);
      expect(await followerActors()).toEqual([peer.actorId.href]);

      // A blocked server never contacted before: nothing is fetched from it at all
      // (without the policy, checking its key would fetch its actor document).
      const fresh = await startCountedActor(FRESH_HOST);
      try {
        await addEntry(FRESH_HOST, "block");
        const unseen = await fresh.follow(groupId, groupInbox);
        expect(unseen.status).toBe(403);
        expect(fresh.requests).toEqual([]);
      } finally {
        await fresh.close();
      }

      // An allowed signer naming an actor on the blocked host is refused too.
      const relayed = await peer.postSigned(groupInbox, followJson(peer, counted.actorId));
      expect(relayed.status).toBe(403);
      expect(await relayed.json()).toMatchObject({ error: "domain_refused" });
      expect(counted.requests.length).toBe(seen);
    });

    it("in allowlist mode refuses at once every host not allowed, and accepts allowed ones", async () => {
      await setMode("allowlist");
      const refused = await peer.postSigned(groupInbox, followJson(peer));
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: "domain_refused" });
      const stranger = await other.postSigned(groupInbox, followJson(other));
      expect(stranger.status).toBe(403);

      await addEntry(`${OTHER_HOST}:1234`, "allow");
      await other.follow({ id: groupId, inbox: groupInbox });
      await expect
        .poll(followerActors, { timeout: 15_000 })
        .toEqual([peer.actorId.href, other.actorId.href].sort());
      await expect
        .poll(() => other.received.filter((r) => r.json.type === "Accept").length, {
          timeout: 15_000,
        })
        .toBe(1);
    });

    it("sends nothing to existing followers on hosts the policy refuses", async () => {
      // Still allowlist mode: the peer is a follower, but not allowed.
      expect(await followerActors()).toContain(peer.actorId.href);
      const objectId = await publishNeed("Rice for 40 families");
      await expect
        .poll(() => other.wire.some((body) => body.includes(objectId)), { timeout: 15_000 })
        .toBe(true);
      await expect.poll(queueDepth, { timeout: 15_000 }).toBe(0);
      expect(peer.wire.filter((body) => body.includes(objectId))).toEqual([]);
    });

    it("judges a delivery by the recipient actor's host too, not only its inbox's", async () => {
      // Still allowlist mode, OTHER_HOST allowed. A follower whose actor is on a
      // host not allowed, with an inbox on OTHER_HOST: allowing the inbox's
      // host must not let its actor receive.
      const group = await instance.database.db
        .selectFrom("groups")
        .select("id")
        .where("handle", "=", "food")
        .executeTakeFirstOrThrow();
      const strayActor = `http://${STRAY_HOST}:9/users/zed`;
      const now = new Date();
      await instance.database.db
        .insertInto("followers")
        .values({
          id: crypto.randomUUID(),
          group_id: group.id,
          actor_id: strayActor,
          inbox_url: new URL("/users/zed/inbox", other.origin).href,
          shared_inbox_url: null,
          follow_activity_id: `http://${STRAY_HOST}:9/follows/1`,
          state: "accepted",
          created_at: now,
          updated_at: now,
        })
        .execute();
      const deliveriesOf = (objectId: string) =>
        other.wire.filter((body) => body.includes(objectId)).length;
      try {
        const refused = await publishNeed("Diapers, size 4");
        await expect.poll(() => deliveriesOf(refused), { timeout: 15_000 }).toBeGreaterThan(0);
        await expect.poll(queueDepth, { timeout: 15_000 }).toBe(0);
        // Alice's delivery only; none to zed's inbox on the same host.
        expect(deliveriesOf(refused)).toBe(1);

        // Once zed's own host is allowed, zed receives through that inbox (its
        // server answers 404, so Fedify knocks twice: two or three bodies).
        await addEntry(STRAY_HOST, "allow");
        const allowed = await publishNeed("Diapers, size 5");
        await expect.poll(() => deliveriesOf(allowed), { timeout: 15_000 }).toBeGreaterThan(1);
        await expect.poll(queueDepth, { timeout: 15_000 }).toBe(0);
      } finally {
        await removeEntry(STRAY_HOST).catch(() => {});
        await instance.database.db
          .deleteFrom("followers")
          .where("actor_id", "=", strayActor)
          .execute();
      }
    });

    it("blocking a domain removes its followers, and a later need delivers nothing to it", async () => {
      await setMode("open");
      const block = await addEntry(PEER_HOST, "block");
      expect(block.removed).toEqual({
        followers: 1,
        following: 0,
        remoteProposals: 0,
        remoteShares: 0,
        incidentParticipants: 0,
        incidentCopies: 0,
      });
      expect(await followerActors()).toEqual([other.actorId.href]);

      const objectId = await publishNeed("Clean water, 200 litres");
      await expect
        .poll(() => other.wire.some((body) => body.includes(objectId)), { timeout: 15_000 })
        .toBe(true);
      await expect.poll(queueDepth, { timeout: 15_000 }).toBe(0);
      expect(peer.wire.filter((body) => body.includes(objectId))).toEqual([]);
    });

    it("answers a refused host's signed fetches with 403; unsigned fetches stay public", async () => {
      // The peer is still blocked.
      const objectId = await publishNeed("Blankets");
      const followers = `${groupId.href}/followers`;
      for (const url of [objectId, groupId.href, followers, `${groupId.href}/outbox`]) {
        await expect(peer.fetchSigned(url), url).rejects.toThrow(/HTTP 403/);
      }
      // Anyone may read the actor (its key verifies our signatures) and public objects.
      expect((await peer.fetchJson(groupId)).status).toBe(200);
      expect((await peer.fetchJson(objectId)).status).toBe(200);
      // An allowed server's signed fetches are served.
      expect(await other.fetchSigned(objectId)).toMatchObject({ id: objectId });
      expect(await other.fetchSigned(groupId)).toMatchObject({ id: groupId.href });

      // In allowlist mode, a server that is merely not allowed is refused the same way.
      await removeEntry(PEER_HOST);
      expect(await peer.fetchSigned(objectId)).toMatchObject({ id: objectId });
      await setMode("allowlist");
      await expect(peer.fetchSigned(objectId)).rejects.toThrow(/HTTP 403/);
      expect(await other.fetchSigned(objectId)).toMatchObject({ id: objectId });
      await setMode("open");
    });
  });
});
