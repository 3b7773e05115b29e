import { Follow } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";

const NUL = "a\u0000b";
const LONE = "a\ud800b";

/**
 * U+0000 and lone surrogates, which PostgreSQL cannot store, are refused
 * with a 400 where each kind of input is parsed: API JSON, web forms, inbox
 * activities. Nothing is stored, and nothing answers 500.
 */
describe("text the database cannot store", () => {
  let instance: TestInstance;
  let alice: RemoteActor;
  let token: string;

  const count = async (table: "groups" | "proposals" | "intake_requests" | "followers") =>
    (await instance.database.db.selectFrom(table).select("id").execute()).length;

  beforeAll(async () => {
    [instance, alice] = await Promise.all([startTestInstance(), startRemoteActor("127.0.0.2")]);
    const res = await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food" });
    expect(res.status).toBe(201);
    token = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json()).token;
  }, 180_000);

  afterAll(async () => {
    await Promise.all([instance?.stop(), alice?.close()]);
  });

  it.each([
    ["U+0000", NUL],
    ["a lone surrogate", LONE],
  ])("API JSON holding %s gets a JSON 400 and stores nothing", async (_, bad) => {
    const group = await instance.api("POST", "/api/v1/groups", { handle: "nul", name: bad });
    expect(group.status).toBe(400);
    expect(await group.json()).toMatchObject({
      error: "invalid_request",
      message: expect.any(String),
      details: { path: "name" },
    });
    const need = await instance.api(
      "POST",
      "/api/v1/groups/food/needs",
      { title: "Water", description: bad, category: "water" },
      token,
    );
    expect(need.status).toBe(400);
    expect(await need.json()).toMatchObject({ details: { path: "description" } });
    expect(await count("groups")).toBe(1);
    expect(await count("proposals")).toBe(0);
  });

  it("a web form holding U+0000 gets a 400 page with a message and stores nothing", async () => {
    const answer = await postForm(new URL("/groups/food/ask", instance.config.origin), {
      title: NUL,
      category: "food",
      urgency: "high",
      contact: "Maria",
      quantityAmount: "",
      quantityUnit: "one",
      place: "",
      neededBy: "",
      description: "",
      website: "",
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("cannot be saved");
    expect(await count("intake_requests")).toBe(0);
    const login = await postForm(new URL("/login", instance.config.origin), {
      username: NUL,
      password: "x",
    });
    expect(login.status).toBe(400);
    expect(login.body).toContain("cannot be saved");
  });

  it.each([
    ["U+0000", NUL],
    ["a lone surrogate", LONE],
  ])("an inbox activity holding %s, signed by a real actor, gets a JSON 400", async (_, bad) => {
    const follow = new Follow({
      id: new URL(`${alice.origin.href}follows/${crypto.randomUUID()}`),
      actor: alice.actorId,
      object: new URL("/groups/food", instance.config.origin),
    });
    const json = { ...((await follow.toJsonLd()) as Record<string, unknown>), summary: bad };
    const answer = await alice.postSigned(
      new URL("/groups/food/inbox", instance.config.origin),
      json,
    );
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({
      error: "invalid_text",
      message: expect.any(String),
    });
    expect(await count("followers")).toBe(0);
  });
});
