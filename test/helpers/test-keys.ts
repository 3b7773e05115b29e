import { readFileSync } from "node:fs";
import { exportJwk, generateCryptoKeyPair, importJwk } from "@fedify/fedify";
import type { KeyPairGenerator } from "../../src/services/ports.ts";

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

/** The run's pool; empty outside Vitest (a benchmark's remote actor makes its own keys). */
async function loadPool(): Promise<Pool> {
  if (process.env.VITEST === undefined) return { rsa: [], ed25519: [] };
  // Imported only under Vitest: importing "vitest" anywhere else throws.
  const { inject } = await import("vitest");
  return JSON.parse(readFileSync(inject("testKeysPath"), "utf8")) as Pool;
}
const taken = { rsa: 0, ed25519: 0 };

/**
 * The next unused pair of the run's pool (test/global-setup.ts), or a new
 * one once this file has used them all: within a file no two actors share a
 * key, so a test's forger never holds its victim's key.
 */
async function takePair(algorithm: Algorithm): Promise<StoredPair> {
  pool ??= await loadPool();
  const kind = algorithm === "Ed25519" ? "ed25519" : "rsa";
  const stored = pool[kind][taken[kind]++];
  if (stored !== undefined) return stored;
  const pair = await generateCryptoKeyPair(algorithm);
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
