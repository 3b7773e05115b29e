import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * What a person who asked for help finds after sending it, and what the
 * coordinators set up for them: the collective's contact ways, partner
 * links past the per-address limit, and the contact erased some days after
 * the request ended (the clock is the instance's, moved by the test).
 */
describe("the help request's journey", () => {
  let instance: TestInstance;
  let cookie: string;
  let now = Temporal.Now.instant();
  const RETENTION_DAYS = 2;
  const url = (path: string) => new URL(path, instance.config.origin);
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(url(path), { headers: { cookie, ...headers }, redirect: "manual" });
    return { status: res.status, body: await res.text(), headers: res.headers };
  };
  const post = (
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ) => postForm(url(path), fields, { cookie, ...headers });
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const form = {
    title: "Rice for a family of five",
    category: "food",
    urgency: "high",
    contact: "Lea, 0917 333 4444",
  };
  const ask = async (fields: Record<string, string> = {}) => {
    const res = await postForm(url("/groups/food/ask"), { ...form, ...fields });
    expect(res.status).toBe(303);
    return /^\/requests\/([A-Za-z0-9_-]{43})/.exec(res.headers.location as string)![1]!;
  };
  const contactOf = async (title: string) =>
    (
      await instance.database.db
        .selectFrom("intake_requests")
        .select(["contact", "contact_erased_at"])
        .where("title", "=", title)
        .executeTakeFirstOrThrow()
    ).contact;

  beforeAll(async () => {
    instance = await startTestInstance({
      clock: () => now,
      env: { INTAKE_LIMIT_PER_HOUR: "1", INTAKE_CONTACT_RETENTION_DAYS: String(RETENTION_DAYS) },
      jobs: { expirySweepIntervalMs: 100 },
    });
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food collective" });
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group: "food" })
    ).json();
    const created = await postForm(new URL(invitation.url), {
      username: "maria",
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    cookie = [created.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("refuses bad contact ways next to their fields, in the coordinator's language, storing nothing", async () => {
    const page = await get("/workspace/groups/food/contact");
    expect(page.status).toBe(200);
    const csrf = csrfIn(page.body);
    const bad = await post("/workspace/groups/food/contact?lang=es", {
      _csrf: csrf,
      phone: "call me maybe",
      email: "help at collective",
      address: "x".repeat(301),
      hours: "Mon–Sat",
    });
    expect(bad.status).toBe(422);
    expect(bad.body).toContain('<p class="error" id="cw-email-error">Escribe un correo');
    expect(bad.body).toContain('<p class="error" id="cw-phone-error">Escribe un teléfono');
    expect(bad.body).toContain('<p class="error" id="cw-address-error">Es demasiado largo');
    expect(bad.body).not.toContain('id="cw-hours-error"');
    expect(bad.body).toContain('value="help at collective"');
    const stored = await instance.database.db
      .selectFrom("group_contact_ways")
      .selectAll()
      .execute();
    expect(stored).toEqual([]);
    const publicPage = await get("/groups/food");
    expect(publicPage.body).not.toContain('id="contact-ways"');
  });

  it("shows saved contact ways on the public page and where a request's page says to contact the collective", async () => {
    const csrf = csrfIn((await get("/workspace/groups/food/contact")).body);
    const saved = await post("/workspace/groups/food/contact", {
      _csrf: csrf,
      phone: "+63 917 555 0101",
      email: "help@food.example",
      address: "Parish hall\n12 Mabini St",
      hours: "Mon–Sat 8:00–17:00",
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.location).toBe("/workspace/groups/food/contact?done=saved");
    const publicPage = (await get("/groups/food")).body;
    expect(publicPage).toContain('<h2 id="contact-ways">How to reach Food collective</h2>');
    expect(publicPage).toContain('<a href="tel:+639175550101">+63 917 555 0101</a>');
    expect(publicPage).toContain('<a href="mailto:help@food.example">help@food.example</a>');
    expect(publicPage).toContain("Parish hall<br/>12 Mabini St");
    expect(publicPage).toContain("Mon–Sat 8:00–17:00");

    // A published request's page says to contact the collective: and how.
    const token = await ask({ title: "Published one" });
    const triage = (await get("/workspace/groups/food/triage")).body;
    const id = /<li id="r-([0-9a-f-]{36})"><h2>Request for help: Published one</.exec(triage)![1]!;
    const published = await post(`/workspace/groups/food/triage/${id}/publish`, {
      _csrf: csrfIn(triage),
      ...form,
      title: "Published one",
      contact: "",
      quantityAmount: "",
      quantityUnit: "one",
      place: "",
      neededBy: "",
      description: "",
    });
    expect(published.status).toBe(303);
    const status = (await get(`/requests/${token}`)).body;
    expect(status).toContain('data-state="published"');
    expect(status).toContain('<h2 id="contact-collective">How to reach Food collective</h2>');
    expect(status).toContain('<a href="mailto:help@food.example">help@food.example</a>');
    expect(status).toContain('data-erasure="kept-while-open"');
  });

  it("lets coordinators hand out partner links that skip the per-address limit until revoked", async () => {
    await instance.database.db.deleteFrom("rate_limit_hits").execute();
    await ask({ title: "First from this address" });
    expect((await postForm(url("/groups/food/ask"), { ...form, title: "Second" })).status).toBe(
      429,
    );

    const page = await get("/workspace/groups/food/partner-links");
    const csrf = csrfIn(page.body);
    const empty = await post("/workspace/groups/food/partner-links", { _csrf: csrf, label: "  " });
    expect(empty.status).toBe(422);
    expect(empty.body).toContain('<p class="error" id="pl-label-error">Please fill this in.</p>');
    const created = await post("/workspace/groups/food/partner-links", {
      _csrf: csrf,
      label: "San Roque shelter",
    });
    expect(created.status).toBe(303);
    const list = (await get("/workspace/groups/food/partner-links")).body;
    const link = /<p class="secret">([^<]+)<\/p>/.exec(list)![1]!.replaceAll("&amp;", "&");
    expect(link).toMatch(/\/groups\/food\/ask\?partner=[A-Za-z0-9_-]{32}$/);
    const partner = new URL(link).searchParams.get("partner")!;

    const formPage = await (await fetch(link)).text();
    expect(formPage).toContain(`name="partner" value="${partner}"`);
    for (const title of ["Shelter one", "Shelter two", "Shelter three"]) {
      expect((await postForm(url("/groups/food/ask"), { ...form, title, partner })).status).toBe(
        303,
      );
    }

    // The coordinators see which requests came through which partner.
    const triage = (await get("/workspace/groups/food/triage")).body;
    const item = triage.slice(triage.indexOf("Request for help: Shelter one"));
    expect(item.slice(0, item.indexOf("</dl>"))).toContain(
      "<dt>Sent through partner link</dt><dd>San Roque shelter</dd>",
    );
    const id = /<li id="pl-([0-9a-f-]{36})"/.exec(list)![1]!;
    const revoked = await post(`/workspace/groups/food/partner-links/${id}/revoke`, {
      _csrf: csrf,
    });
    expect(revoked.headers.location).toBe("/workspace/groups/food/partner-links?done=revoked");
    expect((await get("/workspace/groups/food/partner-links")).body).toContain(
      'data-revoked="true"',
    );
    expect(await (await fetch(link)).text()).not.toContain('name="partner"');
    const after = await postForm(url("/groups/food/ask"), { ...form, title: "Late", partner });
    expect(after.status).toBe(429);
    const count = await instance.database.db
      .selectFrom("intake_requests")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("title", "in", ["Second", "Late"])
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it("flags likely duplicates for the coordinator, with a link to the other request", async () => {
    const send = async (fields: Record<string, string>) => {
      await instance.database.db.deleteFrom("rate_limit_hits").execute();
      await ask(fields);
    };
    await send({ title: "Diapers size 3", contact: "Tomas, 0919 555 1212" });
    await send({ title: "Baby wipes", contact: "tomas 0919-555-1212" });
    await send({ title: "Blankets for the cold nights", contact: "Ana, 0920 000 1111" });
    await send({ title: "Blankets for cold nights", contact: "Jun, 0921 000 2222" });
    await send({ title: "Drinking water", contact: "Pia, 0922 000 3333" });
    const html = (await get("/workspace/groups/food/triage")).body;
    const idOf = (title: string) =>
      new RegExp(`<li id="r-([0-9a-f-]{36})"><h2>Request for help: ${title}<`).exec(html)![1]!;
    const itemOf = (title: string) => {
      const start = html.indexOf(`<li id="r-${idOf(title)}">`);
      return html.slice(start, html.indexOf("<details", start));
    };
    expect(itemOf("Baby wipes")).toContain(`data-duplicate-of="${idOf("Diapers size 3")}"`);
    expect(itemOf("Baby wipes")).toContain(
      `<a href="#r-${idOf("Diapers size 3")}">of “Diapers size 3”</a> (same contact; waiting)`,
    );
    expect(itemOf("Diapers size 3")).toContain(`href="#r-${idOf("Baby wipes")}"`);
    expect(itemOf("Blankets for cold nights")).toContain(
      `<a href="#r-${idOf("Blankets for the cold nights")}">of “Blankets for the cold nights”</a> (similar text; waiting)`,
    );
    expect(itemOf("Drinking water")).not.toContain("data-duplicate-of");
  });

  it("erases a contact the configured days after the request ended, and says when", async () => {
    await instance.database.db.deleteFrom("rate_limit_hits").execute();
    const token = await ask({ title: "To withdraw", contact: "Rosa, 0918 777 0000" });
    await instance.database.db.deleteFrom("rate_limit_hits").execute();
    await ask({ title: "Still waiting", contact: "Ben, 0918 111 0000" });
    expect((await get(`/requests/${token}`)).body).toContain(
      "erased 2 days after it is closed, declined or withdrawn",
    );
    const withdrawn = await postForm(url(`/requests/${token}/withdraw`), { confirm: "1" });
    expect(withdrawn.status).toBe(303);
    // The request published earlier ends when its need is fulfilled.
    const published = await instance.database.db
      .selectFrom("intake_requests")
      .select("proposal_id")
      .where("title", "=", "Published one")
      .executeTakeFirstOrThrow();
    await instance.database.db
      .updateTable("proposals")
      .set({ status: "fulfilled", updated_at: new Date(now.epochMilliseconds) })
      .where("id", "=", published.proposal_id!)
      .execute();
    const scheduled = (await get(`/requests/${token}?lang=en`)).body;
    expect(scheduled).toContain('data-erasure="scheduled"');
    expect(scheduled).toContain("Your contact details will be erased on");

    // A day later nothing is erased; past the second day it is.
    now = now.add({ hours: 24 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await contactOf("To withdraw")).toBe("Rosa, 0918 777 0000");
    expect(await contactOf("Published one")).toBe("Lea, 0917 333 4444");
    now = now.add({ hours: 24, minutes: 1 });
    await expect.poll(() => contactOf("To withdraw"), { timeout: 10_000 }).toBe("");
    expect(await contactOf("Published one")).toBe("");
    expect(await contactOf("Still waiting")).toBe("Ben, 0918 111 0000");
    const erased = (await get(`/requests/${token}`)).body;
    expect(erased).toContain('data-erasure="erased"');
    expect(erased).toContain("Your contact details were erased on");
    expect(erased).not.toContain("0918 777 0000");
    const spanish = (await get(`/requests/${token}?lang=es`)).body;
    expect(spanish).toContain("Tus datos de contacto se borraron el");
  });
});
