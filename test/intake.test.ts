import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertPartnerLink } from "../src/db/partner-links.repo.ts";
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
  /** The form as a visitor gets it: its one-time token and, from a partner link, the partner. */
  const openForm = async (path = "/groups/food/ask") => {
    const res = await fetch(new URL(path, instance.config.origin));
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    return {
      html,
      formToken: /name="formToken" value="([A-Za-z0-9_-]{43})"/.exec(html)![1]!,
      partner: /name="partner" value="([^"]+)"/.exec(html)?.[1],
    };
  };
  /** Sends a form and follows its 303 to the request's page: the token and the page. */
  const submit = async (fields: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await post("/groups/food/ask", fields, headers);
    expect(res.status).toBe(303);
    const token = /^\/requests\/([A-Za-z0-9_-]{43})\?received=1$/.exec(
      res.headers.location as string,
    )![1]!;
    return { token, res };
  };
  const LIMIT = 4;
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
    instance = await startTestInstance({
      clock: () => now,
      env: { INTAKE_LIMIT_PER_HOUR: String(LIMIT) },
    });
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("puts a request in the triage queue and gives a private link to see and withdraw it", async () => {
    const formPage = await fetch(new URL("/groups/food/ask", instance.config.origin));
    expect(formPage.status).toBe(200);
    expect(await formPage.text()).toContain('<label for="f-title">What do you need?');

    const { formToken } = await openForm();
    const { token, res } = await submit({ ...form, formToken });
    expect(res.headers["cache-control"]).toBe("no-store");
    // The request's own page: received, what happens next, the private link (its own address).
    const landed = await fetch(new URL(res.headers.location as string, instance.config.origin));
    expect(landed.headers.get("cache-control")).toBe("no-store");
    const html = await landed.text();
    expect(html).toContain("<h1>Your request was received</h1>");
    expect(html).toContain("What happens next");
    const link = linkIn(html)!;
    expect(link).toBe(`${instance.config.origin.origin}/requests/${token}`);

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
    const sent = await post("/groups/food/offer", { ...form, title: "Van" });
    const token = /^\/requests\/([^?]+)/.exec(sent.headers.location as string)![1]!;
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

  it("rate-limits accepted submissions per address as INTAKE_LIMIT_PER_HOUR says, in the database", async () => {
    await instance.database.db.deleteFrom("rate_limit_hits").execute();
    const before = await count();
    for (let i = 0; i < LIMIT; i++) {
      expect((await post("/groups/food/ask", { ...form, title: `Request ${i}` })).status).toBe(303);
    }
    const limited = await post("/groups/food/ask", { ...form, title: "One too many" });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    const html = limited.body;
    expect(html).toContain("try again later");
    expect(html).toContain('value="One too many"');
    expect(await count()).toBe(before + LIMIT);
    const hits = await instance.database.db.selectFrom("rate_limit_hits").selectAll().execute();
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ bucket: "intake:127.0.0.1", hits: LIMIT + 1 });
  });

  it("takes requests through a live partner link past the limit, and not through a revoked one", async () => {
    // The address is over its limit from the test before.
    expect((await post("/groups/food/ask", { ...form, title: "Still limited" })).status).toBe(429);
    const group = await instance.database.db
      .selectFrom("groups")
      .select("id")
      .where("handle", "=", "food")
      .executeTakeFirstOrThrow();
    const live = "shelter-link-token-0123456789abcdefghijklmn";
    const revoked = "revoked-link-token-0123456789abcdefghijklmn";
    const at = Temporal.Now.instant();
    await insertPartnerLink(instance.database.db, {
      id: "01900000-0000-7000-8000-000000000001",
      groupId: group.id,
      label: "San Roque shelter",
      token: live,
      createdAt: at,
      revokedAt: null,
    });
    await insertPartnerLink(instance.database.db, {
      id: "01900000-0000-7000-8000-000000000002",
      groupId: group.id,
      label: "Old clinic",
      token: revoked,
      createdAt: at,
      revokedAt: null,
    });
    await instance.database.db
      .updateTable("intake_partner_links")
      .set({ revoked_at: new Date() })
      .where("token", "=", revoked)
      .execute();

    const before = await count();
    const partnerForm = await openForm(`/groups/food/ask?partner=${live}`);
    expect(partnerForm.partner).toBe(live);
    for (let i = 0; i < LIMIT + 2; i++) {
      const sent = await post("/groups/food/ask", {
        ...form,
        title: `From the shelter ${i}`,
        formToken: i === 0 ? partnerForm.formToken : "",
        partner: live,
      });
      expect(sent.status).toBe(303);
    }
    expect(await count()).toBe(before + LIMIT + 2);

    // A revoked link is the ordinary form: no partner field, and the limit holds.
    const fallback = await openForm(`/groups/food/ask?partner=${revoked}`);
    expect(fallback.partner).toBeUndefined();
    const refused = await post("/groups/food/ask", {
      ...form,
      title: "Through a revoked link",
      partner: revoked,
    });
    expect(refused.status).toBe(429);
    // An unknown token is the ordinary form too.
    expect((await openForm(`/groups/food/ask?partner=nonsense`)).partner).toBeUndefined();
    expect(await count()).toBe(before + LIMIT + 2);
  });

  it("makes one request of one form sent twice, leading both times to its page", async () => {
    await instance.database.db.deleteFrom("rate_limit_hits").execute();
    const before = await count();
    const { formToken } = await openForm();
    const first = await submit({ ...form, title: "Sent twice", formToken });
    // A reload of the POST, a double tap, the back button and send again.
    const second = await submit({ ...form, title: "Sent twice, edited", formToken });
    expect(second.token).toBe(first.token);
    expect(await count()).toBe(before + 1);
    const rows = await instance.database.db
      .selectFrom("intake_requests")
      .select("title")
      .where("title", "like", "Sent twice%")
      .execute();
    expect(rows).toEqual([{ title: "Sent twice" }]);
    // A form with problems keeps its token, so correcting it still sends once.
    const { formToken: other } = await openForm();
    const invalid = await post("/groups/food/ask", { ...form, title: "", formToken: other });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain(`name="formToken" value="${other}"`);
    await submit({ ...form, title: "Corrected", formToken: other });
    await submit({ ...form, title: "Corrected", formToken: other });
    expect(await count()).toBe(before + 2);
    // Two taps at once: one request, both answers lead to it.
    const { formToken: tapped } = await openForm();
    const [a, b] = await Promise.all([
      submit({ ...form, title: "Tapped twice", formToken: tapped }),
      submit({ ...form, title: "Tapped twice", formToken: tapped }),
    ]);
    expect(a.token).toBe(b.token);
    expect(await count()).toBe(before + 3);
  });

  it("keeps the private link when the language is switched on the request's page", async () => {
    await instance.database.db.deleteFrom("rate_limit_hits").execute();
    const { formToken } = await openForm();
    const { token } = await submit({ ...form, title: "Agua", formToken });
    const page = await (
      await fetch(new URL(`/requests/${token}?received=1`, instance.config.origin))
    ).text();
    const switchLink = /<a href="([^"]+)" hreflang="es"/.exec(page)![1]!.replaceAll("&amp;", "&");
    expect(switchLink).toBe(`/requests/${token}?received=1&lang=es`);
    const spanish = await (await fetch(new URL(switchLink, instance.config.origin))).text();
    expect(spanish).toContain('<html lang="es">');
    expect(spanish).toContain("<h1>Recibimos tu pedido</h1>");
    expect(linkIn(spanish)).toBe(`${instance.config.origin.origin}/requests/${token}`);
  });
});
