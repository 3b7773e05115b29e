import { Intent, Measure, Note, Place, Proposal } from "@fedify/vocab";
import { type DocumentLoader, parseDecimal, preloadedContexts } from "@fedify/vocab-runtime";
import { describe, expect, it } from "vitest";
import type { Group } from "../src/domain/group.ts";
import type { Proposal as LocalProposal } from "../src/domain/proposal.ts";
import type { RemoteProposal } from "../src/domain/remote-proposal.ts";
import { htmlToText } from "./html-to-text.ts";
import { PROPOSAL_CONTEXT, PUBLIC_AUDIENCE, renderProposalObject } from "./proposal-object.ts";
import {
  parseAmount,
  parseInstant,
  parseRemoteObject,
  parseSharedDocument,
} from "./remote-proposal.ts";

const NOW = Temporal.Instant.from("2026-11-28T12:00:00Z");
const loaded: string[] = [];

/** Preloaded contexts only: the parser must not need the network for usual documents. */
const contextLoader: DocumentLoader = async (url) => {
  loaded.push(url);
  if (Object.hasOwn(preloadedContexts, url)) {
    return { contextUrl: null, document: preloadedContexts[url], documentUrl: url };
  }
  throw new Error(`no network in unit tests: ${url}`);
};

async function read(json: unknown) {
  return parseRemoteObject(json, { contextLoader, now: NOW });
}

async function readOk(json: unknown): Promise<{ proposal: RemoteProposal; isPublic: boolean }> {
  const result = await read(json);
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result;
}

const ID = "https://b.example/objects/0193a000-0000-7000-8000-000000000001";
const ACTOR = "https://b.example/groups/relief";

/** The JSON we publish, with some fields replaced. */
function ours(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const group: Group = {
    id: "g",
    handle: "relief",
    name: "Relief",
    summary: "",
    followPolicy: "open",
    createdAt: NOW,
    updatedAt: NOW,
  };
  const proposal: LocalProposal = {
    id: "0193a000-0000-7000-8000-000000000001",
    groupId: "g",
    purpose: "request",
    title: "20 insulin coolers",
    description: "For the clinic.\n\nMust keep 2–8 °C & dry.",
    category: "medication",
    quantity: { amount: "20", unit: "one" },
    location: { name: "Rizal Street clinic", latitude: 14.59951, longitude: 120.98423 },
    urgency: "high",
    expiresAt: Temporal.Instant.from("2026-12-04T18:00:00Z"),
    audience: "public",
    contact: "secret",
    status: "open",
    pledgedAmount: "0",
    previousId: null,
    createdAt: Temporal.Instant.from("2026-11-27T18:00:00Z"),
    updatedAt: Temporal.Instant.from("2026-11-27T19:30:00Z"),
  };
  const json = renderProposalObject(group, proposal, {
    objectId: new URL(ID),
    pageUrl: new URL("https://b.example/needs/0193a000-0000-7000-8000-000000000001"),
    groupId: new URL(ACTOR),
    groupFollowers: new URL(`${ACTOR}/followers`),
    groupPage: new URL(ACTOR),
  });
  return { ...json, ...overrides };
}

/** The shape of other FEP-0837 software: the whole amount in resourceQuantity. */
function notUnitBased(json: Record<string, unknown>): Record<string, unknown> {
  const publishes = { ...(json.publishes as Record<string, unknown>) };
  delete publishes.totalQuantity;
  delete publishes.availableQuantity;
  delete publishes.pledgedQuantity;
  return { ...json, unitBased: false, publishes };
}

