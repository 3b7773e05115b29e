import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseCsvStrict } from "../../../test/helpers/csv.ts";
import { htmlElements, htmlTextContent, readRss } from "../../../test/helpers/feed-reader.ts";
import { validateSchema } from "../../../test/helpers/json-schema.ts";
import { child, childrenNamed, parseXml, textOf } from "../../../test/helpers/xml.ts";
import { type Listing, listingFromProposal, listingFromRemote } from "../listing.ts";
import type { Proposal } from "../proposal.ts";
import type { StoredRemoteProposal } from "../remote-proposal.ts";
import { csvField, plainNumber } from "./csv.ts";
import { type ExportDocument, isoSeconds } from "./document.ts";
import { atomFeed, entryText, feedQuantity, htmlText, rfc822, rssFeed } from "./feeds.ts";
import { listingFeature, listingsGeoJson } from "./geojson.ts";
import { groupsNeedsProfile, offersWantsProfiles } from "./murmurations.ts";
import { COLUMNS, listingsCsv, listingsHxl } from "./table.ts";
import { xmlText } from "./xml.ts";

const t0 = Temporal.Instant.from("2026-11-27T18:00:00Z");
const ORIGIN = "https://aid.example";
const groupOrigin = {
  actorId: `${ORIGIN}/groups/food`,
  pageUrl: `${ORIGIN}/groups/food`,
  name: "City Food, Inc.",
  handle: "food",
};

