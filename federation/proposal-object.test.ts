import { describe, expect, it } from "vitest";
import type { Group } from "../src/domain/group.ts";
import type { Proposal } from "../src/domain/proposal.ts";
import { coarsen, renderProposalObject } from "./proposal-object.ts";

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
      unitBased: false,
      publishes: {
        id: "https://aid.example/objects/1#primary",
        type: "Intent",
        action: "transfer",
        resourceConformsTo: "urn:bayanihan:category:food",
        resourceQuantity: { hasUnit: "kilogram", hasNumericalValue: "2.5" },
      },
      to: ["https://www.w3.org/ns/activitystreams#Public"],
      cc: ["https://aid.example/groups/food/followers"],
    });
  });

  it("addresses followers-only needs to followers and dates edits", () => {
    const edited = { ...need, audience: "followers" as const, updatedAt: t0.add({ minutes: 5 }) };
    const object = renderProposalObject(group, edited, urls);
    expect(object.to).toEqual(["https://aid.example/groups/food/followers"]);
    expect(object.updated).toBe("2026-11-27T18:05:00Z");
  });
});
