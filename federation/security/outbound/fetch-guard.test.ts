import { afterEach, describe, expect, it } from "vitest";
import { DisallowedUrlError, type HostLookup } from "./address-policy.ts";
import {
  createOutboundNetwork,
  type OutboundNetwork,
  type OutboundNetworkOptions,
  RETRY_AFTER_HEADER,
  RedirectRefusedError,
} from "./fetch-guard.ts";
import { type LoopbackServer, startServer } from "./loopback.fixture.ts";

const servers: LoopbackServer[] = [];
const networks: OutboundNetwork[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(networks.splice(0).map((network) => network.close()));
});

async function server(...args: Parameters<typeof startServer>): Promise<LoopbackServer> {
  const started = await startServer(...args);
  servers.push(started);
  return started;
}

const short = { connectMs: 1_000, headersMs: 1_000, totalMs: 1_500 };

function network(options: Partial<OutboundNetworkOptions> = {}): OutboundNetwork {
  const created = createOutboundNetwork({
    allowPrivateAddress: true,
    deadlines: short,
    ...options,
  });
  networks.push(created);
  return created;
}

/** Milliseconds until `request` settles, and how. */
async function timed(request: Promise<Response>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  let error: unknown = null;
  try {
    await (await request).text();
  } catch (e) {
    error = e;
  }
  return { ms: Date.now() - started, error };
}

/** The error a request ends with, with fetch's "fetch failed" wrapper taken off. */
async function failure(request: Promise<Response>): Promise<unknown> {
  try {
    await (await request).text();
  } catch (error) {
    let cause: unknown = error;
    while (cause instanceof TypeError && cause.cause !== undefined) cause = cause.cause;
    return cause;
  }
  throw new Error("the request succeeded");
}

/** Every name given resolves to 127.0.0.1, as a hostile DNS server could make it. */
const toLoopback: HostLookup = async () => ["127.0.0.1"];

describe("deadlines", () => {
  it("gives up on a peer that accepts the connection and never answers", async () => {
    const silent = await server(() => new Promise(() => {}));
    const { ms, error } = await timed(
      network().fetch(silent.url("/inbox"), { method: "POST", body: "{}" }),
    );
    expect(error).toBeInstanceOf(Error);
    expect(ms).toBeLessThan(5_000);
    expect(silent.requests).toHaveLength(1);
  });

  it("bounds the whole request, a body that trickles included", async () => {
    const trickle = await server(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/activity+json" });
      for (let i = 0; i < 100; i++) {
        if (res.destroyed) return;
        res.write(" ");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      res.end("{}");
    });
    const { ms, error } = await timed(network().fetch(trickle.url("/note")));
    expect(error).toBeInstanceOf(Error);
    expect(ms).toBeGreaterThanOrEqual(1_400);
    expect(ms).toBeLessThan(5_000);
  });

  it("each network has its own deadlines", async () => {
    const slow = await server(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      if (!res.destroyed) res.writeHead(202).end();
    });
    const patient = network({
      deadlines: { connectMs: 1_000, headersMs: 10_000, totalMs: 10_000 },
    });
    expect((await patient.fetch(slow.url("/inbox"))).status).toBe(202);
    const { error } = await timed(network().fetch(slow.url("/inbox")));
    expect(error).toBeInstanceOf(Error);
  });
});