let counter = 0;
function proposal(overrides: Partial<Proposal> = {}): Proposal {
  counter++;
  return {
    id: `00000000-0000-4000-8000-${String(counter).padStart(12, "0")}`,
    groupId: "g",
    purpose: "request",
    title: "Water",
    description: "",
    category: "water",
    quantity: { amount: "20", unit: "litre" },
    location: null,
    urgency: "normal",
    expiresAt: null,
    audience: "public",
    contact: null,
    status: "open",
    pledgedAmount: "0",
    previousId: null,
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

function listing(overrides: Partial<Proposal> = {}): Listing {
  const p = proposal(overrides);
  const result = listingFromProposal(p, {
    objectId: `${ORIGIN}/objects/${p.id}`,
    url: `${ORIGIN}/${p.purpose === "request" ? "needs" : "offers"}/${p.id}`,
    origin: groupOrigin,
  });
  if (result === null) throw new Error("not public");
  return result;
}

function doc(listings: readonly Listing[]): ExportDocument {
  return {
    title: "City Food: needs & offers",
    description: "What <City Food> needs",
    pageUrl: `${ORIGIN}/groups/food`,
    selfUrl: `${ORIGIN}/groups/food/feed.atom`,
    generatedAt: t0,
    listings,
  };
}

/** Values that break naive CSV and XML writers. */
const TRICKY = [
  "plain",
  "comma, inside",
  'quote " inside',
  '"quoted"',
  "line\nbreak",
  "crlf\r\nbreak",
  '=HYPERLINK("http://evil")',
  "+1 555",
  "-2+3",
  "@SUM(A1)",
  "\tleading tab",
  "\rleading cr",
  "Ñandú, agua potable — 水 💧",
  "<script>&\"'",
];

describe("listings", () => {
  it("never carry a contact, and refuse followers-only proposals", () => {
    const p = proposal({ contact: "Ana +63 917 555 0101", description: "Bring jugs" });
    const l = listingFromProposal(p, { objectId: "o", url: "u", origin: groupOrigin });
    expect(JSON.stringify(l)).not.toContain("917");
    expect(
      listingFromProposal(proposal({ audience: "followers" }), {
        objectId: "o",
        url: "u",
        origin: groupOrigin,
      }),
    ).toBeNull();
  });

  it("round places to ~1 km unless marked exact, and keep what is still needed", () => {
    const coarse = listing({
      location: { name: "Clinic", latitude: 14.59951, longitude: 120.98423 },
      quantity: { amount: "20", unit: "one" },
      pledgedAmount: "5",
    });
    expect(coarse.location).toEqual({ name: "Clinic", latitude: 14.6, longitude: 120.98 });
    expect(coarse.quantity).toEqual({ amount: "20", unit: "one", remaining: "15" });
    const exact = listing({
      location: { name: "Depot", latitude: 14.59951, longitude: 120.98423, exact: true },
    });
    expect(exact.location).toEqual({ name: "Depot", latitude: 14.59951, longitude: 120.98423 });
    const half = listing({ location: { name: "Somewhere", latitude: 14.5, longitude: null } });
    expect(half.location).toEqual({ name: "Somewhere", latitude: null, longitude: null });
  });

  it("from remote copies: proposals only, places rounded again", () => {
    const remote: StoredRemoteProposal = {
      id: "r1",
      objectId: "https://b.example/objects/1",
      originActorId: "https://b.example/groups/relief",
      kind: "proposal",
      purpose: "offer",
      title: "Tents",
      summaryText: "Six tents",
      category: "shelter",
      categoryUri: "urn:bayanihan:category:shelter",
      quantity: { amount: "6", unit: "one" },
      remainingAmount: "4",
      quantityStep: "1",
      intentId: null,
      location: { name: "Gym", latitude: 10.123456, longitude: -58.387654 },
      urgency: null,
      status: "open",
      expiresAt: null,
      url: "https://b.example/offers/1",
      publishedAt: t0,
      updatedAt: t0,
      receivedAt: t0,
      confirmedAt: t0,
      stale: false,
      sharedBy: ["https://c.example/groups/x"],
    };
    const l = listingFromRemote(remote)!;
    expect(l.location).toEqual({ name: "Gym", latitude: 10.12, longitude: -58.39 });
    expect(l.quantity).toEqual({ amount: "6", unit: "one", remaining: "4" });
    expect(l.origin).toEqual({
      actorId: remote.originActorId,
      pageUrl: remote.originActorId,
      name: null,
      handle: null,
    });
    expect(l.sharedBy).toEqual(["https://c.example/groups/x"]);
    expect(l.notConfirmedSince).toBeNull();
    // A copy its origin stopped confirming says since when, in every table and map.
    const stale = listingFromRemote({ ...remote, stale: true })!;
    expect(stale.notConfirmedSince).toEqual(t0);
    const [head, row] = parseCsvStrict(listingsCsv(doc([stale])));
    expect(row![head!.indexOf("Not confirmed since")]).toBe(isoSeconds(t0));
    expect(listingFeature(stale).properties.notConfirmedSince).toBe(isoSeconds(t0));
    expect(listingFeature(l).properties.notConfirmedSince).toBeNull();
    expect(listingFromRemote({ ...remote, kind: "post", purpose: null })).toBeNull();
  });
});

describe("CSV", () => {
  it("quotes, doubles quotes and guards formulas cell by cell", () => {
    expect(csvField({ text: "a,b" })).toBe('"a,b"');
    expect(csvField({ text: 'say "hi"' })).toBe('"say ""hi"""');
    expect(csvField({ text: "=1+1" })).toBe("'=1+1");
    expect(csvField({ text: "-x" })).toBe("'-x");
    expect(csvField({ text: "\r=1" })).toBe('"\'\r=1"');
    expect(csvField({ number: "-58.38" })).toBe("-58.38");
    expect(() => csvField({ number: "=1" })).toThrow();
    expect(plainNumber(0.0000001)).toBe("0.0000001");
    expect(plainNumber(-58.39)).toBe("-58.39");
  });

  it("round-trips tricky titles and descriptions through a strict RFC 4180 reader", () => {
    const listings = TRICKY.map((value) =>
      listing({
        title: value,
        description: `${value} (description)`,
        location: { name: value, latitude: -34.6037, longitude: -58.3816 },
      }),
    );
    const csv = listingsCsv(doc(listings));
    expect(csv.endsWith("\r\n")).toBe(true);
    const records = parseCsvStrict(csv);
    expect(records).toHaveLength(TRICKY.length + 1);
    expect(records[0]).toEqual(COLUMNS.map((c) => c.header));
    const col = (header: string) => COLUMNS.findIndex((c) => c.header === header);
    TRICKY.forEach((value, i) => {
      const row = records[i + 1]!;
      const expected = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
      expect(row[col("Title")]).toBe(expected);
      expect(row[col("Need")]).toBe(`${expected} (description)`);
      expect(row[col("Offer")]).toBe("");
      expect(row[col("Place")]).toBe(expected);
      // Our own numbers stay numbers: a negative coordinate is not a formula.
      expect(row[col("Latitude")]).toBe("-34.6");
      expect(row[col("Longitude")]).toBe("-58.38");
      expect(row[col("Id")]).toBe(listings[i]!.objectId);
    });
  });

  it("writes one row per listing with every field a spreadsheet needs", () => {
    const l = listing({
      purpose: "offer",
      title: "Generator",
      description: "5 kW",
      category: "utilities",
      urgency: "high",
      quantity: { amount: "2.5", unit: "hour" },
      pledgedAmount: "1",
      expiresAt: Temporal.Instant.from("2027-01-15T18:00:00.250Z"),
      updatedAt: Temporal.Instant.from("2026-11-28T09:30:00Z"),
      status: "pledged",
    });
    const [, row] = parseCsvStrict(listingsCsv(doc([l])));
    const byHeader = Object.fromEntries(COLUMNS.map((c, i) => [c.header, row![i]]));
    expect(byHeader).toEqual({
      Id: l.objectId,
      Page: l.url,
      Type: "offer",
      Title: "Generator",
      Need: "",
      Offer: "5 kW",
      Category: "utilities",
      "Category label": "Utilities",
      "Category HXL tag": "#item+utilities",
      Status: "pledged",
      Urgency: "high",
      Quantity: "2.5",
      Unit: "hour",
      "Still needed or available": "1.5",
      Place: "",
      Latitude: "",
      Longitude: "",
      Published: "2026-11-27T18:00:00Z",
      Updated: "2026-11-28T09:30:00Z",
      "Needed or available until": "2027-01-15T18:00:00Z",
      Group: "City Food, Inc.",
      "Group id": `${ORIGIN}/groups/food`,
      "Shared by": "",
      "Not confirmed since": "",
    });
  });
});

describe("HXL", () => {
  it("is the CSV with a row of hashtags under the headers", () => {
    const listings = [listing({ title: "a,b" }), listing({ title: "=c" })];
    const records = parseCsvStrict(listingsHxl(doc(listings)));
    const plain = parseCsvStrict(listingsCsv(doc(listings)));
    expect(records[0]).toEqual(plain[0]);
    expect(records.slice(2)).toEqual(plain.slice(1));
    const tags = records[1]!;
    for (const tag of tags) expect(tag).toMatch(/^#[a-z][a-z0-9_]*(\+[a-z][a-z0-9_]*)*$/);
    const base = new Set(tags.map((t) => t.split("+")[0]));
    for (const required of [
      "#item",
      "#need",
      "#offer",
      "#status",
      "#severity",
      "#loc",
      "#date",
      "#org",
      "#meta",
      "#sector",
    ]) {
      expect(base).toContain(required);
    }
    for (const full of [
      "#geo+lat",
      "#geo+lon",
      "#loc+name",
      "#date+reported",
      "#date+end",
      "#meta+url",
    ]) {
      expect(tags).toContain(full);
    }
  });
});

describe("GeoJSON", () => {
  it("is a FeatureCollection of Points at [longitude, latitude], null geometry when unlocated", () => {
    const located = listing({
      title: "Buenos Aires",
      location: { name: "Centro", latitude: -34.6037, longitude: -58.3816 },
    });
    const unlocated = listing({
      title: "Anywhere",
      location: { name: "Online", latitude: null, longitude: null },
    });
    const parsed = JSON.parse(JSON.stringify(listingsGeoJson(doc([located, unlocated]))));
    expect(parsed.type).toBe("FeatureCollection");
    expect(parsed.features).toHaveLength(2);
    const [a, b] = parsed.features;
    expect(a.type).toBe("Feature");
    expect(a.id).toBe(located.objectId);
    expect(a.geometry).toEqual({ type: "Point", coordinates: [-58.38, -34.6] });
    expect(a.properties).toMatchObject({
      type: "need",
      title: "Buenos Aires",
      place: "Centro",
      category: "water",
      quantity: 20,
      unit: "litre",
      remaining: 20,
      status: "open",
    });
    expect(b.geometry).toBeNull();
    expect(b.properties.place).toBe("Online");
  });
});

function schema(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(
      path.resolve(import.meta.dirname, "../../../schemas/murmurations", `${name}.json`),
      "utf8",
    ),
  );
}

describe("Murmurations", () => {
  const offersWants = schema("offers_wants_schema-v0.1.0");
  const groupsNeeds = schema("groups_needs_schema-v0.0.1");

  it("offers_wants profiles validate against the shipped schema", () => {
    const listings = [
      listing({
        title: "Insulin coolers",
        category: "medication",
        urgency: "critical",
        location: { name: "Clinic", latitude: 14.59951, longitude: 120.98423 },
        expiresAt: Temporal.Instant.from("2027-01-15T18:00:00Z"),
      }),
      listing({ purpose: "offer", title: "Rides", category: "transport", description: "" }),
      listing({ purpose: "offer", title: "Beds", category: "shelter" }),
    ];
    const { items } = offersWantsProfiles(doc(listings));
    for (const profile of items) expect(validateSchema(offersWants, profile)).toEqual([]);
    expect(items[0]).toEqual({
      linked_schemas: ["offers_wants_schema-v0.1.0"],
      exchange_type: "want",
      item_type: "good",
      transaction_type: ["receive-donate"],
      tags: ["mutual-aid", "need", "medication", "urgent"],
      title: "Insulin coolers",
      description: "Insulin coolers",
      geographic_scope: "local",
      contact_details: { contact_form: `${ORIGIN}/groups/food` },
      geolocation: { lat: 14.6, lon: 120.98 },
      details_url: listings[0]!.url,
      expires_at: Date.parse("2027-01-15T18:00:00Z") / 1000,
    });
    expect(items[1]).toMatchObject({ exchange_type: "offer", item_type: "service" });
    expect(items[2]).not.toHaveProperty("item_type");
  });

  it("the group profile validates against groups_needs and names what is needed", () => {
    const profile = groupsNeedsProfile(
      doc([
        listing({ title: "Water", category: "water" }),
        listing({ title: "Tents", category: "shelter" }),
        listing({ purpose: "offer", title: "Rides", category: "transport" }),
      ]),
    );
    expect(validateSchema(groupsNeeds, profile)).toEqual([]);
    expect(profile.primary_url).toBe(`${ORIGIN}/groups/food`);
    expect(profile.tags).toEqual(["mutual-aid", "water", "shelter"]);
    expect(profile.description).toContain("Needed now: Water; Tents.");
    expect(profile.description).not.toContain("Rides");
    expect(validateSchema(groupsNeeds, groupsNeedsProfile(doc([])))).toEqual([]);
  });

  it("the checker itself catches what the schema forbids", () => {
    const bad = {
      linked_schemas: [],
      exchange_type: "sell",
      transaction_type: ["gift"],
      tags: ["a", "a"],
      title: 3,
      description: "x",
      geographic_scope: "local",
      geolocation: { lat: 91 },
      details_url: "ftp://x",
    };
    const paths = validateSchema(offersWants, bad).map((e) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "$",
        "$.linked_schemas",
        "$.exchange_type",
        "$.transaction_type[0]",
        "$.tags",
        "$.title",
        "$.geolocation",
        "$.geolocation.lat",
        "$.details_url",
      ]),
    );
    expect(validateSchema(offersWants, bad).find((e) => e.path === "$")?.message).toContain(
      "contact_details",
    );
    expect(() => validateSchema({ oneOf: [] }, 1)).toThrow(/oneOf/);
    expect(validateSchema({ type: "string", minLength: 2, maxLength: 3 }, "a")).toHaveLength(1);
    expect(validateSchema({ type: "string", minLength: 2, maxLength: 3 }, "abcd")).toHaveLength(1);
    expect(validateSchema({ type: "number", minimum: 0 }, -1)).toHaveLength(1);
  });
});

