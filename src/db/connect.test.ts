import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { testEngine } from "../../test/helpers/database.ts";
import { waitFor } from "../../test/helpers/wait.ts";
import { openPostgres } from "./connect.ts";

/**
 * What a PostgreSQL restart does to one connection: its backend is
 * terminated while Kysely holds it. The driver must reject the queries sent
 * on it afterwards (postgres.js 3.4.9 threw a TypeError from a timer
 * instead, which ends the process, and left the query pending forever), and
 * the pool must serve the next query on a new connection.
 */
describe.runIf(testEngine === "postgres")("a PostgreSQL handle whose backend is terminated", () => {
  const url = process.env.TEST_DATABASE_URL!;
  const applicationName = `bh_connect_${randomBytes(4).toString("hex")}`;
  const handle = openPostgres({ url, maxConnections: 2, applicationName });
  const admin = openPostgres({ url, maxConnections: 1 });
  afterAll(async () => {
    await handle.close();
    await admin.close();
  });

  it("rejects the queries on the lost connection, then works on a new one", async () => {
    await handle.db.connection().execute(async (connection) => {
      const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(
        connection,
      );
      await sql`SELECT pg_terminate_backend(${rows[0]!.pid})`.execute(admin.db);
      await waitFor("the backend to be gone", async () => {
        const left = await sql`SELECT 1 FROM pg_stat_activity WHERE pid = ${rows[0]!.pid}`.execute(
          admin.db,
        );
        return left.rows.length === 0;
      });
      await expect(sql`SELECT 1`.execute(connection)).rejects.toThrow();
      // The second query is the one 3.4.9 wrote to a socket it no longer had.
      await expect(sql`SELECT 1`.execute(connection)).rejects.toThrow();
    });
    const { rows } = await sql<{ one: number }>`SELECT 1 AS one`.execute(handle.db);
    expect(rows).toEqual([{ one: 1 }]);
  });
});
