import { exportJwk, generateCryptoKeyPair, importJwk } from "@fedify/fedify";
import type { StoredKeyPair } from "../src/db/groups.repo.ts";
import type { KeyPairGenerator } from "../src/services/ports.ts";

/**
 * RSA for HTTP signatures (released Mastodon verifies only RSA) and Ed25519
 * for FEP-8b32 integrity proofs. RSA generation takes most of a second, which
 * is why keys are made once, when the group is created.
 */
export const keyPairGenerator: KeyPairGenerator = {
  async generate() {
    const algorithms = ["RSASSA-PKCS1-v1_5", "Ed25519"] as const;
    return Promise.all(
      algorithms.map(async (algorithm) => {
        const pair = await generateCryptoKeyPair(algorithm);
        return {
          algorithm,
          privateJwk: await exportJwk(pair.privateKey),
          publicJwk: await exportJwk(pair.publicKey),
        };
      }),
    );
  },
};

export async function importKeyPair(stored: StoredKeyPair): Promise<CryptoKeyPair> {
  return {
    privateKey: await importJwk(stored.privateJwk, "private"),
    publicKey: await importJwk(stored.publicJwk, "public"),
  };
}
