import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "./connect.ts";
import { pruneRelayed, recordRelayed, wasRelayed } from "./relayed-changes.repo.ts";

const T0 = Temporal.Instant.from("2026-12-01T10:00:00Z");
const OBJECT = "https://a.example/objects/1";

describe("relayed changes", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    await handle?.close();
  });

  it("remembers a change once, whatever the number of paths it came by", async () => {
    const change = { activityId: `${OBJECT}#update-1`, objectId: OBJECT };
    expect(await wasRelayed(handle.db, change.activityId)).toBe(false);
    await recordRelayed(handle.db, change, T0);
    await recordRelayed(handle.db, change, T0.add({ minutes: 5 }));
    expect(await wasRelayed(handle.db, change.activityId)).toBe(true);
    expect(await wasRelayed(handle.db, `${OBJECT}#update-2`)).toBe(false);
  });

  it("forgets only what was recorded before the cut", async () => {
    await recordRelayed(
      handle.db,
      { activityId: `${OBJECT}#delete`, objectId: OBJECT },
      T0.add({ hours: 2 }),
    );
    expect(await pruneRelayed(handle.db, T0.add({ hours: 1 }))).toBe(1);
    expect(await wasRelayed(handle.db, `${OBJECT}#update-1`)).toBe(false);
    expect(await wasRelayed(handle.db, `${OBJECT}#delete`)).toBe(true);
  });
});
