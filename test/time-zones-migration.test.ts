import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../src/db/connect.ts";
import { createMigrator } from "../src/db/migrate.ts";
import { createTestDatabase, testEngine } from "./helpers/database.ts";

const MIGRATION = "2026_12_08_160000_time_zones";

/**
 * Before dates were kept as dates, the forms stored a picked day as the
 * next midnight UTC: the migration gives those rows their date back, and
 * leaves deadlines set to a time of day as instants.
 */
describe(`the time zones migration (${testEngine})`, () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    await handle.close();
  });

  it("gives a midnight-UTC deadline its picked date back, and nothing else", async () => {
    const migrator = createMigrator(handle.db, handle.schema);
    const names = (await migrator.getMigrations()).map((m) => m.name);
    const before = names[names.indexOf(MIGRATION) - 1]!;
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    await sql`
      INSERT INTO groups (id, handle, name, created_at, updated_at)
      VALUES ('g1', 'food', 'Food', now(), now())
    `.execute(handle.db);
    for (const [id, at] of [
      ["p1", "2026-12-10T00:00:00Z"],
      ["p2", "2026-12-10T18:30:00Z"],
    ] as const) {
      await sql`
        INSERT INTO proposals (id, group_id, purpose, title, category, expires_at,
          created_at, updated_at)
        VALUES (${id}, 'g1', 'request', 'Rice', 'food', ${at}::timestamptz, now(), now())
      `.execute(handle.db);
    }
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const rows = await handle.db
      .selectFrom("proposals")
      .select(["id", "expires_on"])
      .orderBy("id")
      .execute();
    expect(rows).toEqual([
      { id: "p1", expires_on: "2026-12-09" },
      { id: "p2", expires_on: null },
    ]);
    const group = await handle.db
      .selectFrom("groups")
      .select("time_zone")
      .executeTakeFirstOrThrow();
    expect(group.time_zone).toBeNull();
  });
});
