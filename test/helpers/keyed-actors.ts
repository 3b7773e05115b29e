import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signRequest } from "@fedify/fedify";
import { testKeyPair } from "./test-keys.ts";

export type SignatureSpec = "rfc9421" | "draft-cavage-http-signatures-12";

/** One key an actor lists: its id and the pair it signs with. */
export interface ListedKey {
  readonly id: URL;
  readonly pair: CryptoKeyPair;
}

/**
 * A person on a hand-built fediverse server whose keys the test controls:
 * the actor document lists exactly `keys`, and anything can be signed with
 * any key under any key id.
 */
export interface KeyedActor {
  readonly id: URL;
  readonly inbox: URL;
  /** The keys its document lists now (replace to rotate). */
  keys: ListedKey[];
  /** While true, its document and inbox answer 410 Gone. */
  gone: boolean;
  /** GETs of its actor document so far (with or without a fragment). */
  readonly documentReads: number;
  /** Activities POSTed to its inbox (any signature or none). */
  readonly received: Record<string, unknown>[];
  /** Its actor document as served now. */
  document(): Promise<Record<string, unknown>>;
  /** POSTs `json` to `url`, signed with `key` (by default its first listed key). */
  post(
    url: URL,
    json: unknown,
    options?: { spec?: SignatureSpec; key?: { id: URL; privateKey: CryptoKey } },
  ): Promise<Response>;
}

export interface KeyedActorServer {
  readonly origin: URL;
  /**
   * A new actor `name` with one RSA key `#main-key`: fresh, or `pair` (many
   * actors sharing one pair are cheap to make by the hundred).
   */
  actor(name: string, options?: { pair?: CryptoKeyPair }): Promise<KeyedActor>;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function pem(key: CryptoKey): Promise<string> {
  const spki = Buffer.from(await crypto.subtle.exportKey("spki", key)).toString("base64");
  const lines = spki.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join("\n")}\n-----END PUBLIC KEY-----\n`;
}

export function newRsaKey(id: URL): Promise<ListedKey> {
  return testKeyPair("RSASSA-PKCS1-v1_5").then((pair) => ({ id, pair }));
}

/** A server on its own loopback address; its actors count reads of their documents. */
export async function startKeyedActorServer(host: string): Promise<KeyedActorServer> {
  const actors = new Map<string, KeyedActor & { reads: number }>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", origin);
    const match = /^\/users\/([a-z0-9]+)(\/inbox)?$/.exec(url.pathname);
    const actor = match === null ? undefined : actors.get(match[1]!);
    if (actor === undefined) return void res.writeHead(404).end();
    if (match![2] !== undefined) {
      if (req.method !== "POST") return void res.writeHead(405).end();
      const body = await readBody(req);
      if (actor.gone) return void res.writeHead(410).end();
      try {
        actor.received.push(JSON.parse(body));
      } catch {
        // Not JSON: not an activity worth recording.
      }
      return void res.writeHead(202).end();
    }
    actor.reads++;
    if (actor.gone) {
      return void res.writeHead(410, { "content-type": "application/activity+json" }).end("{}");
    }
    res
      .writeHead(200, { "content-type": "application/activity+json" })
      .end(JSON.stringify(await actor.document()));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const origin = new URL(`http://${host}:${(server.address() as AddressInfo).port}`);

  return {
    origin,
    async actor(name, options = {}) {
      const id = new URL(`/users/${name}`, origin);
      const inbox = new URL(`/users/${name}/inbox`, origin);
      const actor = {
        id,
        inbox,
        keys: [
          options.pair === undefined
            ? await newRsaKey(new URL(`${id.href}#main-key`))
            : { id: new URL(`${id.href}#main-key`), pair: options.pair },
        ],
        gone: false,
        reads: 0,
        received: [] as Record<string, unknown>[],
        get documentReads() {
          return this.reads;
        },
        async document() {
          const keys = await Promise.all(
            actor.keys.map(async (key) => ({
              id: key.id.href,
              type: "CryptographicKey",
              owner: id.href,
              publicKeyPem: await pem(key.pair.publicKey),
            })),
          );
          return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            id: id.href,
            type: "Person",
            preferredUsername: name,
            name,
            inbox: inbox.href,
            publicKey: keys.length === 1 ? keys[0] : keys,
          };
        },
        async post(
          url: URL,
          json: unknown,
          options: { spec?: SignatureSpec; key?: { id: URL; privateKey: CryptoKey } } = {},
        ) {
          const key = options.key ?? {
            id: actor.keys[0]!.id,
            privateKey: actor.keys[0]!.pair.privateKey,
          };
          const request = new Request(url, {
            method: "POST",
            headers: { "content-type": "application/activity+json" },
            body: JSON.stringify(json),
          });
          const signed = await signRequest(request, key.privateKey, key.id, {
            spec: options.spec ?? "rfc9421",
          });
          return fetch(signed);
        },
      };
      actors.set(name, actor);
      return actor;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
