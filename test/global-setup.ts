import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJwk, generateCryptoKeyPair } from "@fedify/fedify";
import type { TestProject } from "vitest/node";
import "../src/polyfill.ts";
import { openPGlite } from "../src/db/connect.ts";
import { migrateToLatest } from "../src/db/migrate.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A migrated PGlite data directory (tarball); each test database starts from it. */
    pgliteSnapshotPath: string;
    /** Key pairs made once per run (test/helpers/test-keys.ts hands them out). */
    testKeysPath: string;
  }
}

/**
 * Creating a PGlite database costs seconds (initdb in WASM); loading a dump of
 * an already migrated one is much faster, so it is built once per run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), "bayanihan-test-"));
  const snapshotPath = path.join(dir, "migrated.tar.gz");
  const handle = await openPGlite();
  await migrateToLatest(handle.db);
  const dump = await handle.pglite.dumpDataDir("gzip");
  await writeFile(snapshotPath, Buffer.from(await dump.arrayBuffer()));
  await handle.close();
  project.provide("pgliteSnapshotPath", snapshotPath);
  const keysPath = path.join(dir, "test-keys.json");
  await writeFile(keysPath, JSON.stringify(await makeTestKeys(TEST_KEY_PAIRS)));
  project.provide("testKeysPath", keysPath);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}

/** Enough for the file that makes the most; test-keys.ts makes more if one needs them. */
const TEST_KEY_PAIRS = 64;

/**
 * Every collective and remote actor a test makes needs an RSA pair, and a
 * 4096-bit one takes a second or more to make (ten under load): made here
 * once, 2048-bit like Mastodon's, in parallel.
 */
async function makeTestKeys(count: number) {
  const rsa = Array.from({ length: count }, async () => {
    const pair = (await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    return {
      privateJwk: await exportJwk(pair.privateKey),
      publicJwk: await exportJwk(pair.publicKey),
    };
  });
  const ed25519 = Array.from({ length: count }, async () => {
    const pair = await generateCryptoKeyPair("Ed25519");
    return {
      privateJwk: await exportJwk(pair.privateKey),
      publicJwk: await exportJwk(pair.publicKey),
    };
  });
  return { rsa: await Promise.all(rsa), ed25519: await Promise.all(ed25519) };
}
