import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signRequest } from "@fedify/fedify";
import { CryptographicKey, Follow } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { testKeyPair } from "./helpers/test-keys.ts";

/**
 * The inbox defences as the running server applies them (the unit tests in
 * federation/security show plain Fedify accepting the same requests).
 */
describe("inbox defences of a running instance", () => {
  let instance: TestInstance;
  let victim: RemoteActor;
  let attacker: Server;
  let attackerKeyId: URL;
  let attackerKeys: CryptoKeyPair;
  let groupId: URL;
  let groupInbox: URL;

  beforeAll(async () => {
    instance = await startTestInstance();
    victim = await startRemoteActor("127.0.0.2");
    attackerKeys = await testKeyPair("RSASSA-PKCS1-v1_5");
    const documents: Record<string, unknown> = {};
    attacker = createServer((req, res) => {
      const document = documents[req.url ?? ""];
      if (document === undefined) return void res.writeHead(404).end();
      res
        .writeHead(200, { "content-type": "application/activity+json" })
        .end(JSON.stringify(document));
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.3", resolve));
    const attackerOrigin = `http://127.0.0.3:${(attacker.address() as AddressInfo).port}`;
    attackerKeyId = new URL(`${attackerOrigin}/keys/1`);
    // The attacker's own key, in a document that claims the victim as its owner.
    documents["/keys/1"] = await new CryptographicKey({
      id: attackerKeyId,
      owner: victim.actorId,
      publicKey: attackerKeys.publicKey,
    }).toJsonLd();

    const group = await (
      await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food" })
    ).json();
    groupId = new URL(group.actorId);
    groupInbox = new URL(`${group.actorId}/inbox`);
  });
  afterAll(async () => {
    await instance?.stop();
    await victim?.close();
    attacker?.closeAllConnections();
    await new Promise((resolve) => attacker?.close(resolve));
  });

  async function followerCount(): Promise<number> {
    return (await instance.database.db.selectFrom("followers").select("id").execute()).length;
  }

  async function followBody(): Promise<string> {
    const follow = new Follow({
      id: new URL(`${victim.origin.href}follows/${crypto.randomUUID()}`),
      actor: victim.actorId,
      object: groupId,
    });
    return JSON.stringify(await follow.toJsonLd());
  }

  it("refuses an unsigned Follow with 401 and stores nothing", async () => {
    const response = await fetch(groupInbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: await followBody(),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: "signature_missing" });
    expect(await followerCount()).toBe(0);
  });

  it("refuses a body over 1 MiB with 413 before reading it", async () => {
    const response = await fetch(new URL("/inbox", instance.config.origin), {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: `{"padding":"${"x".repeat(2 * 1024 * 1024)}"}`,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: "payload_too_large" });
  });

  it("refuses a Follow signed with a key the victim's actor does not list", async () => {
    for (const spec of ["rfc9421", "draft-cavage-http-signatures-12"] as const) {
      const request = new Request(groupInbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: await followBody(),
      });
      const signed = await signRequest(request, attackerKeys.privateKey, attackerKeyId, { spec });
      const response = await fetch(signed);
      expect(response.status, spec).toBe(401);
      expect(await response.json()).toMatchObject({ error: "key_origin_mismatch" });
    }
    expect(await followerCount()).toBe(0);
  });

  it("refuses a Follow under the victim's key id but a forged signature, before Fedify", async () => {
    const actor = await (
      await fetch(victim.actorId, { headers: { accept: "application/activity+json" } })
    ).json();
    const victimKeyId = new URL(actor.publicKey.id);
    for (const spec of ["rfc9421", "draft-cavage-http-signatures-12"] as const) {
      const request = new Request(groupInbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: await followBody(),
      });
      const signed = await signRequest(request, attackerKeys.privateKey, victimKeyId, { spec });
      const response = await fetch(signed);
      expect(response.status, spec).toBe(401);
      // Fedify's own refusal is plain text; this JSON body is the screen's.
      expect(await response.json()).toMatchObject({ error: "signature_invalid" });
    }
    expect(await followerCount()).toBe(0);
  });

  it("accepts the same Follow signed by the victim's real key", async () => {
    await victim.follow({ id: groupId, inbox: groupInbox });
    await expect.poll(followerCount, { timeout: 15_000 }).toBe(1);
  });

  it("refuses a forged signature under a key it holds before reading the body", async () => {
    const actor = await (
      await fetch(victim.actorId, { headers: { accept: "application/activity+json" } })
    ).json();
    const victimKeyId = new URL(actor.publicKey.id);
    for (const spec of ["rfc9421", "draft-cavage-http-signatures-12"] as const) {
      // Not even JSON: read, it would be a 400; the forged signature comes first.
      const request = new Request(groupInbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: "this is not an activity",
      });
      const signed = await signRequest(request, attackerKeys.privateKey, victimKeyId, { spec });
      const response = await fetch(signed);
      expect(response.status, spec).toBe(401);
      expect(await response.json(), spec).toMatchObject({ error: "signature_invalid" });
    }
  });

  it("drops malformed activities from a genuine actor without harm", async () => {
    const base = {
      "@context": "https://www.w3.org/ns/activitystreams",
      actor: victim.actorId.href,
    };
    const malformed = [
      { ...base, id: `${victim.origin.href}bad/1`, type: "Follow", object: 12345 },
      { ...base, id: `${victim.origin.href}bad/2`, type: "Follow" },
      { ...base, id: `${victim.origin.href}bad/3`, type: "Undo", object: { type: "Follow" } },
      {
        ...base,
        id: `${victim.origin.href}bad/4`,
        type: "Create",
        object: { type: "Note", content: ["x"] },
      },
    ];
    for (const json of malformed) {
      const response = await victim.postSigned(groupInbox, json);
      expect(response.status, JSON.stringify(json)).toBeLessThan(500);
    }
    // The worker is still alive and the follower untouched: a valid Follow is still answered.
    expect(await followerCount()).toBe(1);
    const accepts = () => victim.received.filter((r) => r.json.type === "Accept").length;
    const before = accepts();
    await victim.follow({ id: groupId, inbox: groupInbox });
    await expect.poll(accepts, { timeout: 15_000 }).toBe(before + 1);
  });

  it("serves followers-only needs to signed fetches from a follower's server only", async () => {
    const token = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    const need = await (
      await instance.api(
        "POST",
        "/api/v1/groups/food/needs",
        { title: "Spare room for two nights", category: "shelter", audience: "followers" },
        token,
      )
    ).json();
    const unsigned = await victim.fetchJson(need.objectId);
    expect(unsigned.status).toBe(401);
    await expect.poll(followerCount, { timeout: 15_000 }).toBe(1);
    const signed = (await victim.fetchSigned(need.objectId)) as Record<string, unknown>;
    expect(signed.id).toBe(need.objectId);
    expect(signed.to).toEqual([`${groupId.href}/followers`]);
  });
});
