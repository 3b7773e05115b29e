import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { type DatabaseHandle, openPostgres, type PGliteHandle } from "../src/db/connect.ts";
import { type RunningServer, startServer } from "../src/server.ts";
import { testEngine } from "./helpers/database.ts";
import { ADMIN_TOKEN, freePort, startTestInstance } from "./helpers/instance.ts";
import { startTcpProxy } from "./helpers/tcp-proxy.ts";
import { waitFor } from "./helpers/wait.ts";

const health = async (origin: URL) => {
  const res = await fetch(new URL("/healthz", origin));
  return { status: res.status, body: (await res.json()) as { status: string } };
};

/**
 * `/healthz` asks the database each time: 503 while it does not answer (a
 * hanging database included: the check has a short timeout), 200 again once
 * it does. On PostgreSQL the instance gets a database of its own, reached
 * through a proxy the test stops; the embedded database is held by a
 * transaction that does not end.
 */
describe(`health check (${testEngine})`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  if (testEngine === "postgres") {
    it("says unavailable within its timeout while PostgreSQL does not answer, and ok after", async () => {
      const url = new URL(process.env.TEST_DATABASE_URL!);
      const name = `bh_health_${randomBytes(5).toString("hex")}`;
      const admin = openPostgres({ url: url.href, maxConnections: 1 });
      cleanups.push(() => admin.close());
      await sql`CREATE DATABASE ${sql.id(name)}`.execute(admin.db);
      cleanups.push(async () => {
        await sql`DROP DATABASE IF EXISTS ${sql.id(name)} WITH (FORCE)`.execute(admin.db);
      });
      // The instance reaches its own database through a proxy the test can
      // stop: the server then seems to hang, connections open, as behind a
      // broken network path.
      const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
      cleanups.push(() => proxy.close());
      const own = new URL(url);
      own.hostname = "127.0.0.1";
      own.port = String(proxy.port);
      own.pathname = `/${name}`;
      const database: DatabaseHandle = openPostgres({ url: own.href });
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
      const server: RunningServer = await startServer(config, { database });
      cleanups.push(() => server.stop());
      const origin = config.origin;
      expect(await health(origin)).toEqual({ status: 200, body: { status: "ok" } });

      proxy.pause();
      expect(await health(origin)).toEqual({
        status: 503,
        body: { status: "unavailable", reason: "database" },
      });
      // Asked again while it still hangs: the same answer, as promptly.
      expect((await health(origin)).status).toBe(503);

      proxy.resume();
      await waitFor(
        "the health check to recover",
        async () => (await health(origin)).status === 200,
      );
    });
  } else {
    it("says unavailable within its timeout while the embedded database hangs, and ok after", async () => {
      const instance = await startTestInstance();
      cleanups.push(() => instance.stop());
      const origin = instance.config.origin;
      expect(await health(origin)).toEqual({ status: 200, body: { status: "ok" } });

      // PGlite runs one statement at a time: a transaction that does not end
      // holds every other query, as a database that stopped answering would.
      const { pglite } = instance.database as PGliteHandle;
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const holding = pglite.transaction(() => released);
      // Should an expectation fail, the database is let go before the instance stops.
      cleanups.push(async () => {
        release();
        await holding;
      });
      const down = await health(origin);
      expect(down).toEqual({ status: 503, body: { status: "unavailable", reason: "database" } });

      release();
      await holding;
      await waitFor(
        "the health check to recover",
        async () => (await health(origin)).status === 200,
      );
    });
  }
});
