import { describe, expect, it } from "vitest";
import type { Group } from "../src/domain/group.ts";
import type { Proposal } from "../src/domain/proposal.ts";
import { embeddedNoteJson } from "./proposal-note.ts";
import { coarsen, contentLanguage, renderProposalObject } from "./proposal-object.ts";

const t0 = Temporal.Instant.from("2026-11-27T18:00:00Z");
const group: Group = {
  id: "g1",
  handle: "food",
  name: "Food <Collective>",
  summary: "",
  followPolicy: "open",
  createdAt: t0,
  updatedAt: t0,
};
const urls = {
  objectId: new URL("https://aid.example/objects/1"),
  pageUrl: new URL("https://aid.example/needs/1"),
  groupId: new URL("https://aid.example/groups/food"),
  groupFollowers: new URL("https://aid.example/groups/food/followers"),
  groupPage: new URL("https://aid.example/groups/food"),
};
const need: Proposal = {
  id: "1",
  groupId: "g1",
  purpose: "request",
  title: 'Rice <script>alert("x")</script>',
  description: "Line one\nline two\n\nSecond paragraph & more",
  category: "food",
  quantity: { amount: "2.5", unit: "kilogram" },
  location: { name: "Plaza", latitude: 14.599512, longitude: 120.984222 },
  urgency: "critical",
  expiresAt: Temporal.Instant.from("2026-12-01T12:00:00Z"),
  audience: "public",
  contact: "secret phone 555-0101",
  status: "open",
  pledgedAmount: "0",
  previousId: null,
  createdAt: t0,
  updatedAt: t0,
};

