import { createPublicKey, randomBytes } from "node:crypto";
import { exportMultibaseKey } from "@fedify/vocab-runtime";
import { describe, expect, it } from "vitest";
import { testKeyPair } from "../../test/helpers/test-keys.ts";
import { findOversizedKey, MAX_RSA_MODULUS_BITS } from "./key-size.ts";

/**
 * A public key with a modulus of exactly `bits` bits. Not a product of two
 * primes (nobody holds its private half), which is no matter here: importing
 * a public key does not check that, and the limit is about the cost of
 * verifying under it.
 */
function publicJwk(bits: number, exponent = 65537n): JsonWebKey {
  const modulus = randomBytes(Math.ceil(bits / 8));
  const spare = modulus.length * 8 - bits;
  modulus[0] = (modulus[0]! & (0xff >> spare)) | (0x80 >> spare);
  modulus[modulus.length - 1]! |= 1;
  let hex = exponent.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return {
    kty: "RSA",
    n: modulus.toString("base64url"),
    e: Buffer.from(hex, "hex").toString("base64url"),
  };
}

function pem(jwk: JsonWebKey, type: "spki" | "pkcs1" = "spki"): string {
  return createPublicKey({ key: jwk as never, format: "jwk" })
    .export({ type, format: "pem" })
    .toString();
}

function actor(publicKeyPem: string): Record<string, unknown> {
  return {
    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
    id: "https://peer.example/users/alice",
    type: "Person",
    publicKey: {
      id: "https://peer.example/users/alice#main-key",
      owner: "https://peer.example/users/alice",
      publicKeyPem,
    },
  };
}

describe("findOversizedKey", () => {
  it("accepts the key sizes the fediverse uses", async () => {
    const mastodon = await testKeyPair("RSASSA-PKCS1-v1_5");
    const spki = Buffer.from(await crypto.subtle.exportKey("spki", mastodon.publicKey));
    const mastodonPem = `-----BEGIN PUBLIC KEY-----\n${spki.toString("base64")}\n-----END PUBLIC KEY-----\n`;
    expect(findOversizedKey(actor(mastodonPem))).toBeNull();
    expect(findOversizedKey(actor(pem(publicJwk(MAX_RSA_MODULUS_BITS))))).toBeNull();
    expect(findOversizedKey(actor(pem(publicJwk(2048, 3n))))).toBeNull();
  });

  it("refuses a modulus over the limit, in either PEM form", () => {
    const big = publicJwk(MAX_RSA_MODULUS_BITS + 8);
    expect(findOversizedKey(actor(pem(big)))).toMatch(/4104 bits/);
    expect(findOversizedKey(actor(pem(big, "pkcs1")))).toMatch(/4104 bits/);
  });

  it("refuses a huge public exponent", () => {
    const reason = findOversizedKey(actor(pem(publicJwk(2048, 2n ** 2000n + 1n))));
    expect(reason).toMatch(/exponent/);
  });

  it("finds a key whatever the document calls it", () => {
    const expanded = {
      "@id": "https://peer.example/users/alice",
      "https://w3id.org/security#publicKey": [
        {
          "https://w3id.org/security#publicKeyPem": [
            { "@value": pem(publicJwk(MAX_RSA_MODULUS_BITS + 8)) },
          ],
        },
      ],
    };
    expect(findOversizedKey(expanded)).toMatch(/4104 bits/);
    expect(findOversizedKey({ note: `see ${pem(publicJwk(8192))}` })).toMatch(/8192 bits/);
  });

  it("refuses an RSA Multikey over the limit and leaves Ed25519 ones alone", async () => {
    const rsa = await crypto.subtle.importKey(
      "jwk",
      { ...publicJwk(8192), alg: "RS256", ext: true },
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      true,
      ["verify"],
    );
    const ed25519 = await testKeyPair("Ed25519");
    const multikey = (publicKeyMultibase: string) => ({
      id: "https://peer.example/users/alice",
      assertionMethod: [{ type: "Multikey", publicKeyMultibase }],
    });
    expect(findOversizedKey(multikey(await exportMultibaseKey(rsa)))).toMatch(/8192 bits/);
    expect(findOversizedKey(multikey(await exportMultibaseKey(ed25519.publicKey)))).toBeNull();
  });

  it("ignores text that only looks like a key", () => {
    expect(findOversizedKey(actor("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END"))).toBeNull();
    expect(findOversizedKey({ name: `z${"1".repeat(400)}` })).toBeNull();
  });
});
