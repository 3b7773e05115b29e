import { defineConfig } from "vitest/config";
import { testFilesByProject } from "./test/projects.ts";

/**
 * Three projects, by what each test file needs (test/projects.ts decides):
 * `unit` runs without any database set up, `db` and `e2e` share the global
 * setup (a cached, migrated database snapshot and a key pool). `npm test`
 * runs all three; `npm run test:unit` (or `-- --project db`) one of them.
 */
const files = testFilesByProject(import.meta.dirname);

const shared = {
  setupFiles: ["./src/polyfill.ts"],
  // Federation tests start real servers and wait on real deliveries.
  testTimeout: 30_000,
  hookTimeout: 60_000,
  expect: { requireAssertions: true },
  pool: "forks" as const,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "unit",
          include: files.unit,
          setupFiles: [...shared.setupFiles, "./test/unit-setup.ts"],
          // One module cache per worker instead of one per file: importing
          // Fedify, Zod and the gazetteer again for each file took most of a
          // unit run (108 s isolated against 35 s shared, loaded). Unit files
          // stub no globals, environment or modules, so nothing leaks between them.
          isolate: false,
        },
      },
      {
        test: { ...shared, name: "db", include: files.db, globalSetup: ["./test/global-setup.ts"] },
      },
      {
        test: {
          ...shared,
          name: "e2e",
          include: files.e2e,
          globalSetup: ["./test/global-setup.ts"],
        },
      },
    ],
  },
});