describe("RSS and Atom", () => {
  it("say quantities with their unit, countable things as items", () => {
    expect(feedQuantity("40", "one")).toBe("40 items");
    expect(feedQuantity("1", "one")).toBe("1 item");
    expect(feedQuantity("20", "litre")).toBe("20 litres");
    expect(feedQuantity("2.5", "kilogram")).toBe("2.5 kg");
    const counted = entryText(listing({ quantity: { amount: "40", unit: "one" } }));
    expect(counted).toContain(" · 40 items");
    expect(counted).not.toMatch(/\bone\b/);
    const partly = entryText(
      listing({ quantity: { amount: "20", unit: "litre" }, pledgedAmount: "5", status: "pledged" }),
    );
    expect(partly).toContain("20 litres (15 litres still needed)");
    const covered = entryText(
      listing({ quantity: { amount: "40", unit: "one" }, pledgedAmount: "40", status: "pledged" }),
    );
    expect(covered).toContain("40 items (fully pledged)");
    const offer = entryText(
      listing({ purpose: "offer", quantity: { amount: "3", unit: "hour" }, pledgedAmount: "1" }),
    );
    expect(offer).toContain("3 hours (2 hours still available)");
  });

  const tricky = () =>
    TRICKY.map((title, i) =>
      listing({
        title,
        description: `about ${title}\u0001\uFFFF`,
        createdAt: t0.add({ minutes: TRICKY.length - i }),
        updatedAt: t0.add({ minutes: 100 + i }),
      }),
    );

  it("RSS 2.0 is well-formed XML with every title intact and the object id as guid", () => {
    const listings = tricky();
    const rss = parseXml(rssFeed(doc(listings)));
    expect(rss.name).toBe("rss");
    expect(rss.attributes.version).toBe("2.0");
    const channel = child(rss, "channel");
    expect(textOf(child(channel, "title"))).toBe("City Food: needs & offers");
    // Descriptions are HTML (RSS 2.0): the text escaped once more.
    expect(textOf(child(channel, "description"))).toBe("What &lt;City Food&gt; needs");
    expect(child(channel, "atom:link").attributes).toEqual({
      href: `${ORIGIN}/groups/food/feed.atom`,
      rel: "self",
      type: "application/rss+xml",
    });
    expect(textOf(child(channel, "lastBuildDate"))).toBe(rfc822(t0.add({ minutes: 113 })));
    const items = childrenNamed(channel, "item");
    // Carriage returns included: XML readers turn a raw CR into LF, so they are escaped.
    expect(items.map((i) => textOf(child(i, "title")))).toEqual(TRICKY);
    items.forEach((item, i) => {
      expect(textOf(child(item, "guid"))).toBe(listings[i]!.objectId);
      expect(child(item, "guid").attributes.isPermaLink).toBe("false");
      expect(textOf(child(item, "link"))).toBe(listings[i]!.url);
      expect(textOf(child(item, "pubDate"))).toBe(rfc822(listings[i]!.publishedAt));
      // The control character and U+FFFF are dropped, the rest kept.
      expect(textOf(child(item, "description"))).toContain(`about ${htmlText(TRICKY[i]!)}`);
      const description = textOf(child(item, "description"));
      expect(description.includes("\u0001") || description.includes("\uFFFF")).toBe(false);
    });
  });

  it("a feed reader that renders descriptions as HTML finds no element in them, only the text", async () => {
    const hostile = [
      '<img src=x onerror="alert(1)">',
      "<script>alert(1)</script>",
      "&lt;img src=x onerror=alert(1)&gt;",
      "<![CDATA[<b>x</b>]]>",
      "]]><img src=x>",
      "<a href='javascript:alert(1)'>click</a> &amp; more",
    ];
    const listings = hostile.map((text, i) =>
      listing({ title: text, description: text, createdAt: t0.add({ minutes: 10 - i }) }),
    );
    const document = { ...doc(listings), description: '<svg onload="alert(1)">' };
    const reader = await readRss(rssFeed(document));
    expect(htmlElements(reader.channelDescription)).toEqual([]);
    expect(htmlTextContent(reader.channelDescription)).toBe('<svg onload="alert(1)">');
    expect(reader.descriptions).toHaveLength(hostile.length);
    reader.descriptions.forEach((html, i) => {
      expect(htmlElements(html)).toEqual([]);
      expect(htmlTextContent(html)).toContain(hostile[i]);
    });
  });

  it("Atom is well-formed XML with id, updated and the entries in the order given", () => {
    const listings = tricky();
    const atom = parseXml(atomFeed(doc(listings)));
    expect(atom.name).toBe("feed");
    expect(atom.attributes.xmlns).toBe("http://www.w3.org/2005/Atom");
    expect(textOf(child(atom, "id"))).toBe(`${ORIGIN}/groups/food/feed.atom`);
    expect(textOf(child(atom, "updated"))).toBe("2026-11-27T19:53:00Z");
    const entries = childrenNamed(atom, "entry");
    expect(entries).toHaveLength(TRICKY.length);
    entries.forEach((entry, i) => {
      expect(textOf(child(entry, "id"))).toBe(listings[i]!.objectId);
      expect(textOf(child(entry, "title"))).toBe(TRICKY[i]);
      expect(textOf(child(entry, "updated"))).toBe(
        listings[i]!.updatedAt.toString({ smallestUnit: "second" }),
      );
      expect(child(entry, "link").attributes.href).toBe(listings[i]!.url);
      expect(textOf(child(child(entry, "author"), "name"))).toBe("City Food, Inc.");
    });
  });

  it("feeds hold at most 100 entries; an empty feed is still valid", () => {
    const many = Array.from({ length: 130 }, (_, i) => listing({ title: `n${i}` }));
    expect(childrenNamed(child(parseXml(rssFeed(doc(many))), "channel"), "item")).toHaveLength(100);
    expect(childrenNamed(parseXml(atomFeed(doc(many))), "entry")).toHaveLength(100);
    const empty = parseXml(atomFeed(doc([])));
    expect(textOf(child(empty, "updated"))).toBe("2026-11-27T18:00:00Z");
    expect(childrenNamed(child(parseXml(rssFeed(doc([]))), "channel"), "item")).toEqual([]);
  });

  it("RFC 822 dates and XML escaping", () => {
    expect(rfc822(Temporal.Instant.from("2026-12-03T09:05:07Z"))).toBe(
      "Thu, 03 Dec 2026 09:05:07 GMT",
    );
    expect(rfc822(Temporal.Instant.from("2026-12-06T23:59:59.999Z"))).toBe(
      "Sun, 06 Dec 2026 23:59:59 GMT",
    );
    expect(isoSeconds(Temporal.Instant.from("2026-12-06T23:59:59.999Z"))).toBe(
      "2026-12-06T23:59:59Z",
    );
    expect(xmlText(`<script>&"'`)).toBe("&lt;script&gt;&amp;&quot;&apos;");
    expect(xmlText("a\u0000b\uD800c😀")).toBe("abc😀");
    expect(xmlText("a\r\nb")).toBe("a&#xD;\nb");
  });
});