describe("answers to deliveries", () => {
  it("hands Retry-After on under another name, hidden from Fedify", async () => {
    const busy = await server((_req, res) => res.writeHead(429, { "retry-after": "3600" }).end());
    const answer = await network().fetch(busy.url("/inbox"), { method: "POST", body: "{}" });
    expect(answer.status).toBe(429);
    expect(answer.headers.get("retry-after")).toBeNull();
    expect(answer.headers.get(RETRY_AFTER_HEADER)).toBe("3600");
  });

  it("leaves Retry-After alone on a GET", async () => {
    const busy = await server((_req, res) => res.writeHead(503, { "retry-after": "5" }).end());
    const answer = await network().fetch(busy.url("/note"));
    expect(answer.headers.get("retry-after")).toBe("5");
  });

  it("refuses a redirect answering a POST: the body is not re-sent anywhere", async () => {
    const elsewhere = await server((_req, res) => res.writeHead(202).end());
    const redirecting = await server((_req, res) =>
      res.writeHead(307, { location: elsewhere.url("/inbox") }).end(),
    );
    const error = await failure(
      network().fetch(redirecting.url("/inbox"), {
        method: "POST",
        body: "{}",
        redirect: "manual",
      }),
    );
    expect(error).toBeInstanceOf(RedirectRefusedError);
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe("addresses are checked when connecting", () => {
  it("refuses a name that resolves to a private address: the server gets nothing", async () => {
    const target = await server((_req, res) => res.writeHead(200).end("{}"));
    const strict = network({ allowPrivateAddress: false, lookup: toLoopback });
    const error = await failure(strict.fetch(`http://rebound.example:${target.port}/note`));
    expect(error).toBeInstanceOf(DisallowedUrlError);
    expect((error as DisallowedUrlError).reason).toBe("non-public-address");
    expect(target.requests).toHaveLength(0);
    // The same name, where private addresses are allowed, reaches the server.
    const open = network({ allowPrivateAddress: true, lookup: toLoopback });
    expect((await open.fetch(`http://rebound.example:${target.port}/note`)).status).toBe(200);
    expect(target.requests).toHaveLength(1);
  });

  it("judges the answer the connection uses, not an earlier one (DNS rebinding)", async () => {
    const target = await server((_req, res) => res.writeHead(200).end("{}"));
    // A public answer first (what a check ahead of the request would see),
    // loopback afterwards.
    let asked = 0;
    const rebinding: HostLookup = async () => (asked++ === 0 ? ["93.184.215.14"] : ["127.0.0.1"]);
    await rebinding("rebind.example");
    const strict = network({ allowPrivateAddress: false, lookup: rebinding });
    const error = await failure(strict.fetch(`http://rebind.example:${target.port}/note`));
    expect(error).toBeInstanceOf(DisallowedUrlError);
    expect(target.requests).toHaveLength(0);
  });

  it("refuses private IP literals and localhost names without connecting", async () => {
    const target = await server((_req, res) => res.writeHead(200).end("{}"));
    const strict = network({ allowPrivateAddress: false });
    for (const url of [target.url("/note"), `http://localhost:${target.port}/note`]) {
      const error = await failure(strict.fetch(url));
      expect(error, url).toBeInstanceOf(DisallowedUrlError);
    }
    expect(target.requests).toHaveLength(0);
  });

  it("refuses hosts the federation policy refuses, before connecting", async () => {
    const target = await server((_req, res) => res.writeHead(200).end("{}"));
    const policed = network({
      lookup: toLoopback,
      isHostAllowed: async (url) => !url.hostname.endsWith("evil.example"),
    });
    const error = await failure(policed.fetch(`http://sub.evil.example:${target.port}/note`));
    expect(error).toBeInstanceOf(DisallowedUrlError);
    expect((error as DisallowedUrlError).reason).toBe("refused-host");
    expect(target.requests).toHaveLength(0);
    expect((await policed.fetch(`http://friend.example:${target.port}/note`)).status).toBe(200);
  });
});

describe("scopes", () => {
  it("the global fetch goes through a network only inside its run(), and is never replaced", async () => {
    const target = await server((_req, res) => res.writeHead(200).end("{}"));
    const before = globalThis.fetch;
    const strict = network({ allowPrivateAddress: false });
    expect(globalThis.fetch).toBe(before);
    // Inside: Fedify's own calls of the global fetch are checked.
    const inside = await strict.run(() => failure(globalThis.fetch(target.url("/note"))));
    expect(inside).toBeInstanceOf(DisallowedUrlError);
    expect(target.requests).toHaveLength(0);
    // Outside: the process's other requests are untouched.
    expect((await globalThis.fetch(target.url("/note"))).status).toBe(200);
  });
});
