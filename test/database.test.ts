import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../src/db/connect.ts";
import { notify } from "../src/db/notify.ts";
import { createTestDatabase, testEngine } from "./helpers/database.ts";

describe(`test database (${testEngine})`, () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    await handle.close();
  });

  it("has every migrated table", async () => {
    const tables = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() ORDER BY table_name`.execute(handle.db);
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(["groups", "proposals", "followers", "fedify_kv", "fedify_queue"]),
    );
    expect(handle.engine).toBe(testEngine);
  });

  it("delivers its schema's notifications to listeners, and no other schema's", async () => {
    let notified = 0;
    const unlisten = await handle.listen("test_channel", () => notified++);
    // Sent from another schema of the same database: not for this handle.
    await sql`SELECT pg_notify('elsewhere__test_channel', '')`.execute(handle.db);
    await sql`SELECT pg_notify('test_channel', '')`.execute(handle.db);
    await notify(handle.db, "test_channel");
    // Delivered in commit order: the strangers' would have come first.
    await expect.poll(() => notified, { timeout: 2000 }).toBeGreaterThanOrEqual(1);
    expect(notified).toBe(1);
    await unlisten();
  });
});
