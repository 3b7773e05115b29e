import { createExponentialBackoffPolicy, type RetryPolicy } from "@fedify/fedify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { deliveryRetryPolicy } from "./retry-policy.ts";

const HOUR_MS = 3_600_000;

/**
 * Replays the policy the way Fedify's outbox worker calls it: `attempts` is
 * the failed message's `attempt` (0 for the first delivery), until null.
 */
function schedule(policy: RetryPolicy): number[] {
  const delays: number[] = [];
  let elapsed = 0;
  for (let attempts = 0; ; attempts++) {
    if (attempts > 1000) throw new Error("the policy never gives up");
    const delay = policy({
      attempts,
      elapsedTime: Temporal.Duration.from({ milliseconds: elapsed }),
    });
    if (delay === null) return delays;
    const ms = delay.total("millisecond");
    delays.push(ms);
    elapsed += ms;
  }
}

const sum = (delays: number[]) => delays.reduce((a, b) => a + b, 0);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("deliveryRetryPolicy", () => {
  it("keeps retrying for at least 72 hours even with the least jitter", () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const delays = schedule(deliveryRetryPolicy);
    expect(delays).toHaveLength(16);
    expect(delays[0]).toBe(30_000);
    expect(delays.slice(11)).toEqual(Array(5).fill(12 * HOUR_MS));
    expect(sum(delays)).toBe(61_410_000 + 60 * HOUR_MS);
    expect(sum(delays) / HOUR_MS).toBeGreaterThanOrEqual(72);
  });

  it("stays under four days with the most jitter, no single wait over 12 hours", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    const delays = schedule(deliveryRetryPolicy);
    expect(Math.max(...delays)).toBe(12 * HOUR_MS);
    expect(sum(delays) / HOUR_MS).toBeLessThan(90);
  });

  it("covers 72 hours for any jitter", () => {
    for (let run = 0; run < 200; run++) {
      expect(sum(schedule(deliveryRetryPolicy))).toBeGreaterThanOrEqual(72 * HOUR_MS);
    }
  });
});

describe("Fedify's default outbox policy (the gap)", () => {
  it("gives up after at most about 34 minutes", () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999_999);
    const longest = schedule(createExponentialBackoffPolicy());
    expect(longest).toHaveLength(10);
    expect(sum(longest) / 60_000).toBeLessThan(35);

    vi.spyOn(Math, "random").mockReturnValue(0);
    expect(sum(schedule(createExponentialBackoffPolicy())) / 60_000).toBeCloseTo(17.05, 1);
  });
});