describe("parseRemoteObject: what we publish", () => {
  it("reads every structured field of our own Proposal JSON", async () => {
    const { proposal, isPublic } = await readOk(ours());
    expect(isPublic).toBe(true);
    expect(proposal).toEqual({
      objectId: ID,
      originActorId: ACTOR,
      kind: "proposal",
      purpose: "request",
      title: "20 insulin coolers",
      summaryText: expect.stringContaining("Need: 20 insulin coolers"),
      category: "medication",
      categoryUri: "urn:bayanihan:category:medication",
      quantity: { amount: "20", unit: "one" },
      remainingAmount: "20",
      quantityStep: "1",
      intentId: `${ID}#primary`,
      location: { name: "Rizal Street clinic", latitude: 14.6, longitude: 120.98 },
      urgency: "high",
      status: "open",
      expiresAt: Temporal.Instant.from("2026-12-04T18:00:00Z"),
      url: "https://b.example/needs/0193a000-0000-7000-8000-000000000001",
      publishedAt: Temporal.Instant.from("2026-11-27T18:00:00Z"),
      updatedAt: Temporal.Instant.from("2026-11-27T19:30:00Z"),
      incident: null,
    });
    expect(proposal.summaryText).toContain("Must keep 2–8 °C & dry.");
    expect(proposal.summaryText).not.toMatch(/[<>]/);
    expect(proposal.summaryText).not.toContain("secret");
    // Only preloaded contexts: the inline term map needs no fetch.
    expect(loaded.every((url) => Object.hasOwn(preloadedContexts, url))).toBe(true);
  });

  it("reads followers-only objects as not public", async () => {
    const { isPublic } = await readOk(ours({ to: [`${ACTOR}/followers`], cc: [] }));
    expect(isPublic).toBe(false);
  });

  it("accepts the other spellings of the public audience", async () => {
    expect((await readOk(ours({ to: ["as:Public"], cc: [] }))).isPublic).toBe(true);
    expect((await readOk(ours({ to: [], cc: "Public" }))).isPublic).toBe(true);
  });

  it("reads the incident tag, an http(s) id only", async () => {
    const incident = "https://a.example/incidents/0193a000-0000-7000-8000-000000000009";
    expect((await readOk(ours({ incident }))).proposal.incident).toBe(incident);
    expect((await readOk(ours({ incident: "javascript:alert(1)" }))).proposal.incident).toBeNull();
  });

  it("reads an offer", async () => {
    const { proposal } = await readOk(ours({ purpose: "offer" }));
    expect(proposal.purpose).toBe("offer");
  });
});

describe("parseRemoteObject: FEP-0837 terms as full IRIs", () => {
  it("reads a document that spells the vf/om2 terms out", async () => {
    const { proposal } = await readOk({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: ID,
      type: ["Note", "https://w3id.org/valueflows/ont/vf#Proposal"],
      attributedTo: ACTOR,
      to: PUBLIC_AUDIENCE,
      name: "Rice",
      content: "<p>Rice for 40 families</p>",
      published: "2026-11-27T10:00:00Z",
      "https://w3id.org/valueflows/ont/vf#purpose": "offer",
      "https://w3id.org/valueflows/ont/vf#publishes": {
        "https://w3id.org/valueflows/ont/vf#resourceConformsTo": {
          "@id": "urn:bayanihan:category:food",
        },
        "https://w3id.org/valueflows/ont/vf#resourceQuantity": {
          "http://www.ontology-of-units-of-measure.org/resource/om-2/hasUnit": "kilogram",
          "http://www.ontology-of-units-of-measure.org/resource/om-2/hasNumericalValue": "12.5",
        },
      },
    });
    expect(proposal).toMatchObject({
      kind: "proposal",
      purpose: "offer",
      title: "Rice",
      summaryText: "Rice for 40 families",
      category: "food",
      quantity: { amount: "12.5", unit: "kilogram" },
      urgency: null,
      status: "open",
    });
  });

  it("reads what Fedify's typed Proposal writes", async () => {
    const object = new Proposal({
      id: new URL(ID),
      attribution: new URL(ACTOR),
      to: new URL(PUBLIC_AUDIENCE),
      name: "Water",
      content: "Drinking water",
      purpose: "request",
      publishes: new Intent({
        resourceConformsTo: new URL("urn:bayanihan:category:water"),
        resourceQuantity: new Measure({ unit: "litre", numericalValue: parseDecimal("200") }),
      }),
      location: new Place({ name: "Town hall", latitude: 10.5, longitude: -75.25 }),
      published: Temporal.Instant.from("2026-11-20T00:00:00Z"),
    });
    for (const format of ["compact", "expand"] as const) {
      const { proposal } = await readOk(await object.toJsonLd({ format, contextLoader }));
      expect(proposal).toMatchObject({
        kind: "proposal",
        purpose: "request",
        category: "water",
        quantity: { amount: "200", unit: "litre" },
        location: { name: "Town hall", latitude: 10.5, longitude: -75.25 },
      });
    }
  });
});

