import { describe, expect, it } from "vitest";
import { backoffSeconds } from "./sign-in-backoff.ts";

describe("sign-in backoff", () => {
  const rule = { free: 20, baseSeconds: 1, capSeconds: 60, forgetAfterSeconds: 3600 };

  it("costs nothing for the first failures, then doubles up to the cap", () => {
    expect([1, 19, 20, 21, 22, 25, 26, 27, 1000].map((f) => backoffSeconds(rule, f))).toEqual([
      0, 0, 1, 2, 4, 32, 60, 60, 60,
    ]);
  });
});
