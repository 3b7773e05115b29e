import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "federation/**/*.test.ts", "test/**/*.test.ts"],
    setupFiles: ["./src/polyfill.ts"],
    globalSetup: ["./test/global-setup.ts"],
    // Federation tests start real servers and wait on real deliveries.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    expect: { requireAssertions: true },
    pool: "forks",
  },
});
