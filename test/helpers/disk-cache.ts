import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * What the test runs build once and keep between runs, under
 * node_modules/.cache (where tools keep caches; `npm ci` starts it afresh).
 */
const ROOT = path.resolve(import.meta.dirname, "../..");
export const CACHE_DIR = path.join(ROOT, "node_modules/.cache/bayanihan");

/** Where the migrated PGlite data directory is kept, and whether it is there already. */
export function snapshotCachePath(): string {
  return path.join(CACHE_DIR, `pglite-${snapshotKey()}.tar`);
}

/** Where the pool of test key pairs is kept (test/helpers/test-keys.ts). */
export const TEST_KEYS_CACHE_PATH = path.join(CACHE_DIR, "test-keys-v1.json");

/**
 * A snapshot is valid for exactly one set of migrations on one PGlite
 * version (its data directory format): both go into its name, so a new or
 * edited migration, or a PGlite upgrade, builds a new one.
 */
function snapshotKey(): string {
  const hash = createHash("sha256");
  // Its package.json is not among its exports: read as a file.
  hash.update(readFileSync(path.join(ROOT, "node_modules/@electric-sql/pglite/package.json")));
  hash.update(readFileSync(path.join(ROOT, "src/db/migrate.ts")));
  const migrations = path.join(ROOT, "migrations");
  for (const name of readdirSync(migrations).sort()) {
    hash.update(`\0${name}\0`);
    hash.update(readFileSync(path.join(migrations, name)));
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * The cached file at `target`, built by `build` when missing. Written under
 * a temporary name then renamed, so a run that stops halfway, or two runs at
 * once, never leave a half-written file under the real name.
 * `stale(name)` names the older versions of the file to remove.
 */
export async function cachedFile(
  target: string,
  build: () => Promise<Uint8Array | string>,
  stale: (name: string) => boolean = () => false,
): Promise<{ path: string; built: boolean }> {
  if (existsSync(target)) return { path: target, built: false };
  await mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temporary, await build());
  await rename(temporary, target);
  for (const name of readdirSync(path.dirname(target))) {
    if (name !== path.basename(target) && stale(name)) {
      await rm(path.join(path.dirname(target), name), { force: true });
    }
  }
  return { path: target, built: true };
}
