import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { signRequest } from "@fedify/fedify";
import { Follow } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";

/** A raw HTTP POST, so that the Host header can name another server than the one reached. */
function rawPost(
  to: URL,
  headers: Headers,
  body: string,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: to.hostname,
        port: to.port,
        path: to.pathname,
        method: "POST",
        headers: Object.fromEntries(headers),
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            // Not JSON: the status says enough.
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A draft-cavage signature over exactly `covered`, as a peer that chose them would send. */
async function cavageSigned(
  url: URL,
  body: string,
  key: { privateKey: CryptoKey; keyId: URL },
  covered: string[],
): Promise<Headers> {
  const headers = new Headers({
    "content-type": "application/activity+json",
    host: url.host,
    date: new Date().toUTCString(),
    digest: `SHA-256=${createHash("sha256").update(body).digest("base64")}`,
  });
  const signingString = covered
    .map((name) =>
      name === "(request-target)"
        ? `(request-target): post ${url.pathname}`
        : `${name}: ${headers.get(name)}`,
    )
    .join("\n");
  const signature = await crypto.subtle.sign(
    "RSASSA-PKCS1-v1_5",
    key.privateKey,
    new TextEncoder().encode(signingString),
  );
  headers.set(
    "signature",
    `keyId="${key.keyId.href}",algorithm="rsa-sha256",headers="${covered.join(" ")}",signature="${Buffer.from(signature).toString("base64")}"`,
  );
  return headers;
}

/**
 * A signed request is good for one server only: a copy captured on its way
 * to instance A and replayed to instance B (the same group, the same inbox
 * path) is refused, and so is a signature that does not cover the host.
 */
describe("signed inbox requests bound to their host", () => {
  let a: TestInstance;
  let b: TestInstance;
  let alice: RemoteActor;

  beforeAll(async () => {
    [a, b, alice] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.4" }),
      startRemoteActor("127.0.0.2"),
    ]);
    for (const instance of [a, b]) {
      const res = await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food" });
      expect(res.status).toBe(201);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), alice?.close()]);
  });

  const inboxOf = (instance: TestInstance) => new URL("/groups/food/inbox", instance.config.origin);
  const followers = async (instance: TestInstance) =>
    (await instance.database.db.selectFrom("followers").select("id").execute()).length;

  async function followOf(instance: TestInstance): Promise<string> {
    const follow = new Follow({
      id: new URL(`${alice.origin.href}follows/${crypto.randomUUID()}`),
      actor: alice.actorId,
      object: new URL("/groups/food", instance.config.origin),
    });
    return JSON.stringify(await follow.toJsonLd());
  }

  it.each(["draft-cavage-http-signatures-12", "rfc9421"] as const)(
    "refuses on B a request signed for A, replayed with either Host (%s)",
    async (spec) => {
      const key = await alice.rsaKey();
      // The object names A's group path, which B's group shares.
      const body = await followOf(a);
      const captured = await signRequest(
        new Request(inboxOf(a), {
          method: "POST",
          headers: { "content-type": "application/activity+json" },
          body,
        }),
        key.privateKey,
        key.keyId,
        { spec },
      );
      const headers = new Headers(captured.headers);
      headers.set("host", inboxOf(a).host);

      // Host kept: the signature verifies, but the request names another server.
      const asSent = await rawPost(inboxOf(b), headers, body);
      expect(asSent.status).toBe(421);
      expect(asSent.json).toMatchObject({ error: "misdirected_request" });

      // Host rewritten to B: the signature covers A's host, so it no longer verifies.
      headers.set("host", inboxOf(b).host);
      const rewritten = await rawPost(inboxOf(b), headers, body);
      expect(rewritten.status).toBe(401);
      expect(await followers(b)).toBe(0);
    },
  );

  it("refuses a draft-cavage signature that does not cover host, and stores nothing", async () => {
    const key = await alice.rsaKey();
    const body = await followOf(a);
    const headers = await cavageSigned(inboxOf(a), body, key, [
      "(request-target)",
      "date",
      "digest",
    ]);
    const answer = await rawPost(inboxOf(a), headers, body);
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ error: "signature_insufficient" });
    expect(await followers(a)).toBe(0);
  });

  it("accepts Mastodon's choice, (request-target) host date digest", async () => {
    const key = await alice.rsaKey();
    const body = await followOf(a);
    const headers = await cavageSigned(inboxOf(a), body, key, [
      "(request-target)",
      "host",
      "date",
      "digest",
    ]);
    const answer = await rawPost(inboxOf(a), headers, body);
    expect(answer.status).toBe(202);
    await expect.poll(() => followers(a), { timeout: 15_000 }).toBe(1);
  });
});
