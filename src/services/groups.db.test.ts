import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "../db/connect.ts";
import type { Group } from "../domain/group.ts";
import { createGroup, editGroupSettings, relayGroupUpdates } from "./groups.ts";
import type { GroupActorPublisher } from "./ports.ts";

/** The actor Update of a collective's changed settings goes through an outbox. */
describe(`collective settings (${testEngine})`, () => {
  let handle: DatabaseHandle;
  let group: Group;
  let now = Temporal.Instant.from("2026-12-09T08:00:00Z");
  const clock = () => now;
  const sent: string[] = [];
  let failing = false;
  const groupActors: GroupActorPublisher = {
    async updated(g) {
      if (failing) throw new Error("queue unavailable");
      sent.push(g.name);
    },
  };
  const pending = async () =>
    (await handle.db.selectFrom("pending_group_updates").selectAll().execute()).length;
  const settings = (name: string, timeZone: string | null = null) => ({
    name,
    summary: "",
    followPolicy: "open" as const,
    timeZone,
  });

  beforeAll(async () => {
    handle = await createTestDatabase();
    const result = await createGroup(
      { db: handle.db, keys: { generate: async () => [] }, clock },
      { handle: "water", name: "Water brigade", summary: "", followPolicy: "open" },
    );
    if (!result.ok) throw new Error("group not created");
    group = result.group;
  });
  afterAll(async () => {
    await handle.close();
  });

  it("sends an Update when the actor changes, not for the zone alone", async () => {
    now = now.add({ minutes: 1 });
    const renamed = await editGroupSettings(
      { db: handle.db, clock, groupActors },
      group,
      settings("Water brigade 12"),
    );
    expect(renamed).toMatchObject({ name: "Water brigade 12" });
    expect(sent).toEqual(["Water brigade 12"]);
    expect(await pending()).toBe(0);
    const zoned = await editGroupSettings(
      { db: handle.db, clock, groupActors },
      renamed!,
      settings("Water brigade 12", "Asia/Manila"),
    );
    expect(zoned?.timeZone).toBe("Asia/Manila");
    expect(sent).toEqual(["Water brigade 12"]);
    group = zoned!;
  });

  it("keeps the Update when it cannot be queued, and sends it on the next relay", async () => {
    failing = true;
    const renamed = await editGroupSettings(
      { db: handle.db, clock, groupActors },
      group,
      settings("Water brigade, Barangay 12", "Asia/Manila"),
    );
    // The change is saved all the same; the coordinator sees no error.
    expect(renamed?.name).toBe("Water brigade, Barangay 12");
    expect(await pending()).toBe(1);
    failing = false;
    await relayGroupUpdates({ db: handle.db, groupActors });
    expect(sent).toEqual(["Water brigade 12", "Water brigade, Barangay 12"]);
    expect(await pending()).toBe(0);
  });
});
