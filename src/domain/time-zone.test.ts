import { describe, expect, it } from "vitest";
import {
  canonicalTimeZone,
  collectiveZone,
  deadlineDate,
  endOfDay,
  parsePickedDate,
  selectableTimeZones,
  todayIn,
} from "./time-zone.ts";

/** Every whole-hour offset from UTC−12 to UTC+14, as IANA names, and some real places. */
const ZONES = [
  ...Array.from({ length: 12 }, (_, i) => `Etc/GMT+${12 - i}`),
  "UTC",
  ...Array.from({ length: 14 }, (_, i) => `Etc/GMT-${i + 1}`),
  "Pacific/Kiritimati",
  "Pacific/Pago_Pago",
  "Asia/Manila",
  "America/Mexico_City",
  "Asia/Kathmandu",
];

describe("time zones", () => {
  it("knows IANA zones by their canonical name, and nothing else", () => {
    expect(canonicalTimeZone("Asia/Manila")).toBe("Asia/Manila");
    expect(canonicalTimeZone(" utc ")).toBe("UTC");
    expect(canonicalTimeZone("Atlantis/Capital")).toBeNull();
    expect(canonicalTimeZone("+08:00")).toBeNull();
    expect(canonicalTimeZone("")).toBeNull();
    expect(selectableTimeZones()).toContain("UTC");
    expect(selectableTimeZones()).toContain("Asia/Manila");
  });

  it("keeps a picked date that date in every zone from UTC−12 to UTC+14", () => {
    const picked = parsePickedDate("2026-12-09")!;
    for (const zone of ZONES) {
      const end = endOfDay(picked, zone);
      // It runs out as the 10th begins there, not at midnight UTC.
      expect(end.toZonedDateTimeISO(zone).toPlainDate().toString()).toBe("2026-12-10");
      expect(end.toZonedDateTimeISO(zone).hour).toBe(0);
      // Read back from the stored date, or (old rows) from the end instant.
      expect(deadlineDate(end, picked, "UTC").toString()).toBe("2026-12-09");
      expect(deadlineDate(end, null, zone).toString()).toBe("2026-12-09");
    }
  });

  it("reads dates strictly and starts today where the collective is", () => {
    expect(parsePickedDate("30000-01-01")).toBeNull();
    expect(parsePickedDate("2026-02-30")).toBeNull();
    const now = Temporal.Instant.from("2026-12-09T20:00:00Z");
    expect(todayIn(now, "Pacific/Kiritimati").toString()).toBe("2026-12-10");
    expect(todayIn(now, "Etc/GMT+12").toString()).toBe("2026-12-09");
    expect(collectiveZone({ timeZone: null }, "Asia/Manila")).toBe("Asia/Manila");
    expect(collectiveZone({ timeZone: "UTC" }, "Asia/Manila")).toBe("UTC");
  });
});
