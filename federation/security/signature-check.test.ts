import { signRequest, verifyRequest } from "@fedify/fedify";
import { CryptographicKey } from "@fedify/vocab";
import { type DocumentLoader, preloadedContexts } from "@fedify/vocab-runtime";
import { describe, expect, it } from "vitest";
import { testKeyPair } from "../../test/helpers/test-keys.ts";
import { createKeyRefresh } from "./key-refresh.ts";
import { createKeyCache, createSignatureCheck } from "./signature-check.ts";

const keyId = new URL("https://remote.example/users/alice#main-key");
const owner = new URL("https://remote.example/users/alice");
const inbox = new URL("https://local.example/inbox");
const timeWindow = Temporal.Duration.from({ hours: 1 });

/** The JSON-LD contexts Fedify ships with, so that no test reaches the network. */
const contextLoader: DocumentLoader = async (url) => {
  const document = preloadedContexts[url];
  if (document === undefined) throw new Error(`unknown context: ${url}`);
  return { contextUrl: null, documentUrl: url, document };
};

/** Serves the key document as a server would, counting fetches; `rotate` swaps the key. */
async function keyServer() {
  let keys = await testKeyPair("RSASSA-PKCS1-v1_5");
  let fetches = 0;
  const documentLoader: DocumentLoader = async (url) => {
    fetches++;
    if (url !== keyId.href && url !== `${owner.href}`) throw new Error(`not found: ${url}`);
    const document = await new CryptographicKey({
      id: keyId,
      owner,
      publicKey: keys.publicKey,
    }).toJsonLd();
    return { contextUrl: null, documentUrl: keyId.href, document };
  };
  return {
    documentLoader,
    get fetches() {
      return fetches;
    },
    get privateKey() {
      return keys.privateKey;
    },
    async rotate() {
      keys = await testKeyPair("RSASSA-PKCS1-v1_5");
    },
  };
}

async function signed(privateKey: CryptoKey, spec: "rfc9421" | "draft-cavage-http-signatures-12") {
  const request = new Request(inbox, {
    method: "POST",
    headers: { "content-type": "application/activity+json" },
    body: JSON.stringify({ type: "Follow", actor: owner.href }),
  });
  return signRequest(request, privateKey, keyId, { spec });
}

/** The same signed request, POSTed to another URL. */
async function resent(request: Request, url: URL): Promise<Request> {
  return new Request(url, {
    method: "POST",
    headers: request.headers,
    body: await request.clone().text(),
  });
}

async function withHeader(request: Request, name: string, value: string): Promise<Request> {
  const headers = new Headers(request.headers);
  headers.set(name, value);
  return new Request(request.url, { method: "POST", headers, body: await request.clone().text() });
}

/** `first`'s request carrying both signatures, the second one relabelled sig2. */
function twoSignatures(first: Request, second: Request): Request {
  const relabel = (header: string | null) => header!.replace(/^sig1=/, "sig2=");
  const headers = new Headers(first.headers);
  headers.set(
    "signature-input",
    `${first.headers.get("signature-input")}, ${relabel(second.headers.get("signature-input"))}`,
  );
  headers.set(
    "signature",
    `${first.headers.get("signature")}, ${relabel(second.headers.get("signature"))}`,
  );
  return new Request(first.url, {
    method: "POST",
    headers,
    body: first.clone().body,
    duplex: "half",
  } as RequestInit);
}

/**
 * A check whose reads bypassing the cache go to `refetchFrom` (in production
 * the bounded loader without the KV document cache).
 */
function clockedCheck(refetchFrom: DocumentLoader) {
  let now = Temporal.Now.instant();
  const refresh = createKeyRefresh({
    load: refetchFrom,
    minInterval: Temporal.Duration.from({ seconds: 30 }),
    documentTtl: Temporal.Duration.from({ minutes: 5 }),
    maxDocuments: 8,
    now: () => now.epochMilliseconds,
  });
  const check = createSignatureCheck({
    ttl: Temporal.Duration.from({ minutes: 5 }),
    maxKeys: 8,
    refresh,
    now: () => now,
  });
  return {
    check,
    advance(seconds: number) {
      now = now.add({ seconds });
    },
  };
}

