/**
 * Refuses remote documents that carry an RSA public key too costly to verify.
 *
 * Every signed inbox POST costs one RSA verification under the signer's key,
 * and the signer chooses that key. Verification time grows with the square
 * of the modulus length and linearly with the public exponent's length: a
 * 16,384-bit key costs about 16 times what a 4096-bit one does, and a
 * 3072-bit modulus with a 3072-bit exponent (which OpenSSL accepts for
 * moduli up to 3072 bits) costs about as much as signing. So a flood of
 * forged signatures under such a key would cost many times what the inbox
 * budgets assume. Mastodon makes 2048-bit keys and Fedify 4096-bit ones,
 * both with the exponent 65537; nothing in the fediverse needs more.
 *
 * A key is looked for by its content rather than by property names, since
 * JSON-LD lets a document name `publicKeyPem` anything its context says:
 * every string that is a PEM public key, and every long base58 multibase
 * string that is an RSA Multikey (multicodec 0x1205), anywhere in the
 * document. Ed25519 keys have a fixed cost and are not looked at.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { decodeMultibase } from "@fedify/vocab-runtime";

/** Fedify's own key size; Mastodon's is 2048. */
export const MAX_RSA_MODULUS_BITS = 4096;
/** 65537 is what every implementation uses; 3 and other small primes stay accepted. */
export const MAX_RSA_PUBLIC_EXPONENT = 2n ** 32n;

const PEM_START = "-----BEGIN";
// 0x1205 (rsa-pub) as an unsigned varint.
const RSA_MULTICODEC = [0x85, 0x24] as const;
// An Ed25519 Multikey is 48 characters; the shortest RSA one (1024 bits) about 190.
const MIN_RSA_MULTIBASE_LENGTH = 150;
const MAX_DEPTH = 64;

/** Why `key` is refused, or null when it is not an RSA key or is within bounds. */
export function oversizedRsaKeyReason(key: KeyObject): string | null {
  if (key.asymmetricKeyType !== "rsa") return null;
  const details = key.asymmetricKeyDetails;
  const bits = details?.modulusLength;
  if (bits === undefined || bits > MAX_RSA_MODULUS_BITS) {
    return `RSA key of ${bits ?? "unknown"} bits; at most ${MAX_RSA_MODULUS_BITS} are accepted`;
  }
  const exponent = details?.publicExponent;
  if (exponent === undefined || exponent > MAX_RSA_PUBLIC_EXPONENT) {
    return "RSA key with a public exponent over 2^32";
  }
  return null;
}

function pemReason(value: string): string | null {
  let key: KeyObject;
  try {
    key = createPublicKey(value);
  } catch {
    // Not a key this server could verify with either: Fedify refuses it on import.
    return null;
  }
  return oversizedRsaKeyReason(key);
}

function multibaseReason(value: string): string | null {
  let decoded: Uint8Array;
  try {
    decoded = decodeMultibase(value);
  } catch {
    return null;
  }
  if (decoded[0] !== RSA_MULTICODEC[0] || decoded[1] !== RSA_MULTICODEC[1]) return null;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(decoded.subarray(2)), format: "der", type: "pkcs1" });
  } catch {
    return null;
  }
  return oversizedRsaKeyReason(key);
}

function stringReason(value: string): string | null {
  if (value.includes(PEM_START)) return pemReason(value.slice(value.indexOf(PEM_START)));
  if (value.length >= MIN_RSA_MULTIBASE_LENGTH && value.startsWith("z")) {
    return multibaseReason(value);
  }
  return null;
}

/**
 * Why `document` is refused for an RSA key in it that is too costly to
 * verify, or null. Walks the whole parsed JSON (bounded depth: the loader has
 * already bounded the size).
 */
export function findOversizedKey(document: unknown): string | null {
  const pending: [unknown, number][] = [[document, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop() as [unknown, number];
    if (typeof value === "string") {
      const reason = stringReason(value);
      if (reason !== null) return reason;
    } else if (typeof value === "object" && value !== null && depth < MAX_DEPTH) {
      for (const child of Array.isArray(value) ? value : Object.values(value)) {
        pending.push([child, depth + 1]);
      }
    }
  }
  return null;
}
