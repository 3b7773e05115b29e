import { describe, expect, it } from "vitest";
import { StatementBatcher } from "./statement-batcher.ts";

describe("StatementBatcher", () => {
  it("runs the calls of one turn together, and those made meanwhile in the next batch", async () => {
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    const batcher = new StatementBatcher<number, number>(async (items) => {
      batches.push([...items]);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => n * 10);
    });
    const first = [batcher.submit(1), batcher.submit(2)];
    await new Promise((resolve) => setImmediate(resolve));
    // The first batch is on its way: these wait for the next one.
    const second = [batcher.submit(3), batcher.submit(4), batcher.submit(5)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2]]);
    release?.();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
  });

  it("splits at the batch size and rejects only the failed batch", async () => {
    const batcher = new StatementBatcher<number, number>(async (items) => {
      if (items.includes(3)) throw new Error("boom");
      return [...items];
    }, 2);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => batcher.submit(n)));
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "rejected",
      "fulfilled",
    ]);
  });

  it("weighs items, never splits one, and sends an overweight one alone", async () => {
    const batches: string[][] = [];
    const batcher = new StatementBatcher<string, string>(
      async (items) => {
        batches.push([...items]);
        return [...items];
      },
      5,
      (item) => item.length,
    );
    await Promise.all(["aa", "bbb", "c", "dddddddd", "ee"].map((item) => batcher.submit(item)));
    expect(batches).toEqual([["aa", "bbb"], ["c"], ["dddddddd"], ["ee"]]);
  });

  it("refuses a batch answered with the wrong number of results", async () => {
    const batcher = new StatementBatcher<number, number>(async () => [1]);
    const results = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(results.every((r) => r.status === "rejected")).toBe(true);
  });
});
