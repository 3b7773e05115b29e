import { describe, expect, test } from "vitest";
import { en } from "../web/i18n/en.ts";
import { messagesFor } from "../web/i18n/locale.ts";
import { matchExplanation } from "../web/i18n/match-text.ts";
import { haversineKm } from "./geo.ts";
import {
  DEFAULT_MAX_KM,
  findMatches,
  isLive,
  type Match,
  type MatchParty,
  type MatchReason,
} from "./matching.ts";

/** The English sentence pages and the API show for a match. */
const explained = (m: Match<MatchParty>) =>
  matchExplanation(en, "en", m.reasons, m.candidate.purpose === "offer" ? "request" : "offer");

const NOW = Temporal.Instant.from("2026-12-01T12:00:00Z");
const hoursFromNow = (h: number) => NOW.add({ hours: h });

// Manila-ish reference point and offsets along the meridian (1° ≈ 111.2 km).
const MANILA = { latitude: 14.6, longitude: 121.0 };
const north = (km: number) => ({ latitude: 14.6 + km / 111.195, longitude: 121.0 });

function need(overrides: Partial<MatchParty> = {}): MatchParty {
  return {
    key: "need",
    purpose: "request",
    category: "food",
    status: "open",
    quantity: { unit: "kilogram", total: "20" },
    coordinates: MANILA,
    urgency: "normal",
    expiresAt: null,
    ...overrides,
  };
}

function offer(key: string, overrides: Partial<MatchParty> = {}): MatchParty {
  return {
    key,
    purpose: "offer",
    category: "food",
    status: "open",
    quantity: { unit: "kilogram", total: "20" },
    coordinates: MANILA,
    urgency: "normal",
    expiresAt: null,
    ...overrides,
  };
}

const keys = (matches: readonly { candidate: MatchParty }[]) => matches.map((m) => m.candidate.key);
const reasonOf = <T extends MatchReason["type"]>(
  reasons: readonly MatchReason[],
  type: T,
): Extract<MatchReason, { type: T }> | undefined =>
  reasons.find((r): r is Extract<MatchReason, { type: T }> => r.type === type);

describe("findMatches: who is a candidate", () => {
  test("only the opposite purpose and the same category", () => {
    const matches = findMatches(
      need(),
      [
        offer("offer-food"),
        offer("other-need", { purpose: "request" }),
        offer("offer-water", { category: "water" }),
      ],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["offer-food"]);
    expect(matches[0]!.reasons[0]).toEqual({ type: "same-category", category: "food" });
  });

  test("finished, closed and expired candidates are left out; open and pledged stay", () => {
    const matches = findMatches(
      need(),
      [
        offer("open"),
        offer("pledged", { status: "pledged" }),
        offer("fulfilled", { status: "fulfilled" }),
        offer("closed", { status: "closed" }),
        offer("expired", { status: "expired" }),
      ],
      { now: NOW },
    );
    expect(keys(matches).sort()).toEqual(["open", "pledged"]);
  });

  test("a candidate past its expiry is left out even before the sweep marks it expired", () => {
    const matches = findMatches(
      need(),
      [
        offer("past", { expiresAt: hoursFromNow(-1) }),
        offer("exactly-now", { expiresAt: NOW }),
        offer("later", { expiresAt: NOW.add({ seconds: 1 }) }),
      ],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["later"]);
  });

  test("a pledged candidate whose remaining amount is zero is covered and left out", () => {
    const matches = findMatches(
      need(),
      [
        offer("covered", {
          status: "pledged",
          quantity: { unit: "kilogram", total: "20", remaining: "0" },
        }),
        offer("partly", {
          status: "pledged",
          quantity: { unit: "kilogram", total: "20", remaining: "5" },
        }),
      ],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["partly"]);
    expect(reasonOf(matches[0]!.reasons, "quantity-partial")).toEqual({
      type: "quantity-partial",
      unit: "kilogram",
      needed: "20",
      available: "5",
      shortfall: "15",
    });
  });

  test("a subject that is finished, expired or covered has no matches", () => {
    const candidates = [offer("a")];
    for (const subject of [
      need({ status: "fulfilled" }),
      need({ status: "closed" }),
      need({ status: "expired" }),
      need({ expiresAt: hoursFromNow(-2) }),
      need({ status: "pledged", quantity: { unit: "kilogram", total: "20", remaining: "0" } }),
    ]) {
      expect(isLive(subject, NOW)).toBe(false);
      expect(findMatches(subject, candidates, { now: NOW })).toEqual([]);
    }
    expect(findMatches(need({ status: "pledged" }), candidates, { now: NOW })).toHaveLength(1);
  });

  test("the distance limit must be positive", () => {
    expect(() => findMatches(need(), [], { now: NOW, maxKm: 0 })).toThrow(RangeError);
    expect(() => findMatches(need(), [], { now: NOW, maxKm: -1 })).toThrow(RangeError);
    expect(() => findMatches(need(), [], { now: NOW, maxKm: Number.NaN })).toThrow(RangeError);
  });
});