describe("renderProposalObject", () => {
  it("escapes user text and keeps every fact in content", () => {
    const object = renderProposalObject(group, need, urls);
    const content = object.content as string;
    expect(content).not.toContain("<script>");
    expect(content).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(content).toContain("<p>Line one<br>line two</p><p>Second paragraph &amp; more</p>");
    expect(content).toContain("Quantity: 2.5 kg");
    expect(content).toContain("Where: Plaza");
    expect(content).toContain("Critical");
    expect(content).toContain("Needed by: 2026-12-01 12:00 UTC");
    expect(content).toContain("Food &lt;Collective&gt;");
  });

  it("writes a deadline picked as a date as that date, not the instant it ends", () => {
    const picked = {
      ...need,
      expiresAt: Temporal.Instant.from("2026-12-01T10:00:00Z"),
      expiresOn: Temporal.PlainDate.from("2026-12-01"),
    };
    const content = renderProposalObject(group, picked, urls).content as string;
    expect(content).toContain("Needed by: 2026-12-01<br>");
  });

  it("never carries the private contact nor exact coordinates", () => {
    const json = JSON.stringify(renderProposalObject(group, need, urls));
    expect(json).not.toContain("secret phone");
    expect(json).not.toContain("14.599512");
    expect(json).toContain('"latitude":14.6');
    expect(coarsen(-33.456789)).toBe(-33.46);
  });

  it("is a Note without summary, and an FEP-0837 proposal", () => {
    const object = renderProposalObject(group, need, urls);
    expect(object.type).toEqual(["Note", "Proposal"]);
    expect(object).not.toHaveProperty("summary");
    expect(object).not.toHaveProperty("updated");
    expect(object).toMatchObject({
      purpose: "request",
      // Unit-based: pledges are multiples of the step (0.1 kg for 2.5 kg),
      // up to what is still needed.
      unitBased: true,
      publishes: {
        id: "https://aid.example/objects/1#primary",
        type: "Intent",
        action: "transfer",
        resourceConformsTo: "urn:bayanihan:category:food",
        resourceQuantity: { hasUnit: "kilogram", hasNumericalValue: "0.1" },
        availableQuantity: { hasUnit: "kilogram", hasNumericalValue: "2.5" },
        totalQuantity: { hasUnit: "kilogram", hasNumericalValue: "2.5" },
        pledgedQuantity: { hasUnit: "kilogram", hasNumericalValue: "0" },
      },
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      cc: ["https://aid.example/groups/food/followers"],
    });
  });

  it("says what is pledged and still needed, on the wire and in the text", () => {
    const pledged = { ...need, pledgedAmount: "1.5", status: "pledged" as const };
    const object = renderProposalObject(group, pledged, urls);
    expect(object.publishes).toMatchObject({
      availableQuantity: { hasUnit: "kilogram", hasNumericalValue: "1" },
      pledgedQuantity: { hasUnit: "kilogram", hasNumericalValue: "1.5" },
      totalQuantity: { hasUnit: "kilogram", hasNumericalValue: "2.5" },
    });
    expect(object.content).toContain("pledged 1.5 kg of 2.5 kg, 1 kg still needed");
    expect(object.content).toContain("Status: Pledged");
  });

  it("says a need whose quantity is all pledged is fully pledged, not that 0 is still needed", () => {
    const covered = { ...need, pledgedAmount: "2.5", status: "pledged" as const };
    const object = renderProposalObject(group, covered, urls);
    expect(object.content).toContain("pledged 2.5 kg of 2.5 kg: fully pledged");
    expect(object.content).not.toContain("still needed");
  });

  it("links a reopened need to the one it continues", () => {
    const object = renderProposalObject(group, need, {
      ...urls,
      previousObjectId: new URL("https://aid.example/objects/0"),
    });
    expect(object.continues).toBe("https://aid.example/objects/0");
    expect(object.content).toContain("This continues an earlier need");
    expect(renderProposalObject(group, need, urls)).not.toHaveProperty("continues");
  });

  it("addresses followers-only needs to followers and dates edits", () => {
    const edited = { ...need, audience: "followers" as const, updatedAt: t0.add({ minutes: 5 }) };
    const object = renderProposalObject(group, edited, urls);
    expect(object.to).toEqual(["https://aid.example/groups/food/followers"]);
    expect(object.updated).toBe("2026-11-27T18:05:00Z");
  });

  it("tags its content with a language: the recorded one, or English", () => {
    const object = renderProposalObject(group, need, urls);
    expect(object.contentMap).toEqual({ en: object.content });
    const spanish = renderProposalObject(group, need, urls, contentLanguage("es"));
    expect(spanish.contentMap).toEqual({ es: spanish.content });
    expect(contentLanguage(null)).toBe("en");
    expect(contentLanguage('es"><script>')).toBe("en");
    expect(contentLanguage("pt-BR")).toBe("pt-BR");
  });

  it("links each hashtag to its own listing, in `tag` and in the text", () => {
    const object = renderProposalObject(group, need, {
      ...urls,
      incident: { objectId: "https://aid.example/incidents/9", name: "Hurricane Lena" },
    });
    expect(object.tag).toEqual([
      { type: "Hashtag", name: "#MutualAid", href: "https://aid.example/groups/food" },
      { type: "Hashtag", name: "#Need", href: "https://aid.example/groups/food?purpose=request" },
      { type: "Hashtag", name: "#Food", href: "https://aid.example/groups/food?category=food" },
      { type: "Hashtag", name: "#HurricaneLena", href: "https://aid.example/incidents/9" },
    ]);
    for (const tag of object.tag as { href: string }[]) {
      expect(object.content).toContain(`href="${tag.href}"`);
    }
  });
});

describe("embeddedNoteJson", () => {
  it("keeps the standard terms of the document and drops the FEP-0837 ones", () => {
    const document = renderProposalObject(
      group,
      { ...need, updatedAt: t0.add({ hours: 1 }) },
      urls,
    );
    const note = embeddedNoteJson(document);
    expect(note.type).toBe("Note");
    for (const field of ["id", "attributedTo", "to", "cc", "name", "content", "contentMap"]) {
      expect(note[field], field).toEqual(document[field]);
    }
    for (const field of ["url", "published", "updated", "tag", "mediaType"]) {
      expect(note[field], field).toEqual(document[field]);
    }
    for (const term of ["purpose", "publishes", "unitBased", "urgency", "status", "location"]) {
      expect(note).not.toHaveProperty(term);
    }
    expect(JSON.stringify(note)).not.toContain("valueflows");
  });
});
