import { describe, expect, it } from "vitest";
import {
  canWithdraw,
  contactErasure,
  type IntakeInput,
  validateDecline,
  validateIntake,
} from "./intake.ts";

const today = Temporal.PlainDate.from("2026-11-28");
const input = (over: Partial<IntakeInput> = {}): IntakeInput => ({
  title: "Baby formula",
  description: "",
  category: "food",
  quantityAmount: "",
  quantityUnit: "one",
  place: "",
  urgency: "normal",
  neededBy: "",
  contact: "0917 000 0000",
  ...over,
});

describe("intake validation", () => {
  it("accepts the two required fields alone", () => {
    const result = validateIntake(input({ urgency: "" }), today);
    expect(result).toEqual({
      ok: true,
      draft: {
        title: "Baby formula",
        description: "",
        category: "food",
        quantity: null,
        place: null,
        urgency: "normal",
        neededBy: null,
        neededOn: null,
        contact: "0917 000 0000",
      },
    });
  });

  it("reads a decimal comma and a needed-by date as the end of that day (UTC)", () => {
    const result = validateIntake(
      input({ quantityAmount: "2,50", quantityUnit: "kilogram", neededBy: "2026-11-28" }),
      today,
    );
    expect(result.ok && result.draft.quantity).toEqual({ amount: "2.5", unit: "kilogram" });
    expect(result.ok && result.draft.neededBy?.toString()).toBe("2026-11-29T00:00:00Z");
  });

  it("names every problem by field", () => {
    const result = validateIntake(
      input({
        title: "  ",
        contact: "x".repeat(301),
        category: "pizza",
        urgency: "yesterday",
        quantityAmount: "-3",
        neededBy: "2026-11-27",
      }),
      today,
    );
    expect(result).toEqual({
      ok: false,
      problems: {
        title: "required",
        contact: "too-long",
        category: "unknown-category",
        urgency: "unknown-urgency",
        quantityAmount: "invalid-amount",
        neededBy: "date-in-past",
      },
    });
    const dates = validateIntake(
      input({ neededBy: "2026-02-30", quantityAmount: "1", quantityUnit: "parsec" }),
      today,
    );
    expect(dates).toEqual({
      ok: false,
      problems: { neededBy: "invalid-date", quantityUnit: "unknown-unit" },
    });
  });

  it("keeps a picked date, ending at the end of that day in the collective's zone", () => {
    const result = validateIntake(input({ neededBy: "2026-12-04" }), today, {
      timeZone: "Asia/Manila",
    });
    expect(result.ok && result.draft.neededOn?.toString()).toBe("2026-12-04");
    expect(result.ok && result.draft.neededBy?.toString()).toBe("2026-12-04T16:00:00Z");
  });

  it("refuses a year past 9999", () => {
    expect(validateIntake(input({ neededBy: "30000-01-01" }), today)).toMatchObject({
      ok: false,
      problems: { neededBy: "invalid-date" },
    });
  });

  it("lets a person withdraw only what nobody acted on yet", () => {
    expect(canWithdraw("new")).toBe(true);
    expect(canWithdraw("published")).toBe(false);
    expect(canWithdraw("declined")).toBe(false);
  });
});

describe("declining and erasing", () => {
  it("takes a reason from the list and a short note", () => {
    expect(validateDecline("outside-area", "  Try the parish.  ")).toEqual({
      ok: true,
      reason: "outside-area",
      note: "Try the parish.",
    });
    expect(validateDecline("", "")).toEqual({ ok: false, problems: { reason: "required" } });
    expect(validateDecline("because", "x".repeat(501))).toEqual({
      ok: false,
      problems: { reason: "required", note: "too-long" },
    });
  });

  it("erases the contact the retention after the request ended", () => {
    const ended = Temporal.Instant.from("2026-12-09T10:00:00Z");
    const retention = Temporal.Duration.from({ hours: 30 * 24 });
    expect(contactErasure({ contactErasedAt: null }, null, retention)).toEqual({
      kind: "kept-while-open",
    });
    expect(contactErasure({ contactErasedAt: null }, ended, retention)).toEqual({
      kind: "scheduled",
      at: Temporal.Instant.from("2027-01-08T10:00:00Z"),
    });
    const erased = Temporal.Instant.from("2027-01-08T10:01:00Z");
    expect(contactErasure({ contactErasedAt: erased }, ended, retention)).toEqual({
      kind: "erased",
      at: erased,
    });
  });
});
