import { describe, expect, test } from "vitest";
import { EMPTY_INCIDENT_FORM, readIncidentForm } from "./workspace-incidents.ts";

const form = {
  ...EMPTY_INCIDENT_FORM,
  name: "Flood",
  centerLatitude: "14,6",
  centerLongitude: "121",
  radiusKm: "40",
  startsAt: "2026-03-08T02:30",
};

describe("readIncidentForm", () => {
  test("reads a Spanish decimal comma and the named zone", () => {
    const { draft, problems } = readIncidentForm({ ...form, timeZone: "europe/madrid" }, "UTC");
    expect(problems).toEqual({});
    expect(draft.area).toEqual({
      kind: "circle",
      center: { latitude: 14.6, longitude: 121 },
      radiusKm: 40,
    });
    expect(draft.startsAt.toString()).toBe("2026-03-08T01:30:00Z");
  });

  test("takes a time in a daylight-saving gap as the clock reads just after it", () => {
    // New York skips 02:00–03:00 on 8 March 2026: 02:30 is read as 03:30 EDT.
    const { draft } = readIncidentForm({ ...form, timeZone: "America/New_York" }, "UTC");
    expect(draft.startsAt.toString()).toBe("2026-03-08T07:30:00Z");
  });

  test("uses the default zone when the field is empty, and says what cannot be read", () => {
    expect(readIncidentForm(form, "Asia/Manila").draft.startsAt.toString()).toBe(
      "2026-03-07T18:30:00Z",
    );
    const { problems } = readIncidentForm(
      { ...form, radiusKm: "", centerLongitude: "x", startsAt: "soon", timeZone: "Nowhere/City" },
      "UTC",
    );
    expect(problems).toEqual({
      radiusKm: "required",
      centerLongitude: "not-a-number",
      startsAt: "bad-datetime",
      timeZone: "bad-time-zone",
    });
  });
});
