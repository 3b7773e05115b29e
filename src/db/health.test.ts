import { describe, expect, it } from "vitest";
import { createDatabaseProbe } from "./health.ts";

describe("database probe", () => {
  it("answers false within its timeout when the database hangs, one query per timeout", async () => {
    let pings = 0;
    const answers: (() => void)[] = [];
    const probe = createDatabaseProbe(() => {
      pings++;
      return new Promise<void>((resolve) => {
        answers.push(resolve);
      });
    }, 50);
    // Health checks at the same moment share the one query.
    expect(await Promise.all([probe(), probe(), probe()])).toEqual([false, false, false]);
    expect(pings).toBe(1);
    // One timeout later a check sends one more, and gets its answer when it comes.
    const later = probe();
    expect(pings).toBe(2);
    answers[1]!();
    expect(await later).toBe(true);
  });

  it("leaves a query that never settles behind, and sees the database come back", async () => {
    let lost = true;
    let pings = 0;
    const probe = createDatabaseProbe(() => {
      pings++;
      return lost ? new Promise<void>(() => {}) : Promise.resolve();
    }, 50);
    expect(await probe()).toBe(false);
    lost = false;
    // The first query is older than the timeout by now: a new one is sent.
    expect(await probe()).toBe(true);
    expect(pings).toBe(2);
  });

  it("answers false when the query fails", async () => {
    const probe = createDatabaseProbe(() => Promise.reject(new Error("connection refused")), 1000);
    expect(await probe()).toBe(false);
  });
});
