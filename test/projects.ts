import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * Which of Vitest's projects a test file belongs to, decided by what it
 * needs rather than by where it sits, so a new test lands in the right one
 * without anyone keeping a list:
 * - `unit`: no database and no port; runs without the global setup at all;
 * - `db`: a test database (test/helpers/database.ts), but no port;
 * - `e2e`: listens on a port, starts an instance or a process, or drives a browser.
 * The test file's own text and every test helper it imports (directly or
 * through another helper) are read for the calls below.
 */
export type TestProjectName = "unit" | "db" | "e2e";

/** Calls that listen on a port, start a server or a process, or open a browser. */
const E2E_MARKERS = [
  "startServer(",
  "startTestInstance(",
  "startGroupNodes(",
  "startInboxServer(",
  "createServer(",
  "serve(",
  "spawn(",
  "fork(",
  "execFile(",
  "launchBrowser(",
  "freePort(",
  "runAdmin(",
];

/** Calls that open a database, or read what the global setup provides. */
const DB_MARKERS = [
  "createTestDatabase",
  "createBareTestDatabaseOn",
  "openPGlite(",
  "openPostgres(",
  "inject(",
  "TEST_DATABASE_URL",
];

/** Where the test files live (vitest.config.ts includes the same). */
export const TEST_ROOTS = ["src", "federation", "test"] as const;

export function classifyTestFile(file: string): TestProjectName {
  const texts = [...sourcesReached(file, new Set())].map((f) => stripComments(readFile(f)));
  const has = (markers: readonly string[]) =>
    texts.some((text) => markers.some((marker) => text.includes(marker)));
  if (has(E2E_MARKERS)) return "e2e";
  if (has(DB_MARKERS)) return "db";
  return "unit";
}

/** Every test file under the roots, relative to `root`, by project. */
export function testFilesByProject(root: string): Record<TestProjectName, string[]> {
  const projects: Record<TestProjectName, string[]> = { unit: [], db: [], e2e: [] };
  for (const dir of TEST_ROOTS) {
    for (const file of walk(path.join(root, dir))) {
      if (!file.endsWith(".test.ts")) continue;
      projects[classifyTestFile(file)].push(path.relative(root, file));
    }
  }
  for (const files of Object.values(projects)) files.sort();
  return projects;
}

function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules") continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...walk(full));
    else files.push(full);
  }
  return files;
}

const cache = new Map<string, string>();
function readFile(file: string): string {
  let text = cache.get(file);
  if (text === undefined) {
    text = readFileSync(file, "utf8");
    cache.set(file, text);
  }
  return text;
}

/** Comments may name a call without making it (a doc comment about `listen()`). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/**
 * The file and the test helpers it reaches: relative imports into a
 * `helpers` folder (test/helpers/) or of a `*.fixture.ts`, followed transitively. Imports of the
 * application are not followed: importing `src/server.ts` for a type or a
 * pure function needs neither a port nor a database; calling it is what
 * the markers catch in the test's own text.
 */
function sourcesReached(file: string, seen: Set<string>): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const importPattern = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g;
  for (const match of readFile(file).matchAll(importPattern)) {
    const target = path.resolve(path.dirname(file), match[1]!);
    const helper = target.split(path.sep).includes("helpers") || target.endsWith(".fixture.ts");
    if (helper && target.endsWith(".ts")) {
      sourcesReached(target, seen);
    }
  }
  return seen;
}
