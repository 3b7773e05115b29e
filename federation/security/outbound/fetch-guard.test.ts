import { afterEach, describe, expect, it } from "vitest";
import { guardFetch, RETRY_AFTER_HEADER, withDeadlines } from "./fetch-guard.ts";
import { type LoopbackServer, startServer } from "./loopback.fixture.ts";

const servers: LoopbackServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(...args: Parameters<typeof startServer>): Promise<LoopbackServer> {
  const started = await startServer(...args);
  servers.push(started);
  return started;
}

const short = { connectMs: 1_000, headersMs: 1_000, totalMs: 1_500 };
const guarded = guardFetch(globalThis.fetch, { allowPrivateAddress: true, deadlines: short });

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

describe("deadlines", () => {
  it("gives up on a peer that accepts the connection and never answers", async () => {
    const silent = await server(() => new Promise(() => {}));
    const { ms, error } = await timed(
      guarded(silent.url("/inbox"), { method: "POST", body: "{}" }),
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
    const { ms, error } = await timed(guarded(trickle.url("/note")));
    expect(error).toBeInstanceOf(Error);
    expect(ms).toBeGreaterThanOrEqual(1_400);
    expect(ms).toBeLessThan(5_000);
  });

  it("applies the deadlines of the scope a request is made in", async () => {
    const slow = await server(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      if (!res.destroyed) res.writeHead(202).end();
    });
    const patient = { connectMs: 1_000, headersMs: 10_000, totalMs: 10_000 };
    const answer = await withDeadlines(patient, () => guarded(slow.url("/inbox")));
    expect(answer.status).toBe(202);
    const { error } = await timed(guarded(slow.url("/inbox")));
    expect(error).toBeInstanceOf(Error);
  });
});

describe("Retry-After on a delivery's answer", () => {
  it("is handed on under another name, hidden from Fedify", async () => {
    const busy = await server((_req, res) => res.writeHead(429, { "retry-after": "3600" }).end());
    const answer = await guarded(busy.url("/inbox"), { method: "POST", body: "{}" });
    expect(answer.status).toBe(429);
    expect(answer.headers.get("retry-after")).toBeNull();
    expect(answer.headers.get(RETRY_AFTER_HEADER)).toBe("3600");
  });

  it("is left alone on a GET", async () => {
    const busy = await server((_req, res) => res.writeHead(503, { "retry-after": "5" }).end());
    const answer = await guarded(busy.url("/note"));
    expect(answer.headers.get("retry-after")).toBe("5");
  });
});