describe("parseRemoteObject: plain posts", () => {
  it("keeps a Mastodon-style Note as a post", async () => {
    const { proposal } = await readOk({
      "@context": ["https://www.w3.org/ns/activitystreams", { sensitive: "as:sensitive" }],
      id: "https://mastodon.example/users/ana/statuses/1",
      type: "Note",
      attributedTo: "https://mastodon.example/users/ana",
      to: [PUBLIC_AUDIENCE],
      content: '<p>We need <a href="https://x.example/">blankets</a> &amp; tents</p>',
      published: "2026-11-27T10:00:00Z",
      url: { type: "Link", href: "https://mastodon.example/@ana/1" },
    });
    expect(proposal).toMatchObject({
      kind: "post",
      purpose: null,
      title: "",
      summaryText: "We need blankets & tents",
      category: null,
      quantity: null,
      urgency: null,
      status: "open",
      url: "https://mastodon.example/@ana/1",
    });
  });

  it("does not guess a need from keys the context does not define", async () => {
    const { proposal } = await readOk({
      "@context": "https://www.w3.org/ns/activitystreams",
      id: ID,
      type: "Note",
      attributedTo: ACTOR,
      content: "hi",
      purpose: "request",
      publishes: { resourceConformsTo: "urn:bayanihan:category:food" },
      urgency: "critical",
    });
    expect(proposal).toMatchObject({ kind: "post", purpose: null, urgency: null, category: null });
  });

  it("keeps a Note+Proposal with no valid purpose as a post", async () => {
    const { proposal } = await readOk(ours({ purpose: "sell" }));
    expect(proposal.kind).toBe("post");
    expect(proposal.category).toBeNull();
  });
});

