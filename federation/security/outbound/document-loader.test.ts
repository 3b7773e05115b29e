import { getDocumentLoader, MemoryKvStore, verifyRequest } from "@fedify/fedify";
import { CryptographicKey } from "@fedify/vocab";
import type { DocumentLoader } from "@fedify/vocab-runtime";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { testKeyPair } from "../../../test/helpers/test-keys.ts";
import { DisallowedUrlError, type HostLookup } from "./address-policy.ts";
import {
  ACCEPT_HEADER,
  createAuthenticatedDocumentLoaderFactory,
  createDocumentLoaderFactory,
  DEFAULT_MAX_BYTES,
  RefusedDocumentError,
} from "./document-loader.ts";
import { createOutboundNetwork, type OutboundNetwork } from "./fetch-guard.ts";
import {
  type LoopbackServer,
  note,
  type StreamProgress,
  sendJson,
  startServer,
  streamSlowly,
} from "./loopback.fixture.ts";

const servers: LoopbackServer[] = [];
async function server(...args: Parameters<typeof startServer>): Promise<LoopbackServer> {
  const started = await startServer(...args);
  servers.push(started);
  return started;
}
const networks: OutboundNetwork[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(networks.splice(0).map((n) => n.close()));
});

const loopbackLoader = (extra: Partial<Parameters<typeof createDocumentLoaderFactory>[0]> = {}) =>
  createDocumentLoaderFactory({ allowPrivateAddress: true, ...extra })();

const MiB = 1024 * 1024;
const TWENTY_MB = 20 * 1000 * 1000;

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe("address policy in the loader", () => {
  it("refuses 127.0.0.1 before connecting when private addresses are disallowed", async () => {
    const target = await server((_req, res) => sendJson(res, note("x")));
    const load = createDocumentLoaderFactory({ allowPrivateAddress: false })();
    const error = await failure(load(target.url("/notes/1")));
    expect(error).toBeInstanceOf(DisallowedUrlError);
    expect(target.requests).toHaveLength(0);
  });

  it("refuses a host name that resolves to a private address", async () => {
    const target = await server((_req, res) => sendJson(res, note("x")));
    const lookup: HostLookup = async () => ["127.0.0.1"];
    const load = createDocumentLoaderFactory({ allowPrivateAddress: false, lookup })();
    const error = await failure(load(`http://friendly.example:${target.port}/notes/1`));
    expect((error as DisallowedUrlError).reason).toBe("non-public-address");
    expect(target.requests).toHaveLength(0);
  });

  it("refuses a redirect to a private address, without requesting it", async () => {
    const internal = await server((_req, res) => sendJson(res, { secret: true }));
    const entry = await server((_req, res) => {
      res.writeHead(302, { Location: internal.url("/latest/meta-data") }).end();
    });
    // public.example stands for a real public host: routed to the loopback
    // entry server unchecked; everything else goes through a strict network.
    const strict = createOutboundNetwork({ allowPrivateAddress: false });
    networks.push(strict);
    const routed: typeof fetch = (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      if (url.hostname !== "public.example") return strict.fetch(request, init);
      url.hostname = "127.0.0.1";
      url.port = String(entry.port);
      return fetch(new Request(url, request), init);
    };
    const load = createDocumentLoaderFactory({ allowPrivateAddress: false, fetch: routed })();
    const error = await failure(load("http://public.example/notes/1"));
    expect(error).toBeInstanceOf(DisallowedUrlError);
    expect(entry.requests).toHaveLength(1);
    expect(internal.requests).toHaveLength(0);
  });
});

