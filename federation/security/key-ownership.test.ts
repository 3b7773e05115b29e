import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createFederation, type Federation, MemoryKvStore } from "@fedify/fedify";
import { signRequest } from "@fedify/fedify/sig";
import { Create, CryptographicKey, Person } from "@fedify/vocab";
import { FetchError } from "@fedify/vocab-runtime";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testKeyPair } from "../../test/helpers/test-keys.ts";
import { screenInboxRequest } from "./inbox-guard.ts";
import { checkClaimedKeyOrigins, checkKeyOwnership, type LoadDocument } from "./key-ownership.ts";

const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
const VICTIM = "https://victim.example/users/vic";
const VICTIM_KEY = `${VICTIM}#main-key`;
const VICTIM_MULTIKEY = `${VICTIM}#ed25519-key`;
const ATTACKER_KEY = "https://attacker.example/keys/1";
const ROGUE_KEY_ON_VICTIM_HOST = "https://victim.example/keys/rogue";

const victimDocument = {
  "@context": [AS_CONTEXT, "https://w3id.org/security/v1", "https://w3id.org/security/multikey/v1"],
  id: VICTIM,
  type: "Person",
  preferredUsername: "vic",
  inbox: `${VICTIM}/inbox`,
  publicKey: { id: VICTIM_KEY, type: "CryptographicKey", owner: VICTIM, publicKeyPem: "…" },
  assertionMethod: [
    { id: VICTIM_MULTIKEY, type: "Multikey", controller: VICTIM, publicKeyMultibase: "z6Mk…" },
  ],
};

/** A stand-alone key document whose `owner` claims the victim: the heart of both forgeries. */
function keyDocumentOwnedBy(id: string, owner: string) {
  return {
    "@context": "https://w3id.org/security/v1",
    id,
    type: "Key",
    owner,
    publicKeyPem: "…",
  };
}

function createFrom(actor: unknown, extra: Record<string, unknown> = {}) {
  return {
    "@context": [AS_CONTEXT, "https://w3id.org/security/data-integrity/v1"],
    id: "https://victim.example/activities/1",
    type: "Create",
    actor,
    object: { id: "https://victim.example/notes/1", type: "Note", content: "hi" },
    ...extra,
  };
}

/** An in-memory `loadDocument` that records what it was asked for. */
function memoryLoader(documents: Record<string, unknown>, redirects: Record<string, string> = {}) {
  const requested: string[] = [];
  const load: LoadDocument = async (url) => {
    requested.push(url);
    const documentUrl = redirects[url] ?? url;
    if (!(documentUrl in documents)) throw new Error(`404 Not Found: ${url}`);
    return { document: documents[documentUrl], documentUrl };
  };
  return { load, requested };
}

const world = {
  [VICTIM]: victimDocument,
  [ATTACKER_KEY]: keyDocumentOwnedBy(ATTACKER_KEY, VICTIM),
  [ROGUE_KEY_ON_VICTIM_HOST]: keyDocumentOwnedBy(ROGUE_KEY_ON_VICTIM_HOST, VICTIM),
};

const url = (text: string) => new URL(text);

describe("checkClaimedKeyOrigins", () => {
  it("refuses a signature key on another host than the plain actor", () => {
    expect(checkClaimedKeyOrigins(createFrom(VICTIM), [url(ATTACKER_KEY)])).toMatchObject({
      ok: false,
      status: 401,
      error: "key_origin_mismatch",
    });
    expect(
      checkClaimedKeyOrigins(createFrom({ id: VICTIM, type: "Person" }), [url(ATTACKER_KEY)]),
    ).toMatchObject({ error: "key_origin_mismatch" });
  });

  it("lets the full check decide everything else", () => {
    expect(checkClaimedKeyOrigins(createFrom(VICTIM), [url(VICTIM_KEY)])).toBeNull();
    // A key on the actor's host but not listed: only the actor document can tell.
    expect(checkClaimedKeyOrigins(createFrom(VICTIM), [url(ROGUE_KEY_ON_VICTIM_HOST)])).toBeNull();
    // No single plain actor: the full check refuses these with its own reasons.
    expect(checkClaimedKeyOrigins(createFrom([VICTIM, VICTIM]), [url(ATTACKER_KEY)])).toBeNull();
    expect(checkClaimedKeyOrigins(createFrom(undefined), [url(ATTACKER_KEY)])).toBeNull();
    expect(checkClaimedKeyOrigins("not an object", [url(ATTACKER_KEY)])).toBeNull();
  });
});

