import type { TestProject } from "vitest/node";
import "../src/polyfill.ts";
import { openPGlite } from "../src/db/connect.ts";
import { migrateToLatest } from "../src/db/migrate.ts";
import { cachedFile, snapshotCachePath, TEST_KEYS_CACHE_PATH } from "./helpers/disk-cache.ts";
import { newStoredPair } from "./helpers/test-keys.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A migrated PGlite data directory (tarball); each test database starts from it. */
    pgliteSnapshotPath: string;
  }
}

/**
 * The `db` and `e2e` projects' setup (the `unit` project has none).
 * Creating a PGlite database costs seconds (initdb in WASM, ~16 s on this
 * machine with the migrations); loading a dump of an already migrated one is
 * much faster, so the dump is built once and kept on disk until a migration
 * changes (test/helpers/disk-cache.ts). The key pool is kept the same way.
 */
export default async function setup(project: TestProject): Promise<void> {
  const snapshot = await cachedFile(snapshotCachePath(), buildSnapshot, (name) =>
    /^pglite-.*\.tar(\.gz)?$/.test(name),
  );
  project.provide("pgliteSnapshotPath", snapshot.path);
  await cachedFile(TEST_KEYS_CACHE_PATH, async () =>
    JSON.stringify(await makeTestKeys(TEST_KEY_PAIRS)),
  );
}

/**
 * Uncompressed: loading a plain tar is 1.5–3 s quicker per test database
 * than a gzip one (measured under load), for 43 MB on disk instead of 5.
 */
async function buildSnapshot(): Promise<Uint8Array> {
  const handle = await openPGlite();
  try {
    await migrateToLatest(handle.db);
    const dump = await handle.pglite.dumpDataDir("none");
    return new Uint8Array(await dump.arrayBuffer());
  } finally {
    await handle.close();
  }
}

/** Enough for the file that makes the most; test-keys.ts makes more if one needs them. */
const TEST_KEY_PAIRS = 64;

/** Every collective and remote actor a test makes needs a pair of each: made once, in parallel. */
async function makeTestKeys(count: number) {
  const many = (algorithm: "RSASSA-PKCS1-v1_5" | "Ed25519") =>
    Promise.all(Array.from({ length: count }, () => newStoredPair(algorithm)));
  return { rsa: await many("RSASSA-PKCS1-v1_5"), ed25519: await many("Ed25519") };
}