describe("signature check", () => {
  for (const spec of ["rfc9421", "draft-cavage-http-signatures-12"] as const) {
    it(`reuses an imported key and re-reads it at once when it was rotated (${spec})`, async () => {
      const server = await keyServer();
      const { check, advance } = clockedCheck(server.documentLoader);
      const loaders = {
        documentLoader: server.documentLoader,
        contextLoader,
        timeWindow,
      };

      expect(await check.verify(await signed(server.privateKey, spec), loaders)).toBe(true);
      const afterFirst = server.fetches;
      expect(afterFirst).toBeGreaterThan(0);
      expect(await check.verify(await signed(server.privateKey, spec), loaders)).toBe(true);
      expect(server.fetches).toBe(afterFirst);

      // The failure with the cached key re-reads it once, at once.
      await server.rotate();
      expect(await check.verify(await signed(server.privateKey, spec), loaders)).toBe(true);
      expect(server.fetches).toBe(2 * afterFirst);
      // The rotated key is now the cached one.
      expect(await check.verify(await signed(server.privateKey, spec), loaders)).toBe(true);
      expect(server.fetches).toBe(2 * afterFirst);
      // A second rotation within 30 s of that read waits for the interval.
      await server.rotate();
      expect(await check.verify(await signed(server.privateKey, spec), loaders)).toBe(false);
      expect(server.fetches).toBe(2 * afterFirst);
      advance(31);
      expect(await check.verify(await signed(server.privateKey, spec), loaders)).toBe(true);
      expect(server.fetches).toBe(3 * afterFirst);
    });

    it(`reads the key past a stale document cache when it does not verify (${spec})`, async () => {
      const server = await keyServer();
      // A document cache that still serves the document as it was before the rotation.
      const before = await server.documentLoader(keyId.href);
      const staleCache: DocumentLoader = async () => before;
      await server.rotate();
      const fetches = server.fetches;
      const { check } = clockedCheck(server.documentLoader);
      const loaders = { documentLoader: staleCache, contextLoader, timeWindow };
      expect(await check.verify(await signed(server.privateKey, spec), loaders)).toBe(true);
      expect(server.fetches).toBe(fetches + 1);
      // The fresh key is the cached one now.
      expect(await check.verify(await signed(server.privateKey, spec), loaders)).toBe(true);
      expect(server.fetches).toBe(fetches + 1);
    });

    it(`refuses a forged signature after one re-read of the key (${spec})`, async () => {
      const server = await keyServer();
      const forger = await testKeyPair("RSASSA-PKCS1-v1_5");
      const { check, advance } = clockedCheck(server.documentLoader);
      const loaders = {
        documentLoader: server.documentLoader,
        contextLoader,
        timeWindow,
      };
      expect(await check.verify(await signed(server.privateKey, spec), loaders)).toBe(true);
      const oneRead = server.fetches;
      // The first forgery costs one read past the caches, the next ones none.
      for (let i = 0; i < 5; i++) {
        expect(await check.verify(await signed(forger.privateKey, spec), loaders)).toBe(false);
      }
      expect(server.fetches).toBe(2 * oneRead);
      // Later, one re-read, then none again; the genuine key still verifies.
      advance(31);
      for (let i = 0; i < 5; i++) {
        expect(await check.verify(await signed(forger.privateKey, spec), loaders)).toBe(false);
      }
      expect(server.fetches).toBe(3 * oneRead);
      expect(await check.verify(await signed(server.privateKey, spec), loaders)).toBe(true);
    });
  }

  it("forgets keys after their TTL and beyond its bound", async () => {
    let now = Temporal.Instant.from("2026-11-28T06:00:00Z");
    const cache = createKeyCache({
      ttl: Temporal.Duration.from({ minutes: 5 }),
      maxKeys: 2,
      now: () => now,
    });
    const key = new CryptographicKey({ id: keyId });
    const ids = [1, 2, 3].map((n) => new URL(`https://remote.example/keys/${n}`));
    for (const id of ids) await cache.set(id, key);
    expect(await cache.get(ids[0]!)).toBeUndefined();
    expect(await cache.get(ids[2]!)).toBe(key);
    now = now.add({ minutes: 5 });
    expect(await cache.get(ids[2]!)).toBeUndefined();
    await cache.set(ids[1]!, null);
    expect(await cache.get(ids[1]!)).toBeUndefined();
  });

  describe("fast path with the cached key", () => {
    const draft = "draft-cavage-http-signatures-12" as const;

    /**
     * A check whose cache holds the server's key, read again past the caches
     * (after a forgery) at the check's current time.
     */
    async function primed() {
      const server = await keyServer();
      const clocked = clockedCheck(server.documentLoader);
      const loaders = { documentLoader: server.documentLoader, contextLoader, timeWindow };
      expect(await clocked.check.verify(await signed(server.privateKey, draft), loaders)).toBe(
        true,
      );
      const forger = await testKeyPair("RSASSA-PKCS1-v1_5");
      expect(await clocked.check.verify(await signed(forger.privateKey, draft), loaders)).toBe(
        false,
      );
      return { server, loaders, ...clocked };
    }

    it("accepts a good draft-cavage signature and refuses a forged one without verifyRequest", async () => {
      const { server, check, advance } = await primed();
      const forger = await testKeyPair("RSASSA-PKCS1-v1_5");
      expect(check.verifyWithCachedKey(await signed(server.privateKey, draft))).toBe("valid");
      expect(check.verifyWithCachedKey(await signed(forger.privateKey, draft))).toBe("invalid");
      // Another request's signature on this request's headers does not verify either.
      const genuine = await signed(server.privateKey, draft);
      const replayed = new Request(new URL("/other/inbox", inbox), {
        method: "POST",
        headers: genuine.headers,
        body: await genuine.text(),
      });
      expect(check.verifyWithCachedKey(replayed)).toBe("invalid");
      // Once the last read past the caches is older than the interval, a failure
      // is verify's to decide: it reads the key again, which may have been rotated.
      advance(31);
      expect(check.verifyWithCachedKey(await signed(forger.privateKey, draft))).toBe("undecided");
      expect(check.verifyWithCachedKey(await signed(server.privateKey, draft))).toBe("valid");
    });

    it("needs no loaders to refuse a forgery or accept a signature under a cached key", async () => {
      const { server, check, advance } = await primed();
      const forger = await testKeyPair("RSASSA-PKCS1-v1_5");
      let built = 0;
      const lazyLoaders = () => {
        built++;
        return { documentLoader: server.documentLoader, contextLoader, timeWindow };
      };
      let requests = 0;
      const lazyRequest = (request: Request) => ({
        head: request,
        request: () => {
          requests++;
          return request;
        },
      });
      const fetches = server.fetches;
      const forged = lazyRequest(await signed(forger.privateKey, draft));
      expect(await check.verify(forged, lazyLoaders)).toBe(false);
      const genuine = lazyRequest(await signed(server.privateKey, draft));
      expect(await check.verify(genuine, lazyLoaders)).toBe(true);
      expect(built).toBe(0);
      expect(requests).toBe(0);
      expect(server.fetches).toBe(fetches);
      // RFC 9421 too.
      const rfc9421 = lazyRequest(await signed(server.privateKey, "rfc9421"));
      expect(await check.verify(rfc9421, lazyLoaders)).toBe(true);
      expect(built).toBe(0);
      // What the cached key cannot decide is built and handed to verifyRequest.
      advance(31);
      const undecided = lazyRequest(await signed(forger.privateKey, "rfc9421"));
      expect(await check.verify(undecided, lazyLoaders)).toBe(false);
      expect(built).toBe(1);
      expect(requests).toBe(1);
    });

    it("decides RFC 9421 signatures under the cached key as Fedify's verifyRequest does", async () => {
      const { server, check, advance } = await primed();
      const forger = await testKeyPair("RSASSA-PKCS1-v1_5");
      const genuine = await signed(server.privateKey, "rfc9421");
      const forged = await signed(forger.privateKey, "rfc9421");
      const cases: [string, Request, "valid" | "invalid" | "undecided"][] = [
        ["genuine", genuine, "valid"],
        ["forged", forged, "invalid"],
        ["sent to another inbox", await resent(genuine, new URL("/other/inbox", inbox)), "invalid"],
        [
          "another digest",
          await withHeader(
            genuine,
            "content-digest",
            "sha-256=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:",
          ),
          "invalid",
        ],
        ["a good and a forged signature", twoSignatures(genuine, forged), "valid"],
        // Fedify 2.3.6 reads the body a second time for the second signature's
        // digest and throws; the good signature is still good.
        ["a forged and a good signature", twoSignatures(forged, genuine), "valid"],
        // Two failures: which key Fedify would re-read first is not ours to guess.
        ["two forged signatures", twoSignatures(forged, forged), "undecided"],
        [
          "signed two hours ago",
          await signRequest(genuine.clone(), server.privateKey, keyId, {
            spec: "rfc9421",
            currentTime: Temporal.Now.instant().subtract({ hours: 2 }),
          }),
          "undecided",
        ],
      ];
      for (const [what, request, expected] of cases) {
        const verdict = check.verifyWithCachedKey(request);
        expect(verdict, what).toBe(expected);
        if (verdict === "undecided" || what === "a forged and a good signature") continue;
        // Fedify, with no cache and the key at hand, agrees.
        const key = await verifyRequest(request.clone(), {
          documentLoader: server.documentLoader,
          contextLoader,
          timeWindow,
        });
        expect(key !== null, what).toBe(verdict === "valid");
      }
      advance(31);
      expect(check.verifyWithCachedKey(forged)).toBe("undecided");
      expect(check.verifyWithCachedKey(genuine)).toBe("valid");
    });

    it("leaves unknown keys and non-RSA keys to verifyRequest", async () => {
      const { check } = await primed();
      const stranger = await testKeyPair("RSASSA-PKCS1-v1_5");
      const strangerId = new URL("https://elsewhere.example/users/bob#main-key");
      const unknown = await signRequest(
        new Request(inbox, { method: "POST", body: "{}" }),
        stranger.privateKey,
        strangerId,
        { spec: draft },
      );
      expect(check.verifyWithCachedKey(unknown)).toBe("undecided");
      // A key Fedify would not verify draft-cavage signatures with as RSA-SHA256.
      const ed25519 = await testKeyPair("Ed25519");
      await check.keyCache.set(
        strangerId,
        new CryptographicKey({ id: strangerId, owner, publicKey: ed25519.publicKey }),
      );
      expect(check.verifyWithCachedKey(unknown)).toBe("undecided");
      // And a request with no signature at all.
      expect(check.verifyWithCachedKey(new Request(inbox, { method: "POST" }))).toBe("undecided");
    });
  });
});
