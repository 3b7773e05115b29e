import { describe, expect, it } from "vitest";
import {
  RECONCILIATION_DEFAULTS,
  reconciliationOptions,
  reconciliationWindow,
} from "./reconciliation.ts";

const now = Temporal.Instant.from("2026-12-07T12:00:00Z");

describe("reconciliation options and window", () => {
  it("defaults to six hours, two per origin, thirty a minute and stale after three days", () => {
    const options = reconciliationOptions();
    expect(options).toEqual(RECONCILIATION_DEFAULTS);
    const window = reconciliationWindow(now, options);
    expect(window.confirmedBefore.toString()).toBe("2026-12-07T06:00:00Z");
    expect(window.askedBefore.toString()).toBe("2026-12-07T06:00:00Z");
    expect(window.retryBefore.toString()).toBe("2026-12-07T11:00:00Z");
    expect(window.staleBefore.toString()).toBe("2026-12-04T12:00:00Z");
    expect([options.perOrigin, options.perRun, options.intervalMs]).toEqual([2, 30, 60_000]);
  });

  it("takes overrides, days included", () => {
    const options = reconciliationOptions({
      maxAge: Temporal.Duration.from({ minutes: 5 }),
      staleAfter: Temporal.Duration.from({ days: 1 }),
      perOrigin: 1,
    });
    const window = reconciliationWindow(now, options);
    expect(window.confirmedBefore.toString()).toBe("2026-12-07T11:55:00Z");
    expect(window.staleBefore.toString()).toBe("2026-12-06T12:00:00Z");
    expect(options.perRun).toBe(30);
  });

  it("refuses limits that would stop or unbound the job", () => {
    expect(() => reconciliationOptions({ perOrigin: 0 })).toThrow(/perOrigin/);
    expect(() => reconciliationOptions({ perRun: 2.5 })).toThrow(/perRun/);
    expect(() => reconciliationOptions({ intervalMs: -1 })).toThrow(/intervalMs/);
    expect(() => reconciliationOptions({ maxAge: Temporal.Duration.from({ hours: -1 }) })).toThrow(
      /maxAge/,
    );
  });
});
