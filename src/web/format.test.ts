import { describe, expect, it } from "vitest";
import {
  formatDate,
  formatDeadline,
  formatInstant,
  formatInstantCompact,
  formatQuantity,
  zoneAbbreviation,
} from "./format.ts";

describe("formatting", () => {
  const instant = Temporal.Instant.from("2026-12-09T16:00:00Z");

  it("writes an instant in the given zone, with the zone's abbreviation, one format per language", () => {
    expect(formatInstant(instant, "en", "UTC")).toBe("December 9, 2026 at 4:00 PM UTC");
    expect(formatInstant(instant, "es", "Asia/Manila")).toBe(
      "10 de diciembre de 2026 a las 0:00 GMT+8",
    );
    expect(formatInstant(instant, "en", "America/New_York")).toBe(
      "December 9, 2026 at 11:00 AM EST",
    );
    expect(zoneAbbreviation(instant, "es", "Europe/Madrid")).toBe("CET");
  });

  it("writes a date as that date, whatever the zone", () => {
    const date = Temporal.PlainDate.from("2026-12-09");
    expect(formatDate(date, "en")).toBe("December 9, 2026");
    expect(formatDate(date, "es")).toBe("9 de diciembre de 2026");
    for (const zone of ["Etc/GMT+12", "Pacific/Kiritimati", "UTC"]) {
      const expiresAt = date.add({ days: 1 }).toZonedDateTime({ timeZone: zone }).toInstant();
      expect(formatDeadline({ expiresAt, expiresOn: date }, "en", zone)).toBe("December 9, 2026");
    }
    // A deadline set as an instant is shown as one, in the zone asked for.
    expect(formatDeadline({ expiresAt: instant, expiresOn: null }, "en", "UTC")).toBe(
      "December 9, 2026 at 4:00 PM UTC",
    );
  });

  it("keeps the text page's short form, in the zone", () => {
    expect(formatInstantCompact(instant, "en", "UTC")).toBe("Dec 9 16:00");
    expect(formatInstantCompact(instant, "es", "Asia/Manila")).toBe("10 dic 00:00");
  });

  it("writes quantities with localized numbers and units", () => {
    expect(formatQuantity("1500", "one", "en")).toBe("1,500");
    expect(formatQuantity("1500", "one", "es")).toBe("1500");
    expect(formatQuantity("2.5", "kilogram", "es")).toBe("2,5 kilogramos");
    expect(formatQuantity("20", "litre", "en")).toBe("20 liters");
    expect(formatQuantity("3", "cubicMetre", "en")).toBe("3 m³");
  });
});
