import { existsSync, readFileSync } from "node:fs";
import { exportJwk, generateCryptoKeyPair, importJwk } from "@fedify/fedify";
import type { KeyPairGenerator } from "../../src/services/ports.ts";
import { TEST_KEYS_CACHE_PATH } from "./disk-cache.ts";

type Algorithm = "RSASSA-PKCS1-v1_5" | "Ed25519";
interface StoredPair {
  privateJwk: JsonWebKey;
  publicJwk: JsonWebKey;
}
interface Pool {
  rsa: StoredPair[];
  ed25519: StoredPair[];
}

let pool: Pool | undefined;

/**
 * The pool test/global-setup.ts keeps on disk; empty outside Vitest (a
 * benchmark's remote actor makes its own keys) and in a `unit` run on a
 * machine that has never run the others (that project has no setup).
 */
function loadPool(): Pool {
  if (process.env.VITEST === undefined || !existsSync(TEST_KEYS_CACHE_PATH)) {
    return { rsa: [], ed25519: [] };
  }
  return JSON.parse(readFileSync(TEST_KEYS_CACHE_PATH, "utf8")) as Pool;
}
const taken = { rsa: 0, ed25519: 0 };

/**
 * The next unused pair of the run's pool (test/global-setup.ts), or a new
 * one once this file has used them all: within a file no two actors share a
 * key, so a test's forger never holds its victim's key.
 */
async function takePair(algorithm: Algorithm): Promise<StoredPair> {
  pool ??= loadPool();
  const kind = algorithm === "Ed25519" ? "ed25519" : "rsa";
  const stored = pool[kind][taken[kind]++];
  return stored ?? newStoredPair(algorithm);
}

/**
 * A new pair as the pool holds them. RSA is 2048-bit like Mastodon's: a
 * 4096-bit pair (Fedify's default) takes a second or more to make, ten under load.
 */
export async function newStoredPair(algorithm: Algorithm): Promise<StoredPair> {
  const pair =
    algorithm === "Ed25519"
      ? await generateCryptoKeyPair("Ed25519")
      : ((await crypto.subtle.generateKey(
          {
            name: "RSASSA-PKCS1-v1_5",
            modulusLength: 2048,
            publicExponent: new Uint8Array([1, 0, 1]),
            hash: "SHA-256",
          },
          true,
          ["sign", "verify"],
        )) as CryptoKeyPair);
  return {
    privateJwk: await exportJwk(pair.privateKey),
    publicJwk: await exportJwk(pair.publicKey),
  };
}

/** An unused key pair, ready to sign with. */
export async function testKeyPair(algorithm: Algorithm): Promise<CryptoKeyPair> {
  const stored = await takePair(algorithm);
  return {
    privateKey: await importJwk(stored.privateJwk, "private"),
    publicKey: await importJwk(stored.publicJwk, "public"),
  };
}

/** The instance's key maker in tests: pairs from the pool instead of new ones. */
export const pooledKeyPairGenerator: KeyPairGenerator = {
  async generate() {
    const algorithms = ["RSASSA-PKCS1-v1_5", "Ed25519"] as const;
    return Promise.all(
      algorithms.map(async (algorithm) => ({ algorithm, ...(await takePair(algorithm)) })),
    );
  },
};
