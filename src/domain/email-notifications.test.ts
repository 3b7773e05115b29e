import { describe, expect, it } from "vitest";
import { digestCutoff, normaliseEmailAddress, preferencesOf } from "./email-notifications.ts";

describe("email notification rules", () => {
  it("accepts addresses people type and refuses what could break a header", () => {
    expect(normaliseEmailAddress(" Maria.Cruz+aid@Example.ORG ")).toBe(
      "Maria.Cruz+aid@example.org",
    );
    for (const bad of [
      "",
      "maria",
      "maria@",
      "@example.org",
      "maria@example",
      "maria cruz@example.org",
      "maria@example.org\r\nBcc: x@y.z",
      "<maria@example.org>",
      "maria..cruz@example.org",
      `${"a".repeat(65)}@example.org`,
      `m@${"a".repeat(250)}.org`,
    ]) {
      expect(normaliseEmailAddress(bad), bad).toBeNull();
    }
  });

  it("fills kinds without a choice with their defaults", () => {
    expect(preferencesOf([{ kind: "new-request", frequency: "never" }])).toEqual({
      "new-request": "never",
      "reply-or-pledge": "immediately",
      "follow-request": "immediately",
      "delivery-problem": "daily",
    });
  });

  it("ends hourly periods on the hour and daily ones at seven in the zone", () => {
    const now = Temporal.Instant.from("2026-12-10T05:42:10Z"); // 13:42 in Manila
    expect(digestCutoff(now, "hourly", "Asia/Manila").toString()).toBe("2026-12-10T05:00:00Z");
    expect(digestCutoff(now, "daily", "Asia/Manila").toString()).toBe("2026-12-09T23:00:00Z");
    // Before seven: yesterday's seven o'clock.
    const early = Temporal.Instant.from("2026-12-09T22:00:00Z"); // 06:00 in Manila
    expect(digestCutoff(early, "daily", "Asia/Manila").toString()).toBe("2026-12-08T23:00:00Z");
  });
});
