import { describe, expect, it } from "vitest";
import { CATEGORIES, categoryByUri, isCategorySlug } from "./categories.ts";
import { newId } from "./ids.ts";
import {
  applyChanges,
  canChangeStatus,
  isDue,
  laterThan,
  type Proposal,
  type ProposalStatus,
  quantityChangeError,
} from "./proposal.ts";

const t0 = Temporal.Instant.from("2026-11-27T18:00:00Z");

function proposal(overrides: Partial<Proposal> = {}): Proposal {
  return {
    id: newId(),
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

describe("status lifecycle", () => {
  const all: ProposalStatus[] = ["open", "pledged", "fulfilled", "closed", "expired"];
  const allowed = new Set([
    "open>pledged",
    "open>fulfilled",
    "open>closed",
    "pledged>fulfilled",
    "pledged>closed",
  ]);

  it("only moves forward, and never to expired on request", () => {
    for (const from of all) {
      for (const to of all) {
        const expected = from === to || allowed.has(`${from}>${to}`);
        expect(canChangeStatus(from, to), `${from} → ${to}`).toBe(expected);
      }
    }
  });

  it("refuses content edits on a finished proposal but allows a no-op status", () => {
    const done = proposal({ status: "fulfilled" });
    const edit = applyChanges(done, { title: "Other" }, t0.add({ hours: 1 }));
    expect(edit).toEqual({ ok: false, error: { type: "terminal", status: "fulfilled" } });
    const same = applyChanges(done, { status: "fulfilled" }, t0.add({ hours: 1 }));
    expect(same).toMatchObject({ ok: true, changed: false });
  });

  it("bumps updatedAt strictly, even within the same instant", () => {
    const p = proposal();
    const result = applyChanges(p, { status: "pledged" }, t0);
    expect(result.ok && result.proposal.updatedAt.epochMilliseconds).toBe(t0.epochMilliseconds + 1);
    expect(laterThan(t0, t0.add({ seconds: 5 })).equals(t0.add({ seconds: 5 }))).toBe(true);
  });

  it("stays strictly later once stored at millisecond precision", () => {
    // A clock a few microseconds on is the same millisecond in the database
    // and on the wire, where Mastodon compares `updated`.
    const later = laterThan(t0, t0.add({ microseconds: 300 }));
    expect(later.epochMilliseconds).toBe(t0.epochMilliseconds + 1);
    expect(later.epochNanoseconds % 1_000_000n).toBe(0n);
  });

  it("reports no change when nothing differs", () => {
    const p = proposal();
    const result = applyChanges(
      p,
      { title: "Water", quantity: { amount: "20", unit: "litre" } },
      t0.add({ hours: 1 }),
    );
    expect(result).toMatchObject({ ok: true, changed: false });
    expect(result.ok && result.proposal).toBe(p);
  });

  it("refuses an expiry in the past", () => {
    const result = applyChanges(proposal(), { expiresAt: t0.subtract({ hours: 1 }) }, t0);
    expect(result).toEqual({ ok: false, error: { type: "expiry-in-past" } });
  });

  it("is due for expiry only when live and past its expiry", () => {
    const expiring = proposal({ expiresAt: t0.add({ hours: 1 }) });
    expect(isDue(expiring, t0)).toBe(false);
    expect(isDue(expiring, t0.add({ hours: 1 }))).toBe(true);
    expect(isDue({ ...expiring, status: "closed" }, t0.add({ hours: 2 }))).toBe(false);
    expect(isDue(proposal(), t0.add({ hours: 24 * 365 * 5 }))).toBe(false);
  });
});

describe("category vocabulary", () => {
  it("has the sixteen contract slugs, each with a URI, label and HXL tag", () => {
    expect(CATEGORIES.map((c) => c.slug)).toEqual([
      "food",
      "water",
      "shelter",
      "medical",
      "medication",
      "hygiene",
      "clothing",
      "transport",
      "childcare",
      "eldercare",
      "legal",
      "money",
      "utilities",
      "communication",
      "skills",
      "other",
    ]);
    for (const category of CATEGORIES) {
      expect(categoryByUri(category.uri)).toBe(category);
      expect(category.hxl).toMatch(/^#item(\+[a-z]+)*$/);
      expect(category.label.length).toBeGreaterThan(0);
    }
    expect(new Set(CATEGORIES.map((c) => c.uri)).size).toBe(16);
    expect(isCategorySlug("snacks")).toBe(false);
  });
});

describe("ids", () => {
  it("are UUIDv7 and sort by creation time", () => {
    const start = Date.now() + 1_000;
    const a = newId(start);
    const b = newId(start + 1);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(Number.parseInt(b.replace(/-/g, "").slice(0, 12), 16)).toBe(start + 1);
  });

  it("strictly increase within one millisecond, past 4,096 of them", () => {
    const at = Date.now() + 2_000;
    const ids = Array.from({ length: 5_000 }, () => newId(at));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab]/);
  });
});

describe("the quantity of a need with accepted pledges", () => {
  const pledged = proposal({ status: "pledged", pledgedAmount: "5" });
  const now = t0.add({ hours: 1 });

  it("keeps its unit", () => {
    expect(applyChanges(pledged, { quantity: { amount: "20", unit: "kilogram" } }, now)).toEqual({
      ok: false,
      error: { type: "unit-locked", unit: "litre", pledged: "5" },
    });
  });

  it("never goes below what is pledged, nor away", () => {
    expect(quantityChangeError(pledged, { amount: "4.5", unit: "litre" })).toEqual({
      type: "below-pledged",
      unit: "litre",
      pledged: "5",
    });
    expect(quantityChangeError(pledged, null)?.type).toBe("below-pledged");
    expect(quantityChangeError(pledged, { amount: "5", unit: "litre" })).toBeNull();
  });

  it("is free while nothing is pledged", () => {
    expect(quantityChangeError(proposal(), { amount: "1", unit: "kilogram" })).toBeNull();
    expect(quantityChangeError(proposal(), null)).toBeNull();
  });
});