describe("parseRemoteObject: hostile input", () => {
  it("drops absurd quantities and unknown units", async () => {
    const cases: [unknown, unknown][] = [
      [-5, "one"],
      ["-5", "one"],
      [0, "one"],
      ["0.0000001", "one"],
      ["NaN", "one"],
      ["Infinity", "one"],
      ["1e3", "one"],
      [1e10, "one"],
      ["1000000000.5", "one"],
      ["20", "barrel"],
      ["20", "javascript:alert(1)"],
      [{ "@value": -3 }, "one"],
      [true, "one"],
      ["20", null],
    ];
    for (const [value, unit] of cases) {
      const json = notUnitBased(ours());
      (json.publishes as Record<string, unknown>).resourceQuantity = {
        hasUnit: unit,
        hasNumericalValue: value,
      };
      const { proposal } = await readOk(json);
      expect(proposal.quantity, `${JSON.stringify(value)} ${unit}`).toBeNull();
    }
  });

  it("normalises acceptable amounts and OM 2 unit IRIs", async () => {
    expect(parseAmount("007.500")).toBe("7.5");
    expect(parseAmount(1e9)).toBe("1000000000");
    expect(parseAmount("2.1234567")).toBe("2.123457");
    const json = notUnitBased(ours());
    (json.publishes as Record<string, unknown>).resourceQuantity = {
      hasUnit: "http://www.ontology-of-units-of-measure.org/resource/om-2/hour",
      hasNumericalValue: 3,
    };
    expect((await readOk(json)).proposal.quantity).toEqual({ amount: "3", unit: "hour" });
  });

  it("clamps 10 MB of content to 2,000 characters of text, quickly", async () => {
    const huge = `<p>${"help ".repeat(2_000_000)}</p>`;
    expect(huge.length).toBeGreaterThan(10_000_000);
    const started = performance.now();
    const { proposal } = await readOk(ours({ content: huge, name: "x".repeat(100_000) }));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(Array.from(proposal.summaryText)).toHaveLength(2000);
    expect(proposal.summaryText.endsWith("…")).toBe(true);
    expect(Array.from(proposal.title)).toHaveLength(200);
  });

  it("keeps unknown categories as a URI only, and only safe URIs", async () => {
    const withCategory = (uri: unknown) => {
      const json = ours();
      (json.publishes as Record<string, unknown>).resourceConformsTo = uri;
      return json;
    };
    const unknown = await readOk(withCategory("https://vocab.example/categories/diapers"));
    expect(unknown.proposal).toMatchObject({
      category: null,
      categoryUri: "https://vocab.example/categories/diapers",
    });
    const otherUrn = await readOk(withCategory("urn:bayanihan:category:spaceships"));
    expect(otherUrn.proposal).toMatchObject({
      category: null,
      categoryUri: "urn:bayanihan:category:spaceships",
    });
    for (const bad of ["javascript:alert(1)", "data:text/html,<script>", "not a uri", 42]) {
      const { proposal } = await readOk(withCategory(bad));
      expect(proposal, String(bad)).toMatchObject({ category: null, categoryUri: null });
    }
  });

  it("treats dates beyond year 9999 or unparseable as absent", async () => {
    const { proposal } = await readOk(
      ours({
        published: "30000-01-01T00:00:00Z",
        updated: "+030000-01-01T00:00:00Z",
        endTime: "next tuesday",
      }),
    );
    expect(proposal.publishedAt).toEqual(NOW);
    expect(proposal.updatedAt).toEqual(NOW);
    expect(proposal.expiresAt).toBeNull();
    expect(parseInstant("+030000-01-01T00:00:00Z")).toBeNull();
    expect(parseInstant("9999-12-31T23:59:59Z")).not.toBeNull();
    expect(parseInstant("2026-13-45T00:00:00Z")).toBeNull();
    expect(parseInstant(1234567890)).toBeNull();
  });

  it("does not let a future `published` pin the object on top of feeds", async () => {
    const { proposal } = await readOk(ours({ published: "2099-01-01T00:00:00Z" }));
    expect(proposal.publishedAt).toEqual(NOW);
  });

  it("strips scripts and tags from title, content and place", async () => {
    const { proposal } = await readOk(
      ours({
        name: '<script>alert("t")</script><b>Blankets</b> <img src=x onerror=alert(1)>',
        content:
          '<p>Hi<script type="text/javascript">document.cookie</script></p><style>p{}</style>' +
          '<p onclick="x()">&lt;script&gt; is text &#x3C;b&#x3e; &#0; &bogus; </p><!-- <b> -->',
        location: { type: "Place", name: "<i>Hall</i><script>1</script>" },
      }),
    );
    expect(proposal.title).toBe("Blankets");
    expect(proposal.summaryText).toBe("Hi\n\n<script> is text <b> \uFFFD &bogus;");
    expect(proposal.summaryText).not.toContain("document.cookie");
    expect(proposal.location).toEqual({ name: "Hall", latitude: null, longitude: null });
  });

  it("validates coordinates, urgency and status", async () => {
    const { proposal } = await readOk(
      ours({
        location: { type: "Place", name: "Somewhere", latitude: 91, longitude: 10 },
        urgency: "apocalyptic",
        status: "<b>open</b>",
      }),
    );
    expect(proposal.location).toEqual({ name: "Somewhere", latitude: null, longitude: null });
    expect(proposal.urgency).toBeNull();
    expect(proposal.status).toBe("open");
    const far = await readOk(
      ours({ location: { type: "Place", latitude: "-33.9", longitude: -181 } }),
    );
    expect(far.proposal.location).toBeNull();
  });

  it("keeps only http(s) page URLs", async () => {
    expect((await readOk(ours({ url: "javascript:alert(1)" }))).proposal.url).toBeNull();
  });

  it("refuses what it cannot attribute or type", async () => {
    const refusals: [string, unknown][] = [
      ["no id", ours({ id: undefined })],
      ["relative id", ours({ id: "/objects/1" })],
      ["non-http id", ours({ id: "urn:uuid:1" })],
      ["no author", ours({ attributedTo: undefined })],
      ["an actor", { ...ours(), type: "Person" }],
      ["a bare Proposal without purpose", { ...ours({ purpose: undefined }), type: "Proposal" }],
      ["a string", "hello"],
      ["two objects", [ours(), ours({ id: `${ID}2` })]],
      ["null", null],
      ["an unloadable context", { ...ours(), "@context": "https://evil.example/ctx" }],
      ["a broken context", { ...ours(), "@context": 42 }],
    ];
    for (const [what, json] of refusals) {
      const result = await read(json);
      expect(result.ok, what).toBe(false);
    }
  });

  it("never throws, even on deeply nested input", async () => {
    let nested: Record<string, unknown> = { type: "Note" };
    for (let i = 0; i < 20_000; i++) nested = { content: nested };
    const result = await read({ ...ours(), location: nested });
    expect(typeof result.ok).toBe("boolean");
  });

  it("reads a typed Note as Fedify writes it", async () => {
    const note = new Note({
      id: new URL(ID),
      attribution: new URL(ACTOR),
      content: "plain",
      to: new URL(PUBLIC_AUDIENCE),
    });
    const { proposal, isPublic } = await readOk(await note.toJsonLd({ contextLoader }));
    expect(proposal.kind).toBe("post");
    expect(isPublic).toBe(true);
  });

  it("keeps the context our objects publish", () => {
    // A reminder that the parser is tested against the live wire format.
    expect(ours()["@context"]).toBe(PROPOSAL_CONTEXT);
  });
});

