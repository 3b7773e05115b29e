import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeRemoteProposal } from "../src/db/remote-proposals.repo.ts";
import { newId } from "../src/domain/ids.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * `near=lat,lon&km=` on the boards: only what lies within km of the point
 * (measured to the place as shown publicly), still in board order, each item
 * with its distance.
 */
describe("boards near a place", () => {
  let instance: TestInstance;
  let incident: { id: string; objectId: string };
  const centre = { latitude: 14.6, longitude: 121.0 };
  // One degree of latitude is about 111.19 km; these are rounded to two
  // decimals before any distance is measured.
  const north = (km: number) => ({ latitude: centre.latitude + km / 111.19, longitude: 121.0 });

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food" });
    const res = await instance.api("POST", "/api/v1/groups/food/incidents", {
      name: "Hurricane Lena",
      area: { center: centre, radiusKm: 150 },
      startsAt: "2026-11-20T00:00:00Z",
    });
    expect(res.status).toBe(201);
    incident = await res.json();
    const needs = [
      { title: "Baby formula", urgency: "low", km: 5 },
      { title: "Insulin", urgency: "critical", km: 14 },
      { title: "Generator", urgency: "critical", km: 16 },
      { title: "Tarpaulins", urgency: "normal", km: 40 },
    ];
    for (const need of needs) {
      const created = await instance.api("POST", "/api/v1/groups/food/needs", {
        title: need.title,
        category: "other",
        urgency: need.urgency,
        incident: incident.objectId,
        location: { name: need.title, ...north(need.km) },
      });
      expect(created.status).toBe(201);
    }
    expect(
      (
        await instance.api("POST", "/api/v1/groups/food/needs", {
          title: "Phone credit",
          category: "communication",
          incident: incident.objectId,
        })
      ).status,
    ).toBe(201);
    // A participant's need as it is held after its delivery, 10 km north.
    const now = Temporal.Now.instant();
    const stored = await storeRemoteProposal(
      instance.database.db,
      {
        objectId: "https://b.example/objects/water",
        originActorId: "https://b.example/groups/water",
        kind: "proposal",
        purpose: "request",
        title: "Drinking water",
        summaryText: "",
        category: "water",
        categoryUri: "urn:bayanihan:category:water",
        quantity: null,
        remainingAmount: null,
        quantityStep: null,
        intentId: null,
        location: { name: "Barangay hall", ...north(10) },
        urgency: "high",
        status: "open",
        expiresAt: null,
        url: "https://b.example/needs/water",
        publishedAt: now,
        updatedAt: now,
        incident: incident.objectId,
      },
      newId(),
      now,
    );
    expect(stored?.outcome).toBe("inserted");
  });
  afterAll(async () => {
    await instance?.stop();
  });

  const board = async (query: string) => {
    const res = await instance.api(
      "GET",
      `/api/v1/incidents/${incident.id}/board${query}`,
      undefined,
      null,
    );
    return { res, body: await res.json() };
  };

  it("keeps board order and names each item's distance to its shared place", async () => {
    const { res, body } = await board("?near=14.6,121&km=15");
    expect(res.status).toBe(200);
    const items: { title: string; distanceKm: number; source: string }[] = body.items;
    expect(items.map((i) => i.title)).toEqual(["Insulin", "Drinking water", "Baby formula"]);
    expect(items.map((i) => i.source)).toEqual(["local", "remote", "local"]);
    // 14.6 + 14/111.19 rounds to 14.73: 0.13° north, 14.5 km; the others likewise.
    expect(items.map((i) => i.distanceKm)).toEqual([14.5, 10, 4.4]);
    const whole = await board("");
    expect(whole.body.items).toHaveLength(6);
    expect(whole.body.items.every((i: object) => !("distanceKm" in i))).toBe(true);
  });

  it("measures to the rounded place, so a need just past the radius stays out", async () => {
    // Generator: 16 km north, 14.74 once rounded: 15.6 km.
    expect(
      (await board("?near=14.6,121&km=15.5")).body.items.map((i: { title: string }) => i.title),
    ).not.toContain("Generator");
    expect(
      (await board("?near=14.6,121&km=15.6")).body.items.map((i: { title: string }) => i.title),
    ).toContain("Generator");
  });

  it("filters the allies board the same way", async () => {
    const res = await instance.api(
      "GET",
      "/api/v1/groups/food/board?near=14.6,121&km=6",
      undefined,
      null,
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.items.map((i: { title: string }) => i.title)).toEqual(["Baby formula"]);
  });

  it("refuses a point off the Earth, a radius out of range and km without near", async () => {
    for (const query of ["?near=91,0", "?near=14.6,121&km=0", "?near=14.6,121&km=20001", "?km=5"]) {
      const { res, body } = await board(query);
      expect(res.status).toBe(400);
      expect(body.error).toBe("invalid_request");
      expect(typeof body.message).toBe("string");
    }
  });
});
