import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertProposal } from "../src/db/proposals.repo.ts";
import { newId } from "../src/domain/ids.ts";
import { shortCodeOf } from "../src/domain/short-link.ts";
import { parseCsvStrict } from "./helpers/csv.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { validateSchema } from "./helpers/json-schema.ts";
import { waitFor } from "./helpers/wait.ts";
import { child, childrenNamed, parseXml, textOf } from "./helpers/xml.ts";

/** Private values of the scenario: none may appear on a board page or in a board export. */
const CONTACT_A = "Ana Reyes, +63 917 555 0101";
const CONTACT_B = "Jun Cruz, +63 918 000 1234";
const EXACT_A = { latitude: 14.599512, longitude: 120.984222 };
const EXACT_B = { latitude: 14.676041, longitude: 121.043701 };
const HIDDEN_A = "Hidden shelter at the old school";
const PRIVATE_VALUES = [
  CONTACT_A,
  CONTACT_B,
  "917 555 0101",
  "918 000 1234",
  HIDDEN_A,
  "14.599",
  "120.984",
  "14.676",
  "121.043",
];
const XSS = "<script>alert(1)</script>";
const XSS_TITLE = `${XSS} tarps`;

interface BoardItem {
  objectId: string;
  title: string;
  url: string | null;
  purpose: string;
}

/**
 * The public board pages on two real instances: A's group opens an incident,
 * B's group joins it, both tag needs and offers with it, so each board mixes
 * local items and items received over signed deliveries.
 */