describe("htmlToText", () => {
  it("decodes entities and collapses whitespace", () => {
    expect(htmlToText("a&nbsp;&amp;&#32;b &lt;&gt; &quot;&#39;&#x1F600;", 100)).toBe(
      "a & b <> \"'😀",
    );
    expect(htmlToText("  one\n\n   two\t three  ", 100)).toBe("one two three");
    expect(htmlToText("<p>one</p><p>two<br>three</p><ul><li>a</li><li>b</li></ul>", 100)).toBe(
      "one\n\ntwo\nthree\n\na\nb",
    );
    expect(htmlToText("<p>one</p><p>two</p>", 100, { singleLine: true })).toBe("one two");
  });

  it("decodes every named reference HTML defines, not a chosen few", () => {
    expect(htmlToText("Ni&ntilde;os &Eacute;xodo &oacute;&rarr;&check; 5&nbsp;&frac12;", 100)).toBe(
      "Niños Éxodo ó→✓ 5 ½",
    );
    // Case matters in HTML, and a name needs its semicolon here.
    expect(htmlToText("&NTILDE; &ntilde &notaname;", 100)).toBe("&NTILDE; &ntilde &notaname;");
  });

  it("treats a lone < as text and drops unclosed tags", () => {
    expect(htmlToText("1 < 2 and 3 <4", 100)).toBe("1 < 2 and 3 <4");
    expect(htmlToText("before <a href='x>y'>link</a> after", 100)).toBe("before link after");
    expect(htmlToText("kept <b class='never closed", 100)).toBe("kept");
    expect(htmlToText("x<script>never closed", 100)).toBe("x");
    expect(htmlToText("x<!-- never closed", 100)).toBe("x");
  });

  it("removes control and bidi-override characters and lone surrogates", () => {
    expect(htmlToText("a\u0000b\u202Ec\u0007d\uD800e", 100)).toBe("abcd\uFFFDe");
  });

  it("cuts at a code point and marks the cut", () => {
    expect(htmlToText("😀".repeat(10), 5)).toBe("😀😀😀😀…");
    expect(htmlToText("12345", 5)).toBe("12345");
  });

  it("stays linear on pathological markup", () => {
    const inputs = [
      "<".repeat(1_000_000),
      "<a".repeat(500_000),
      "<a b='".repeat(200_000),
      "&#x".repeat(500_000),
      "<p>".repeat(500_000),
      "<script>".repeat(200_000),
      `<b>${"</script>".repeat(100_000)}`,
    ];
    for (const input of inputs) {
      const started = performance.now();
      htmlToText(input, 2000);
      expect(performance.now() - started, input.slice(0, 10)).toBeLessThan(1_000);
    }
  });
});

