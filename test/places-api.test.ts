import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

interface PlaceItem {
  name: string;
  latitude: number;
  longitude: number;
  country: string;
  region: string | null;
  population: number;
}

/**
 * The offline gazetteer over HTTP: `GET /api/v1/places` and `near=<name>` on
 * the lists, on both databases (the lists' near filter is SQL).
 */
describe("places: the gazetteer and near=<place name>", () => {
  let instance: TestInstance;

  const places = async (query: string) => {
    const res = await instance.api("GET", `/api/v1/places?${query}`, undefined, null);
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    instance = await startTestInstance();
    const res = await instance.api("POST", "/api/v1/groups", { handle: "qc", name: "QC" });
    expect(res.status).toBe(201);
    for (const [title, latitude, longitude] of [
      ["Rice in Quezon City", 14.65, 121.05],
      ["Water in Malolos", 14.84, 120.81],
      ["Blankets in Bogotá", 4.61, -74.08],
    ] as const) {
      const made = await instance.api("POST", "/api/v1/groups/qc/needs", {
        title,
        category: "food",
        location: { name: title, latitude, longitude },
      });
      expect(made.status).toBe(201);
    }
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("finds places by name, accents and case ignored, best first, with what tells them apart", async () => {
    const { status, body } = await places("q=quezon%20city&limit=3");
    expect(status).toBe(200);
    const first = body.items[0] as PlaceItem;
    expect(first).toMatchObject({
      name: "Quezon City",
      country: "PH",
      region: "National Capital Region",
    });
    expect(first.latitude).toBeCloseTo(14.65, 1);
    expect(first.longitude).toBeCloseTo(121.05, 1);
    expect(first.population).toBeGreaterThan(1_000_000);

    const bogota = (await places("q=Bogota&limit=1")).body.items[0] as PlaceItem;
    expect(bogota).toMatchObject({ name: "Bogotá", country: "CO" });
    const malolos = (await places("q=malolos")).body.items[0] as PlaceItem;
    expect(malolos).toMatchObject({ name: "Malolos", country: "PH", region: "Central Luzon" });
  });

  it("ranks the biggest place of a shared name first and narrows by country after a comma", async () => {
    const manila = (await places("q=Manila&limit=5")).body.items as PlaceItem[];
    expect(manila[0]).toMatchObject({ name: "Manila", country: "PH" });
    expect(manila.length).toBeGreaterThan(1);
    const populations = manila.map((p) => p.population);
    expect(populations).toEqual([...populations].sort((a, b) => b - a));
    const inUs = (await places("q=Manila,%20US&limit=5")).body.items as PlaceItem[];
    expect(inUs.length).toBeGreaterThan(0);
    expect(inUs.every((p) => p.country === "US")).toBe(true);
  });

  it("answers an unknown name with no items, and refuses a missing, long or bad query", async () => {
    expect(await places("q=Xqzzyville")).toEqual({ status: 200, body: { items: [] } });
    const long = await places(`q=${"a".repeat(10_000)}`);
    expect(long.status).toBe(400);
    expect(long.body.error).toBe("invalid_request");
    expect((await places("")).status).toBe(400);
    expect((await places("q=Manila&limit=0")).status).toBe(400);
    expect((await places("q=Manila&limit=many")).status).toBe(400);
  });

  it("takes near=<place name> wherever near=lat,lon is taken, as the best match", async () => {
    const byName = await instance.api(
      "GET",
      "/api/v1/groups/qc/needs?near=Quezon%20City&km=30",
      undefined,
      null,
    );
    expect(byName.status).toBe(200);
    const titles = ((await byName.json()).items as { title: string }[]).map((i) => i.title);
    expect(titles).toEqual(["Rice in Quezon City"]);
    const accents = await instance.api(
      "GET",
      "/api/v1/groups/qc/needs?near=bogota&km=10",
      undefined,
      null,
    );
    expect(((await accents.json()).items as { title: string }[]).map((i) => i.title)).toEqual([
      "Blankets in Bogotá",
    ]);
    const network = await instance.api(
      "GET",
      "/api/v1/groups/qc/network?near=Malolos",
      undefined,
      null,
    );
    expect(network.status).toBe(200);
  });

  it("refuses an unknown place in near with a 400 naming the parameter", async () => {
    const res = await instance.api(
      "GET",
      "/api/v1/groups/qc/needs?near=Xqzzyville",
      undefined,
      null,
    );
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe("invalid_request");
    expect(body.message).toContain("near");
    expect(body.message).toContain("Xqzzyville");
    const long = await instance.api(
      "GET",
      `/api/v1/groups/qc/needs?near=${"a".repeat(10_000)}`,
      undefined,
      null,
    );
    expect(long.status).toBe(400);
  });

  it("keeps a collective's own named places for its coordinators", async () => {
    const other = await instance.api("POST", "/api/v1/groups", { handle: "other", name: "Other" });
    expect(other.status).toBe(201);
    const token = (await (await instance.api("POST", "/api/v1/groups/qc/tokens")).json()).token;
    const otherToken = (await (await instance.api("POST", "/api/v1/groups/other/tokens")).json())
      .token;
    const clinic = { name: "Rizal Street clinic", latitude: 14.6201, longitude: 121.0533 };
    const made = await instance.api("POST", "/api/v1/groups/qc/places", clinic, token);
    expect(made.status).toBe(201);
    const saved = await made.json();
    expect(saved).toMatchObject(clinic);

    const same = { ...clinic, name: "RIZAL street CLINIC" };
    const taken = await instance.api("POST", "/api/v1/groups/qc/places", same, token);
    expect(taken.status).toBe(409);
    for (const bad of [
      { ...clinic, latitude: 91 },
      { ...clinic, name: "" },
      { ...clinic, name: "x".repeat(10_000) },
      { name: "No point" },
    ]) {
      expect((await instance.api("POST", "/api/v1/groups/qc/places", bad, token)).status).toBe(400);
    }
    expect((await instance.api("POST", "/api/v1/groups/qc/places", clinic, null)).status).toBe(401);
    expect(
      (await instance.api("POST", "/api/v1/groups/qc/places", clinic, otherToken)).status,
    ).toBe(403);
    expect(
      (await instance.api("GET", "/api/v1/groups/qc/places", undefined, otherToken)).status,
    ).toBe(403);
    const list = await (
      await instance.api("GET", "/api/v1/groups/qc/places", undefined, token)
    ).json();
    expect(list.items).toEqual([saved]);

    const path = `/api/v1/groups/qc/places/${saved.id}`;
    expect((await instance.api("DELETE", path, undefined, otherToken)).status).toBe(403);
    expect((await instance.api("DELETE", `/api/v1/groups/other/places/${saved.id}`)).status).toBe(
      404,
    );
    expect((await instance.api("DELETE", path, undefined, token)).status).toBe(204);
    expect((await instance.api("DELETE", path, undefined, token)).status).toBe(404);
    const after = await (
      await instance.api("GET", "/api/v1/groups/qc/places", undefined, token)
    ).json();
    expect(after.items).toEqual([]);
  });
});