describe("findMatches: distance", () => {
  test("haversine distance, to 0.1 km, within the default 50 km; farther ones left out", () => {
    const matches = findMatches(
      need(),
      [offer("10km", { coordinates: north(10) }), offer("60km", { coordinates: north(60) })],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["10km"]);
    expect(matches[0]!.distanceKm).toBe(10);
    expect(reasonOf(matches[0]!.reasons, "distance")).toEqual({
      type: "distance",
      km: 10,
      maxKm: DEFAULT_MAX_KM,
    });
    expect(explained(matches[0]!)).toContain("10 km away");
  });

  test("the limit can be raised or lowered; a candidate exactly at the limit is in", () => {
    const candidates = [
      offer("10km", { coordinates: north(10) }),
      offer("60km", { coordinates: north(60) }),
    ];
    expect(keys(findMatches(need(), candidates, { now: NOW, maxKm: 100 }))).toEqual([
      "10km",
      "60km",
    ]);
    expect(keys(findMatches(need(), candidates, { now: NOW, maxKm: 5 }))).toEqual([]);
    const exact = haversineKm(MANILA, north(10));
    expect(keys(findMatches(need(), candidates, { now: NOW, maxKm: exact }))).toEqual(["10km"]);
  });

  test("nearer ranks higher, all else equal", () => {
    const matches = findMatches(
      need(),
      [
        offer("30km", { coordinates: north(30) }),
        offer("same-spot"),
        offer("5km", { coordinates: north(5) }),
      ],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["same-spot", "5km", "30km"]);
    const scores = matches.map((m) => m.score);
    expect(scores[0]).toBe(1);
    expect(scores[0]! > scores[1]! && scores[1]! > scores[2]!).toBe(true);
  });

  test("across the antimeridian the distance is the short way round", () => {
    const fiji = { latitude: -16.5, longitude: 179.95 };
    const otherSide = { latitude: -16.5, longitude: -179.95 };
    const matches = findMatches(
      need({ coordinates: fiji }),
      [offer("east", { coordinates: otherSide })],
      {
        now: NOW,
      },
    );
    expect(keys(matches)).toEqual(["east"]);
    // 0.1° of longitude at 16.5°S: 111.195 × 0.1 × cos(16.5°) ≈ 10.7 km, not 40,000.
    expect(matches[0]!.distanceKm).toBe(10.7);
  });

  test("at the poles and antipodes the formula stays finite", () => {
    expect(
      haversineKm({ latitude: 90, longitude: 0 }, { latitude: 90, longitude: 180 }),
    ).toBeCloseTo(0, 6);
    expect(haversineKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 })).toBeCloseTo(
      20015.1,
      0,
    );
    const matches = findMatches(
      need({ coordinates: { latitude: 0, longitude: 0 } }),
      [offer("antipode", { coordinates: { latitude: 0, longitude: 180 } })],
      { now: NOW, maxKm: 20_000 },
    );
    expect(matches).toEqual([]);
  });

  test("missing coordinates do not exclude, but rank below every located-and-near match", () => {
    const matches = findMatches(
      need(),
      [
        // Unknown distance but the best possible quantity…
        offer("unlocated-covers", {
          coordinates: null,
          quantity: { unit: "kilogram", total: "500" },
        }),
        // …still below a located one at the very limit whose units differ.
        offer("far-units-differ", {
          coordinates: north(49.9),
          quantity: { unit: "litre", total: "5" },
        }),
      ],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["far-units-differ", "unlocated-covers"]);
    const unlocated = matches[1]!;
    expect(unlocated.distanceKm).toBeNull();
    expect(reasonOf(unlocated.reasons, "distance-unknown")).toEqual({
      type: "distance-unknown",
      missing: "candidate",
    });
    expect(reasonOf(unlocated.reasons, "distance")).toBeUndefined();
    expect(explained(unlocated)).toContain("distance unknown: the offer has no coordinates");
  });

  test("a subject without coordinates matches at any distance, all as unknown distance", () => {
    const matches = findMatches(
      need({ coordinates: null }),
      [
        offer("far", { coordinates: { latitude: 51.5, longitude: -0.1 } }),
        offer("unlocated", { coordinates: null }),
      ],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["far", "unlocated"]);
    expect(matches.map((m) => reasonOf(m.reasons, "distance-unknown")?.missing)).toEqual([
      "subject",
      "both",
    ]);
    expect(matches.every((m) => m.distanceKm === null)).toBe(true);
    expect(explained(matches[0]!)).toContain("distance unknown: this need has no coordinates");
    expect(explained(matches[1]!)).toContain("distance unknown: neither has coordinates");
  });
});

