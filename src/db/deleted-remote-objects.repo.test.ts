import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "./connect.ts";
import {
  isDeletedRemotely,
  pruneDeletedRemoteObjects,
  recordRemoteDeletion,
} from "./deleted-remote-objects.repo.ts";

const T0 = Temporal.Instant.from("2026-12-01T10:00:00Z");

describe("tombstones of received objects", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    await handle?.close();
  });

  it("count from their time on, and a second deletion moves it on", async () => {
    const id = "https://a.example/objects/1";
    expect(await isDeletedRemotely(handle.db, id, T0.subtract({ hours: 1 }))).toBe(false);
    await recordRemoteDeletion(handle.db, id, T0);
    expect(await isDeletedRemotely(handle.db, id, T0.subtract({ hours: 1 }))).toBe(true);
    // Past the expiry window it no longer counts.
    expect(await isDeletedRemotely(handle.db, id, T0.add({ hours: 1 }))).toBe(false);
    await recordRemoteDeletion(handle.db, id, T0.add({ hours: 2 }));
    expect(await isDeletedRemotely(handle.db, id, T0.add({ hours: 1 }))).toBe(true);
  });

  it("are pruned when expired, and beyond the newest `keep`", async () => {
    await handle.db.deleteFrom("deleted_remote_objects").execute();
    for (let i = 0; i < 5; i++) {
      await recordRemoteDeletion(handle.db, `https://b.example/objects/${i}`, T0.add({ hours: i }));
    }
    // Objects 0 and 1 expired; of the other three the newest two are kept.
    expect(await pruneDeletedRemoteObjects(handle.db, T0.add({ hours: 2 }), 2)).toBe(3);
    const left = await handle.db
      .selectFrom("deleted_remote_objects")
      .select("object_id")
      .orderBy("object_id")
      .execute();
    expect(left.map((row) => row.object_id)).toEqual([
      "https://b.example/objects/3",
      "https://b.example/objects/4",
    ]);
  });
});
