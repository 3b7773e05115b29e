import { describe, expect, it } from "vitest";
import { placeDecision, understandPlace } from "./place-input.ts";

const CLINIC = {
  id: "0190a0a0-0000-7000-8000-000000000001",
  name: "Rizal Street clinic",
  latitude: 14.62,
  longitude: 121.05,
};

describe("the place step of the coordinators' forms", () => {
  it("stores only a pick among the candidates the same text gives", () => {
    const link = "geo:14.6177,121.0537";
    const shown = understandPlace(link, [], "");
    expect(shown).toMatchObject({
      kind: "choose",
      preselected: "p:14.6177,121.0537",
      picked: null,
    });
    expect(placeDecision(shown)).toEqual({ ready: false, problem: undefined });
    // A forged or stale pick (another point) is not stored.
    const forged = understandPlace(link, [], "p:1,1");
    expect(placeDecision(forged)).toEqual({ ready: false, problem: undefined });
    const picked = understandPlace(link, [], "p:14.6177,121.0537");
    expect(placeDecision(picked)).toEqual({
      ready: true,
      location: { name: "14.6177, 121.0537", latitude: 14.6177, longitude: 121.0537 },
    });
  });

  it("offers the collective's own places first, checked when the name is theirs", () => {
    const step = understandPlace("rizal street clinic", [CLINIC], "");
    if (step.kind !== "choose") throw new Error(step.kind);
    expect(step.candidates[0]).toMatchObject({ key: `s:${CLINIC.id}`, source: "saved" });
    expect(step.preselected).toBe(`s:${CLINIC.id}`);
    expect(step.candidates.at(-1)).toMatchObject({ key: "t:", latitude: null, source: "text" });
  });

  it("says what is wrong: no such place, not a map link, a map link without a point, ambiguous", () => {
    expect(placeDecision(understandPlace("Xqzzyville", [], ""))).toEqual({
      ready: false,
      problem: "place-unknown",
    });
    expect(placeDecision(understandPlace("Xqzzyville", [], "t:"))).toEqual({
      ready: true,
      location: { name: "Xqzzyville", latitude: null, longitude: null },
    });
    expect(placeDecision(understandPlace("https://example.com/x", [], ""))).toEqual({
      ready: false,
      problem: "place-not-a-map-link",
    });
    expect(placeDecision(understandPlace("https://maps.app.goo.gl/abc", [], ""))).toEqual({
      ready: false,
      problem: "place-no-point",
    });
    expect(placeDecision(understandPlace("San Jose", [], ""))).toEqual({
      ready: false,
      problem: "place-ambiguous",
    });
    expect(placeDecision(understandPlace("   ", [], ""))).toEqual({ ready: true, location: null });
  });
});