describe("findMatches: quantities", () => {
  test("an offer of at least what is needed covers it", () => {
    const [match] = findMatches(
      need(),
      [offer("big", { quantity: { unit: "kilogram", total: "30" } })],
      {
        now: NOW,
      },
    );
    expect(reasonOf(match!.reasons, "quantity-covers")).toEqual({
      type: "quantity-covers",
      unit: "kilogram",
      needed: "20",
      available: "30",
    });
    expect(explained(match!)).toContain("30 kg available covers the 20 kg needed");
  });

  test("a smaller offer covers part, ranked by the share it covers", () => {
    const matches = findMatches(
      need(),
      [
        offer("quarter", { quantity: { unit: "kilogram", total: "5" } }),
        offer("exact", { quantity: { unit: "kilogram", total: "20" } }),
        offer("half", { quantity: { unit: "kilogram", total: "10" } }),
      ],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["exact", "half", "quarter"]);
    expect(reasonOf(matches[1]!.reasons, "quantity-partial")?.shortfall).toBe("10");
    expect(explained(matches[1]!)).toContain("10 kg short");
  });

  test("amounts are exact decimals: no floating-point residue", () => {
    const subject = need({ quantity: { unit: "litre", total: "20", remaining: "0.3" } });
    const [partial] = findMatches(
      subject,
      [offer("tenth", { quantity: { unit: "litre", total: "0.1" } })],
      {
        now: NOW,
      },
    );
    // 0.3 - 0.1 in floating point is 0.19999999999999998.
    expect(reasonOf(partial!.reasons, "quantity-partial")).toMatchObject({
      needed: "0.3",
      available: "0.1",
      shortfall: "0.2",
    });
    const [covers] = findMatches(
      subject,
      [offer("same", { quantity: { unit: "litre", total: "0.300" } })],
      {
        now: NOW,
      },
    );
    expect(reasonOf(covers!.reasons, "quantity-covers")).toMatchObject({
      needed: "0.3",
      available: "0.3",
    });
  });

  test("the remaining amount is used when given, the total otherwise", () => {
    const subject = need({
      status: "pledged",
      quantity: { unit: "kilogram", total: "20", remaining: "5" },
    });
    const [match] = findMatches(
      subject,
      [
        offer("o", {
          status: "pledged",
          quantity: { unit: "kilogram", total: "8", remaining: null },
        }),
      ],
      { now: NOW },
    );
    expect(reasonOf(match!.reasons, "quantity-covers")).toEqual({
      type: "quantity-covers",
      unit: "kilogram",
      needed: "5",
      available: "8",
    });
  });

  test("different units still match, say so, and rank below comparable and unspecified quantities", () => {
    const matches = findMatches(
      need(),
      [
        offer("litres", { quantity: { unit: "litre", total: "100" } }),
        offer("unspecified", { quantity: null }),
        offer("small-partial", { quantity: { unit: "kilogram", total: "1" } }),
      ],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["small-partial", "unspecified", "litres"]);
    expect(reasonOf(matches[2]!.reasons, "units-differ")).toEqual({
      type: "units-differ",
      needed: "20",
      neededUnit: "kilogram",
      available: "100",
      availableUnit: "litre",
    });
    expect(explained(matches[2]!)).toContain("units differ");
  });

  test("no quantity on either side is neutral and says which side", () => {
    const [noOffer] = findMatches(need(), [offer("o", { quantity: null })], { now: NOW });
    expect(reasonOf(noOffer!.reasons, "quantity-unspecified")?.missing).toBe("candidate");
    const [noNeed] = findMatches(need({ quantity: null }), [offer("o")], { now: NOW });
    expect(reasonOf(noNeed!.reasons, "quantity-unspecified")?.missing).toBe("subject");
    const [neither] = findMatches(need({ quantity: null }), [offer("o", { quantity: null })], {
      now: NOW,
    });
    expect(reasonOf(neither!.reasons, "quantity-unspecified")?.missing).toBe("both");
    // Neutral: the same score whichever side is silent.
    expect(noOffer!.score).toBe(noNeed!.score);
    expect(noNeed!.score).toBe(neither!.score);
  });

  test("matching an offer with needs: amounts are still read as needed and available", () => {
    const subject = offer("my-offer", { quantity: { unit: "one", total: "12" } });
    const matches = findMatches(
      subject,
      [
        need({ key: "n-small", quantity: { unit: "one", total: "10" } }),
        need({ key: "n-big", quantity: { unit: "one", total: "40" } }),
        need({ key: "n-offer", purpose: "offer" }),
      ],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["n-small", "n-big"]);
    expect(reasonOf(matches[0]!.reasons, "quantity-covers")).toMatchObject({
      needed: "10",
      available: "12",
    });
    expect(reasonOf(matches[1]!.reasons, "quantity-partial")).toMatchObject({
      needed: "40",
      available: "12",
      shortfall: "28",
    });
    expect(explained(matches[1]!)).toContain("12 available covers part of the 40 needed");
    const [unlocated] = findMatches(subject, [need({ coordinates: null, quantity: null })], {
      now: NOW,
    });
    expect(explained(unlocated!)).toContain("the need has no coordinates");
    expect(explained(unlocated!)).toContain("no quantity given for the need");
  });
});

