import { request as httpRequest } from "node:http";
import { type HttpMessageSignaturesSpec, signRequest, verifyRequest } from "@fedify/fedify/sig";
import { CryptographicKey, Person } from "@fedify/vocab";
import { serve } from "@hono/node-server";
import { beforeAll, describe, expect, it } from "vitest";
import { testKeyPair } from "../../test/helpers/test-keys.ts";
import { type InboxScreenResult, screenInboxRequest } from "./inbox-guard.ts";

const NOW = Temporal.Instant.from("2026-11-28T12:00:00Z");
const LIMIT = 1024 * 1024;
const OPTIONS = {
  maxBodyBytes: LIMIT,
  signatureWindow: Temporal.Duration.from({ hours: 1 }),
  now: () => NOW,
  authority: "bayanihan.example",
};
const INBOX = "https://bayanihan.example/users/pantry/inbox";
const ACTOR_ID = "https://remote.example/users/alice";
const KEY_ID = new URL(`${ACTOR_ID}#main-key`);
const SPECS: HttpMessageSignaturesSpec[] = ["rfc9421", "draft-cavage-http-signatures-12"];

const activity = {
  "@context": "https://www.w3.org/ns/activitystreams",
  id: "https://remote.example/activities/1",
  type: "Create",
  actor: ACTOR_ID,
  object: {
    id: "https://remote.example/notes/1",
    type: "Note",
    attributedTo: ACTOR_ID,
    content: "Rice and canned goods available on Saturday.",
  },
};

let keyPair: CryptoKeyPair;
beforeAll(async () => {
  keyPair = await testKeyPair("RSASSA-PKCS1-v1_5");
});

async function signed(
  spec: HttpMessageSignaturesSpec,
  body: string = JSON.stringify(activity),
  signedAt: Temporal.Instant = NOW,
): Promise<Request> {
  const request = new Request(INBOX, {
    method: "POST",
    headers: { "content-type": "application/activity+json" },
    body,
  });
  return signRequest(request, keyPair.privateKey, KEY_ID, { spec, currentTime: signedAt });
}

/** The same headers with another body, as a tampering proxy or a lazy forger would send. */
function withBody(request: Request, body: BodyInit, extra: Record<string, string> = {}): Request {
  const headers = new Headers(request.headers);
  headers.delete("content-length");
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Request(request.url, { method: "POST", headers, body, duplex: "half" } as RequestInit);
}

/** A body stream that would yield `total` bytes, recording how much was pulled. */
function meteredStream(total: number, chunkSize = 64 * 1024) {
  const meter = { pulled: 0 };
  const chunk = new Uint8Array(chunkSize).fill(0x20);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (meter.pulled >= total) {
        controller.close();
        return;
      }
      meter.pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, meter };
}

function expectRefusal(result: InboxScreenResult, status: number, error: string): void {
  expect(result).toMatchObject({ ok: false, status, error });
  if (!result.ok) expect(result.message).toMatch(/\w/);
}

