import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HELP_RATE_LIMIT } from "../src/services/responses.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * "I can help" on a need's page, without an account: the answer becomes a
 * local response for the coordinators, with the helper's contact seen by
 * them only; the page shows what accepted answers cover.
 */
describe("the I can help form", () => {
  let instance: TestInstance;
  let token: string;
  let need: { id: string; url: string };
  const post = (path: string, fields: Record<string, string>, headers = {}) =>
    postForm(new URL(path, instance.config.origin), fields, headers);
  const responses = async () =>
    (
      await (
        await instance.api("GET", `/api/v1/needs/${need.id}/responses`, undefined, token)
      ).json()
    ).items as { id: string; source: string; content: string; contact: string | null }[];

  beforeAll(async () => {
    // Stopped, so the rate-limit window cannot roll over mid-test.
    const now = Temporal.Now.instant();
    instance = await startTestInstance({ clock: () => now });
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    token = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    need = await (
      await instance.api(
        "POST",
        "/api/v1/groups/food/needs",
        { title: "Coolers", category: "medical", quantity: { amount: 20, unit: "one" } },
        token,
      )
    ).json();
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("shows the form on an open need's page", async () => {
    const html = await (await fetch(new URL(`/needs/${need.id}`, instance.config.origin))).text();
    expect(html).toContain(`action="/needs/${need.id}/help"`);
    expect(html).toContain('<label for="help-message">What can you do?');
  });

  it("records the answer for the coordinators, contact included, and thanks the helper", async () => {
    const res = await post(`/needs/${need.id}/help`, {
      message: "Van free on Saturday <b>morning</b>",
      contact: "ben@example.org",
      website: "",
    });
    expect(res.status).toBe(201);
    expect(res.body).toContain("Thank you");
    expect(res.body).not.toContain("ben@example.org");
    expect(await responses()).toEqual([
      expect.objectContaining({
        source: "local",
        content: "Van free on Saturday <b>morning</b>",
        contact: "ben@example.org",
      }),
    ]);
    const notes = await (
      await instance.api("GET", "/api/v1/groups/food/notifications", undefined, token)
    ).json();
    expect(notes.items[0]).toMatchObject({ kind: "response" });
    // The page escapes nothing it does not show: the message is not public.
    const page = await (await fetch(new URL(`/needs/${need.id}`, instance.config.origin))).text();
    expect(page).not.toContain("Van free on Saturday");
  });

  it("keeps the input and explains the problem, in the person's language, storing nothing", async () => {
    const before = (await responses()).length;
    const empty = await post(`/needs/${need.id}/help?lang=es`, { message: "  ", contact: "x" });
    expect(empty.status).toBe(422);
    expect(empty.body).toContain("Escribe unas palabras");
    expect(empty.body).toContain('value="x"');
    const trapped = await post(`/needs/${need.id}/help`, {
      message: "spam",
      contact: "",
      website: "http://spam.example",
    });
    expect(trapped.status).toBe(422);
    const foreign = await post(
      `/needs/${need.id}/help`,
      { message: "cross-site", contact: "" },
      { origin: "https://evil.example" },
    );
    expect(foreign.status).toBe(403);
    expect((await responses()).length).toBe(before);
  });

  it("shows pledged and still needed once an answer is accepted", async () => {
    const [first] = await responses();
    await instance.api(
      "POST",
      `/api/v1/responses/${first!.id}/accept`,
      { quantity: { amount: 5, unit: "one" } },
      token,
    );
    const html = await (await fetch(new URL(`/needs/${need.id}`, instance.config.origin))).text();
    expect(html).toContain("5 of 20 pledged, 15 still needed");
  });

  it("limits answers per address, on the page and through the API", async () => {
    const sent = (await responses()).length;
    for (let i = sent; i < HELP_RATE_LIMIT.limit; i++) {
      expect((await post(`/needs/${need.id}/help`, { message: `help ${i}` })).status).toBe(201);
    }
    const limited = await post(`/needs/${need.id}/help`, { message: "one too many" });
    expect(limited.status).toBe(429);
    expect(limited.headers["retry-after"]).toMatch(/^\d+$/);
    const api = await instance.api(
      "POST",
      `/api/v1/needs/${need.id}/responses`,
      { content: "also too many" },
      null,
    );
    expect(api.status).toBe(429);
    expect((await api.json()).error).toBe("too_many_requests");
    expect((await responses()).length).toBe(HELP_RATE_LIMIT.limit);
  });

  it("takes no more help once the need has ended", async () => {
    await instance.api("PATCH", `/api/v1/needs/${need.id}`, { status: "fulfilled" }, token);
    const html = await (await fetch(new URL(`/needs/${need.id}`, instance.config.origin))).text();
    expect(html).not.toContain(`/needs/${need.id}/help`);
    expect(html).toContain("no longer takes offers");
  });
});
