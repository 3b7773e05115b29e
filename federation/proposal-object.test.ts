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
});
