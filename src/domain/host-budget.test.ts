import { describe, expect, it } from "vitest";
import {
  budgetHost,
  isFollowType,
  refillSeconds,
  type TokenBucketState,
  takeToken,
} from "./host-budget.ts";

const rule = { capacity: 3, perSecond: 0.5 };

/** Takes `n` tokens at `nowMs`, threading the state; returns how many were allowed. */
function takeMany(state: TokenBucketState | null, n: number, nowMs: number) {
  let allowed = 0;
  let current = state;
  for (let i = 0; i < n; i++) {
    const decision = takeToken(current, rule, nowMs);
    if (decision.allowed) allowed++;
    current = decision.state;
  }
  return { allowed, state: current! };
}

describe("takeToken", () => {
  it("lets a burst of `capacity` through from a bucket never used, then refuses", () => {
    const { allowed, state } = takeMany(null, 10, 1_000);
    expect(allowed).toBe(3);
    expect(state.tokens).toBe(0);
    const refused = takeToken(state, rule, 1_000);
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 2 });
  });

  it("refills at `perSecond` and says when the next token is back", () => {
    const empty = { tokens: 0, atMs: 0 };
    // 1 s at 0.5/s: half a token, not enough; one more second brings it.
    expect(takeToken(empty, rule, 1_000)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    const after2s = takeToken(empty, rule, 2_000);
    expect(after2s.allowed).toBe(true);
    expect(after2s.state.tokens).toBeCloseTo(0);
  });

  it("never holds more than `capacity`, however long it was idle", () => {
    const { allowed } = takeMany({ tokens: 0, atMs: 0 }, 10, 3_600_000);
    expect(allowed).toBe(3);
  });

  it("lets through exactly the refill rate over a long run", () => {
    let state: TokenBucketState | null = null;
    let allowed = 0;
    // 100 attempts a second for 60 s: the burst, then 0.5 a second.
    for (let ms = 0; ms < 60_000; ms += 10) {
      const decision = takeToken(state, rule, ms);
      if (decision.allowed) allowed++;
      state = decision.state;
    }
    expect(allowed).toBe(3 + 29);
  });

  it("refills nothing when the clock goes backwards", () => {
    const decision = takeToken({ tokens: 0.2, atMs: 10_000 }, rule, 5_000);
    expect(decision.allowed).toBe(false);
    expect(decision.state).toEqual({ tokens: 0.2, atMs: 10_000 });
  });

  it("answers an hour when a bucket never refills", () => {
    const decision = takeToken({ tokens: 0, atMs: 0 }, { capacity: 1, perSecond: 0 }, 1_000);
    expect(decision).toMatchObject({ allowed: false, retryAfterSeconds: 3600 });
  });
});

describe("refillSeconds", () => {
  it("is how long an empty bucket takes to be full", () => {
    expect(refillSeconds(rule)).toBe(6);
    expect(refillSeconds({ capacity: 1, perSecond: 0 })).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("budgetHost", () => {
  it("is the host name and port in lower case, without a default port", () => {
    expect(budgetHost(new URL("https://Social.Example:8443/users/a#main-key"))).toBe(
      "social.example:8443",
    );
    expect(budgetHost(new URL("https://social.example:443/actor"))).toBe("social.example");
    expect(budgetHost(new URL("http://social.example/actor"))).toBe("social.example");
  });
});

describe("isFollowType", () => {
  it("knows a Follow however the type is written", () => {
    for (const type of [
      "Follow",
      "as:Follow",
      "https://www.w3.org/ns/activitystreams#Follow",
      ["Follow"],
      ["Activity", "Follow"],
    ]) {
      expect(isFollowType(type)).toBe(true);
    }
    for (const type of ["Undo", "Accept", ["Create"], undefined, 3, [{ "@id": "Follow" }]]) {
      expect(isFollowType(type)).toBe(false);
    }
  });
});
