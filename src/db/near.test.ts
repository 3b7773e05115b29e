import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/database.ts";
import { coarsen, haversineKm } from "../domain/geo.ts";
import { newId } from "../domain/ids.ts";
import type { NearQuery } from "../domain/near.ts";
import type { DatabaseHandle } from "./connect.ts";
import { type DistanceCursor, selectNearest, selectNearestWithin } from "./near.ts";
import { PROPOSAL_PLACE } from "./proposals.repo.ts";

/**
 * The growing circles of selectNearest against one statement over the
 * whole radius, on a crowd of points: dense around a centre, sparse
 * farther out, many sharing one rounded place, some marked exact. Every
 * page walk must give exactly the single statement's order.
 */
describe("selectNearest", () => {
  let handle: DatabaseHandle;
  const groupId = newId();
  const db = () => handle.db;
  const CENTER = { latitude: 10.3157, longitude: 123.8854 };
  const points: { id: string; latitude: number; longitude: number; exact: boolean }[] = [];

  // A small deterministic generator: the same crowd on every run.
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };

  beforeAll(async () => {
    handle = await createTestDatabase();
    const now = new Date();
    await db()
      .insertInto("groups")
      .values({
        id: groupId,
        handle: "crowd",
        name: "Crowd",
        summary: "",
        follow_policy: "open",
        created_at: now,
        updated_at: now,
      })
      .execute();
    for (let i = 0; i < 600; i++) {
      // 70 % within ~3 km, the rest up to ~60 km; every fifth on a shared place.
      const spread = i % 10 < 7 ? 0.03 : 0.55;
      const latitude =
        i % 5 === 0 ? CENTER.latitude + 0.01 : CENTER.latitude + (random() - 0.5) * 2 * spread;
      const longitude =
        i % 5 === 0 ? CENTER.longitude : CENTER.longitude + (random() - 0.5) * 2 * spread;
      points.push({ id: newId(), latitude, longitude, exact: i % 13 === 0 });
    }
    await db()
      .insertInto("proposals")
      .values(
        points.map((p, i) => ({
          id: p.id,
          group_id: groupId,
          purpose: "request" as const,
          title: `Need ${i}`,
          description: "",
          category: "food",
          urgency: "normal" as const,
          audience: "public" as const,
          status: "open" as const,
          location_name: "Here",
          latitude: p.latitude,
          longitude: p.longitude,
          location_exact: p.exact,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
  });

  afterAll(async () => {
    await handle?.close();
  });

  const query = () => db().selectFrom("proposals").selectAll("proposals");

  async function walk(near: NearQuery, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let after: DistanceCursor | undefined;
    for (let pages = 0; pages < 1000; pages++) {
      const rows = await selectNearest(db(), query(), PROPOSAL_PLACE, near, { limit, after });
      ids.push(...rows.map((r) => r.id));
      const last = rows.at(-1);
      if (rows.length < limit || last === undefined) return ids;
      after = { distanceKm: last.distance_km, id: last.id };
    }
    throw new Error("no end");
  }

  it.each([
    { km: 2, limit: 7 },
    { km: 15, limit: 20 },
    { km: 80, limit: 33 },
    { km: 80, limit: 1000 },
  ])("walks pages of $limit within $km km in the single statement's order", async (c) => {
    const near = { center: CENTER, km: c.km };
    const whole = await selectNearestWithin(db(), query(), PROPOSAL_PLACE, near, {
      limit: 10_000,
    });
    const expected = points
      .map((p) => ({
        id: p.id,
        km: haversineKm(CENTER, p.exact ? p : coarsen(p)),
      }))
      .filter((p) => p.km <= c.km);
    // SQL and JavaScript agree on the set and on every distance.
    expect(whole.map((r) => r.id).sort()).toEqual(expected.map((p) => p.id).sort());
    for (const row of whole) {
      const mine = expected.find((p) => p.id === row.id)!;
      expect(row.distance_km).toBeCloseTo(mine.km, 9);
    }
    expect(whole.length).toBeGreaterThan(c.limit === 1000 ? 0 : c.limit);
    expect(await walk(near, c.limit)).toEqual(whole.map((r) => r.id));
  });
});