describe("checkKeyOwnership", () => {
  it("reads the actor again past the caches when the cached one does not list the key", async () => {
    const newKey = `${VICTIM}#key-2`;
    const rotated = { ...victimDocument, publicKey: { ...victimDocument.publicKey, id: newKey } };
    const cached = memoryLoader(world);
    const fresh = memoryLoader({ [VICTIM]: rotated });
    const result = await checkKeyOwnership(createFrom(VICTIM), [url(newKey)], cached.load, {
      refetchDocument: fresh.load,
    });
    expect(result).toMatchObject({ ok: true });
    expect(fresh.requested).toEqual([VICTIM]);
    // A listed key needs no second read; an unlisted one is refused after it.
    const again = memoryLoader({ [VICTIM]: rotated });
    expect(
      await checkKeyOwnership(createFrom(VICTIM), [url(VICTIM_KEY)], cached.load, {
        refetchDocument: again.load,
      }),
    ).toMatchObject({ ok: true });
    expect(again.requested).toEqual([]);
    expect(
      await checkKeyOwnership(createFrom(VICTIM), [url(ROGUE_KEY_ON_VICTIM_HOST)], cached.load, {
        refetchDocument: again.load,
      }),
    ).toMatchObject({ ok: false, error: "key_not_owned" });
  });

  it("says the actor is gone when its own server answers 410", async () => {
    const gone: LoadDocument = async (target) => {
      throw new FetchError(target, "HTTP 410", new Response(null, { status: 410 }));
    };
    expect(await checkKeyOwnership(createFrom(VICTIM), [url(VICTIM_KEY)], gone)).toMatchObject({
      ok: false,
      error: "actor_gone",
    });
    // Also when only the read past the caches finds it gone.
    expect(
      await checkKeyOwnership(
        createFrom(VICTIM),
        [url(`${VICTIM}#key-2`)],
        memoryLoader(world).load,
        {
          refetchDocument: gone,
        },
      ),
    ).toMatchObject({ ok: false, error: "actor_gone" });
  });

  it("refuses forgery (a): a key on the attacker's host whose document names the victim as owner", async () => {
    const { load, requested } = memoryLoader(world);
    const result = await checkKeyOwnership(createFrom(VICTIM), [url(ATTACKER_KEY)], load);
    expect(result).toMatchObject({ ok: false, status: 401, error: "key_origin_mismatch" });
    // Refused on origins alone, before fetching anything.
    expect(requested).toEqual([]);
  });

  it("refuses forgery (b): a key on the victim's host that the victim's actor does not list", async () => {
    const { load, requested } = memoryLoader(world);
    const result = await checkKeyOwnership(
      createFrom(VICTIM),
      [url(ROGUE_KEY_ON_VICTIM_HOST)],
      load,
    );
    expect(result).toMatchObject({ ok: false, status: 401, error: "key_not_owned" });
    // The key document's own claim is never consulted: only the actor is asked.
    expect(requested).toEqual([VICTIM]);
  });

  it("accepts a key listed in publicKey, fetching the actor once for a fragment key id", async () => {
    const { load, requested } = memoryLoader(world);
    const result = await checkKeyOwnership(createFrom(VICTIM), [url(VICTIM_KEY)], load);
    expect(result).toEqual({ ok: true, actorId: url(VICTIM) });
    expect(requested).toEqual([VICTIM]);
  });

  it("accepts a key listed only in assertionMethod (Multikey)", async () => {
    const { load } = memoryLoader(world);
    const result = await checkKeyOwnership(createFrom(VICTIM), [url(VICTIM_MULTIKEY)], load);
    expect(result).toEqual({ ok: true, actorId: url(VICTIM) });
  });

  it("checks proof verification methods and LD signature creators as well, with one fetch", async () => {
    const { load, requested } = memoryLoader(world);
    const activity = createFrom(
      { id: VICTIM, type: "Person" },
      {
        proof: {
          type: "DataIntegrityProof",
          cryptosuite: "eddsa-jcs-2022",
          verificationMethod: VICTIM_MULTIKEY,
          proofPurpose: "assertionMethod",
          proofValue: "z…",
        },
        signature: {
          type: "RsaSignature2017",
          creator: VICTIM_KEY,
          created: "2026-11-28T12:00:00Z",
          signatureValue: "…",
        },
      },
    );
    expect(await checkKeyOwnership(activity, [url(VICTIM_KEY)], load)).toEqual({
      ok: true,
      actorId: url(VICTIM),
    });
    expect(requested).toEqual([VICTIM]);
  });

  it("refuses when an LD signature or a proof claims a key the actor does not own", async () => {
    const { load } = memoryLoader(world);
    const byLd = createFrom(VICTIM, {
      signature: {
        type: "RsaSignature2017",
        creator: ATTACKER_KEY,
        created: "2026-11-28T12:00:00Z",
        signatureValue: "…",
      },
    });
    expect(await checkKeyOwnership(byLd, [url(VICTIM_KEY)], load)).toMatchObject({
      ok: false,
      error: "key_origin_mismatch",
    });
    const byProof = createFrom(VICTIM, {
      proof: { type: "DataIntegrityProof", verificationMethod: ROGUE_KEY_ON_VICTIM_HOST },
    });
    expect(await checkKeyOwnership(byProof, [url(VICTIM_KEY)], load)).toMatchObject({
      ok: false,
      error: "key_not_owned",
    });
  });

  it("refuses proofs whose key cannot be seen, such as a proof given by reference", async () => {
    // Fedify would fetch such a proof and, if it verified, skip the HTTP
    // signature whose (victim-owned) key id is all this check would have seen.
    const { load } = memoryLoader(world);
    for (const proof of [
      "https://attacker.example/proofs/1",
      { type: "DataIntegrityProof", cryptosuite: "eddsa-jcs-2022", proofValue: "z…" },
    ]) {
      expect(
        await checkKeyOwnership(createFrom(VICTIM, { proof }), [url(VICTIM_KEY)], load),
      ).toMatchObject({
        ok: false,
        status: 401,
        error: "key_invalid",
      });
    }
    // The same reference hidden behind a term that only JSON-LD reads as
    // `proof` (without Data Integrity's @graph container, which would drop a
    // bare string, so that the reference survives expansion as Fedify sees it).
    const aliased = createFrom(VICTIM, {
      "@context": [
        AS_CONTEXT,
        {
          attest: { "@id": "https://w3id.org/security#proof", "@type": "@id" },
        },
      ],
      attest: "https://attacker.example/proofs/1",
    });
    expect(await checkKeyOwnership(aliased, [url(VICTIM_KEY)], load)).toMatchObject({
      ok: false,
      error: "key_invalid",
    });
  });

  it("ignores an embedded actor's keys and asks the actor's origin", async () => {
    const { load } = memoryLoader(world);
    const embedded = {
      ...victimDocument,
      publicKey: { id: ROGUE_KEY_ON_VICTIM_HOST, owner: VICTIM },
    };
    const result = await checkKeyOwnership(
      createFrom(embedded),
      [url(ROGUE_KEY_ON_VICTIM_HOST)],
      load,
    );
    expect(result).toMatchObject({ ok: false, error: "key_not_owned" });
  });

  it("treats an actor document served from another origin (a redirect) as not owning the key", async () => {
    const elsewhere = "https://attacker.example/users/vic";
    const { load } = memoryLoader(
      { [elsewhere]: { ...victimDocument, id: VICTIM } },
      { [VICTIM]: elsewhere },
    );
    const result = await checkKeyOwnership(createFrom(VICTIM), [url(VICTIM_KEY)], load);
    expect(result).toMatchObject({ ok: false, status: 401, error: "key_not_owned" });
  });

  it("refuses when the served document is another actor", async () => {
    const { load } = memoryLoader({
      [VICTIM]: { ...victimDocument, id: "https://victim.example/users/other" },
    });
    const result = await checkKeyOwnership(createFrom(VICTIM), [url(VICTIM_KEY)], load);
    expect(result).toMatchObject({ ok: false, error: "actor_document_mismatch" });
  });

  it("refuses when the actor cannot be fetched", async () => {
    const { load } = memoryLoader({});
    const result = await checkKeyOwnership(createFrom(VICTIM), [url(VICTIM_KEY)], load);
    expect(result).toMatchObject({ ok: false, status: 401, error: "actor_unavailable" });
  });

  it("refuses activities with no actor, or several", async () => {
    const { load } = memoryLoader(world);
    expect(await checkKeyOwnership(createFrom(undefined), [url(VICTIM_KEY)], load)).toMatchObject({
      ok: false,
      error: "actor_missing",
    });
    const two = createFrom([VICTIM, "https://victim.example/users/other"]);
    expect(await checkKeyOwnership(two, [url(VICTIM_KEY)], load)).toMatchObject({
      ok: false,
      error: "actor_ambiguous",
    });
  });

  it("refuses a JSON-LD context that makes another term mean the actor", async () => {
    // Plain JSON says the actor is the attacker (whose key this is); JSON-LD,
    // which Fedify uses, says it is the victim.
    const { load } = memoryLoader({
      "https://attacker.example/users/mallory": {
        ...victimDocument,
        id: "https://attacker.example/users/mallory",
        publicKey: { id: ATTACKER_KEY },
      },
    });
    const activity = {
      "@context": [
        AS_CONTEXT,
        {
          actor: "https://attacker.example/ns#decoy",
          sender: { "@id": "https://www.w3.org/ns/activitystreams#actor", "@type": "@id" },
        },
      ],
      id: "https://attacker.example/activities/1",
      type: "Create",
      actor: "https://attacker.example/users/mallory",
      sender: VICTIM,
      object: { id: "https://attacker.example/notes/1", type: "Note", content: "forged" },
    };
    const result = await checkKeyOwnership(activity, [url(ATTACKER_KEY)], load);
    expect(result).toMatchObject({ ok: false, status: 401, error: "actor_ambiguous" });
  });

  it("refuses a body that is not JSON-LD, or is too large to expand", async () => {
    const { load } = memoryLoader(world);
    const broken = { ...createFrom(VICTIM), "@context": "https://nowhere.example/context.jsonld" };
    expect(await checkKeyOwnership(broken, [url(VICTIM_KEY)], load)).toMatchObject({
      ok: false,
      error: "activity_invalid",
    });
    const big = createFrom(VICTIM, {
      tag: Array.from({ length: 30 }, () => ({ type: "Hashtag" })),
    });
    expect(await checkKeyOwnership(big, [url(VICTIM_KEY)], load, { maxNodes: 50 })).toMatchObject({
      ok: false,
      error: "activity_too_complex",
    });
  });
});

