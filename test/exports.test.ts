import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertProposal } from "../src/db/proposals.repo.ts";
import { newId } from "../src/domain/ids.ts";
import { parseCsvStrict } from "./helpers/csv.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { validateSchema } from "./helpers/json-schema.ts";
import { waitFor } from "./helpers/wait.ts";
import { child, childrenNamed, parseXml, textOf } from "./helpers/xml.ts";

/** Private values of the scenario: none may appear in any export. */
const CONTACT_A = "Ana Reyes, +63 917 555 0101";
const CONTACT_B = "Jun Cruz, +63 918 000 1234";
const EXACT_A = { latitude: 14.599512, longitude: 120.984222 };
const EXACT_B = { latitude: -34.603722, longitude: -58.381592 };
const HIDDEN_A = "Hidden shelter at the old school";
const HIDDEN_B = "Safe house beds for two families";
const PRIVATE_VALUES = [
  CONTACT_A,
  CONTACT_B,
  "917 555 0101",
  "918 000 1234",
  HIDDEN_A,
  HIDDEN_B,
  // The coordinates, and any reading of them finer than the ~1 km rounding.
  "14.599",
  "120.984",
  "34.603",
  "58.381",
  "14.5995",
  "120.9842",
];

const TRICKY_TITLE = 'Water, "20 L" & <script>alert(1)</script>';
const FORMULA_TITLE = '=HYPERLINK("http://evil.example","Click")';

function schema(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(
      path.resolve(import.meta.dirname, "../schemas/murmurations", `${name}.json`),
      "utf8",
    ),
  );
}

const GROUP_FILES = [
  "listings.csv",
  "listings.hxl.csv",
  "listings.geojson",
  "murmurations/offers-wants.json",
  "murmurations/groups-needs.json",
];
const NETWORK_FILES = GROUP_FILES.filter((f) => f !== "murmurations/groups-needs.json");

/**
 * Open-data exports of a group and of its network, on two real instances:
 * A's food group follows B's relief group, so what B publishes reaches A's
 * network over signed deliveries, and A's network exports show it.
 */
