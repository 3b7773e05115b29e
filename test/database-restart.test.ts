import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { type DatabaseHandle, openPostgres } from "../src/db/connect.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { testEngine } from "./helpers/database.ts";
import { ADMIN_TOKEN, freePort } from "./helpers/instance.ts";
import { pooledKeyPairGenerator } from "./helpers/test-keys.ts";
import { waitFor } from "./helpers/wait.ts";

/**
 * A PostgreSQL restart or failover as the instance sees it: every backend it
 * holds is terminated, new connections are refused for a while, then the
 * server takes them again. The process must live through it (an exception
 * thrown from the driver's timers would end it; Vitest fails the run on any
 * uncaught exception or unhandled rejection), `/healthz` must say 503 while
 * the database is away and 200 once it is back, and the API must work again.
 * PostgreSQL only: the embedded database has no connections to lose.
 */
describe.runIf(testEngine === "postgres")("a PostgreSQL restart", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it("is survived: /healthz says 503, then 200, and the API works again", async () => {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    const name = `bh_restart_${randomBytes(5).toString("hex")}`;
    const admin = openPostgres({ url: url.href, maxConnections: 1 });
    cleanups.push(() => admin.close());
    await sql`CREATE DATABASE ${sql.id(name)}`.execute(admin.db);
    cleanups.push(async () => {
      await sql`ALTER DATABASE ${sql.id(name)} ALLOW_CONNECTIONS true`.execute(admin.db);
      await sql`DROP DATABASE IF EXISTS ${sql.id(name)} WITH (FORCE)`.execute(admin.db);
    });
    const own = new URL(url);
    own.pathname = `/${name}`;
    const database: DatabaseHandle = openPostgres({ url: own.href, maxConnections: 4 });
    cleanups.push(() => database.close());

    const port = await freePort();
    const config = loadConfig({
      HOST: "127.0.0.1",
      PORT: String(port),
      ORIGIN: `http://127.0.0.1:${port}`,
      ADMIN_TOKEN,
      ALLOW_PRIVATE_ADDRESS: "true",
      LOG_LEVEL: "error",
    });
    const server: RunningServer = await startServer(config, {
      database,
      keys: pooledKeyPairGenerator,
      queue: { pollIntervalMs: 50 },
    });
    cleanups.push(() => server.stop());
    const origin = config.origin;
    const call = (method: string, path: string, body?: unknown) =>
      fetch(new URL(path, origin), {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    const health = async () => (await fetch(new URL("/healthz", origin))).status;

    expect((await call("POST", "/api/v1/groups", { handle: "food", name: "Food" })).status).toBe(
      201,
    );
    expect(await health()).toBe(200);

    // Requests keep coming while the database goes away, as they would in
    // production; their answers do not matter, only that they settle.
    let traffic = true;
    const load = (async () => {
      let n = 0;
      while (traffic) {
        n++;
        await Promise.allSettled([
          call("GET", "/api/v1/groups/food"),
          call("POST", "/api/v1/groups", { handle: `g${n}`, name: `Group ${n}` }),
          health(),
        ]);
      }
    })();

    const backends = sql`
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = ${name} AND pid <> pg_backend_pid()`;
    try {
      await sql`ALTER DATABASE ${sql.id(name)} ALLOW_CONNECTIONS false`.execute(admin.db);
      await backends.execute(admin.db);
      await waitFor("/healthz to say the database is away", async () => (await health()) === 503);
      // Away for a while: the driver retries and is refused meanwhile.
      const awayUntil = performance.now() + 3000;
      while (performance.now() < awayUntil) {
        await backends.execute(admin.db);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await sql`ALTER DATABASE ${sql.id(name)} ALLOW_CONNECTIONS true`.execute(admin.db);
    }

    // postgres.js waits longer between attempts each time one is refused
    // (3^n / 100 s, up to 20 s), so the first one after the outage can come
    // several seconds after it.
    await waitFor(
      "/healthz to say the database is back",
      async () => (await health()) === 200,
      30_000,
    );
    traffic = false;
    await load;
    await waitFor(
      "the API to work again",
      async () =>
        (await call("POST", "/api/v1/groups", { handle: "after", name: "After" })).status === 201,
    );
    expect((await call("GET", "/api/v1/groups/after")).status).toBe(200);
    expect(await health()).toBe(200);
  }, 60_000);
});
