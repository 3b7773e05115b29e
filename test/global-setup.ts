import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import "../src/polyfill.ts";
import { openPGlite } from "../src/db/connect.ts";
import { migrateToLatest } from "../src/db/migrate.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** A migrated PGlite data directory (tarball); each test database starts from it. */
    pgliteSnapshotPath: string;
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
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
