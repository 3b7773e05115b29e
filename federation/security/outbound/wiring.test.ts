/**
 * The outbound pieces wired into a real Fedify 2.3.6 federation the way the
 * server wires them, delivering to real loopback inboxes.
 */

import {
  createExponentialBackoffPolicy,
  createFederation,
  InProcessMessageQueue,
  MemoryKvStore,
  type RetryPolicy,
} from "@fedify/fedify";
import { Create, Note } from "@fedify/vocab";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { testKeyPair } from "../../../test/helpers/test-keys.ts";
import { createDeliveryGuard, guardMessageQueue } from "./delivery-guard.ts";
import { createOutboundLoaderFactories } from "./document-loader.ts";
import { type LoopbackServer, note, sendJson, startServer } from "./loopback.fixture.ts";

const ORIGIN = new URL("https://bayanihan.example");
const GROUP = new URL("/groups/g1", ORIGIN);
const KEY_ID = new URL("/groups/g1#main-key", ORIGIN);
let keys: CryptoKeyPair;

beforeAll(async () => {
  keys = await testKeyPair("RSASSA-PKCS1-v1_5");
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(...args: Parameters<typeof startServer>): Promise<LoopbackServer> {
  const started = await startServer(...args);
  cleanups.push(() => started.close());
  return started;
}

const fastRetries: RetryPolicy = createExponentialBackoffPolicy({
  initialDelay: { milliseconds: 20 },
  maxAttempts: 2,
  jitter: false,
});

function instance(options: { allowPrivateAddress: boolean; retryPolicy?: RetryPolicy }) {
  const refused: string[] = [];
  const guard = createDeliveryGuard({
    allowPrivateAddress: options.allowPrivateAddress,
    onRefused: (inbox) => refused.push(inbox.href),
  });
  const federation = createFederation<void>({
    kv: new MemoryKvStore(),
    origin: ORIGIN.href,
    queue: guardMessageQueue(new InProcessMessageQueue(), guard),
    manuallyStartQueue: true,
    ...createOutboundLoaderFactories({ allowPrivateAddress: options.allowPrivateAddress }),
    outboxRetryPolicy: options.retryPolicy ?? fastRetries,
    // Loopback peers that fail on purpose would otherwise trip it.
    circuitBreaker: false,
  });
  const controller = new AbortController();
  const worker = federation.startQueue(undefined, { signal: controller.signal });
  cleanups.push(async () => {
    controller.abort();
    await worker;
  });
  const ctx = federation.createContext(ORIGIN, undefined);
  const send = (inbox: string, n = 1) =>
    ctx.sendActivity(
      { keyId: KEY_ID, privateKey: keys.privateKey },
      { id: new URL("/users/friend", inbox), inboxId: new URL(inbox) },
      new Create({
        id: new URL(`/activities/${n}`, ORIGIN),
        actor: GROUP,
        object: new Note({ id: new URL(`/proposals/${n}`, ORIGIN), content: "Offer: rice" }),
      }),
    );
  return { federation, ctx, send, refused };
}

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe("createFederation with our loader factories", () => {
  it("refuses Fedify's allowPrivateAddress together with custom factories", () => {
    expect(() =>
      createFederation<void>({
        kv: new MemoryKvStore(),
        allowPrivateAddress: true,
        ...createOutboundLoaderFactories({ allowPrivateAddress: true }),
      }),
    ).toThrow(/Cannot set documentLoaderFactory with allowPrivateAddress/);
  });

  it("uses them for lookups: loopback allowed only by our own switch", async () => {
    // Fedify drops an object whose id is on another origin than its URL.
    const peer = await server((req, res) =>
      sendJson(res, note(`http://${req.headers.host}${req.url}`)),
    );
    const open = instance({ allowPrivateAddress: true });
    const found = await open.ctx.lookupObject(peer.url("/notes/1"));
    expect(found).toBeInstanceOf(Note);

    const strict = instance({ allowPrivateAddress: false });
    expect(await strict.ctx.lookupObject(peer.url("/notes/1"))).toBeNull();
    expect(peer.requests).toHaveLength(1);
  });
});

describe("deliveries through the guarded queue", () => {
  it("never POSTs to a private inbox when private addresses are disallowed", async () => {
    const inbox = await server((_req, res) => res.writeHead(202).end());
    const strict = instance({ allowPrivateAddress: false });
    await strict.send(inbox.url("/inbox"));
    await strict.send("http://169.254.169.254/latest/meta-data/", 2);
    await eventually(() => strict.refused.length === 2);
    await settle();
    expect(strict.refused).toEqual([
      inbox.url("/inbox"),
      "http://169.254.169.254/latest/meta-data/",
    ]);
    expect(inbox.requests).toHaveLength(0);
  });

  it("delivers to loopback when ALLOW_PRIVATE_ADDRESS is on", async () => {
    const inbox = await server((_req, res) => res.writeHead(202).end());
    const open = instance({ allowPrivateAddress: true });
    await open.send(inbox.url("/inbox"));
    await eventually(() => inbox.requests.length === 1);
    expect(inbox.requests[0]!.method).toBe("POST");
    expect(JSON.parse(inbox.requests[0]!.body).id).toBe(new URL("/activities/1", ORIGIN).href);
  });

  it("GAP: Fedify re-POSTs a delivery to wherever the inbox redirects, unchecked", async () => {
    // The queued inbox passes the guard; the redirect target is never seen by it.
    const internal = await server((_req, res) => res.writeHead(202).end());
    const inbox = await server((_req, res) =>
      res.writeHead(302, { Location: internal.url("/admin/hook") }).end(),
    );
    const open = instance({ allowPrivateAddress: true });
    await open.send(inbox.url("/inbox"));
    await eventually(() => internal.requests.length >= 1);
    const forwarded = internal.requests[0]!;
    // Even for a 302 the method stays POST and the signed body goes along.
    expect(forwarded.method).toBe("POST");
    expect(forwarded.path).toBe("/admin/hook");
    expect(JSON.parse(forwarded.body).type).toBe("Create");
    expect(forwarded.headers["signature-input"] ?? forwarded.headers.signature).toBeDefined();
  });
});