describe("screenInboxRequest", () => {
  it("refuses an unsigned POST with 401", async () => {
    const request = new Request(INBOX, {
      method: "POST",
      headers: { "content-type": "application/activity+json" },
      body: JSON.stringify(activity),
    });
    expectRefusal(await screenInboxRequest(request, OPTIONS), 401, "signature_missing");
    // Refused on its headers alone: the body was never touched.
    expect(request.bodyUsed).toBe(false);
  });

  it("refuses a body announced as too large without reading any of it", async () => {
    const template = await signed("rfc9421");
    const { stream, meter } = meteredStream(5 * 1024 * 1024);
    const request = withBody(template, stream, { "content-length": String(5 * 1024 * 1024) });
    expectRefusal(await screenInboxRequest(request, OPTIONS), 413, "payload_too_large");
    expect(meter.pulled).toBeLessThanOrEqual(64 * 1024); // at most the stream's own read-ahead
    expect(request.bodyUsed).toBe(false);
  });

  it.each(SPECS)(
    "refuses a chunked body over the limit after reading little more than the limit (%s)",
    async (spec) => {
      // A well-formed signature, so that only the size can condemn the request.
      const template = await signed(spec);
      const { stream, meter } = meteredStream(50 * 1024 * 1024);
      const request = withBody(template, stream);
      expect(request.headers.has("content-length")).toBe(false);
      expectRefusal(await screenInboxRequest(request, OPTIONS), 413, "payload_too_large");
      expect(meter.pulled).toBeGreaterThan(LIMIT);
      expect(meter.pulled).toBeLessThan(LIMIT + 4 * 64 * 1024);
    },
  );

  it("answers 413 over real HTTP long before a chunked 50 MB upload is sent", async () => {
    const server = serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        const result = await screenInboxRequest(request, {
          ...OPTIONS,
          now: undefined,
          authority: undefined,
        });
        return result.ok
          ? new Response(null, { status: 202 })
          : Response.json({ error: result.error }, { status: result.status });
      },
    });
    await new Promise<void>((resolve) => server.once("listening", resolve));
    const { port } = server.address() as { port: number };
    const target = `http://127.0.0.1:${port}/users/pantry/inbox`;
    const template = await signRequest(
      new Request(target, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body: "{}",
      }),
      keyPair.privateKey,
      KEY_ID,
      { spec: "rfc9421" },
    );
    const headers = Object.fromEntries(template.headers);
    delete headers["content-length"];
    const total = 50 * 1024 * 1024;
    try {
      const outcome = await new Promise<{ status: number | undefined; body: string; sent: number }>(
        (resolve, reject) => {
          let sent = 0;
          const client = httpRequest(target, { method: "POST", headers }, (response) => {
            let body = "";
            const sentWhenAnswered = sent;
            response.on("data", (chunk) => {
              body += chunk;
            });
            response.on("end", () =>
              resolve({ status: response.statusCode, body, sent: sentWhenAnswered }),
            );
          });
          client.on("error", reject);
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          const pump = () => {
            while (sent < total) {
              sent += chunk.length;
              if (!client.write(chunk)) {
                client.once("drain", pump);
                return;
              }
            }
            client.end();
          };
          pump();
        },
      );
      expect(outcome.status).toBe(413);
      expect(JSON.parse(outcome.body)).toEqual({ error: "payload_too_large" });
      // Backpressure held the client: it had sent a few MB (socket buffers), not 50.
      expect(outcome.sent).toBeLessThan(total / 4);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses a non-JSON content type with 415", async () => {
    const request = withBody(await signed("rfc9421"), JSON.stringify(activity), {
      "content-type": "text/plain",
    });
    expectRefusal(await screenInboxRequest(request, OPTIONS), 415, "unsupported_media_type");
  });

  describe("malformed or insufficient signature headers", () => {
    const variants: [string, Record<string, string>, number, string][] = [
      [
        "garbage draft-cavage header",
        { signature: "this is not a signature" },
        400,
        "signature_malformed",
      ],
      [
        "draft-cavage header with a comma inside a value (Fedify would misparse it)",
        {
          signature:
            'keyId="https://remote.example/k,x",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="YWJj"',
        },
        400,
        "signature_malformed",
      ],
      [
        "draft-cavage keyId that is not an http(s) URL",
        {
          signature:
            'keyId="acct:alice@remote.example",headers="(request-target) host date digest",signature="YWJj"',
        },
        400,
        "signature_malformed",
      ],
      [
        "draft-cavage signature that does not cover the digest (Mastodon: POST must sign digest)",
        {
          signature: `keyId="${KEY_ID.href}",algorithm="rsa-sha256",headers="(request-target) host date",signature="YWJj"`,
        },
        401,
        "signature_insufficient",
      ],
      [
        "draft-cavage signature that does not cover host (it would be as good on any instance)",
        {
          signature: `keyId="${KEY_ID.href}",algorithm="rsa-sha256",headers="(request-target) date digest",signature="YWJj"`,
        },
        401,
        "signature_insufficient",
      ],
      [
        "draft-cavage signature with an unsupported algorithm",
        {
          signature: `keyId="${KEY_ID.href}",algorithm="hmac-sha256",headers="(request-target) host date digest",signature="YWJj"`,
        },
        401,
        "signature_algorithm_unsupported",
      ],
      [
        "Signature-Input that is not a structured dictionary",
        { "signature-input": 'sig1=("@method" "@target-uri"', signature: "sig1=:YWJj:" },
        400,
        "signature_malformed",
      ],
      [
        "Signature-Input without a matching Signature",
        {
          "signature-input": `sig1=("@method" "@target-uri" "content-digest");keyid="${KEY_ID.href}";created=${NOW.epochMilliseconds / 1000}`,
          signature: "sig2=:YWJj:",
        },
        400,
        "signature_malformed",
      ],
      [
        "RFC 9421 signature without created",
        {
          "signature-input": `sig1=("@method" "@target-uri" "content-digest");keyid="${KEY_ID.href}"`,
          signature: "sig1=:YWJj:",
        },
        400,
        "signature_malformed",
      ],
      [
        "RFC 9421 signature not covering content-digest",
        {
          "signature-input": `sig1=("@method" "@target-uri");keyid="${KEY_ID.href}";created=${NOW.epochMilliseconds / 1000}`,
          signature: "sig1=:YWJj:",
        },
        401,
        "signature_insufficient",
      ],
      [
        "RFC 9421 signature covering neither @authority nor @target-uri",
        {
          "signature-input": `sig1=("@method" "@request-target" "host" "content-digest");keyid="${KEY_ID.href}";created=${NOW.epochMilliseconds / 1000}`,
          signature: "sig1=:YWJj:",
          "content-digest": "sha-256=:YWJj:",
        },
        401,
        "signature_insufficient",
      ],
    ];

    it.each(variants)("refuses a %s", async (_, headers, status, error) => {
      const template = await signed("draft-cavage-http-signatures-12");
      const request = withBody(template, JSON.stringify(activity));
      request.headers.delete("signature");
      for (const [name, value] of Object.entries(headers)) request.headers.set(name, value);
      const result = await screenInboxRequest(request, OPTIONS);
      expectRefusal(result, status, error);
      expect(request.bodyUsed).toBe(false);
    });
  });

  it.each(SPECS)("refuses a signature made two hours ago (%s)", async (spec) => {
    const request = await signed(spec, undefined, NOW.subtract({ hours: 2 }));
    expectRefusal(await screenInboxRequest(request, OPTIONS), 401, "date_out_of_window");
  });

  it.each(SPECS)("refuses a signature dated two hours ahead (%s)", async (spec) => {
    const request = await signed(spec, undefined, NOW.add({ hours: 2 }));
    expectRefusal(await screenInboxRequest(request, OPTIONS), 401, "date_out_of_window");
  });

  it("refuses a Date header that is not a date with 400, where Fedify would throw", async () => {
    const request = withBody(
      await signed("draft-cavage-http-signatures-12"),
      JSON.stringify(activity),
      {
        date: "yesterday-ish",
      },
    );
    expectRefusal(await screenInboxRequest(request, OPTIONS), 400, "date_invalid");
  });

  it.each(SPECS)("refuses a body that does not match its digest (%s)", async (spec) => {
    const tampered = JSON.stringify({ ...activity, actor: "https://evil.example/users/mallory" });
    const request = withBody(await signed(spec), tampered);
    expectRefusal(await screenInboxRequest(request, OPTIONS), 401, "digest_mismatch");
  });

  it("refuses a 2,000-deep nested object with 400 rather than crashing", async () => {
    const deep = `{"a":${'{"a":'.repeat(2000)}1${"}".repeat(2000)}}`;
    const request = await signed("rfc9421", deep);
    expectRefusal(await screenInboxRequest(request, OPTIONS), 400, "json_too_deep");
  });

  it("refuses a body that is not JSON, and JSON that is not an object", async () => {
    expectRefusal(
      await screenInboxRequest(await signed("rfc9421", "{not json"), OPTIONS),
      400,
      "invalid_json",
    );
    expectRefusal(
      await screenInboxRequest(await signed("rfc9421", "[1,2,3]"), OPTIONS),
      400,
      "invalid_json",
    );
  });

  it("does not count brackets inside strings as nesting", async () => {
    const body = JSON.stringify({ ...activity, content: "[[[[{{{{".repeat(100) });
    const result = await screenInboxRequest(await signed("rfc9421", body), OPTIONS);
    expect(result.ok).toBe(true);
  });

  describe.each(SPECS)("a request signed by Fedify's signRequest (%s)", (spec) => {
    it("passes, with its bytes, headers and key id intact, and Fedify still verifies it", async () => {
      const body = JSON.stringify(activity);
      const original = await signed(spec, body);
      const originalHeaders = [...original.headers];
      const result = await screenInboxRequest(original, OPTIONS);
      if (!result.ok) expect.fail(`refused: ${result.error}: ${result.message}`);

      expect(result.keyIds.map((url) => url.href)).toEqual([KEY_ID.href]);
      expect(result.json).toEqual(activity);
      expect(new TextDecoder().decode(result.body)).toBe(body);
      expect(result.request.url).toBe(INBOX);
      expect(result.request.method).toBe("POST");
      expect([...result.request.headers]).toEqual(originalHeaders);

      const actor = new Person({
        id: new URL(ACTOR_ID),
        publicKey: new CryptographicKey({
          id: KEY_ID,
          owner: new URL(ACTOR_ID),
          publicKey: keyPair.publicKey,
        }),
      });
      const actorJson = await actor.toJsonLd();
      const documentLoader = async (url: string) => {
        if (new URL(url).href.split("#")[0] !== ACTOR_ID)
          throw new Error(`unexpected fetch: ${url}`);
        return { contextUrl: null, document: actorJson, documentUrl: ACTOR_ID };
      };
      const key = await verifyRequest(result.request, {
        documentLoader,
        currentTime: NOW,
        spec,
      });
      expect(key?.id?.href).toBe(KEY_ID.href);
      // Verification must have read the body, which is still there for the inbox.
      expect(await result.request.text()).toBe(body);
    });
  });

  it("lets Fedify see a tampered copy fail: the returned request is the bytes received", async () => {
    const original = await signed("rfc9421");
    const result = await screenInboxRequest(original, OPTIONS);
    if (!result.ok) expect.fail(result.message);
    const changed = new Request(result.request, { body: `${JSON.stringify(activity)} ` });
    const documentLoader = async () => {
      const actor = new Person({
        id: new URL(ACTOR_ID),
        publicKey: new CryptographicKey({
          id: KEY_ID,
          owner: new URL(ACTOR_ID),
          publicKey: keyPair.publicKey,
        }),
      });
      return { contextUrl: null, document: await actor.toJsonLd(), documentUrl: ACTOR_ID };
    };
    expect(await verifyRequest(changed, { documentLoader, currentTime: NOW })).toBeNull();
  });

  it.each(SPECS)(
    "refuses a request addressed to another host, before reading it (%s)",
    async (spec) => {
      // Signed for another instance and replayed here with its Host intact.
      const request = await signRequest(
        new Request("https://other.example/users/pantry/inbox", {
          method: "POST",
          headers: { "content-type": "application/activity+json" },
          body: JSON.stringify(activity),
        }),
        keyPair.privateKey,
        KEY_ID,
        { spec, currentTime: NOW },
      );
      expectRefusal(await screenInboxRequest(request, OPTIONS), 421, "misdirected_request");
      expect(request.bodyUsed).toBe(false);
    },
  );

  it.each(SPECS)(
    "refuses a small body that does not match its digest without judging the signer (%s)",
    async (spec) => {
      const template = await signed(spec);
      const forged = JSON.stringify({ ...activity, id: "https://remote.example/activities/2" });
      const request = withBody(template, forged, {
        "content-length": String(Buffer.byteLength(forged)),
      });
      const judged: URL[][] = [];
      const result = await screenInboxRequest(request, {
        ...OPTIONS,
        async judgeSigner(keyIds) {
          judged.push(keyIds);
          return null;
        },
      });
      expectRefusal(result, 401, "digest_mismatch");
      // The signer's verification is the dear part; a mismatch never pays it.
      expect(judged).toEqual([]);
    },
  );

  it("judges the signer of a large body before reading any of it", async () => {
    const template = await signed("rfc9421");
    const size = 512 * 1024;
    const { stream, meter } = meteredStream(size);
    const request = withBody(template, stream, { "content-length": String(size) });
    const result = await screenInboxRequest(request, {
      ...OPTIONS,
      async judgeSigner(keyIds) {
        expect(keyIds.map((id) => id.href)).toEqual([KEY_ID.href]);
        return { ok: false, status: 403, error: "blocked_domain", message: "Blocked." };
      },
    });
    expectRefusal(result, 403, "blocked_domain");
    expect(meter.pulled).toBeLessThanOrEqual(64 * 1024); // at most the stream's own read-ahead
    expect(request.bodyUsed).toBe(false);
  });

  it("refuses requests other than POST", async () => {
    const request = new Request(INBOX, { method: "GET" });
    expectRefusal(await screenInboxRequest(request, OPTIONS), 400, "method_not_post");
  });
});
