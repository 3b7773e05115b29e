import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testEngine } from "./helpers/database.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/** Coordinator tokens: listing, labels, revocation, and the recorded last use. */
describe(`coordinator token management (${testEngine})`, () => {
  let instance: TestInstance;
  // A clock the test moves: the last use is recorded at most once a minute.
  let now = Temporal.Instant.from("2026-12-08T10:00:00Z");
  const base = "/api/v1/groups/food/tokens";
  const issue = async (body?: unknown, handle = "food") => {
    const res = await instance.api("POST", `/api/v1/groups/${handle}/tokens`, body);
    expect(res.status).toBe(201);
    return (await res.json()) as { token: string; id: string; label?: string };
  };
  const list = async () => {
    const res = await instance.api("GET", base);
    expect(res.status).toBe(200);
    return (await res.json()).items as Record<string, unknown>[];
  };
  const useToken = (token: string) =>
    instance.api("GET", "/api/v1/groups/food/followers", undefined, token);
  const tokenRows = () =>
    instance.database.db.selectFrom("api_tokens").selectAll().orderBy("id").execute();

  beforeAll(async () => {
    instance = await startTestInstance({ clock: () => now });
    for (const handle of ["food", "other"]) {
      const res = await instance.api("POST", "/api/v1/groups", { handle, name: handle });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("lists a group's tokens with their labels and times, never the token", async () => {
    const plain = await issue();
    const labelled = await issue({ label: "  Shelter hotline bot " });
    expect(labelled.label).toBe("Shelter hotline bot");
    await issue({ label: "other group's" }, "other");

    const items = await list();
    expect(items).toEqual([
      { id: plain.id, createdAt: "2026-12-08T10:00:00Z", lastUsedAt: null },
      {
        id: labelled.id,
        label: "Shelter hotline bot",
        createdAt: "2026-12-08T10:00:00Z",
        lastUsedAt: null,
      },
    ]);
    const text = JSON.stringify(items);
    expect(text).not.toContain(plain.token);
    expect(text).not.toContain(labelled.token);
    for (const row of await tokenRows()) expect(text).not.toContain(row.token_digest);
  });

  it("is for the instance admin only", async () => {
    const { token } = await issue({ label: "coordinator" });
    for (const [method, path] of [
      ["GET", base],
      ["POST", base],
      ["DELETE", `${base}/00000000-0000-7000-8000-000000000000`],
    ] as const) {
      const anonymous = await instance.api(method, path, undefined, null);
      expect(anonymous.status).toBe(401);
      expect((await anonymous.json()).error).toBe("unauthorized");
      const coordinator = await instance.api(method, path, undefined, token);
      expect(coordinator.status).toBe(403);
      expect((await coordinator.json()).error).toBe("forbidden");
    }
  });

  it("records the last use at most once a minute", async () => {
    const { token, id } = await issue({ label: "last use" });
    const lastUsed = async () =>
      (await list()).find((t) => t.id === id)?.lastUsedAt as string | null;
    expect(await lastUsed()).toBeNull();

    now = now.add({ minutes: 5 });
    expect((await useToken(token)).status).toBe(200);
    const first = now.toString();
    expect(await lastUsed()).toBe(first);

    // Within the minute: no write, the recorded use stays.
    now = now.add({ seconds: 30 });
    expect((await useToken(token)).status).toBe(200);
    expect(await lastUsed()).toBe(first);

    now = now.add({ seconds: 31 });
    expect((await useToken(token)).status).toBe(200);
    expect(await lastUsed()).toBe(now.toString());
  });

  it("revokes a token: refused from the next request on, the others still work", async () => {
    const kept = await issue({ label: "kept" });
    const leaked = await issue({ label: "leaked" });
    expect((await useToken(leaked.token)).status).toBe(200);

    const res = await instance.api("DELETE", `${base}/${leaked.id}`);
    expect(res.status).toBe(204);
    const refused = await useToken(leaked.token);
    expect(refused.status).toBe(401);
    expect((await refused.json()).error).toBe("unauthorized");
    expect((await useToken(kept.token)).status).toBe(200);
    expect((await list()).map((t) => t.id)).not.toContain(leaked.id);

    const again = await instance.api("DELETE", `${base}/${leaked.id}`);
    expect(again.status).toBe(404);
    expect((await again.json()).error).toBe("not_found");
  });

  it("refuses bad input with a JSON error and changes nothing", async () => {
    const theirs = await issue({ label: "theirs" }, "other");
    const before = await tokenRows();
    const expectError = async (res: Response, status: number, error: string) => {
      expect(res.status).toBe(status);
      expect((await res.json()).error).toBe(error);
    };
    // Another group's token is not this group's to revoke.
    await expectError(await instance.api("DELETE", `${base}/${theirs.id}`), 404, "not_found");
    await expectError(
      await instance.api("DELETE", `${base}/00000000-0000-7000-8000-000000000000`),
      404,
      "not_found",
    );
    await expectError(await instance.api("DELETE", `${base}/not-an-id`), 400, "invalid_request");
    await expectError(
      await instance.api("DELETE", `/api/v1/groups/nobody/tokens/${theirs.id}`),
      404,
      "not_found",
    );
    await expectError(await instance.api("GET", "/api/v1/groups/nobody/tokens"), 404, "not_found");
    for (const body of [
      { label: "x".repeat(101) },
      { label: "line\nbreak" },
      { label: 42 },
      { label: "fine", extra: true },
    ]) {
      await expectError(await instance.api("POST", base, body), 400, "invalid_request");
    }
    await expectError(await instance.api("POST", base, "{not json"), 400, "invalid_json");
    expect(await tokenRows()).toEqual(before);
    expect((await useToken(theirs.token)).status).toBe(403);
  });
});
