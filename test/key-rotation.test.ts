import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import {
  type KeyedActor,
  type KeyedActorServer,
  newRsaKey,
  type SignatureSpec,
  startKeyedActorServer,
} from "./helpers/keyed-actors.ts";
import { testKeyPair } from "./helpers/test-keys.ts";
import { waitFor } from "./helpers/wait.ts";

const AS = "https://www.w3.org/ns/activitystreams";
const SPECS: SignatureSpec[] = ["rfc9421", "draft-cavage-http-signatures-12"];

/**
 * Peers that change their keys, against a running instance: the inbox
 * screen reads a key again past every cache (the instance's memory, the
 * KV document cache, Fedify's key cache) when a signature fails under the
 * cached one, at most once per key document every 30 s.
 */
describe("key changes", () => {
  let instance: TestInstance;
  let peers: KeyedActorServer;
  let elsewhere: KeyedActorServer;
  let groupId: URL;
  let groupInbox: URL;

  beforeAll(async () => {
    instance = await startTestInstance();
    peers = await startKeyedActorServer("127.0.0.5");
    elsewhere = await startKeyedActorServer("127.0.0.6");
    const group = await (
      await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food" })
    ).json();
    groupId = new URL(group.actorId);
    groupInbox = new URL(`${group.actorId}/inbox`);
  });
  afterAll(async () => {
    await instance?.stop();
    await peers?.close();
    await elsewhere?.close();
  });

  function follow(actor: KeyedActor) {
    return {
      "@context": AS,
      id: `${actor.id.href}/follows/${crypto.randomUUID()}`,
      type: "Follow",
      actor: actor.id.href,
      object: groupId.href,
    };
  }

  /**
   * An activity whose handling reads nothing remote (a Delete of an object
   * the instance never had), to probe the signature check alone: a Follow's
   * handling reads the actor again, through the signed, uncached loader.
   */
  function probe(actor: KeyedActor) {
    return {
      "@context": AS,
      id: `${actor.id.href}/deletes/${crypto.randomUUID()}`,
      type: "Delete",
      actor: actor.id.href,
      object: `${actor.id.href}/notes/${crypto.randomUUID()}`,
    };
  }

  /** An actor that follows the group: its key is in every cache now. */
  async function follower(name: string, spec: SignatureSpec = "rfc9421"): Promise<KeyedActor> {
    const actor = await peers.actor(name);
    expect((await actor.post(groupInbox, follow(actor), { spec })).status).toBe(202);
    await waitFor(`${name} following`, async () => {
      const row = await instance.database.db
        .selectFrom("followers")
        .select("state")
        .where("actor_id", "=", actor.id.href)
        .executeTakeFirst();
      return row?.state === "accepted";
    });
    await queueDrained();
    return actor;
  }

  /** Waits until every queued message (received activities, deliveries) is handled. */
  async function queueDrained(): Promise<void> {
    await waitFor("the queue to drain", async () => {
      const rows = await instance.database.db.selectFrom("fedify_queue").select("id").execute();
      return rows.length === 0;
    });
  }

  for (const spec of SPECS) {
    it(`accepts a peer at once after it replaced its key with a new key id (${spec})`, async () => {
      const actor = await follower(`newid${SPECS.indexOf(spec)}`, spec);
      const old = actor.keys[0]!;
      actor.keys = [await newRsaKey(new URL(`${actor.id.href}#key-2`))];
      expect((await actor.post(groupInbox, probe(actor), { spec })).status).toBe(202);
      // The old key is no longer the actor's.
      const refused = await actor.post(groupInbox, probe(actor), {
        spec,
        key: { id: old.id, privateKey: old.pair.privateKey },
      });
      expect(refused.status).toBe(401);
    });

    it(`accepts a peer at once after it changed the key behind the same key id (${spec})`, async () => {
      const actor = await follower(`sameid${SPECS.indexOf(spec)}`, spec);
      const reads = actor.documentReads;
      actor.keys = [await newRsaKey(actor.keys[0]!.id)];
      expect((await actor.post(groupInbox, probe(actor), { spec })).status).toBe(202);
      // One read past the caches, and the new key is the cached one now.
      expect(actor.documentReads).toBe(reads + 1);
      expect((await actor.post(groupInbox, probe(actor), { spec })).status).toBe(202);
      expect(actor.documentReads).toBe(reads + 1);
    });

    it(`reads a key again at most once per 30 s under a flood of forged signatures (${spec})`, async () => {
      const actor = await follower(`flood${SPECS.indexOf(spec)}`, spec);
      const forger = await testKeyPair("RSASSA-PKCS1-v1_5");
      const reads = actor.documentReads;
      for (let i = 0; i < 20; i++) {
        const response = await actor.post(groupInbox, probe(actor), {
          spec,
          key: { id: actor.keys[0]!.id, privateKey: forger.privateKey },
        });
        // Refused after the key was read again, and every time after.
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ error: "signature_invalid" });
      }
      expect(actor.documentReads).toBe(reads + 1);
      // The genuine key still works, without another read.
      expect((await actor.post(groupInbox, probe(actor), { spec })).status).toBe(202);
      expect(actor.documentReads).toBe(reads + 1);
    });
  }

  it("has Fedify's own inbox handler accept the changed key too", async () => {
    // Activities without an http(s) id are verified again by Fedify's handler,
    // with Fedify's key cache in the KV store.
    const actor = await follower("fedifypath");
    const unplain = () => ({ ...probe(actor), id: `urn:uuid:${crypto.randomUUID()}` });
    expect((await actor.post(groupInbox, unplain())).status).toBe(202);
    actor.keys = [await newRsaKey(actor.keys[0]!.id)];
    expect((await actor.post(groupInbox, unplain())).status).toBe(202);
  });

  it("refreshes the cached key when an actor sends an Update of itself", async () => {
    const actor = await follower("updater");
    const old = actor.keys[0]!;
    actor.keys = [await newRsaKey(old.id)];
    const reads = actor.documentReads;
    // Signed with the key the instance holds; the embedded copy is not trusted.
    const update = {
      "@context": [AS, "https://w3id.org/security/v1"],
      id: `${actor.id.href}#updates/${crypto.randomUUID()}`,
      type: "Update",
      actor: actor.id.href,
      object: await actor.document(),
    };
    const response = await actor.post(groupInbox, update, {
      key: { id: old.id, privateKey: old.pair.privateKey },
    });
    expect(response.status).toBe(202);
    await waitFor("the Update to be handled", () => actor.documentReads === reads + 1);
    await queueDrained();
    // The new key is accepted without reading the document again.
    expect((await actor.post(groupInbox, probe(actor))).status).toBe(202);
    expect(actor.documentReads).toBe(reads + 1);
  });

  it("does not refresh an actor's key on an Update sent from another origin", async () => {
    const victim = await follower("victim");
    const sender = await elsewhere.actor("mallory");
    victim.keys = [await newRsaKey(victim.keys[0]!.id)];
    const reads = victim.documentReads;
    const update = {
      "@context": [AS, "https://w3id.org/security/v1"],
      id: `${sender.id.href}#updates/${crypto.randomUUID()}`,
      type: "Update",
      actor: sender.id.href,
      object: await victim.document(),
    };
    expect((await sender.post(groupInbox, update)).status).toBe(202);
    await queueDrained();
    expect(victim.documentReads).toBe(reads);
  });
  for (const spec of SPECS) {
    it(`refuses a signer whose RSA key is over 4096 bits, and stores nothing (${spec})`, async () => {
      // Verifying under a key grows with the square of its length: a flood of
      // forgeries under a huge key would cost many times a normal refusal.
      const pair = (await crypto.subtle.generateKey(
        {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 4104,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        },
        true,
        ["sign", "verify"],
      )) as CryptoKeyPair;
      const actor = await peers.actor(`bigkey${SPECS.indexOf(spec)}`, { pair });
      // Correctly signed under its own (too large) key.
      const response = await actor.post(groupInbox, follow(actor), { spec });
      expect(response.status).toBe(401);
      await queueDrained();
      const stored = await instance.database.db
        .selectFrom("followers")
        .select("actor_id")
        .where("actor_id", "=", actor.id.href)
        .execute();
      expect(stored).toEqual([]);
      // The same actor with a 2048-bit key is accepted: only the size was refused.
      actor.keys = [await newRsaKey(new URL(`${actor.id.href}#key-2`))];
      expect((await actor.post(groupInbox, probe(actor), { spec })).status).toBe(202);
    });
  }
});
