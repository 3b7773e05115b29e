/**
 * The fan-out benchmark's "remote servers": N plain node:http servers on
 * 127.0.0.1 (one port each, so N origins), each standing for a fediverse
 * server whose followers share one shared inbox.
 *
 * Every POST is verified with Fedify's `verifyRequest` (either signature
 * flavour, as Fedify's own inbox does); the key is fetched from the instance
 * with Fedify's `getDocumentLoader({ allowPrivateAddress: true })` behind a
 * small in-memory cache (documents and parsed keys), so each benchmark
 * configuration fetches it once, as a real server with a key cache would.
 * Only verified deliveries count; each one is reported to the parent with the
 * wall-clock time its request arrived.
 *
 * Runs as a child process of bench/fanout.ts (IPC), so that verifying 100
 * signatures does not compete with the instance's own event loop.
 */
import "../src/polyfill.ts";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type KeyCache, verifyRequest } from "@fedify/fedify";
import type { CryptographicKey, Multikey } from "@fedify/vocab";
import {
  type DocumentLoader,
  getDocumentLoader,
  preloadedContexts,
  type RemoteDocument,
} from "@fedify/vocab-runtime";

/** Parent → farm. */
export type FarmCommand =
  /** `hanging` more servers accept connections and never answer. */
  | { readonly type: "start"; readonly servers: number; readonly hanging?: number }
  /** Forget cached keys (a new instance, a new key id). Answered with "reset-done". */
  | { readonly type: "reset" }
  | { readonly type: "stop" };

/** Farm → parent. */
export type FarmEvent =
  | {
      readonly type: "ready";
      readonly ports: readonly number[];
      readonly hangingPorts: readonly number[];
    }
  | {
      readonly type: "delivery";
      readonly port: number;
      readonly activityType: string;
      /** The activity's object id, for Create/Update/Delete. */
      readonly object: string | null;
      /** Wall-clock ms (performance.timeOrigin + now) when the request arrived. */
      readonly arrivedAt: number;
      /** Wall-clock ms when its signature had been verified. */
      readonly verifiedAt: number;
      readonly spec: "rfc9421" | "draft-cavage";
    }
  | { readonly type: "rejected"; readonly port: number; readonly reason: string }
  | { readonly type: "reset-done"; readonly keyFetches: number };

function send(event: FarmEvent): void {
  process.send?.(event);
}

const baseLoader = getDocumentLoader({ allowPrivateAddress: true });
let cache = new Map<string, Promise<RemoteDocument>>();
/** Network fetches since the last reset (preloaded JSON-LD contexts excluded). */
let keyFetches = 0;

const cachedLoader: DocumentLoader = (url, options) => {
  const key = url.replace(/#.*$/, "");
  let hit = cache.get(key);
  if (hit === undefined) {
    if (!Object.hasOwn(preloadedContexts, url)) keyFetches++;
    hit = baseLoader(url, options);
    cache.set(key, hit);
    const current = cache;
    hit.catch(() => current.delete(key));
  }
  return hit;
};

let keys = new Map<string, CryptographicKey | Multikey>();
const keyCache: KeyCache = {
  async get(keyId) {
    return keys.get(keyId.href);
  },
  async set(keyId, key) {
    // Failures are not remembered: a failed fetch is retried.
    if (key !== null) keys.set(keyId.href, key);
  },
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function objectIdOf(activity: Record<string, unknown>): string | null {
  const object = activity.object;
  if (typeof object === "string") return object;
  if (typeof object === "object" && object !== null) {
    const id = (object as Record<string, unknown>).id;
    return typeof id === "string" ? id : null;
  }
  return null;
}

function actorIdOf(activity: Record<string, unknown>): string | null {
  const actor = activity.actor;
  if (typeof actor === "string") return actor;
  if (typeof actor === "object" && actor !== null) {
    const id = (actor as Record<string, unknown>).id;
    return typeof id === "string" ? id : null;
  }
  return null;
}

function startInbox(): Promise<Server> {
  const server = createServer(async (req, res) => {
    const arrivedAt = performance.timeOrigin + performance.now();
    const port = (server.address() as AddressInfo).port;
    if (req.method !== "POST") {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readBody(req);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string") headers.set(name, value);
        else if (Array.isArray(value)) headers.set(name, value.join(", "));
      }
      const request = new Request(new URL(req.url ?? "/", `http://127.0.0.1:${port}`), {
        method: "POST",
        headers,
        body: new Uint8Array(body),
      });
      const key = await verifyRequest(request, {
        documentLoader: cachedLoader,
        contextLoader: cachedLoader,
        keyCache,
      });
      if (key === null) {
        send({ type: "rejected", port, reason: "signature did not verify" });
        res.writeHead(401).end();
        return;
      }
      const activity = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
      // The key must belong to the activity's actor, as a real server checks.
      if (key.ownerId === null || key.ownerId.href !== actorIdOf(activity)) {
        send({ type: "rejected", port, reason: `key ${key.id?.href} is not the actor's` });
        res.writeHead(401).end();
        return;
      }
      const verifiedAt = performance.timeOrigin + performance.now();
      send({
        type: "delivery",
        port,
        activityType: String(activity.type),
        object: objectIdOf(activity),
        arrivedAt,
        verifiedAt,
        spec: headers.has("signature-input") ? "rfc9421" : "draft-cavage",
      });
      res.writeHead(202).end();
    } catch (error) {
      send({ type: "rejected", port, reason: String(error) });
      if (!res.headersSent) res.writeHead(400);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const servers: Server[] = [];
const hanging: Server[] = [];

/** A server that takes every request and never answers it, as a stuck peer does. */
function startHanging(): Promise<Server> {
  const server = createServer(() => {});
  // Node would close an idle request after its own timeouts; a stuck peer does not.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 0;
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

process.on("message", async (command: FarmCommand) => {
  switch (command.type) {
    case "start": {
      for (let i = 0; i < command.servers; i++) servers.push(await startInbox());
      for (let i = 0; i < (command.hanging ?? 0); i++) hanging.push(await startHanging());
      const portOf = (s: Server) => (s.address() as AddressInfo).port;
      send({ type: "ready", ports: servers.map(portOf), hangingPorts: hanging.map(portOf) });
      break;
    }
    case "reset": {
      send({ type: "reset-done", keyFetches });
      cache = new Map();
      keys = new Map();
      keyFetches = 0;
      break;
    }
    case "stop": {
      for (const server of [...servers, ...hanging]) server.closeAllConnections();
      await Promise.all(
        [...servers, ...hanging].map(
          (s) => new Promise<void>((resolve) => s.close(() => resolve())),
        ),
      );
      process.disconnect?.();
      process.exit(0);
    }
  }
});
// If the parent dies, do not linger.
process.on("disconnect", () => process.exit(0));
