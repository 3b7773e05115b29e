import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createFederation, type Federation, MemoryKvStore, signRequest } from "@fedify/fedify";
import { Activity, Endpoints, Follow, Person, Undo } from "@fedify/vocab";
import { testKeyPair } from "./test-keys.ts";

export interface ReceivedActivity {
  /** The activity as Fedify parsed it, after verifying its signature. */
  readonly activity: Activity;
  /** The exact JSON that arrived on the wire. */
  readonly json: Record<string, unknown>;
}

/**
 * Another fediverse server on its own loopback address with one person,
 * `alice`, built on plain Fedify: it signs what it sends, and its inbox only
 * records activities whose signatures verified. `wire` keeps every raw
 * request body that reached it, verified or not.
 */
export interface RemoteActor {
  readonly origin: URL;
  readonly actorId: URL;
  readonly inbox: URL;
  readonly sharedInbox: URL;
  readonly received: ReceivedActivity[];
  readonly wire: string[];
  /** The path of every GET that reached this server, in order. */
  readonly gets: string[];
  follow(target: { id: URL; inbox: URL }): Promise<Follow>;
  unfollow(target: { id: URL; inbox: URL }, follow: Follow): Promise<void>;
  /** POSTs raw JSON signed with alice's RSA key, for activities Fedify would not build. */
  postSigned(url: URL, json: unknown): Promise<Response>;
  /** Alice's RSA key, for tests that sign requests by hand (headers Fedify would not choose). */
  rsaKey(): Promise<{ privateKey: CryptoKey; keyId: URL }>;
  /** A GET signed with alice's key (authorized fetch), through Fedify's authenticated loader. */
  fetchSigned(url: URL | string): Promise<unknown>;
  /** Serves `json` at `path` on this server (GET), for objects Fedify has no dispatcher for. */
  publish(path: string, json: unknown): URL;
  /** A GET with `Accept: application/activity+json`, like a plain-JSON reader such as Mastodon. */
  fetchJson(url: URL | string): Promise<{ status: number; contentType: string; json: unknown }>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * `name`: the host name its ids use instead of `host` (the instance under
 * test must resolve it to `host`, see InstanceOptions.lookup).
 */
export async function startRemoteActor(
  host = "127.0.0.2",
  options: { name?: string } = {},
): Promise<RemoteActor> {
  const received: ReceivedActivity[] = [];
  const wire: string[] = [];
  const gets: string[] = [];
  const keys = await Promise.all([testKeyPair("RSASSA-PKCS1-v1_5"), testKeyPair("Ed25519")]);
  let federation: Federation<void> | null = null;
  const documents = new Map<string, string>();

  const server: Server = createServer(async (req, res) => {
    const body = req.method === "POST" ? await readBody(req) : undefined;
    if (body !== undefined) wire.push(body.toString("utf8"));
    const url = new URL(req.url ?? "/", origin);
    if (req.method === "GET") gets.push(url.pathname);
    const document = req.method === "GET" ? documents.get(url.pathname) : undefined;
    if (document !== undefined) {
      res.writeHead(200, { "content-type": "application/activity+json" });
      res.end(document);
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(name, value);
      else if (Array.isArray(value)) headers.set(name, value.join(", "));
    }
    const request = new Request(url, {
      method: req.method ?? "GET",
      headers,
      ...(body !== undefined ? { body: new Uint8Array(body) } : {}),
    });
    const response = await federation!.fetch(request, { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const origin = new URL(
    `http://${options.name ?? host}:${(server.address() as AddressInfo).port}`,
  );

  // Test-only peer: loopback addresses are the whole point here.
  federation = createFederation<void>({
    kv: new MemoryKvStore(),
    origin: origin.href,
    allowPrivateAddress: true,
  });
  federation
    .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
      if (identifier !== "alice") return null;
      const pairs = await ctx.getActorKeyPairs(identifier);
      return new Person({
        id: ctx.getActorUri(identifier),
        preferredUsername: identifier,
        name: "Alice",
        inbox: ctx.getInboxUri(identifier),
        endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
        publicKey: pairs[0]?.cryptographicKey ?? null,
        assertionMethods: pairs.map((p) => p.multikey),
      });
    })
    .setKeyPairsDispatcher(
      async (_ctx, identifier): Promise<CryptoKeyPair[]> => (identifier === "alice" ? keys : []),
    );
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Activity, async (_ctx, activity) => {
      received.push({ activity, json: (await activity.toJsonLd()) as Record<string, unknown> });
    });

  const ctx = federation.createContext(origin, undefined);
  const actorId = ctx.getActorUri("alice");
  let sequence = 0;

  return {
    origin,
    actorId,
    inbox: ctx.getInboxUri("alice"),
    sharedInbox: ctx.getInboxUri(),
    received,
    wire,
    gets,
    async follow(target) {
      const follow = new Follow({
        id: new URL(`${origin.href}follows/${++sequence}`),
        actor: actorId,
        object: target.id,
      });
      await ctx.sendActivity(
        { identifier: "alice" },
        { id: target.id, inboxId: target.inbox },
        follow,
      );
      return follow;
    },
    async unfollow(target, follow) {
      const undo = new Undo({
        id: new URL(`${origin.href}follows/${sequence}/undo`),
        actor: actorId,
        object: follow,
      });
      await ctx.sendActivity(
        { identifier: "alice" },
        { id: target.id, inboxId: target.inbox },
        undo,
      );
    },
    async postSigned(url, json) {
      const [rsa] = await ctx.getActorKeyPairs("alice");
      const request = new Request(url, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: JSON.stringify(json),
      });
      return fetch(await signRequest(request, rsa!.privateKey, rsa!.keyId, { spec: "rfc9421" }));
    },
    async rsaKey() {
      const [rsa] = await ctx.getActorKeyPairs("alice");
      return { privateKey: rsa!.privateKey, keyId: rsa!.keyId };
    },
    async fetchSigned(url) {
      const loader = await ctx.getDocumentLoader({ identifier: "alice" });
      return (await loader(String(url))).document;
    },
    publish(path, json) {
      const url = new URL(path, origin);
      documents.set(url.pathname, JSON.stringify(json));
      return url;
    },
    async fetchJson(url) {
      const response = await fetch(url, { headers: { accept: "application/activity+json" } });
      const contentType = response.headers.get("content-type") ?? "";
      const text = await response.text();
      let json: unknown = null;
      try {
        json = text === "" ? null : JSON.parse(text);
      } catch {
        // Error pages may be plain text; the status says what happened.
      }
      return { status: response.status, contentType, json };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
