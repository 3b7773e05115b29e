import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../src/db/connect.ts";
import { createMigrator } from "../src/db/migrate.ts";
import { createTestDatabase, testEngine } from "./helpers/database.ts";

const MIGRATION = "2026_12_07_150000_reconciliation";

/**
 * Copies received before reconciliation existed count as confirmed when
 * they were received: the first runs ask about the oldest ones first, not
 * about every copy at once.
 */
describe(`the reconciliation migration (${testEngine})`, () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    await handle.close();
  });

  it("back-fills confirmed_at and checked_at from received_at", async () => {
    const migrator = createMigrator(handle.db, handle.schema);
    const names = (await migrator.getMigrations()).map((m) => m.name);
    const before = names[names.indexOf(MIGRATION) - 1]!;
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    await sql`
      INSERT INTO remote_proposals (id, object_id, origin_actor_id, kind, purpose, title,
        status, published_at, remote_updated_at, received_at)
      VALUES ('01a24e2f-0000-7000-8000-000000000001', 'https://peer.example/objects/1',
        'https://peer.example/groups/aid', 'proposal', 'request', 'Rice', 'open',
        timestamptz '2026-11-01T00:00:00Z', timestamptz '2026-11-01T00:00:00Z',
        timestamptz '2026-11-02T08:00:00Z')
    `.execute(handle.db);
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const row = await handle.db
      .selectFrom("remote_proposals")
      .select(["confirmed_at", "checked_at", "unreachable_since", "stale"])
      .executeTakeFirstOrThrow();
    expect(row.confirmed_at.toISOString()).toBe("2026-11-02T08:00:00.000Z");
    expect(row.checked_at.toISOString()).toBe("2026-11-02T08:00:00.000Z");
    expect(row.unreachable_since).toBeNull();
    expect(row.stale).toBe(false);
  });
});
