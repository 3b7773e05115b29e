import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addRemoteShare, storeRemoteProposal } from "../src/db/remote-proposals.repo.ts";
import { type Coordinates, coarsen, haversineKm } from "../src/domain/geo.ts";
import { newId } from "../src/domain/ids.ts";
import { roundDistanceKm } from "../src/domain/near.ts";
import type { RemoteProposal } from "../src/domain/remote-proposal.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

interface Item {
  id?: string;
  objectId: string;
  title: string;
  location: { name: string; latitude: number | null; longitude: number | null } | null;
  distanceKm?: number;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

/** The query point of most cases: central Manila. */
const Q = { latitude: 14.6, longitude: 121.0 };
/** Across the antimeridian (Fiji) and next to the North Pole. */
const FIJI = { latitude: -17.7, longitude: 179.95 };
const POLE = { latitude: 89.95, longitude: 0 };

/**
 * Places with two decimals are shared as they are stored, so the expected
 * distance is plain haversine; the comments give it.
 */
const PLACES: Record<string, Coordinates> = {
  "5 km north": { latitude: 14.65, longitude: 121.0 }, // 5.56
  "14 km east": { latitude: 14.6, longitude: 121.13 }, // 13.99
  "16 km north": { latitude: 14.74, longitude: 121.0 }, // 15.57
  "40 km north": { latitude: 14.96, longitude: 121.0 }, // 40.03
  "Fiji, west of the line": { latitude: -17.7, longitude: 179.8 }, // 15.89 from FIJI
  "Fiji, east of the line": { latitude: -17.7, longitude: -179.95 }, // 10.59
  "Fiji, south-east": { latitude: -17.75, longitude: -179.99 }, // 8.44
  "over the pole": { latitude: 89.97, longitude: 180 }, // 8.90 from POLE
  "beside the pole": { latitude: 89.9, longitude: 90 }, // 12.4
  "down from the pole": { latitude: 89.8, longitude: 0 }, // 16.68
};

const expectedKm = (from: Coordinates, place: Coordinates) =>
  roundDistanceKm(haversineKm(from, coarsen(place)));

describe("?near=lat,lon&km= on needs, offers and the network feed", () => {
  let instance: TestInstance;
  const ids: Record<string, string> = {};

  async function publish(
    handle: string,
    kind: "needs" | "offers",
    title: string,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const res = await instance.api("POST", `/api/v1/groups/${handle}/${kind}`, {
      title,
      category: "food",
      ...extra,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const id = (await res.json()).id as string;
    ids[title] = id;
    return id;
  }

  const at = (name: string, point: Coordinates, exact = false) => ({
    location: { name, ...point, ...(exact ? { exact: true } : {}) },
  });

  async function get(path: string): Promise<Page> {
    const res = await instance.api("GET", path, undefined, null);
    expect(res.status, await res.clone().text()).toBe(200);
    return res.json();
  }

  const titles = (page: Page) => page.items.map((i) => i.title);
  const distances = (page: Page) => page.items.map((i) => i.distanceKm);

  async function walk(path: string): Promise<{ items: Item[]; pages: number }> {
    const items: Item[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(
        cursor === null ? path : `${path}&cursor=${encodeURIComponent(cursor)}`,
      );
      pages++;
      items.push(...page.items);
      cursor = page.nextCursor;
      expect(pages).toBeLessThan(50);
    } while (cursor !== null);
    return { items, pages };
  }

  beforeAll(async () => {
    instance = await startTestInstance();
    for (const handle of ["food", "private", "feed"]) {
      const res = await instance.api("POST", "/api/v1/groups", { handle, name: handle });
      expect(res.status).toBe(201);
    }
    for (const [title, point] of Object.entries(PLACES)) {
      await publish("food", "needs", title, at(title, point));
    }
    await publish("food", "needs", "No place at all");
    await publish("food", "needs", "Named place, no coordinates", {
      location: { name: "Somewhere" },
    });
    await publish("food", "needs", "Followers only, 3 km", {
      ...at("Hall", { latitude: 14.6, longitude: 121.03 }),
      audience: "followers",
    });
    await publish(
      "food",
      "offers",
      "An offer 2 km away",
      at("Depot", { latitude: 14.6, longitude: 121.02 }),
    );
    // Four needs at one shared place: ties, broken by id across pages.
    for (const n of [1, 2, 3, 4]) {
      await publish(
        "food",
        "needs",
        `Same place ${n}`,
        at("Market", { latitude: 14.62, longitude: 121.0 }),
      );
    }
  });

  afterAll(async () => {
    await instance?.stop();
  });

  it("lists the needs within km, nearest first, with their distance", async () => {
    const page = await get("/api/v1/groups/food/needs?near=14.6,121.0&km=15");
    expect(titles(page)).toEqual([
      "Same place 4",
      "Same place 3",
      "Same place 2",
      "Same place 1",
      "5 km north",
      "14 km east",
    ]);
    expect(distances(page)).toEqual([2.2, 2.2, 2.2, 2.2, 5.6, 14]);
    expect(page.items.find((i) => i.title === "14 km east")?.distanceKm).toBe(
      expectedKm(Q, PLACES["14 km east"]!),
    );
    expect(page.nextCursor).toBeNull();

    const wider = await get("/api/v1/groups/food/needs?near=14.6,121.0&km=16");
    expect(titles(wider).slice(4)).toEqual(["5 km north", "14 km east", "16 km north"]);
    expect(wider.items.at(-1)?.distanceKm).toBe(15.6);

    const wide = await get("/api/v1/groups/food/needs?near=14.6,121.0&km=45");
    expect(titles(wide).slice(4)).toEqual([
      "5 km north",
      "14 km east",
      "16 km north",
      "40 km north",
    ]);
    expect(wide.items.at(-1)?.distanceKm).toBe(expectedKm(Q, PLACES["40 km north"]!));
  });

  it("measures across the antimeridian and over a pole", async () => {
    const fiji = await get("/api/v1/groups/food/needs?near=-17.7,179.95&km=15");
    expect(titles(fiji)).toEqual(["Fiji, south-east", "Fiji, east of the line"]);
    expect(distances(fiji)).toEqual([
      expectedKm(FIJI, PLACES["Fiji, south-east"]!),
      expectedKm(FIJI, PLACES["Fiji, east of the line"]!),
    ]);
    expect(distances(fiji)).toEqual([8.4, 10.6]);
    const fijiWide = await get("/api/v1/groups/food/needs?near=-17.7,179.95&km=16");
    expect(titles(fijiWide)).toEqual([
      "Fiji, south-east",
      "Fiji, east of the line",
      "Fiji, west of the line",
    ]);

    const pole = await get("/api/v1/groups/food/needs?near=89.95,0&km=15");
    expect(titles(pole)).toEqual(["over the pole", "beside the pole"]);
    expect(distances(pole)).toEqual([
      expectedKm(POLE, PLACES["over the pole"]!),
      expectedKm(POLE, PLACES["beside the pole"]!),
    ]);
    expect(distances(pole)[0]).toBe(8.9);
    const poleWide = await get("/api/v1/groups/food/needs?near=89.95,0&km=17");
    expect(titles(poleWide)).toEqual(["over the pole", "beside the pole", "down from the pole"]);
  });

  it("takes 25 km without km, and leaves out what has no coordinates or is not public", async () => {
    const page = await get("/api/v1/groups/food/needs?near=14.6,121.0");
    expect(titles(page).slice(4)).toEqual(["5 km north", "14 km east", "16 km north"]);
    const everything = await get("/api/v1/groups/food/needs?near=0,0&km=20000&limit=100");
    expect(everything.items).toHaveLength(Object.keys(PLACES).length + 4);
    expect(titles(everything)).not.toContain("No place at all");
    expect(titles(everything)).not.toContain("Named place, no coordinates");
    expect(titles(everything)).not.toContain("Followers only, 3 km");
    // Offers are their own list.
    expect(titles(await get("/api/v1/groups/food/offers?near=14.6,121.0&km=5"))).toEqual([
      "An offer 2 km away",
    ]);
    // The group's coordinator sees its followers-only need too.
    const res = await instance.api("GET", "/api/v1/groups/food/needs?near=14.6,121.0&km=3.5");
    const coordinator: Page = await res.json();
    expect(titles(coordinator)).toEqual([
      "Same place 4",
      "Same place 3",
      "Same place 2",
      "Same place 1",
      "Followers only, 3 km",
    ]);
  });

  it("pages through near results without duplicates or gaps, ties included", async () => {
    const all = await get("/api/v1/groups/food/needs?near=14.6,121.0&km=45&limit=100");
    expect(all.items).toHaveLength(8);
    for (const limit of [1, 2, 3]) {
      const walked = await walk(`/api/v1/groups/food/needs?near=14.6,121.0&km=45&limit=${limit}`);
      expect(walked.items.map((i) => i.id)).toEqual(all.items.map((i) => i.id));
      expect(walked.pages).toBe(Math.floor(8 / limit) + 1);
    }
  });

  it("measures to the shared place: the exact point neither shows nor decides", async () => {
    // Stored exactly; shared as (14.61, 121.05), 5.49 km from Q, while the
    // exact point is 5.10 km away.
    const exact = { latitude: 14.61234, longitude: 121.04567 };
    await publish("private", "needs", "Private address", {
      ...at("A house", exact),
      contact: "Ana, +63 917 000 1111",
    });
    // Marked exact (a public drop-off site): measured as it is.
    const site = { latitude: 14.62345, longitude: 121.01234 };
    await publish("private", "needs", "Drop-off site", at("School gate", site, true));

    const res = await instance.api(
      "GET",
      "/api/v1/groups/private/needs?near=14.6,121.0&km=6",
      undefined,
      null,
    );
    const text = await res.text();
    const page: Page = JSON.parse(text);
    expect(titles(page)).toEqual(["Drop-off site", "Private address"]);
    const house = page.items[1]!;
    expect(house.distanceKm).toBe(roundDistanceKm(haversineKm(Q, coarsen(exact))));
    expect(house.distanceKm).toBe(5.5);
    expect(roundDistanceKm(haversineKm(Q, exact))).toBe(5.1);
    expect(house.location).toEqual({ name: "A house", latitude: 14.61, longitude: 121.05 });
    expect(text).not.toContain("14.61234");
    expect(text).not.toContain("121.04567");
    expect(text).not.toContain("+63 917 000 1111");
    expect(page.items[0]!.distanceKm).toBe(roundDistanceKm(haversineKm(Q, site)));
    expect(page.items[0]!.location?.latitude).toBe(site.latitude);

    // The cut-off is on the shared place too: at 5.3 km the house is out
    // although its exact point is within, so narrowing km reveals nothing.
    expect(titles(await get("/api/v1/groups/private/needs?near=14.6,121.0&km=5.3"))).toEqual([
      "Drop-off site",
    ]);
    expect(titles(await get("/api/v1/groups/private/needs?near=14.6,121.0&km=5.5"))).toEqual([
      "Drop-off site",
      "Private address",
    ]);
    // Coordinators see the exact point, and the same (shared) distance.
    const coordinator: Page = await (
      await instance.api("GET", "/api/v1/groups/private/needs?near=14.6,121.0&km=6")
    ).json();
    expect(coordinator.items[1]?.location?.latitude).toBe(exact.latitude);
    expect(coordinator.items[1]?.distanceKm).toBe(5.5);
  });

  it("filters the network feed by distance from the rounded place", async () => {
    const db = instance.database.db;
    const feed = await db
      .selectFrom("groups")
      .select("id")
      .where("handle", "=", "feed")
      .executeTakeFirstOrThrow();
    const now = new Date();
    const follow = (actorId: string) => ({
      id: newId(),
      group_id: feed.id,
      actor_id: actorId,
      inbox_url: `${actorId}/inbox`,
      shared_inbox_url: null,
      follow_activity_id: `${instance.config.origin.origin}/follows/${newId()}`,
      state: "accepted" as const,
      created_at: now,
      updated_at: now,
    });
    const AUTHOR = "https://b.example/groups/relief";
    const SHARER = "https://c.example/groups/water";
    await db
      .insertInto("following")
      .values([follow(AUTHOR), follow(SHARER)])
      .execute();
    const remote = (title: string, point: Coordinates | null, origin = AUTHOR): RemoteProposal => {
      const t = Temporal.Now.instant();
      return {
        objectId: `${origin.replace(/groups\/.*$/, "objects/")}${newId()}`,
        originActorId: origin,
        kind: "proposal",
        purpose: "request",
        title,
        summaryText: "",
        category: "food",
        categoryUri: "urn:bayanihan:category:food",
        quantity: null,
        remainingAmount: null,
        quantityStep: null,
        intentId: null,
        location: point === null ? null : { name: title, ...point },
        urgency: "normal",
        status: "open",
        expiresAt: null,
        url: null,
        publishedAt: t,
        updatedAt: t,
      };
    };
    const store = async (value: RemoteProposal) => {
      const stored = await storeRemoteProposal(db, value, newId(), Temporal.Now.instant());
      expect(stored?.outcome).toBe("inserted");
      return stored!.id;
    };
    // Sent with more precision than ours would: measured rounded all the same.
    await store(remote("Remote, precise 5 km", { latitude: 14.61234, longitude: 121.04567 }));
    await store(remote("Remote, 14 km", PLACES["14 km east"]!));
    await store(remote("Remote, 16 km", PLACES["16 km north"]!));
    await store(remote("Remote, no place", null));
    const stranger = await store(
      remote(
        "Re-shared by a followed group, 2 km",
        { latitude: 14.62, longitude: 121.0 },
        "https://d.example/groups/other",
      ),
    );
    await addRemoteShare(
      db,
      { remoteProposalId: stranger, sharerActorId: SHARER, announceId: `${SHARER}#a1` },
      Temporal.Now.instant(),
    );
    await store(
      remote(
        "Not followed, 1 km",
        { latitude: 14.61, longitude: 121.0 },
        "https://e.example/groups/x",
      ),
    );

    const page = await get("/api/v1/groups/feed/network?near=14.6,121.0&km=15");
    expect(titles(page)).toEqual([
      "Re-shared by a followed group, 2 km",
      "Remote, precise 5 km",
      "Remote, 14 km",
    ]);
    expect(distances(page)).toEqual([2.2, 5.5, 14]);
    expect(page.items[0] as unknown as { sharedBy: string[] }).toMatchObject({
      sharedBy: [SHARER],
    });
    const walked = await walk("/api/v1/groups/feed/network?near=14.6,121.0&km=16&limit=1");
    expect(walked.items.map((i) => i.title)).toEqual([
      "Re-shared by a followed group, 2 km",
      "Remote, precise 5 km",
      "Remote, 14 km",
      "Remote, 16 km",
    ]);
    // Without near, the feed is as it was: newest first, unlocated ones included.
    const plain = await get("/api/v1/groups/feed/network");
    expect(plain.items).toHaveLength(5);
    expect(plain.items.every((i) => i.distanceKm === undefined)).toBe(true);
  });

  it.each([
    ["/api/v1/groups/food/needs", "near=abc", "near"],
    ["/api/v1/groups/food/needs", "near=91,0", "near"],
    ["/api/v1/groups/food/needs", "near=0,181", "near"],
    ["/api/v1/groups/food/needs", "near=0,0&km=0", "km"],
    ["/api/v1/groups/food/needs", "near=0,0&km=-3", "km"],
    ["/api/v1/groups/food/needs", "near=0,0&km=20001", "km"],
    ["/api/v1/groups/food/needs", "near=0,0&km=ten", "km"],
    ["/api/v1/groups/food/offers", "km=15", "km"],
    ["/api/v1/groups/feed/network", "near=14.6", "near"],
    ["/api/v1/groups/feed/network", "km=5", "km"],
  ])("%s?%s is a 400 naming %s", async (path, search, parameter) => {
    const res = await instance.api("GET", `${path}?${search}`, undefined, null);
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error).toBe("invalid_request");
    expect(body.message).toMatch(new RegExp(`^${parameter}\\b`));
    expect(body.details).toEqual({ issues: [{ path: parameter, message: body.message }] });
  });

  it("shows the group page nearest first with distances when the link has near and km", async () => {
    const page = async (search: string) => {
      const res = await fetch(new URL(`/groups/food${search}`, instance.config.origin), {
        headers: { accept: "text/html", "accept-language": "en" },
      });
      expect(res.status).toBe(200);
      return res.text();
    };
    const html = await page("?near=14.6,121.0&km=15");
    const order = ["Same place 4", "Same place 1", "5 km north", "14 km east"].map((title) =>
      html.indexOf(`>${title}</a>`),
    );
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(html).toContain("5.6 km away");
    expect(html).toContain("14 km away");
    expect(html).not.toContain("16 km north");
    expect(html).not.toContain("No place at all");
    expect(html).toContain("Nearest first: only what has a place within 15 km of 14.6,121");
    // The other filters keep the place.
    expect(html).toContain('<input type="hidden" name="near" value="14.6,121"');
    expect(html).toContain('<input type="hidden" name="km" value="15"');
    // Offers too, by their own distance.
    expect(html).toMatch(/>An offer 2 km away<\/a>[\s\S]*?Depot · 2.2 km away/);

    // A bad place is said, and the page lists everything as without it.
    const bad = await page("?near=91,0");
    expect(bad).toContain("The place in this link could not be read");
    expect(bad).toContain("latitude must be between -90 and 90");
    expect(bad).toContain("No place at all");
    expect(bad).not.toMatch(/· [\d.]+ km away/);
    // Empty fields are "not given", as for the other filters.
    const empty = await page("?near=&km=&category=");
    expect(empty).not.toContain("could not be read");
    expect(empty).toContain("No place at all");
  });

  it("documents near and km in the OpenAPI document", async () => {
    const doc = await (await instance.api("GET", "/api/openapi.json", undefined, null)).json();
    for (const path of ["/api/v1/groups/{handle}/needs", "/api/v1/groups/{handle}/network"]) {
      const names = (doc.paths[path].get.parameters as { name: string }[]).map((p) => p.name);
      expect(names).toEqual(expect.arrayContaining(["near", "km", "cursor"]));
    }
    // The list item is the Proposal plus distanceKm (allOf).
    expect(doc.components.schemas.ListedProposal.allOf).toEqual([
      { $ref: "#/components/schemas/Proposal" },
      expect.objectContaining({
        properties: { distanceKm: expect.objectContaining({ type: "number" }) },
      }),
    ]);
    expect(doc.components.schemas.NetworkItem.properties.distanceKm).toBeDefined();
  });

  it("refuses a cursor of the other order", async () => {
    const newest = await get("/api/v1/groups/food/needs?limit=1");
    expect(newest.nextCursor).not.toBeNull();
    const mixed = await instance.api(
      "GET",
      `/api/v1/groups/food/needs?near=14.6,121.0&cursor=${newest.nextCursor}`,
      undefined,
      null,
    );
    expect(mixed.status).toBe(400);
    expect((await mixed.json()).message).toMatch(/^cursor is not valid/);
    const nearest = await get("/api/v1/groups/food/needs?near=14.6,121.0&limit=1");
    const back = await instance.api(
      "GET",
      `/api/v1/groups/food/needs?cursor=${nearest.nextCursor}`,
      undefined,
      null,
    );
    expect(back.status).toBe(400);
  });
});
