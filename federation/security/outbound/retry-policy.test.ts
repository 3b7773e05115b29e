import {
  createExponentialBackoffPolicy,
  type RetryPolicy,
  SendActivityError,
} from "@fedify/fedify";
import { FetchError } from "@fedify/vocab-runtime";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RETRY_AFTER_HEADER } from "./fetch-guard.ts";
import {
  deliveryBackoff,
  deliveryRetryPolicy,
  finalVerdict,
  isDestinationFailure,
  withRetryAfter,
} from "./retry-policy.ts";

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

describe("what a failed delivery means (Fedify's errors)", () => {
  const inbox = new URL("https://peer.example/inbox");
  const answered = (status: number, headers: Record<string, string> = {}) =>
    new SendActivityError(inbox, status, `HTTP ${status}`, "", new Headers(headers));
  const noAnswer = new FetchError(inbox, "fetch failed");
  const now = Temporal.Instant.from("2026-12-07T10:00:00Z");
  const backoff = Temporal.Duration.from({ seconds: 30 });

  it("gives up at once on 404/410 (gone) and other final 4xx (refused)", () => {
    expect(finalVerdict(answered(404))).toBe("gone");
    expect(finalVerdict(answered(410))).toBe("gone");
    expect(finalVerdict(answered(403))).toBe("refused");
    expect(finalVerdict(answered(422))).toBe("refused");
    for (const error of [answered(401), answered(408), answered(429), answered(503), noAnswer]) {
      expect(finalVerdict(error)).toBeNull();
    }
  });

  it("waits for Retry-After as the fetch guard hands it on, when later than the backoff", () => {
    const rateLimited = answered(429, { [RETRY_AFTER_HEADER]: "3600" });
    expect(withRetryAfter(backoff, rateLimited, now).total("second")).toBe(3600);
    const soon = answered(503, { [RETRY_AFTER_HEADER]: "5" });
    expect(withRetryAfter(backoff, soon, now).total("second")).toBe(30);
    expect(withRetryAfter(backoff, noAnswer, now).total("second")).toBe(30);
    // Never longer than the schedule's longest wait.
    const forever = answered(429, { [RETRY_AFTER_HEADER]: "9999999" });
    expect(withRetryAfter(backoff, forever, now).total("hour")).toBe(12);
  });

  it("counts only no answer and 5xx against the destination", () => {
    expect(isDestinationFailure(noAnswer)).toBe(true);
    expect(isDestinationFailure(new TypeError("fetch failed"))).toBe(true);
    expect(isDestinationFailure(answered(502))).toBe(true);
    expect(isDestinationFailure(answered(429))).toBe(false);
    expect(isDestinationFailure(answered(403))).toBe(false);
  });

  it("schedules by the same policy, 1-based", () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    expect(deliveryBackoff(1)!.total("second")).toBe(30);
    expect(deliveryBackoff(2)!.total("second")).toBe(60);
    expect(deliveryBackoff(17)).toBeNull();
  });
});