describe("parseRemoteObject: quantities", () => {
  it("reads what is pledged and still needed from our unit-based shape", async () => {
    const json = ours();
    json.publishes = {
      ...(json.publishes as Record<string, unknown>),
      availableQuantity: { hasUnit: "one", hasNumericalValue: "5" },
      pledgedQuantity: { hasUnit: "one", hasNumericalValue: "15" },
    };
    const { proposal } = await readOk(json);
    expect(proposal).toMatchObject({
      quantity: { amount: "20", unit: "one" },
      remainingAmount: "5",
      quantityStep: "1",
    });
  });

  it("reads nothing still needed as zero, not as absent", async () => {
    const json = ours();
    json.publishes = {
      ...(json.publishes as Record<string, unknown>),
      availableQuantity: { hasUnit: "one", hasNumericalValue: "0" },
    };
    expect((await readOk(json)).proposal.remainingAmount).toBe("0");
  });

  it("takes another server's non-unit-based amount as the one amount a pledge must equal", async () => {
    const { proposal } = await readOk(notUnitBased(ours()));
    expect(proposal).toMatchObject({
      quantity: { amount: "1", unit: "one" },
      remainingAmount: "1",
      quantityStep: "1",
    });
  });

  it("reads a unit-based proposal without our total as what is available", async () => {
    const json = notUnitBased(ours());
    json.unitBased = true;
    json.publishes = {
      ...(json.publishes as Record<string, unknown>),
      resourceQuantity: { hasUnit: "kilogram", hasNumericalValue: "0.5" },
      availableQuantity: { hasUnit: "kilogram", hasNumericalValue: "12" },
    };
    const { proposal } = await readOk(json);
    expect(proposal).toMatchObject({
      quantity: { amount: "12", unit: "kilogram" },
      remainingAmount: "12",
      quantityStep: "0.5",
    });
  });
});

describe("parseSharedDocument", () => {
  const AS = "https://www.w3.org/ns/activitystreams";
  const CREATE = "https://lemmy.example/activities/create/1";
  const POST = "https://lemmy.example/post/1";
  const CAROL = "https://lemmy.example/u/carol";
  const readShared = (json: unknown) => parseSharedDocument(json, { contextLoader, now: NOW });

  it("reads a Create's actor and object id, the object embedded or named", async () => {
    const embedded = {
      "@context": AS,
      id: CREATE,
      type: "Create",
      actor: CAROL,
      object: { id: POST, type: "Note", content: "not read" },
    };
    expect(await readShared(embedded)).toEqual({
      activity: { type: "Create", id: CREATE, actorId: CAROL, objectId: POST },
    });
    expect(await readShared({ ...embedded, type: "Update", object: POST })).toEqual({
      activity: { type: "Update", id: CREATE, actorId: CAROL, objectId: POST },
    });
  });

  it("names no object or actor when there is not exactly one", async () => {
    const reading = await readShared({
      "@context": AS,
      id: CREATE,
      type: "Create",
      actor: [CAROL, "https://lemmy.example/u/dave"],
      object: [POST, "https://lemmy.example/post/2"],
    });
    expect(reading).toEqual({
      activity: { type: "Create", id: CREATE, actorId: null, objectId: null },
    });
  });

  it("reads anything else as an object, refusing other activities", async () => {
    const note = { "@context": AS, id: POST, type: "Note", attributedTo: CAROL, content: "Hi" };
    const reading = await readShared(note);
    expect("object" in reading && reading.object.ok).toBe(true);
    const del = await readShared({ "@context": AS, id: CREATE, type: "Delete", object: POST });
    expect(del).toEqual({
      object: { ok: false, reason: expect.stringMatching(/unsupported type/) },
    });
    expect(await readShared("junk")).toEqual({
      object: { ok: false, reason: "not a JSON object" },
    });
  });
});