/**
 * The gap reproduced end to end on loopback: plain Fedify runs the inbox
 * listener for a Create "from" the victim signed with the attacker's key,
 * and the guard in front of the same federation refuses it.
 */
describe("forged delivery against a real Fedify inbox", () => {
  const servers: (Server | ServerType)[] = [];
  const listen = async (server: Server, host: string): Promise<string> => {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return `http://${host}:${(server.address() as AddressInfo).port}`;
  };

  let victimOrigin: string;
  let attackerOrigin: string;
  let victimKeys: CryptoKeyPair;
  let attackerKeys: CryptoKeyPair;
  let receiverKeys: CryptoKeyPair;

  /** Serves fixed JSON documents, as a remote fediverse server would. */
  function staticServer(documents: () => Record<string, unknown>): Server {
    return createServer((req, res) => {
      const document = documents()[req.url ?? ""];
      if (document === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/activity+json" });
      res.end(JSON.stringify(document));
    });
  }

  interface Receiver {
    inbox: string;
    /** Every Create the inbox listener ran for, and who Fedify says sent it. */
    received: { id: string | undefined; actor: string | undefined }[];
  }

  /** A plain Fedify federation on 127.0.0.1, optionally behind the two guards. */
  async function startReceiver(guarded: boolean): Promise<Receiver> {
    const received: Receiver["received"] = [];
    const federation: Federation<void> = createFederation<void>({
      kv: new MemoryKvStore(),
      allowPrivateAddress: true, // loopback peers; tests only
    });
    federation
      .setActorDispatcher("/users/{identifier}", (ctx, identifier) =>
        identifier === "pantry"
          ? new Person({
              id: ctx.getActorUri(identifier),
              preferredUsername: identifier,
              inbox: ctx.getInboxUri(identifier),
            })
          : null,
      )
      // Fedify's inbox wants the recipient's keys (to sign its own fetches).
      .setKeyPairsDispatcher((_ctx, identifier) => (identifier === "pantry" ? [receiverKeys] : []));
    federation
      .setInboxListeners("/users/{identifier}/inbox", "/inbox")
      .on(Create, (_ctx, create) => {
        received.push({ id: create.id?.href, actor: create.actorId?.href });
      });

    const handle = async (request: Request): Promise<Response> => {
      if (!guarded || request.method !== "POST") {
        return federation.fetch(request, { contextData: undefined });
      }
      const screened = await screenInboxRequest(request, {
        maxBodyBytes: 1024 * 1024,
        signatureWindow: Temporal.Duration.from({ hours: 1 }),
      });
      if (!screened.ok) {
        return Response.json(
          { error: screened.error, message: screened.message },
          { status: screened.status },
        );
      }
      const ctx = federation.createContext(screened.request, undefined);
      const owned = await checkKeyOwnership(screened.json, screened.keyIds, ctx.documentLoader, {
        contextLoader: ctx.contextLoader,
      });
      if (!owned.ok) {
        return Response.json(
          { error: owned.error, message: owned.message },
          { status: owned.status },
        );
      }
      return federation.fetch(screened.request, { contextData: undefined });
    };
    const port = await new Promise<number>((resolve) => {
      servers.push(
        serve({ fetch: handle, port: 0, hostname: "127.0.0.1" }, (info) => resolve(info.port)),
      );
    });
    return { inbox: `http://127.0.0.1:${port}/users/pantry/inbox`, received };
  }

  beforeAll(async () => {
    [victimKeys, attackerKeys, receiverKeys] = await Promise.all([
      testKeyPair("RSASSA-PKCS1-v1_5"),
      testKeyPair("RSASSA-PKCS1-v1_5"),
      testKeyPair("RSASSA-PKCS1-v1_5"),
    ]);
    const victimDocuments: Record<string, unknown> = {};
    const attackerDocuments: Record<string, unknown> = {};
    victimOrigin = await listen(
      staticServer(() => victimDocuments),
      "127.0.0.3",
    );
    attackerOrigin = await listen(
      staticServer(() => attackerDocuments),
      "127.0.0.2",
    );
    const victimId = new URL(`${victimOrigin}/users/vic`);

    victimDocuments["/users/vic"] = await new Person({
      id: victimId,
      preferredUsername: "vic",
      inbox: new URL(`${victimOrigin}/users/vic/inbox`),
      publicKey: new CryptographicKey({
        id: new URL(`${victimId.href}#main-key`),
        owner: victimId,
        publicKey: victimKeys.publicKey,
      }),
    }).toJsonLd();
    // The forged key: the attacker's own key, published on the attacker's
    // host, whose document claims the victim as owner.
    attackerDocuments["/keys/1"] = await new CryptographicKey({
      id: new URL(`${attackerOrigin}/keys/1`),
      owner: victimId,
      publicKey: attackerKeys.publicKey,
    }).toJsonLd();
    // The same key, placed on the victim's host (a stale key, an uploaded
    // file…) but absent from the victim's actor document.
    victimDocuments["/keys/rogue"] = await new CryptographicKey({
      id: new URL(`${victimOrigin}/keys/rogue`),
      owner: victimId,
      publicKey: attackerKeys.publicKey,
    }).toJsonLd();
    // The attacker's own, honest-looking actor, which lists the key.
    const malloryId = new URL(`${attackerOrigin}/users/mallory`);
    attackerDocuments["/users/mallory"] = await new Person({
      id: malloryId,
      preferredUsername: "mallory",
      inbox: new URL(`${attackerOrigin}/users/mallory/inbox`),
      publicKey: new CryptographicKey({
        id: new URL(`${attackerOrigin}/keys/1`),
        owner: malloryId,
        publicKey: attackerKeys.publicKey,
      }),
    }).toJsonLd();
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  let activityCounter = 0;
  /** A Create whose plain `actor` is `actor`; `extra` may override anything. */
  function createActivity(actor: string, extra: Record<string, unknown> = {}) {
    const n = ++activityCounter;
    return {
      "@context": AS_CONTEXT,
      id: `${attackerOrigin}/activities/${n}`,
      type: "Create",
      actor,
      object: {
        id: `${attackerOrigin}/notes/${n}`,
        type: "Note",
        content: "Send your donations to my account instead.",
      },
      ...extra,
    };
  }

  async function deliver(
    inbox: string,
    activity: unknown,
    privateKey: CryptoKey,
    keyId: string,
    spec: "rfc9421" | "draft-cavage-http-signatures-12",
  ): Promise<Response> {
    const request = new Request(inbox, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(activity),
    });
    return fetch(await signRequest(request, privateKey, new URL(keyId), { spec }));
  }

  /** Each forgery is signed with the attacker's private key. */
  const forgeries = {
    /** fedify-notes.md §1 (a): a key on the attacker's host naming the victim as owner. */
    "a key on the attacker's host": () => ({
      activity: createActivity(`${victimOrigin}/users/vic`),
      keyId: `${attackerOrigin}/keys/1`,
      refusal: "key_origin_mismatch",
    }),
    /** §1 (b): a key document on the victim's host that the victim's actor does not list. */
    "a key on the victim's host the victim does not list": () => ({
      activity: createActivity(`${victimOrigin}/users/vic`),
      keyId: `${victimOrigin}/keys/rogue`,
      refusal: "key_not_owned",
    }),
    /**
     * Plain JSON names the attacker's own actor (which does list the key);
     * the JSON-LD context makes Fedify read the victim as the actor. A check
     * that read only the plain `actor` field would let this through.
     */
    "a JSON-LD context aliasing the actor": () => ({
      activity: createActivity(`${attackerOrigin}/users/mallory`, {
        "@context": [
          AS_CONTEXT,
          {
            actor: `${attackerOrigin}/ns#decoy`,
            sender: { "@id": "https://www.w3.org/ns/activitystreams#actor", "@type": "@id" },
          },
        ],
        sender: `${victimOrigin}/users/vic`,
      }),
      keyId: `${attackerOrigin}/keys/1`,
      refusal: "actor_ambiguous",
    }),
  };
  const cases = Object.keys(forgeries).flatMap((name) =>
    (["rfc9421", "draft-cavage-http-signatures-12"] as const).map(
      (spec) => [name as keyof typeof forgeries, spec] as const,
    ),
  );

  it.each(cases)("plain Fedify runs the inbox listener for %s (%s)", async (name, spec) => {
    const plain = await startReceiver(false);
    const { activity, keyId } = forgeries[name]();
    const response = await deliver(plain.inbox, activity, attackerKeys.privateKey, keyId, spec);
    expect(response.status).toBe(202);
    // The gap: Fedify attributes the attacker's words to the victim.
    expect(plain.received).toEqual([{ id: activity.id, actor: `${victimOrigin}/users/vic` }]);
  });

  it.each(cases)(
    "the guards refuse %s with 401 and the listener never runs (%s)",
    async (name, spec) => {
      const guarded = await startReceiver(true);
      const { activity, keyId, refusal } = forgeries[name]();
      const response = await deliver(guarded.inbox, activity, attackerKeys.privateKey, keyId, spec);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: refusal });
      expect(guarded.received).toEqual([]);
    },
  );

  it.each(["rfc9421", "draft-cavage-http-signatures-12"] as const)(
    "the guards still let the victim's genuinely signed Create through (%s)",
    async (spec) => {
      const guarded = await startReceiver(true);
      const activity = createActivity(`${victimOrigin}/users/vic`);
      const response = await deliver(
        guarded.inbox,
        activity,
        victimKeys.privateKey,
        `${victimOrigin}/users/vic#main-key`,
        spec,
      );
      expect(response.status).toBe(202);
      expect(guarded.received).toEqual([{ id: activity.id, actor: `${victimOrigin}/users/vic` }]);
    },
  );
});