describe("open-data exports", () => {
  let a: TestInstance;
  let b: TestInstance;
  let tokenA: string;
  let tokenB: string;
  let relief: string;
  const published: Record<string, { id: string; objectId: string; url: string }> = {};

  const groupId = async (instance: TestInstance, handle: string) =>
    (
      await instance.database.db
        .selectFrom("groups")
        .select("id")
        .where("handle", "=", handle)
        .executeTakeFirstOrThrow()
    ).id;

  async function get(instance: TestInstance, urlPath: string): Promise<Response> {
    return instance.api("GET", urlPath, undefined, null);
  }

  async function text(instance: TestInstance, urlPath: string): Promise<string> {
    const res = await get(instance, urlPath);
    expect(res.status, urlPath).toBe(200);
    return res.text();
  }

  async function publish(
    instance: TestInstance,
    token: string,
    kind: "needs" | "offers",
    key: string,
    body: Record<string, unknown>,
  ) {
    const handle = instance === a ? "food" : "relief";
    const res = await instance.api("POST", `/api/v1/groups/${handle}/${kind}`, body, token);
    expect(res.status).toBe(201);
    published[key] = await res.json();
  }

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
    ]);
    await a.api("POST", "/api/v1/groups", {
      handle: "food",
      name: "City A Food",
      summary: "Food bank of City A",
    });
    await b.api("POST", "/api/v1/groups", { handle: "relief", name: "City B Relief" });
    tokenA = (await (await a.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    tokenB = (await (await b.api("POST", "/api/v1/groups/relief/tokens")).json()).token;
    const food = `${a.config.origin.origin}/groups/food`;
    relief = `${b.config.origin.origin}/groups/relief`;
    const now = new Date();
    await a.database.db
      .insertInto("following")
      .values({
        id: newId(),
        group_id: await groupId(a, "food"),
        actor_id: relief,
        inbox_url: `${relief}/inbox`,
        shared_inbox_url: `${b.config.origin.origin}/inbox`,
        follow_activity_id: `${food}#follows/relief`,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();
    await b.database.db
      .insertInto("followers")
      .values({
        id: newId(),
        group_id: await groupId(b, "relief"),
        actor_id: food,
        inbox_url: `${food}/inbox`,
        shared_inbox_url: `${a.config.origin.origin}/inbox`,
        follow_activity_id: null,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();

    // A's own needs and offers.
    await publish(a, tokenA, "needs", "aNeed", {
      title: TRICKY_TITLE,
      description: "Bottled, please.\nDrop-off at the side door, by the gate.",
      category: "water",
      quantity: { amount: 200, unit: "litre" },
      location: { name: "Mabini Street", ...EXACT_A },
      urgency: "critical",
      expiresAt: "2027-01-15T18:00:00Z",
      contact: CONTACT_A,
    });
    await publish(a, tokenA, "offers", "aOffer", {
      title: FORMULA_TITLE,
      description: "-5 degrees rated",
      category: "clothing",
      quantity: { amount: 12, unit: "one" },
      location: {
        name: "Depot (public drop-off)",
        latitude: 14.61234,
        longitude: 121.01234,
        exact: true,
      },
    });
    await publish(a, tokenA, "needs", "aHidden", {
      title: HIDDEN_A,
      category: "shelter",
      audience: "followers",
      location: { name: "Old school", ...EXACT_A },
      contact: CONTACT_A,
    });
    await publish(a, tokenA, "needs", "aDone", { title: "Rice, done", category: "food" });
    const done = await a.api(
      "PATCH",
      `/api/v1/needs/${published.aDone!.id}`,
      { status: "fulfilled" },
      tokenA,
    );
    expect(done.status).toBe(200);

    // B's, which reach A's network.
    await publish(b, tokenB, "needs", "bNeed", {
      title: "Insulin coolers",
      description: "For the clinic — 2–8 °C.",
      category: "medication",
      quantity: { amount: 20, unit: "one" },
      location: { name: "Clinic", ...EXACT_B },
      urgency: "high",
      contact: CONTACT_B,
    });
    await publish(b, tokenB, "needs", "bHidden", {
      title: HIDDEN_B,
      category: "shelter",
      audience: "followers",
      contact: CONTACT_B,
    });
    await waitFor("B's need in A's network", async () => {
      const feed = await (await get(a, "/api/v1/groups/food/network")).json();
      return feed.items.some((i: { objectId: string }) => i.objectId === published.bNeed!.objectId);
    });
    // B delivered the followers-only need too (A follows B); it must have been handled and dropped.
    await waitFor(
      "both delivery queues drained",
      async () =>
        (await a.database.db.selectFrom("fedify_queue").select("id").execute()).length +
          (await b.database.db.selectFrom("fedify_queue").select("id").execute()).length ===
        0,
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("answers every export without a token, with its content type", async () => {
    const types: Record<string, string> = {
      "listings.csv": "text/csv; charset=utf-8",
      "listings.hxl.csv": "text/csv; charset=utf-8",
      "listings.geojson": "application/geo+json",
      "murmurations/offers-wants.json": "application/json",
      "murmurations/groups-needs.json": "application/json",
    };
    for (const file of GROUP_FILES) {
      const res = await get(a, `/api/v1/groups/food/exports/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get("content-type"), file).toBe(types[file]);
      expect(res.headers.get("x-truncated")).toBeNull();
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("cache-control")).toBe("public, max-age=60");
    }
    for (const file of NETWORK_FILES) {
      const res = await get(a, `/api/v1/groups/food/network/exports/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get("content-type"), file).toBe(types[file]);
    }
    const csv = await get(a, "/api/v1/groups/food/exports/listings.csv?purpose=request");
    expect(csv.headers.get("content-disposition")).toBe('attachment; filename="food-needs.csv"');
    const hxl = await get(a, "/api/v1/groups/food/network/exports/listings.hxl.csv");
    expect(hxl.headers.get("content-disposition")).toBe(
      'attachment; filename="food-network-needs-and-offers.hxl.csv"',
    );
    for (const [feed, type] of [
      ["feed.rss", "application/rss+xml; charset=utf-8"],
      ["feed.atom", "application/atom+xml; charset=utf-8"],
    ] as const) {
      for (const base of ["/groups/food", "/groups/food/network"]) {
        const res = await get(a, `${base}/${feed}`);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toBe(type);
      }
    }
  });

  it("CSV and HXL: the group's open needs and offers, tricky values intact", async () => {
    const csv = parseCsvStrict(await text(a, "/api/v1/groups/food/exports/listings.csv"));
    const col = (name: string) => csv[0]!.indexOf(name);
    const rows = csv.slice(1);
    // Newest first; the fulfilled need is left out by default, the followers-only one always.
    expect(rows.map((r) => r[col("Id")])).toEqual([
      published.aOffer!.objectId,
      published.aNeed!.objectId,
    ]);
    const [offer, need] = rows as [string[], string[]];
    expect(need[col("Title")]).toBe(TRICKY_TITLE);
    expect(need[col("Need")]).toBe("Bottled, please.\nDrop-off at the side door, by the gate.");
    expect(need[col("Latitude")]).toBe("14.6");
    expect(need[col("Longitude")]).toBe("120.98");
    expect(need[col("Urgency")]).toBe("critical");
    expect(need[col("Page")]).toBe(published.aNeed!.url);
    expect(need[col("Group")]).toBe("City A Food");
    expect(need[col("Needed or available until")]).toBe("2027-01-15T18:00:00Z");
    // A formula is neutralised; a place marked exact keeps its point.
    expect(offer[col("Title")]).toBe(`'${FORMULA_TITLE}`);
    expect(offer[col("Offer")]).toBe("'-5 degrees rated");
    expect(offer[col("Latitude")]).toBe("14.61234");

    const hxl = parseCsvStrict(await text(a, "/api/v1/groups/food/exports/listings.hxl.csv"));
    expect(hxl[0]).toEqual(csv[0]);
    expect(hxl[1]![col("Title")]).toBe("#item+name");
    expect(hxl[1]![col("Latitude")]).toBe("#geo+lat");
    expect(hxl.slice(2)).toEqual(rows);

    const ids = async (query: string) =>
      parseCsvStrict(await text(a, `/api/v1/groups/food/exports/listings.csv${query}`))
        .slice(1)
        .map((r) => r[col("Id")]);
    expect(await ids("?status=fulfilled")).toEqual([published.aDone!.objectId]);
    expect(await ids("?status=open,fulfilled&purpose=request")).toEqual([
      published.aDone!.objectId,
      published.aNeed!.objectId,
    ]);
    expect(await ids("?purpose=offer")).toEqual([published.aOffer!.objectId]);
    expect(await ids("?category=water")).toEqual([published.aNeed!.objectId]);
  });

  it("names the group a received need comes from, as its actor says", async () => {
    const csv = parseCsvStrict(await text(a, "/api/v1/groups/food/network/exports/listings.csv"));
    const col = (name: string) => csv[0]!.indexOf(name);
    const row = csv.find((r) => r[col("Id")] === published.bNeed!.objectId)!;
    expect(row[col("Group")]).toBe("City B Relief");
    const geo = JSON.parse(await text(a, "/api/v1/groups/food/network/exports/listings.geojson"));
    const feature = geo.features.find((f: { id: string }) => f.id === published.bNeed!.objectId);
    expect(feature.properties).toMatchObject({ groupName: "City B Relief" });
  });

  it("GeoJSON: Points at [longitude, latitude], rounded unless marked exact", async () => {
    const geo = JSON.parse(await text(a, "/api/v1/groups/food/exports/listings.geojson"));
    expect(geo.type).toBe("FeatureCollection");
    const byId = new Map(geo.features.map((f: { id: string }) => [f.id, f]));
    expect(byId.get(published.aNeed!.objectId)).toMatchObject({
      type: "Feature",
      geometry: { type: "Point", coordinates: [120.98, 14.6] },
      properties: { type: "need", title: TRICKY_TITLE, status: "open", urgency: "critical" },
    });
    expect(byId.get(published.aOffer!.objectId)).toMatchObject({
      geometry: { type: "Point", coordinates: [121.01234, 14.61234] },
    });
    const network = JSON.parse(
      await text(a, "/api/v1/groups/food/network/exports/listings.geojson"),
    );
    expect(network.features).toHaveLength(1);
    expect(network.features[0]).toMatchObject({
      id: published.bNeed!.objectId,
      geometry: { type: "Point", coordinates: [-58.38, -34.6] },
      properties: { group: relief, title: "Insulin coolers", remaining: 20 },
    });
  });

  it("Murmurations profiles validate against the shipped schemas", async () => {
    const offersWants = schema("offers_wants_schema-v0.1.0");
    const own = JSON.parse(
      await text(a, "/api/v1/groups/food/exports/murmurations/offers-wants.json"),
    );
    const network = JSON.parse(
      await text(a, "/api/v1/groups/food/network/exports/murmurations/offers-wants.json"),
    );
    expect(own.items).toHaveLength(2);
    expect(network.items).toHaveLength(1);
    for (const profile of [...own.items, ...network.items]) {
      expect(validateSchema(offersWants, profile)).toEqual([]);
    }
    const food = `${a.config.origin.origin}/groups/food`;
    expect(own.items[1]).toMatchObject({
      linked_schemas: ["offers_wants_schema-v0.1.0"],
      exchange_type: "want",
      transaction_type: ["receive-donate"],
      contact_details: { contact_form: food },
      geolocation: { lat: 14.6, lon: 120.98 },
      details_url: published.aNeed!.url,
      expires_at: Date.parse("2027-01-15T18:00:00Z") / 1000,
    });
    expect(network.items[0]).toMatchObject({
      exchange_type: "want",
      contact_details: { contact_form: relief },
      details_url: published.bNeed!.url,
    });
    const group = JSON.parse(
      await text(a, "/api/v1/groups/food/exports/murmurations/groups-needs.json"),
    );
    expect(validateSchema(schema("groups_needs_schema-v0.0.1"), group)).toEqual([]);
    expect(group).toMatchObject({
      linked_schemas: ["groups_needs_schema-v0.0.1"],
      primary_url: food,
      tags: ["mutual-aid", "water"],
    });
    expect(group.description).toContain(TRICKY_TITLE);
  });

  it("each public need or offer has its own Murmurations profile URL, gone once it ended", async () => {
    const offersWants = schema("offers_wants_schema-v0.1.0");
    const res = await get(a, `/api/v1/needs/${published.aNeed!.id}/murmurations.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const profile = await res.json();
    expect(validateSchema(offersWants, profile)).toEqual([]);
    const bulk = JSON.parse(
      await text(a, "/api/v1/groups/food/exports/murmurations/offers-wants.json"),
    );
    expect(bulk.items).toContainEqual(profile);
    const offer = await get(a, `/api/v1/offers/${published.aOffer!.id}/murmurations.json`);
    expect((await offer.json()).exchange_type).toBe("offer");
    const ended = await get(a, `/api/v1/needs/${published.aDone!.id}/murmurations.json`);
    expect(ended.status).toBe(410);
    expect((await ended.json()).error).toBe("gone");
    for (const missing of [
      `/api/v1/needs/${published.aHidden!.id}/murmurations.json`,
      `/api/v1/offers/${published.aNeed!.id}/murmurations.json`,
      `/api/v1/needs/${newId()}/murmurations.json`,
    ]) {
      const answer = await get(a, missing);
      expect(answer.status, missing).toBe(404);
      expect((await answer.json()).error).toBe("not_found");
    }
  });

  it("RSS and Atom are well-formed, newest first, the object id as each entry's id", async () => {
    const rss = parseXml(await text(a, "/groups/food/feed.rss"));
    const channel = child(rss, "channel");
    expect(textOf(child(channel, "title"))).toBe("City A Food: needs and offers");
    const items = childrenNamed(channel, "item");
    expect(items.map((i) => textOf(child(i, "guid")))).toEqual([
      published.aOffer!.objectId,
      published.aNeed!.objectId,
    ]);
    expect(textOf(child(items[1]!, "title"))).toBe(TRICKY_TITLE);
    expect(textOf(child(items[0]!, "title"))).toBe(FORMULA_TITLE);
    const atom = parseXml(
      await text(a, "/groups/food/network/feed.atom?utm_source=x&purpose=request"),
    );
    const entries = childrenNamed(atom, "entry");
    expect(entries.map((e) => textOf(child(e, "id")))).toEqual([published.bNeed!.objectId]);
    expect(textOf(child(child(entries[0]!, "author"), "uri"))).toBe(relief);
    expect(
      childrenNamed(atom, "link").find((l) => l.attributes.rel === "self")?.attributes.href,
    ).toBe(`${a.config.origin.origin}/groups/food/network/feed.atom?purpose=request`);
  });

  it("no private value appears in any export of any group", async () => {
    const paths = [
      ...GROUP_FILES.map((f) => `/api/v1/groups/food/exports/${f}`),
      ...NETWORK_FILES.map((f) => `/api/v1/groups/food/network/exports/${f}`),
      "/groups/food/feed.rss",
      "/groups/food/feed.atom",
      "/groups/food/network/feed.rss",
      "/groups/food/network/feed.atom",
    ];
    const queries = ["", "?status=open,pledged,fulfilled,closed,expired", "?category=shelter"];
    let checked = 0;
    for (const [instance, handle] of [
      [a, "food"],
      [b, "relief"],
    ] as const) {
      for (const p of paths) {
        for (const q of queries) {
          const body = await text(instance, `${p.replace("/food/", `/${handle}/`)}${q}`);
          const found = PRIVATE_VALUES.filter(
            (v) => body.includes(v) || body.includes(JSON.stringify(v).slice(1, -1)),
          );
          expect(found, `${handle} ${p}${q}`).toEqual([]);
          checked++;
        }
      }
    }
    expect(checked).toBe(2 * paths.length * queries.length);
    for (const key of ["aNeed", "aOffer", "aHidden", "aDone"]) {
      const kind = key === "aOffer" ? "offers" : "needs";
      const body = await (
        await get(a, `/api/v1/${kind}/${published[key]!.id}/murmurations.json`)
      ).text();
      expect(
        PRIVATE_VALUES.filter((v) => body.includes(v)),
        key,
      ).toEqual([]);
    }
    // The exports did list the public items next to those private ones (the check is not vacuous).
    expect(await text(b, "/api/v1/groups/relief/exports/listings.csv")).toContain(
      "Insulin coolers",
    );
    expect(await text(a, "/api/v1/groups/food/network/exports/listings.csv")).toContain(
      "Insulin coolers",
    );
  });

  it("refuses unknown filters with a JSON error and unknown groups with 404", async () => {
    const bad = await get(a, "/api/v1/groups/food/exports/listings.csv?status=open,lost");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: "invalid_request",
      details: { unknown: ["lost"] },
    });
    const badCategory = await get(a, "/groups/food/feed.rss?category=lasers");
    expect(badCategory.status).toBe(400);
    expect((await badCategory.json()).error).toBe("invalid_request");
    const missing = await get(a, "/api/v1/groups/nobody/network/exports/listings.geojson");
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toBe("not_found");
  });

  it("caps feeds at 100 entries and says when an export was cut", async () => {
    await a.api("POST", "/api/v1/groups", { handle: "bulk", name: "Bulk" });
    const bulk = await groupId(a, "bulk");
    const t0 = Temporal.Instant.from("2026-11-01T00:00:00Z");
    for (let i = 0; i < 101; i++) {
      await insertProposal(a.database.db, {
        id: newId(),
        groupId: bulk,
        purpose: "request",
        title: `Need ${i}`,
        description: "",
        category: "food",
        quantity: null,
        location: null,
        urgency: "normal",
        expiresAt: null,
        audience: "public",
        contact: null,
        status: "open",
        pledgedAmount: "0",
        previousId: null,
        createdAt: t0.add({ minutes: i }),
        updatedAt: t0.add({ minutes: i }),
      });
    }
    const feed = await get(a, "/groups/bulk/feed.rss");
    expect(feed.headers.get("x-truncated")).toBe("true");
    const items = childrenNamed(child(parseXml(await feed.text()), "channel"), "item");
    expect(items).toHaveLength(100);
    expect(textOf(child(items[0]!, "title"))).toBe("Need 100");
    const csv = await get(a, "/api/v1/groups/bulk/exports/listings.csv");
    expect(csv.headers.get("x-truncated")).toBeNull();
    expect(parseCsvStrict(await csv.text())).toHaveLength(102);
  });

  it("the group page points feed readers at its feeds", async () => {
    const html = await text(a, "/groups/food");
    expect(html).toContain(
      `<link rel="alternate" type="application/rss+xml" title="City A Food (RSS)" href="${a.config.origin.origin}/groups/food/feed.rss"`,
    );
    expect(html).toContain(`type="application/atom+xml"`);
    expect(html).toContain('href="/api/v1/groups/food/exports/listings.hxl.csv"');
  });
});
