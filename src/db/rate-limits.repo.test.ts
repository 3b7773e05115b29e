import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, openSibling, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "./connect.ts";
import { deleteIdleBuckets, takeBucketToken } from "./rate-limits.repo.ts";

const T0 = Temporal.Instant.from("2026-12-08T10:00:00Z");
const NEVER_REFILLS = { capacity: 10, perSecond: 0 };

describe("token buckets in the database", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await createTestDatabase();
  });
  afterAll(async () => {
    await handle?.close();
  });

  const allowedOf = async (decisions: Promise<{ allowed: boolean }>[]) =>
    (await Promise.all(decisions)).filter((d) => d.allowed).length;

  it("lets exactly `capacity` of many concurrent requests through", async () => {
    const allowed = await allowedOf(
      Array.from({ length: 40 }, () => takeBucketToken(handle.db, "t:many", NEVER_REFILLS, T0)),
    );
    expect(allowed).toBe(10);
  });

  it.runIf(testEngine === "postgres")(
    "shares one budget between processes (two connection pools)",
    async () => {
      const other = await openSibling(handle);
      try {
        const allowed = await allowedOf(
          Array.from({ length: 40 }, (_, i) =>
            takeBucketToken((i % 2 === 0 ? handle : other).db, "t:shared", NEVER_REFILLS, T0),
          ),
        );
        expect(allowed).toBe(10);
      } finally {
        await other.close();
      }
    },
  );

  it("refills with time and says when to come back", async () => {
    const rule = { capacity: 2, perSecond: 0.5 };
    const at = (seconds: number) => T0.add({ seconds });
    expect((await takeBucketToken(handle.db, "t:refill", rule, at(0))).allowed).toBe(true);
    expect((await takeBucketToken(handle.db, "t:refill", rule, at(0))).allowed).toBe(true);
    expect(await takeBucketToken(handle.db, "t:refill", rule, at(1))).toMatchObject({
      allowed: false,
      retryAfterSeconds: 1,
    });
    expect((await takeBucketToken(handle.db, "t:refill", rule, at(2))).allowed).toBe(true);
  });

  it("forgets idle buckets", async () => {
    await takeBucketToken(handle.db, "t:idle", NEVER_REFILLS, T0);
    await deleteIdleBuckets(handle.db, T0.add({ seconds: 1 }));
    const rows = await handle.db
      .selectFrom("host_budgets")
      .select("bucket")
      .where("bucket", "=", "t:idle")
      .execute();
    expect(rows).toEqual([]);
  });
});