describe("incident board pages", () => {
  let a: TestInstance;
  let b: TestInstance;
  const tokens = new Map<TestInstance, string>();
  const incidentIds = new Map<TestInstance, string>();
  let objectId: string;

  const get = (instance: TestInstance, p: string, headers: Record<string, string> = {}) =>
    fetch(new URL(p, instance.config.origin), { headers, redirect: "manual" });
  const html = async (instance: TestInstance, p: string) => {
    const res = await get(instance, p, { accept: "text/html" });
    expect(res.status, p).toBe(200);
    return res.text();
  };
  const pagePath = (instance: TestInstance, suffix = "") =>
    `/incidents/${incidentIds.get(instance)}${suffix}`;

  async function apiBoard(instance: TestInstance, query = ""): Promise<BoardItem[]> {
    const res = await instance.api(
      "GET",
      `/api/v1/incidents/${incidentIds.get(instance)}/board${query}`,
      undefined,
      null,
    );
    expect(res.status).toBe(200);
    return (await res.json()).items;
  }

  /** The board list's links, in page order: [href, title as written in the HTML]. */
  function boardLinks(page: string): [string, string][] {
    const list = /<ol class="items board">([\s\S]*?)<\/ol>/.exec(page);
    if (list === null) return [];
    return [...list[1]!.matchAll(/<li><a href="([^"]+)">([^<]*(?:&lt;[^<]*)*)<\/a>/g)].map((m) => [
      m[1]!,
      m[2]!,
    ]);
  }

  const escapeHtml = (s: string) =>
    s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

  async function publish(
    instance: TestInstance,
    kind: "needs" | "offers",
    body: Record<string, unknown>,
  ): Promise<{ id: string; objectId: string; url: string }> {
    const res = await instance.api(
      "POST",
      `/api/v1/groups/aid/${kind}`,
      { incident: objectId, ...body },
      tokens.get(instance),
    );
    expect(res.status, JSON.stringify(body)).toBe(201);
    return res.json();
  }

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
    ]);
    for (const instance of [a, b]) {
      await instance.api("POST", "/api/v1/groups", {
        handle: "aid",
        name: `Aid ${instance.config.origin.host}`,
      });
      tokens.set(
        instance,
        (await (await instance.api("POST", "/api/v1/groups/aid/tokens")).json()).token,
      );
    }
    const opened = await a.api(
      "POST",
      "/api/v1/groups/aid/incidents",
      {
        name: "Flooding in Metro Manila",
        description: "Typhoon rains, rivers over their banks.",
        area: { center: { latitude: 14.6, longitude: 120.98 }, radiusKm: 40 },
        startsAt: "2026-11-20T00:00:00Z",
        endsAt: "2026-12-20T00:00:00Z",
      },
      tokens.get(a),
    );
    expect(opened.status).toBe(201);
    const incident = await opened.json();
    objectId = incident.objectId;
    incidentIds.set(a, incident.id);
    const joined = await b.api(
      "POST",
      "/api/v1/groups/aid/incident-joins",
      { incidentId: objectId },
      tokens.get(b),
    );
    expect(joined.status).toBe(202);
    incidentIds.set(b, (await joined.json()).id);
    await waitFor("B's participation accepted", async () => {
      const items = (await (await b.api("GET", "/api/v1/groups/aid/incidents")).json()).items as {
        participation: string;
      }[];
      return items[0]?.participation === "accepted";
    });

    await publish(a, "needs", {
      title: "Drinking water for 300 families",
      category: "water",
      quantity: { amount: 300, unit: "litre" },
      location: { name: "Tondo covered court", ...EXACT_A },
      urgency: "critical",
      expiresAt: "2027-01-10T12:00:00Z",
      contact: CONTACT_A,
    });
    await publish(a, "needs", { title: XSS_TITLE, category: "shelter", urgency: "high" });
    await publish(a, "offers", {
      title: "Generator on loan",
      category: "utilities",
      location: { name: "Sampaloc depot", latitude: 14.61, longitude: 121.0 },
      urgency: "normal",
    });
    await publish(a, "needs", {
      title: HIDDEN_A,
      category: "shelter",
      audience: "followers",
      contact: CONTACT_A,
    });
    await publish(b, "needs", {
      title: "Insulin coolers",
      category: "medication",
      quantity: { amount: 20, unit: "one" },
      location: { name: "Quezon City clinic", ...EXACT_B },
      urgency: "high",
      expiresAt: "2026-12-24T09:00:00Z",
      contact: CONTACT_B,
    });
    await publish(b, "needs", { title: "Baby formula", category: "food", urgency: "low" });
    for (const instance of [a, b]) {
      await waitFor("every tagged item on both boards", async () => {
        return (await apiBoard(instance)).length === 5;
      });
    }
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("lists each item once, in board order, on the owner's page and on the copy", async () => {
    for (const instance of [a, b]) {
      const page = await html(instance, pagePath(instance));
      const board = await apiBoard(instance);
      const links = boardLinks(page);
      expect(links.map(([, title]) => title)).toEqual(board.map((i) => escapeHtml(i.title)));
      expect(new Set(links.map(([href]) => href)).size).toBe(5);
      // Local items link to our page, remote ones to their page on the origin.
      expect(links.map(([href]) => href)).toEqual(board.map((i) => i.url));
      expect(links[0]![1]).toBe("Drinking water for 300 families");
      expect(page).toContain("within 40 km of 14.60, 120.98");
      expect(page).toContain("Typhoon rains, rivers over their banks.");
      expect(page).toContain('data-status="open"');
      expect(page).not.toContain('id="closed"');
      expect(page).toContain(`aid@${b.config.origin.host}`);
      expect(page).toContain(`href="${pagePath(instance, "/text")}"`);
    }
    const onB = boardLinks(await html(b, pagePath(b)));
    const water = onB.find(([, title]) => title === "Drinking water for 300 families")!;
    expect(water[0].startsWith(a.config.origin.origin)).toBe(true);
    const insulin = onB.find(([, title]) => title === "Insulin coolers")!;
    expect(insulin[0]).toMatch(/^http:\/\/127\.0\.0\.2:\d+\/needs\//);
  });

  it("answers browsers with the page and ActivityPub clients with the Event", async () => {
    const page = await get(a, pagePath(a), { accept: "text/html" });
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("vary")).toContain("Accept");
    const event = await get(a, pagePath(a), { accept: "application/activity+json" });
    expect(event.status).toBe(200);
    expect((await event.json()).type).toBe("Event");
    // B's copy is no object of B's: its id lives on A.
    const copy = await get(b, pagePath(b), { accept: "application/activity+json" });
    expect(copy.status).toBe(404);
    expect(copy.headers.get("content-type")).toContain("application/activity+json");
    expect((await get(a, `/incidents/${newId()}`, { accept: "text/html" })).status).toBe(404);
    expect((await get(a, "/incidents/not-an-id", { accept: "text/html" })).status).toBe(404);
  });

  it("filters by purpose and by category", async () => {
    const offers = boardLinks(await html(a, `${pagePath(a)}?purpose=offer`));
    expect(offers.map(([, t]) => t)).toEqual(["Generator on loan"]);
    const needs = boardLinks(await html(a, `${pagePath(a)}?purpose=request`));
    expect(needs).toHaveLength(4);
    const medication = await html(a, `${pagePath(a)}?category=medication`);
    expect(boardLinks(medication).map(([, t]) => t)).toEqual(["Insulin coolers"]);
    expect(medication).toContain('<option value="medication" selected="">');
    // Unknown values mean "any".
    expect(boardLinks(await html(a, `${pagePath(a)}?category=lava&purpose=x`))).toHaveLength(5);
  });

  it("narrows the board to what lies near a place, most urgent first, with distances", async () => {
    for (const instance of [a, b]) {
      const page = await html(instance, `${pagePath(instance)}?near=14.6,120.98&km=5`);
      // Measured to the rounded places: 14.60,120.98 (0 km) and 14.61,121.00 (2.4 km).
      expect(boardLinks(page).map(([, t]) => t)).toEqual([
        "Drinking water for 300 families",
        "Generator on loan",
      ]);
      expect(page).toContain("0 km away");
      expect(page).toContain("2.4 km away");
      expect(page).toContain('name="near" type="text" inputmode="text" value="14.6,120.98"');
    }
    // A place name is read as a place ("north" is North, South Carolina);
    // one that no place has is not.
    const unreadable = await html(a, `${pagePath(a)}?near=Qwxzplace%20Nowhere&km=5`);
    expect(unreadable).toMatch(/<p class="notice" role="status">[^<]*near/);
    expect(boardLinks(unreadable)).toHaveLength(5);
    expect(unreadable).not.toContain("km away");
  });

  it("draws a marker per located item", async () => {
    for (const instance of [a, b]) {
      const page = await html(instance, pagePath(instance));
      const markers = [
        ...page.matchAll(/<a href="([^"]+)" aria-label="([^"]+)"><(?:circle|path) class="marker/g),
      ].map((m) => m[2]!.replace(/ \(.*\)$/, ""));
      expect(markers.sort()).toEqual(
        ["Drinking water for 300 families", "Generator on loan", "Insulin coolers"].sort(),
      );
      expect(page).toContain("2 more have no place and are only in the list.");
    }
  });

  it("escapes user strings and shows nothing private", async () => {
    const pages = [
      pagePath(a),
      pagePath(b),
      pagePath(a, "/text"),
      pagePath(b, "/text"),
      "/groups/aid/board",
    ];
    for (const instance of [a, b]) {
      for (const p of pages) {
        if (!p.includes(incidentIds.get(instance)!) && !p.startsWith("/groups")) continue;
        const page = await html(instance, p);
        expect(page, p).not.toContain(XSS);
        // B received it with its markup stripped (federation/html.ts); A shows it escaped.
        if (instance === a) expect(page, p).toContain(escapeHtml(XSS));
        expect(PRIVATE_VALUES.filter((v) => page.includes(v))).toEqual([]);
      }
    }
  });

  it("has a text page of the open needs, with short links that lead to each need", async () => {
    const res = await get(b, pagePath(b, "/text"), { accept: "text/html" });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).not.toMatch(/<img|<svg|<link|<script|<style/);
    expect(page).toContain("Made ");
    const items = [...page.matchAll(/<li>(.*) \(([A-Z]+)\)<br>(.*)\n/g)];
    const needs = (await apiBoard(b, "?purpose=request")).map((i) => escapeHtml(i.title));
    expect(items.map((m) => m[1])).toEqual(needs);
    expect(page).not.toContain("Generator on loan");
    const groups = /Groups: (.*)<\/p>/.exec(page)![1]!;
    const insulinItem = items.find((m) => m[1] === "Insulin coolers")!;
    const insulin = insulinItem[3]!;
    expect(insulin).toMatch(/^20; Quezon City clinic; Dec 24 09:00; [0-9a-f]{10}$/);
    expect(groups).toContain(`${insulinItem[2]} = @aid`);
    const waterItem = items.find((m) => m[1] === "Drinking water for 300 families")!;
    const water = waterItem[3]!;
    expect(water).toMatch(/^300 L; Tondo covered court; Jan 10 12:00; /);
    expect(groups).toContain(`${waterItem[2]} = aid@${a.config.origin.host}`);
    // The short links: B's own need leads to its page here, A's to its page on A.
    for (const [line, origin] of [
      [insulin, b.config.origin.origin],
      [water, a.config.origin.origin],
    ] as const) {
      const code = /; ([0-9a-f]{10})$/.exec(line)![1]!;
      const go = await get(b, `/go/${code}`);
      expect(go.status).toBe(302);
      expect(go.headers.get("location")).toMatch(new RegExp(`^${origin}/needs/`));
    }
    const spanish = await (
      await get(b, pagePath(b, "/text"), { accept: "text/html", "accept-language": "es" })
    ).text();
    expect(spanish).toContain('<html lang="es">');
    expect(spanish).toContain("Cada necesidad: qué es (grupo)");
    expect(spanish).toMatch(/20; Quezon City clinic; 24 dic 09:00; /);
    const spanishPage = await (
      await get(b, pagePath(b), { accept: "text/html", "accept-language": "es" })
    ).text();
    expect(spanishPage).toContain("a menos de 40 km de 14.60, 120.98");
    expect((await get(b, "/go/0000000000")).status).toBe(404);
    expect((await get(b, "/go/zz")).status).toBe(404);
  });

  const FILES = [
    "listings.csv",
    "listings.hxl.csv",
    "listings.geojson",
    "murmurations/offers-wants.json",
  ];
  const exportPaths = (id: string) => [
    ...FILES.map((f) => `/api/v1/incidents/${id}/exports/${f}`),
    `/incidents/${id}/feed.rss`,
    `/incidents/${id}/feed.atom`,
  ];
  const text = async (instance: TestInstance, p: string) => {
    const res = await get(instance, p);
    expect(res.status, p).toBe(200);
    return res.text();
  };

  it("exports the board as CSV, HXL, GeoJSON, Murmurations and feeds that parse", async () => {
    const id = incidentIds.get(b)!;
    const board = await apiBoard(b);
    const csv = parseCsvStrict(await text(b, `/api/v1/incidents/${id}/exports/listings.csv`));
    expect(csv).toHaveLength(1 + board.length);
    const ids = csv[0]!.indexOf("Id");
    expect(
      csv
        .slice(1)
        .map((r) => r[ids])
        .sort(),
    ).toEqual(board.map((i) => i.objectId).sort());
    const groupColumn = csv[0]!.indexOf("Group");
    const titleColumn = csv[0]!.indexOf("Title");
    const insulinRow = csv.find((r) => r[titleColumn] === "Insulin coolers")!;
    expect(insulinRow[groupColumn]).toBe(`Aid ${b.config.origin.host}`);
    const hxl = parseCsvStrict(await text(b, `/api/v1/incidents/${id}/exports/listings.hxl.csv`));
    expect(hxl[1]!.some((tag) => tag.startsWith("#"))).toBe(true);
    expect(hxl).toHaveLength(2 + board.length);
    const offers = parseCsvStrict(
      await text(b, `/api/v1/incidents/${id}/exports/listings.csv?purpose=offer`),
    );
    expect(offers).toHaveLength(2);

    const geo = JSON.parse(await text(b, `/api/v1/incidents/${id}/exports/listings.geojson`));
    expect(geo.type).toBe("FeatureCollection");
    expect(geo.features).toHaveLength(5);
    const located = geo.features.filter((f: { geometry: unknown }) => f.geometry !== null);
    expect(located).toHaveLength(3);
    for (const f of located) {
      for (const c of f.geometry.coordinates as number[]) {
        expect(Math.round(c * 100) / 100).toBeCloseTo(c, 10);
      }
    }
    const schema = JSON.parse(
      readFileSync(
        path.resolve(
          import.meta.dirname,
          "../schemas/murmurations/offers_wants_schema-v0.1.0.json",
        ),
        "utf8",
      ),
    );
    const murmurations = JSON.parse(
      await text(b, `/api/v1/incidents/${id}/exports/murmurations/offers-wants.json`),
    );
    expect(murmurations.items).toHaveLength(5);
    for (const profile of murmurations.items) expect(validateSchema(schema, profile)).toEqual([]);

    const rss = child(parseXml(await text(b, `/incidents/${id}/feed.rss`)), "channel");
    expect(childrenNamed(rss, "item")).toHaveLength(5);
    expect(textOf(child(rss, "title"))).toBe("Flooding in Metro Manila: needs and offers");
    const atom = parseXml(await text(b, `/incidents/${id}/feed.atom?category=medication`));
    expect(childrenNamed(atom, "entry").map((e) => textOf(child(e, "title")))).toEqual([
      "Insulin coolers",
    ]);
    expect(
      childrenNamed(atom, "link").find((l) => l.attributes.rel === "self")?.attributes.href,
    ).toBe(`${b.config.origin.origin}/incidents/${id}/feed.atom?category=medication`);

    // The page links them.
    const page = await html(b, pagePath(b));
    for (const p of exportPaths(id)) expect(page).toContain(`href="${p}"`);
  });

  it("no private value appears in any incident or allies export", async () => {
    const queries = ["", "?status=open,pledged,fulfilled,closed,expired", "?category=shelter"];
    let checked = 0;
    for (const instance of [a, b]) {
      const paths = [
        ...exportPaths(incidentIds.get(instance)!),
        ...FILES.map((f) => `/api/v1/groups/aid/board/exports/${f}`),
        "/groups/aid/board/feed.rss",
        "/groups/aid/board/feed.atom",
      ];
      for (const p of paths) {
        for (const q of queries) {
          const body = await text(instance, `${p}${q}`);
          const found = PRIVATE_VALUES.filter(
            (v) => body.includes(v) || body.includes(JSON.stringify(v).slice(1, -1)),
          );
          expect(found, `${p}${q}`).toEqual([]);
          checked++;
        }
      }
    }
    expect(checked).toBe(2 * 12 * queries.length);
    // Not vacuous: the public items are there.
    expect(await text(a, exportPaths(incidentIds.get(a)!)[0]!)).toContain("Insulin coolers");
    const bad = await get(
      a,
      `/api/v1/incidents/${incidentIds.get(a)}/exports/listings.csv?status=lost`,
    );
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe("invalid_request");
    const missing = await get(a, `/api/v1/incidents/${newId()}/exports/listings.csv`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toBe("not_found");
  });

  it("has a 'my allies' board linked from the group page", async () => {
    const group = await html(a, "/groups/aid");
    expect(group).toContain('href="/groups/aid/board"');
    const page = await html(a, "/groups/aid/board");
    const titles = boardLinks(page).map(([, t]) => t);
    // A's own public items, most urgent first; A follows nobody, so nothing of B's.
    expect(titles.slice(0, 3)).toEqual([
      "Drinking water for 300 families",
      escapeHtml(XSS_TITLE),
      "Generator on loan",
    ]);
    expect(titles).not.toContain("Insulin coolers");
    expect(titles).not.toContain(HIDDEN_A);
    expect(boardLinks(await html(a, "/groups/aid/board?purpose=offer"))).toHaveLength(1);
    expect((await get(a, "/groups/nobody/board", { accept: "text/html" })).status).toBe(404);
  });

  it("shows a closed incident as closed, on the owner and on the copy", async () => {
    const res = await a.api(
      "POST",
      `/api/v1/incidents/${incidentIds.get(a)}/close`,
      undefined,
      tokens.get(a),
    );
    expect(res.status).toBe(200);
    await expect
      .poll(async () => (await html(b, pagePath(b))).includes('data-status="closed"'), {
        timeout: 15_000,
      })
      .toBe(true);
    for (const instance of [a, b]) {
      const page = await html(instance, pagePath(instance));
      expect(page).toContain('id="closed"');
      expect(page).toContain("This incident is closed.");
      expect(await html(instance, pagePath(instance, "/text"))).toContain(
        "This incident is closed.",
      );
    }
  });
  it("stays under 20,000 bytes with 200 realistic needs, each of them on it under its urgency", async () => {
    const opened = await a.api(
      "POST",
      "/api/v1/groups/aid/incidents",
      {
        name: "Earthquake in Central Luzon",
        area: { bbox: { south: 14.5, west: 120, north: 16, east: 121.5 } },
        startsAt: "2026-11-25T00:00:00Z",
      },
      tokens.get(a),
    );
    const quake = await opened.json();
    const group = await a.database.db
      .selectFrom("groups")
      .select("id")
      .where("handle", "=", "aid")
      .executeTakeFirstOrThrow();
    // What coordinators write after an earthquake: titles of 20 to 55 characters.
    const things = [
      ["Drinking water for 300 families at the covered court", "water", "litre"],
      ["Insulin and a cooler for two diabetic patients", "medication", "one"],
      ["Rice, 25 kg sacks for the evacuation centre", "food", "kilogram"],
      ["Tarpaulins and rope to patch roofs in Purok 3", "shelter", "one"],
      ["Volunteers to unload a relief truck on Saturday", "transport", "one"],
      ["Baby formula (0–6 months) and clean bottles", "food", "one"],
      ["Wheelchair-accessible ride to the district hospital", "transport", "one"],
      ["Hygiene kits: soap, toothpaste, sanitary pads", "hygiene", "one"],
      ["Blankets and sleeping mats for elderly evacuees", "clothing", "one"],
      ["Generator fuel for the barangay health station", "utilities", "litre"],
      ["Canned goods and noodles for 120 households", "food", "one"],
      ["Paracetamol and oral rehydration salts", "medication", "one"],
      ["Diapers, size 3 and 4", "hygiene", "one"],
      ["Solar lamps for families without electricity", "utilities", "one"],
      ["Clean clothes for children aged 5 to 12", "clothing", "one"],
      ["Cooking pots and gas stoves for the community kitchen", "food", "one"],
      ["Bleach and brooms to clean flooded homes", "hygiene", "one"],
      ["Mosquito nets for the gym evacuation area", "shelter", "one"],
      ["Help replacing lost IDs and land titles", "legal", "one"],
      ["Water containers, 20 litres, with lids", "water", "one"],
    ] as const;
    const places = [
      "San Fernando evacuation centre",
      "Angeles City gym",
      "Barangay Sto. Niño hall",
      "Tarlac parish church",
      "Mabalacat Elementary School",
      "Bacolor covered court",
      "Guagua public market",
      "Purok 3, Barangay San Jose",
    ];
    const descriptions = [
      "Please bring them to the front desk between 8 am and 5 pm; ask for Aling Rosa.",
      "The road from the highway is open again, but trucks must use the north gate.",
      "Many of the families here lost everything; anything helps, even a part of it.",
    ];
    const urgencies = ["critical", "high", "normal", "low"] as const;
    const t0 = Temporal.Instant.from("2026-11-26T08:00:00Z");
    /** Each need's title and the code of its short link, in the order made. */
    const made: { title: string; code: string; urgency: (typeof urgencies)[number] }[] = [];
    for (let i = 0; i < 200; i++) {
      const [what, category, unit] = things[(i * 7) % things.length]!;
      const urgency = urgencies[(i >> 1) % 4]!;
      const title: string = what;
      // Most at the shared centres; every fifth at a house of its own.
      const place =
        i % 5 === 4 ? `${i} Rizal Street, Barangay Dolores` : places[(i * 3) % places.length]!;
      const when = t0.add({ hours: 24 + (i % 72) });
      const id = newId();
      made.push({ title, code: shortCodeOf(id), urgency });
      if (i % 2 === 0) {
        await insertProposal(a.database.db, {
          id,
          groupId: group.id,
          purpose: "request",
          title,
          description: descriptions[i % descriptions.length]!,
          category,
          quantity: { amount: String(10 + i), unit },
          location: { name: place, latitude: 15.03, longitude: 120.69 },
          urgency,
          expiresAt: when,
          audience: "public",
          contact: CONTACT_A,
          status: "open",
          pledgedAmount: "0",
          previousId: null,
          incident: quake.objectId,
          createdAt: t0.add({ minutes: i }),
          updatedAt: t0.add({ minutes: i }),
        });
      } else {
        // As received from a participant on another instance, with its longer names.
        const date = new Date(t0.add({ minutes: i }).epochMilliseconds);
        await a.database.db
          .insertInto("remote_proposals")
          .values({
            id,
            object_id: `https://relief.pampanga.example/objects/${id}`,
            origin_actor_id: "https://relief.pampanga.example/groups/pampanga-relief",
            kind: "proposal",
            purpose: "request",
            title,
            summary_text: descriptions[i % descriptions.length]!,
            category,
            category_uri: `urn:bayanihan:category:${category}`,
            quantity_amount: String(10 + i),
            quantity_unit: unit,
            remaining_amount: String(5 + i),
            location_name: place,
            latitude: 15.15,
            longitude: 120.59,
            urgency,
            status: "open",
            expires_at: new Date(when.epochMilliseconds),
            url: `https://relief.pampanga.example/needs/${id}`,
            published_at: date,
            remote_updated_at: date,
            received_at: date,
            incident_object_id: quake.objectId,
          })
          .execute();
      }
    }
    const res = await get(a, `/incidents/${quake.id}/text`, { accept: "text/html" });
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const page = new TextDecoder().decode(bytes);
    console.log(`text page with 200 realistic needs: ${bytes.length} bytes`);

    expect(bytes.length).toBeLessThan(20_000);
    expect(page.match(/<li>/g)).toHaveLength(200);
    // Each need once, under the heading of its own urgency.
    const sections = page.split("<h2>").slice(1);
    expect(sections.map((section) => section.slice(0, section.indexOf("</h2>")))).toEqual([
      "Critical",
      "High",
      "Normal",
      "Low",
    ]);
    const headings = { critical: "Critical", high: "High", normal: "Normal", low: "Low" };
    made.forEach(({ title, code, urgency }) => {
      const heading = headings[urgency];
      const section = sections.find((s) => s.startsWith(`${heading}</h2>`))!;
      const line = section.split("<li>").find((l) => l.includes(`; ${code}`));
      expect(line, title).toBeDefined();
      expect(line).toContain(`${escapeHtml(title)} (`);
    });
    // Long words get break opportunities, so a phone need not scroll sideways.
    expect(page.replaceAll("<wbr>", "")).toContain("pampanga-relief@relief.pampanga.example");
    expect(PRIVATE_VALUES.filter((v) => page.includes(v))).toEqual([]);
  });
});