describe("bounded loading (private addresses allowed, as on a test machine)", () => {
  it("loads an ActivityStreams document with the ActivityPub Accept header", async () => {
    const target = await server((req, res) => sendJson(res, note(`http://x${req.url}`)));
    const result = await loopbackLoader()(target.url("/notes/1"));
    expect(result).toEqual({
      contextUrl: null,
      document: note("http://x/notes/1"),
      documentUrl: target.url("/notes/1"),
    });
    expect(target.requests[0]!.headers.accept).toBe(ACCEPT_HEADER);
    expect(target.requests[0]!.headers["user-agent"]).toMatch(/Fedify/);
  });

  it("refuses a document holding U+0000 or a lone surrogate, which no database can store", async () => {
    const target = await server((req, res) => {
      const text = req.url === "/nul" ? "Rice\\u0000" : req.url === "/surrogate" ? "\\ud800" : "ok";
      res.writeHead(200, { "content-type": "application/activity+json" });
      res.end(`{"id":"http://x${req.url}","type":"Note","content":"${text}"}`);
    });
    const load = loopbackLoader();
    for (const path of ["/nul", "/surrogate"]) {
      const refused = await failure(load(target.url(path)));
      expect(refused).toBeInstanceOf(RefusedDocumentError);
      expect(refused.message).toMatch(/U\+0000 or a lone surrogate/);
    }
    await expect(load(target.url("/fine"))).resolves.toMatchObject({ document: { content: "ok" } });
  });

  it("accepts ld+json with a profile; plain application/json only as a JSON-LD context", async () => {
    const target = await server((req, res) =>
      sendJson(
        res,
        { subject: "acct:a@x", path: req.url },
        req.url === "/ld"
          ? 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
          : "application/json; charset=utf-8",
      ),
    );
    const load = loopbackLoader();
    await expect(load(target.url("/ld"))).resolves.toMatchObject({ document: { path: "/ld" } });
    // An object or an actor served as plain JSON is not ActivityPub.
    const refused = await failure(load(target.url("/actor")));
    expect(refused).toBeInstanceOf(RefusedDocumentError);
    expect(refused.message).toMatch(/content type: application\/json/);
    const contexts = loopbackLoader({ accept: "context" });
    await expect(contexts(target.url("/context"))).resolves.toMatchObject({
      document: { path: "/context" },
    });
  });

  it("keeps what it read as a context apart from documents in the cache", async () => {
    const target = await server((req, res) =>
      sendJson(res, { id: `http://x${req.url}`, type: "Person" }, "application/json"),
    );
    const kv = new MemoryKvStore();
    const contexts = createDocumentLoaderFactory({
      allowPrivateAddress: true,
      kv,
      accept: "context",
    })();
    const documents = createDocumentLoaderFactory({ allowPrivateAddress: true, kv })();
    await contexts(target.url("/users/a"));
    expect(await failure(documents(target.url("/users/a")))).toBeInstanceOf(RefusedDocumentError);
  });

  it("refuses text/html and responses without a content type", async () => {
    const target = await server((req, res) => {
      if (req.url === "/html") {
        res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
        res.end('<html><link rel="alternate" type="application/activity+json" href="/x"></html>');
      } else {
        res.writeHead(200);
        res.end("{}");
      }
    });
    const load = loopbackLoader();
    expect((await failure(load(target.url("/html")))).message).toMatch(/content type: text\/html/);
    expect((await failure(load(target.url("/none")))).message).toMatch(/content type: \(none\)/);
    // In particular the HTML's rel=alternate link was not followed.
    expect(target.requests.map((r) => r.path)).toEqual(["/html", "/none"]);
  });

  it("aborts a chunked response past 1 MiB without reading the rest", async () => {
    const progress: StreamProgress = { written: 0, finished: false };
    const target = await server(async (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/activity+json" });
      await streamSlowly(res, TWENTY_MB, progress);
    });
    const error = await failure(loopbackLoader()(target.url("/huge")));
    expect(error.message).toMatch(/too large: more than 1048576 bytes/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(progress.finished).toBe(false);
    expect(progress.written).toBeLessThan(8 * MiB);
  });

  it("refuses on Content-Length before reading the body", async () => {
    const progress: StreamProgress = { written: 0, finished: false };
    const target = await server(async (_req, res) => {
      res.writeHead(200, {
        "Content-Type": "application/activity+json",
        "Content-Length": TWENTY_MB,
      });
      await streamSlowly(res, TWENTY_MB, progress);
    });
    const started = performance.now();
    const error = await failure(loopbackLoader()(target.url("/huge")));
    expect(error.message).toMatch(/Content-Length 20000000/);
    expect(performance.now() - started).toBeLessThan(1000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(progress.finished).toBe(false);
    expect(progress.written).toBeLessThan(8 * MiB);
  });

  it("gives up on a server that never answers after timeoutMs", async () => {
    const target = await server(() => {});
    const started = performance.now();
    const error = await failure(loopbackLoader({ timeoutMs: 300 })(target.url("/silent")));
    const elapsed = performance.now() - started;
    expect(error.message).toMatch(/Timed out after 300 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(2000);
  });

  it("also times out a body that trickles in forever", async () => {
    const target = await server(async (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/activity+json" });
      await streamSlowly(res, TWENTY_MB, { written: 0, finished: false }, 16, 50);
    });
    const started = performance.now();
    const error = await failure(loopbackLoader({ timeoutMs: 300 })(target.url("/trickle")));
    expect(error.message).toMatch(/Timed out/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("follows up to 3 redirects and reports the final URL", async () => {
    const target = await server((req, res) => {
      const hop = Number(req.url!.split("/").pop());
      if (hop < 3) res.writeHead(hop % 2 ? 301 : 307, { Location: `/hop/${hop + 1}` }).end();
      else sendJson(res, note("final"));
    });
    const result = await loopbackLoader()(target.url("/hop/0"));
    expect(result.documentUrl).toBe(target.url("/hop/3"));
    expect(target.requests).toHaveLength(4);
  });

  it("refuses a fourth redirect without following it", async () => {
    const target = await server((req, res) => {
      const hop = Number(req.url!.split("/").pop());
      res.writeHead(302, { Location: `/hop/${hop + 1}` }).end();
    });
    const error = await failure(loopbackLoader()(target.url("/hop/0")));
    expect(error.message).toMatch(/More than 3 redirects/);
    expect(target.requests.map((r) => r.path)).toEqual(["/hop/0", "/hop/1", "/hop/2", "/hop/3"]);
  });

  it("keeps the HTTP status for Fedify (404 means gone)", async () => {
    const target = await server((_req, res) => res.writeHead(404).end("no such actor"));
    const error = (await failure(loopbackLoader()(target.url("/gone")))) as Error & {
      response?: Response;
    };
    expect(error.response?.status).toBe(404);
  });

  it("serves Fedify's preloaded contexts without any request", async () => {
    const noNetwork: typeof fetch = () => Promise.reject(new Error("no network in this test"));
    const load = createDocumentLoaderFactory({ allowPrivateAddress: false, fetch: noNetwork })();
    for (const url of [
      "https://www.w3.org/ns/activitystreams",
      "https://w3id.org/security/v1",
      "https://w3id.org/security/data-integrity/v1",
      "https://w3id.org/security/multikey/v1",
    ]) {
      const result = await load(url);
      expect(result.documentUrl).toBe(url);
      expect(result.document).toHaveProperty("@context");
    }
  });

  it("caches documents in the KV store when given one, like Fedify's built-in loader", async () => {
    const target = await server((_req, res) => sendJson(res, note("cached")));
    const load = loopbackLoader({ kv: new MemoryKvStore() });
    await load(target.url("/notes/1"));
    await load(target.url("/notes/1"));
    expect(target.requests).toHaveLength(1);
  });
});

describe("the gap in plain Fedify 2.3.6", () => {
  const big = (id: string) => note(id, { content: "x".repeat(2 * MiB) });

  it("Fedify's loader reads a 2 MiB document whole; ours stops at 1 MiB", async () => {
    const target = await server((req, res) => sendJson(res, big(`http://x${req.url}`)));
    const fedify: DocumentLoader = getDocumentLoader({ allowPrivateAddress: true });
    const loaded = await fedify(target.url("/big"));
    expect((loaded.document as { content: string }).content).toHaveLength(2 * MiB);

    const error = await failure(loopbackLoader()(target.url("/big")));
    expect(error.message).toMatch(/too large/);
    expect(DEFAULT_MAX_BYTES).toBe(MiB);
  });

  it("Fedify's loader takes text/plain as JSON; ours refuses it", async () => {
    const target = await server((_req, res) => sendJson(res, note("plain"), "text/plain"));
    const fedify = getDocumentLoader({ allowPrivateAddress: true });
    await expect(fedify(target.url("/plain"))).resolves.toMatchObject({ document: note("plain") });
    const error = await failure(loopbackLoader()(target.url("/plain")));
    expect(error.message).toMatch(/content type: text\/plain/);
  });
});

describe("authenticated loader", () => {
  let keys: CryptoKeyPair;
  const keyId = new URL("https://bayanihan.example/groups/g1#main-key");

  beforeAll(async () => {
    keys = await testKeyPair("RSASSA-PKCS1-v1_5");
  });

  async function verifies(target: LoopbackServer, index: number, tamper = ""): Promise<boolean> {
    const seen = target.requests[index]!;
    const headers = new Headers();
    for (const [name, value] of Object.entries(seen.headers)) {
      if (typeof value === "string") headers.set(name, value);
    }
    const key = new CryptographicKey({
      id: keyId,
      owner: new URL("https://bayanihan.example/groups/g1"),
      publicKey: keys.publicKey,
    });
    const verified = await verifyRequest(
      new Request(target.url(seen.path + tamper), { method: seen.method, headers }),
      { keyCache: { get: async () => key, set: async () => {} } },
    );
    return verified !== null;
  }

  it("signs each request with Fedify's signRequest and double-knocks once", async () => {
    // Answers only draft-cavage signatures, like an older Mastodon.
    const target = await server((req, res) => {
      if (req.headers["signature-input"] !== undefined) return void res.writeHead(401).end();
      sendJson(res, note("members-only"));
    });
    const factory = createAuthenticatedDocumentLoaderFactory({ allowPrivateAddress: true });
    const load = factory({ keyId, privateKey: keys.privateKey });

    const result = await load(target.url("/notes/private"));
    expect(result.document).toEqual(note("members-only"));
    expect(target.requests).toHaveLength(2);
    expect(target.requests[0]!.headers["signature-input"]).toContain(keyId.href);
    expect(target.requests[1]!.headers.signature).toContain(`keyId="${keyId.href}"`);
    expect(await verifies(target, 0)).toBe(true);
    expect(await verifies(target, 1)).toBe(true);
    expect(await verifies(target, 1, "-forged")).toBe(false);
    expect(await verifies(target, 0, "-forged")).toBe(false);

    // The accepted flavour is remembered per origin.
    await load(target.url("/notes/private"));
    expect(target.requests).toHaveLength(3);
    expect(target.requests[2]!.headers["signature-input"]).toBeUndefined();
  });

  it("asks the federation policy at every hop: no request, signed or not, for a refused host", async () => {
    const blocked = await server((_req, res) => sendJson(res, note("from the blocked host")));
    const entry = await server((_req, res) => {
      res.writeHead(302, { Location: `http://sub.blocked.example:${blocked.port}/notes/1` }).end();
    });
    // Both names are served on loopback; the network itself is not told the policy,
    // so only the loader's own check stands between the redirect and the blocked host.
    const plain = createOutboundNetwork({
      allowPrivateAddress: true,
      lookup: async () => ["127.0.0.1"],
    });
    networks.push(plain);
    const sent: { url: string; signed: boolean }[] = [];
    const recording: typeof fetch = (input, init) => {
      const request = new Request(input, init);
      sent.push({
        url: request.url,
        signed: request.headers.has("signature-input") || request.headers.has("signature"),
      });
      return plain.fetch(request, init);
    };
    const load = createAuthenticatedDocumentLoaderFactory({
      allowPrivateAddress: true,
      fetch: recording,
      isHostAllowed: async (url) => !/(^|\.)blocked\.example$/.test(url.hostname),
    })({ keyId, privateKey: keys.privateKey });
    const error = await failure(load(`http://friend.example:${entry.port}/notes/1`));
    expect(error).toBeInstanceOf(DisallowedUrlError);
    expect((error as DisallowedUrlError).reason).toBe("refused-host");
    expect(entry.requests).toHaveLength(1);
    expect(blocked.requests).toHaveLength(0);
    // Nothing was signed for the blocked host: every request made was to the entry.
    expect(sent.map((s) => new URL(s.url).hostname)).toEqual(["friend.example"]);
    expect(sent[0]!.signed).toBe(true);
  });

  it("applies the same address policy and limits", async () => {
    const target = await server((_req, res) => sendJson(res, note("x")));
    const strict = createAuthenticatedDocumentLoaderFactory({ allowPrivateAddress: false })({
      keyId,
      privateKey: keys.privateKey,
    });
    expect(await failure(strict(target.url("/notes/1")))).toBeInstanceOf(DisallowedUrlError);
    expect(target.requests).toHaveLength(0);

    const silent = await server(() => {});
    const impatient = createAuthenticatedDocumentLoaderFactory({
      allowPrivateAddress: true,
      timeoutMs: 300,
    })({ keyId, privateKey: keys.privateKey });
    expect((await failure(impatient(silent.url("/x")))).message).toMatch(/Timed out/);
  });
});
