import { describe, expect, it } from "vitest";
import { formatDate, formatInstant, formatQuantity } from "./format.ts";

describe("formatting", () => {
  const instant = Temporal.Instant.from("2026-12-04T18:00:00Z");

  it("writes dates in the reader's language, in UTC", () => {
    expect(formatDate(instant, "en")).toBe("December 4, 2026");
    expect(formatDate(instant, "es")).toBe("4 de diciembre de 2026");
    expect(formatInstant(instant, "en")).toContain("6:00");
    expect(formatInstant(instant, "es")).toContain("18:00");
  });

  it("writes quantities with localized numbers and units", () => {
    expect(formatQuantity("1500", "one", "en")).toBe("1,500");
    expect(formatQuantity("1500", "one", "es")).toBe("1500");
    expect(formatQuantity("2.5", "kilogram", "es")).toBe("2,5 kilogramos");
    expect(formatQuantity("20", "litre", "en")).toBe("20 liters");
    expect(formatQuantity("3", "cubicMetre", "en")).toBe("3 m³");
  });
});