describe("findMatches: ranking is deterministic", () => {
  test("equal scores: more urgent first, then sooner expiry (none last), then key", () => {
    const candidates = [
      offer("z-low", { urgency: "low" }),
      offer("y-normal-no-expiry"),
      offer("x-normal-later", { expiresAt: hoursFromNow(200) }),
      offer("w-normal-sooner", { expiresAt: hoursFromNow(100) }),
      offer("b-normal-tie", { expiresAt: hoursFromNow(300) }),
      offer("a-normal-tie", { expiresAt: hoursFromNow(300) }),
      offer("v-critical", { urgency: "critical" }),
      offer("u-high", { urgency: "high" }),
    ];
    const expected = [
      "v-critical",
      "u-high",
      "w-normal-sooner",
      "x-normal-later",
      "a-normal-tie",
      "b-normal-tie",
      "y-normal-no-expiry",
      "z-low",
    ];
    const matches = findMatches(need(), candidates, { now: NOW });
    expect(new Set(matches.map((m) => m.score)).size).toBe(1);
    expect(keys(matches)).toEqual(expected);
    expect(keys(findMatches(need(), [...candidates].reverse(), { now: NOW }))).toEqual(expected);
    const rotated = [...candidates.slice(3), ...candidates.slice(0, 3)];
    expect(keys(findMatches(need(), rotated, { now: NOW }))).toEqual(expected);
  });

  test("score beats urgency: a nearer normal offer outranks a farther critical one", () => {
    const matches = findMatches(
      need(),
      [
        offer("far-critical", { urgency: "critical", coordinates: north(40) }),
        offer("near-normal"),
      ],
      { now: NOW },
    );
    expect(keys(matches)).toEqual(["near-normal", "far-critical"]);
  });

  test("limit keeps the best ones", () => {
    const matches = findMatches(
      need(),
      [offer("c", { coordinates: north(20) }), offer("a"), offer("b", { coordinates: north(10) })],
      { now: NOW, limit: 2 },
    );
    expect(keys(matches)).toEqual(["a", "b"]);
  });
});

