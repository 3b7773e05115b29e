import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/** The group page's map: server-drawn SVG markers, tiles only when configured. */
describe("board map", () => {
  const instances: TestInstance[] = [];
  let plain: TestInstance;
  let tiled: TestInstance;

  const needs = [
    // Two needs a few hundred metres apart: the same ~1 km cell once coarsened.
    {
      title: "Insulin coolers",
      category: "medication",
      urgency: "critical",
      location: { name: "Clinic", latitude: 14.60123, longitude: 120.98234 },
    },
    {
      title: "Baby formula",
      category: "food",
      urgency: "high",
      location: { name: "Clinic annex", latitude: 14.60389, longitude: 120.98411 },
    },
    {
      title: "Tarpaulins",
      category: "shelter",
      urgency: "low",
      location: { name: "Harbour", latitude: 14.5801, longitude: 120.9655 },
    },
    { title: "Phone credit", category: "communication", urgency: "normal" },
  ];

  async function withGroup(instance: TestInstance) {
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    for (const need of needs) {
      expect((await instance.api("POST", "/api/v1/groups/food/needs", need)).status).toBe(201);
    }
    const offer = await instance.api("POST", "/api/v1/groups/food/offers", {
      title: "Cool boxes to lend",
      category: "medication",
      urgency: "normal",
      location: { name: "Pier 4", latitude: 14.59, longitude: 120.97 },
    });
    expect(offer.status).toBe(201);
    return instance;
  }

  beforeAll(async () => {
    plain = await withGroup(await startTestInstance());
    instances.push(plain);
    tiled = await withGroup(
      await startTestInstance({
        env: {
          MAP_TILE_URL: "https://tiles.example/osm/{z}/{x}/{y}.png",
          MAP_TILE_ATTRIBUTION: "© OpenStreetMap contributors",
        },
      }),
    );
    instances.push(tiled);
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
  });

  const groupPage = async (instance: TestInstance) => {
    const res = await fetch(new URL("/groups/food", instance.config.origin));
    expect(res.status).toBe(200);
    return { res, html: await res.text() };
  };

  it("draws a marker per located item, linked to its page, coloured by urgency, shaped by kind", async () => {
    const { html } = await groupPage(plain);
    const map = /<figure class="map">.*?<\/figure>/s.exec(html)?.[0] ?? "";
    expect(map).toContain("<svg");
    const markers = [
      ...map.matchAll(
        /<a href="([^"]+)" aria-label="([^"]+)"><circle class="marker marker-(\w+)"/g,
      ),
    ];
    expect(markers.map((m) => [m[2], m[3]]).sort()).toEqual(
      [
        ["Baby formula (Need, High)", "high"],
        ["Insulin coolers (Need, Critical)", "critical"],
        ["Tarpaulins (Need, Low)", "low"],
      ].sort(),
    );
    for (const [, href] of markers) expect(href).toMatch(/^\/needs\/[0-9a-f-]{36}$/);
    // The offer is a diamond, not a circle: told apart by shape, not colour alone.
    const offers = [
      ...map.matchAll(
        /<a href="([^"]+)" aria-label="([^"]+)"><path class="marker marker-(\w+) offer-marker" d="M[^"]+Z"/g,
      ),
    ];
    expect(offers.map((m) => [m[2], m[3]])).toEqual([
      ["Cool boxes to lend (Offer, Normal)", "normal"],
    ]);
    expect(offers[0]![1]).toMatch(/^\/offers\/[0-9a-f-]{36}$/);
    // The legend says what the colours and the shapes mean.
    const legends = [...map.matchAll(/<ul class="legend" aria-label="([^"]+)">(.*?)<\/ul>/gs)];
    expect(legends.map((m) => m[1])).toEqual(["Urgency", "Shapes"]);
    const text = (html: string) =>
      html
        .replace(/<[^>]+>/g, " ")
        .replace(/\s+/g, " ")
        .trim();
    expect(text(legends[0]![2]!)).toBe("Critical High Normal Low");
    expect(text(legends[1]![2]!)).toBe("Need Offer");
    expect(legends[1]![2]).toContain("<circle");
    expect(legends[1]![2]).toContain("<path");
    // The most urgent is drawn last, on top of the others.
    expect(markers.at(-1)?.[3]).toBe("critical");
    expect(map).toContain("1 more has no place and is only in the list.");
    // The list stays the full view: the unlocated need is in it.
    expect(html).toContain("Phone credit");
  });

  it("places markers from the coarse points, so nearby exact addresses cannot be told apart", async () => {
    const { html } = await groupPage(plain);
    const position = (title: string) =>
      new RegExp(
        `aria-label="${title} \\([^)]+\\)"><circle class="[^"]+" cx="([^"]+)" cy="([^"]+)"`,
      )
        .exec(html)
        ?.slice(1);
    const coolers = position("Insulin coolers");
    expect(coolers).toBeDefined();
    expect(position("Baby formula")).toEqual(coolers);
    expect(position("Tarpaulins")).not.toEqual(coolers);
    expect(html).not.toContain("14.60123");
    expect(html).not.toContain("120.98234");
  });

  it("works without any tile server: a plain background and images from us only", async () => {
    const { res, html } = await groupPage(plain);
    expect(html).toContain('class="graticule"');
    expect(html).not.toContain("<image");
    expect(res.headers.get("content-security-policy")).toContain("img-src 'self';");
  });

  it("loads configured tiles, allows only their origin, and credits them", async () => {
    const { res, html } = await groupPage(tiled);
    const tiles = [...html.matchAll(/<image href="([^"]+)"/g)].map((m) => m[1]);
    expect(tiles.length).toBeGreaterThan(0);
    for (const tile of tiles)
      expect(tile).toMatch(/^https:\/\/tiles\.example\/osm\/\d+\/\d+\/\d+\.png$/);
    expect(html).not.toContain('class="graticule"');
    expect(html).toContain("© OpenStreetMap contributors");
    expect(res.headers.get("content-security-policy")).toContain(
      "img-src 'self' https://tiles.example;",
    );
  });

  it("draws an incident's area on its map, fitted to it, and says so in the legend", async () => {
    const incident = await (
      await plain.api("POST", "/api/v1/groups/food/incidents", {
        name: "Flooding in Manila",
        area: { center: { latitude: 14.6, longitude: 120.98 }, radiusKm: 30 },
        startsAt: "2026-01-01T00:00:00Z",
      })
    ).json();
    const tagged = await plain.api("POST", "/api/v1/groups/food/needs", {
      title: "Sandbags",
      category: "shelter",
      urgency: "high",
      location: { name: "Riverside", latitude: 14.61, longitude: 120.99 },
      incident: incident.objectId,
    });
    expect(tagged.status).toBe(201);
    const html = await (
      await fetch(new URL(`/incidents/${incident.id}`, plain.config.origin))
    ).text();
    const map = /<figure class="map">.*?<\/figure>/s.exec(html)?.[0] ?? "";
    const area = /<polygon class="incident-area" aria-hidden="true" points="([^"]+)"/.exec(map);
    expect(area).not.toBeNull();
    const points = area![1]!.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
    expect(points).toHaveLength(48);
    // The 30 km circle is round on the map and inside the 640 × 400 drawing.
    const xs = points.map(([x]) => x);
    const ys = points.map(([, y]) => y);
    for (const x of xs) expect(x).toBeGreaterThanOrEqual(0);
    for (const x of xs) expect(x).toBeLessThanOrEqual(640);
    for (const y of ys) expect(y).toBeGreaterThanOrEqual(0);
    for (const y of ys) expect(y).toBeLessThanOrEqual(400);
    const width = Math.max(...xs) - Math.min(...xs);
    const height = Math.max(...ys) - Math.min(...ys);
    expect(width / height).toBeGreaterThan(0.95);
    expect(width / height).toBeLessThan(1.05);
    expect(map).toContain("Incident area");
    expect(map).toContain('aria-label="Sandbags (Need, High)"');
    // A group's own page has no incident area.
    expect((await groupPage(plain)).html).not.toContain("incident-area");
  });

  it("shows no map when nothing on the page has a place", async () => {
    const res = await fetch(new URL("/groups/food?category=communication", plain.config.origin));
    const html = await res.text();
    expect(html).toContain("Phone credit");
    expect(html).not.toContain('<figure class="map">');
  });
});
