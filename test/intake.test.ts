import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INTAKE_RATE_LIMIT } from "../src/services/intake.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/** Asking for help and offering help without an account, on a running instance. */
describe("intake without an account", () => {
  let instance: TestInstance;
  const form = {
    title: "Baby formula for two weeks",
    category: "food",
    urgency: "high",
    contact: "Maria, 0917 000 0000",
    quantityAmount: "6",
    quantityUnit: "one",
    place: "Near the chapel",
    neededBy: "",
    description: "",
    website: "",
  };
  const post = (
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ) => postForm(new URL(path, instance.config.origin), fields, headers);
  const linkIn = (html: string) => /<p class="secret"[^>]*>([^<]+)<\/p>/.exec(html)?.[1];
  const count = async () =>
    Number(
      (
        await instance.database.db
          .selectFrom("intake_requests")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    // A stopped clock: rate limits count in fixed windows, and a window
    // boundary passing mid-test would reset the counts being checked.
    const now = Temporal.Now.instant();
    instance = await startTestInstance({ clock: () => now });
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("puts a request in the triage queue and gives a private link to see and withdraw it", async () => {
    const formPage = await fetch(new URL("/groups/food/ask", instance.config.origin));
    expect(formPage.status).toBe(200);
    expect(await formPage.text()).toContain('<label for="f-title">What do you need?');

    const res = await post("/groups/food/ask", form);
    expect(res.status).toBe(201);
    expect(res.headers["cache-control"]).toBe("no-store");
    const html = res.body;
    expect(html).toContain("What happens next");
    const link = linkIn(html)!;
    expect(link).toMatch(
      new RegExp(`^${instance.config.origin.origin}/requests/[A-Za-z0-9_-]{43}$`),
    );
    const token = link.split("/").at(-1)!;

    // Stored for the coordinators only: the token as a digest, nothing federated or public.
    const row = await instance.database.db
      .selectFrom("intake_requests")
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      purpose: "request",
      title: "Baby formula for two weeks",
      contact: "Maria, 0917 000 0000",
      state: "new",
      language: "en",
      location_name: "Near the chapel",
    });
    expect(row.status_token_digest).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain(token);
    const proposals = await instance.database.db.selectFrom("proposals").selectAll().execute();
    expect(proposals).toEqual([]);
    const groupPage = await (await fetch(new URL("/groups/food", instance.config.origin))).text();
    expect(groupPage).not.toContain("Baby formula");

    const status = await fetch(link);
    expect(status.status).toBe(200);
    expect(status.headers.get("x-robots-tag")).toBe("noindex");
    const statusHtml = await status.text();
    expect(statusHtml).toContain('data-state="new"');
    expect(statusHtml).toContain("Maria, 0917 000 0000");

    const withdrawn = await post(
      `/requests/${token}/withdraw`,
      { confirm: "1" },
      { origin: instance.config.origin.origin },
    );
    expect(withdrawn.status).toBe(303);
    expect(withdrawn.headers.location).toBe(`/requests/${token}`);
    const after = await (await fetch(link)).text();
    expect(after).toContain('data-state="withdrawn"');
    expect(after).not.toContain(">Withdraw</button>");
  });

  it("answers an unknown or malformed private link with 404", async () => {
    expect(
      (await fetch(new URL(`/requests/${"a".repeat(43)}`, instance.config.origin))).status,
    ).toBe(404);
    expect((await fetch(new URL("/requests/short", instance.config.origin))).status).toBe(404);
    expect((await post(`/requests/${"b".repeat(43)}/withdraw`, {})).status).toBe(404);
  });

  it("refuses a withdrawal once a coordinator has acted", async () => {
    const html = (await post("/groups/food/offer", { ...form, title: "Van" })).body;
    const token = linkIn(html)!.split("/").at(-1)!;
    await instance.database.db
      .updateTable("intake_requests")
      .set({ state: "declined" })
      .where("title", "=", "Van")
      .execute();
    const res = await post(`/requests/${token}/withdraw`, { confirm: "1" });
    expect(res.status).toBe(409);
    expect(res.body).toContain("can no longer be withdrawn");
    const row = await instance.database.db
      .selectFrom("intake_requests")
      .select(["state", "purpose"])
      .where("title", "=", "Van")
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ state: "declined", purpose: "offer" });
  });

  it("re-renders the form in the person's language with their input and each problem by its field", async () => {
    const before = await count();
    const res = await post(
      "/groups/food/ask",
      { ...form, title: "", category: "pizza", quantityAmount: "lots", neededBy: "2000-01-01" },
      { "accept-language": "es" },
    );
    expect(res.status).toBe(422);
    const html = res.body;
    expect(html).toContain('<html lang="es">');
    expect(html).toContain('<p class="error" id="f-title-error">Completa este campo.</p>');
    expect(html).toContain('id="f-category-error">Elige un tipo de ayuda de la lista.');
    expect(html).toContain('id="f-quantityAmount-error">Escribe un número mayor que cero');
    expect(html).toContain('id="f-neededBy-error">Esa fecha ya pasó');
    expect(html).toContain('value="lots"');
    expect(html).toContain("Maria, 0917 000 0000</textarea>");
    expect(html).toMatch(
      /id="f-title"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="f-title"/,
    );
    expect(await count()).toBe(before);
  });

  it("escapes what the person typed", async () => {
    const res = await post("/groups/food/ask", {
      ...form,
      title: "",
      contact: "</textarea><script>x()</script>",
    });
    const html = res.body;
    expect(html).not.toContain("<script>x()</script>");
    expect(html).toContain("&lt;/textarea&gt;&lt;script&gt;");
  });

  it("turns away robots that fill the hidden field, forms from other sites and oversized forms", async () => {
    const before = await count();
    const trapped = await post("/groups/food/ask", { ...form, website: "http://spam.example" });
    expect(trapped.status).toBe(422);
    expect(trapped.body).toContain("leave the last field empty");

    const crossSite = await post("/groups/food/ask", form, { origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    const fetchSite = await post("/groups/food/ask", form, { "sec-fetch-site": "cross-site" });
    expect(fetchSite.status).toBe(403);
    const opaque = await post("/groups/food/ask", form, { origin: "null" });
    expect(opaque.status).toBe(403);

    const huge = await post("/groups/food/ask", { ...form, description: "x".repeat(20_000) });
    expect(huge.status).toBe(413);
    expect(await count()).toBe(before);
  });

  it("rate-limits accepted submissions per address, in the database", async () => {
    await instance.database.db.deleteFrom("rate_limit_hits").execute();
    const before = await count();
    for (let i = 0; i < INTAKE_RATE_LIMIT.limit; i++) {
      expect((await post("/groups/food/ask", { ...form, title: `Request ${i}` })).status).toBe(201);
    }
    const limited = await post("/groups/food/ask", { ...form, title: "One too many" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    const html = limited.body;
    expect(html).toContain("try again later");
    expect(html).toContain('value="One too many"');
    expect(await count()).toBe(before + INTAKE_RATE_LIMIT.limit);
    const hits = await instance.database.db.selectFrom("rate_limit_hits").selectAll().execute();
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({
      bucket: "intake:127.0.0.1",
      hits: INTAKE_RATE_LIMIT.limit + 1,
    });
  });
});