describe("findMatches: urgency and expiry reasons", () => {
  test("high and critical urgency are reasons; normal and low are not", () => {
    const matches = findMatches(
      offer("my-offer"),
      [
        need({ key: "critical", urgency: "critical" }),
        need({ key: "high", urgency: "high" }),
        need({ key: "normal" }),
        need({ key: "low", urgency: "low" }),
      ],
      { now: NOW },
    );
    expect(matches.map((m) => reasonOf(m.reasons, "urgency")?.urgency ?? null)).toEqual([
      "critical",
      "high",
      null,
      null,
    ]);
    expect(explained(matches[0]!)).toContain("urgency: Critical");
  });

  test("a candidate expiring within 72 hours is flagged with the hours left", () => {
    const matches = findMatches(
      need(),
      [
        offer("soon", { expiresAt: NOW.add({ hours: 5, minutes: 30 }) }),
        offer("minutes", { expiresAt: NOW.add({ minutes: 20 }) }),
        offer("later", { expiresAt: hoursFromNow(72) }),
      ],
      { now: NOW },
    );
    const byKey = new Map(matches.map((m) => [m.candidate.key, m]));
    expect(reasonOf(byKey.get("soon")!.reasons, "expires-soon")).toEqual({
      type: "expires-soon",
      expiresAt: "2026-12-01T17:30:00Z",
      hours: 5,
    });
    expect(explained(byKey.get("soon")!)).toContain("expires in 5 hours");
    expect(explained(byKey.get("minutes")!)).toContain("expires within the hour");
    expect(reasonOf(byKey.get("later")!.reasons, "expires-soon")).toBeUndefined();
  });

  test("a full explanation reads as one sentence", () => {
    const [match] = findMatches(
      need(),
      [
        offer("o", {
          coordinates: north(12.3),
          quantity: { unit: "kilogram", total: "25" },
          urgency: "high",
          expiresAt: hoursFromNow(10),
        }),
      ],
      { now: NOW },
    );
    expect(explained(match!)).toBe(
      "Same category (Food); 12.3 km away; 25 kg available covers the 20 kg needed; urgency: High; expires in 10 hours.",
    );
    // The same reasons in the reader's language, with the words agreeing.
    expect(matchExplanation(messagesFor("es"), "es", match!.reasons, "request")).toBe(
      "Misma categoría (Alimentos); a 12,3 km; cubre lo que falta (disponible: 25 kg; falta: 20 kg); urgencia: Alta; vence en 10 horas.",
    );
    expect(match!.reasons.map((r) => r.type)).toEqual([
      "same-category",
      "distance",
      "quantity-covers",
      "urgency",
      "expires-soon",
    ]);
  });
});
