import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REMOTE_FOLLOW_RATE_LIMIT } from "../src/services/remote-follow.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/** The public pages on a running instance: languages, headers, filters, remote follow. */
describe("public web pages", () => {
  let instance: TestInstance;
  const page = (path: string, headers: Record<string, string> = {}) =>
    fetch(new URL(path, instance.config.origin), { headers, redirect: "manual" });

  beforeAll(async () => {
    // A stopped clock: the remote-follow limit counts in fixed windows.
    const now = Temporal.Now.instant();
    instance = await startTestInstance({ clock: () => now });
    await instance.api("POST", "/api/v1/groups", {
      handle: "food",
      name: "Food collective",
      summary: "We share food.",
    });
    const needs = [
      { title: "Rice for 40 families", category: "food", urgency: "high" },
      { title: "Insulin coolers", category: "medication", urgency: "critical" },
      { title: "Blankets", category: "clothing", urgency: "low" },
    ];
    for (const need of needs) {
      expect((await instance.api("POST", "/api/v1/groups/food/needs", need)).status).toBe(201);
    }
    const offer = { title: "Van on weekends", category: "transport" };
    expect((await instance.api("POST", "/api/v1/groups/food/offers", offer)).status).toBe(201);
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("serves every page with a strict Content-Security-Policy and no script", async () => {
    for (const path of ["/", "/groups/food", "/groups/food/print", "/groups/nobody"]) {
      const res = await page(path);
      expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(res.headers.get("content-security-policy")).toContain("style-src 'self'");
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
      const html = await res.text();
      expect(html.startsWith("<!doctype html>")).toBe(true);
      expect(html).not.toMatch(/<script|<style|style="/);
    }
  });

  it("serves the stylesheet with a long cache lifetime under a content-addressed name", async () => {
    const html = await (await page("/")).text();
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1];
    expect(href).toMatch(/^\/assets\/style\.[0-9a-f]{12}\.css$/);
    const css = await page(href!);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toContain("text/css");
    expect(css.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await css.text()).toContain(":focus-visible");
  });

  it("speaks the browser's language, and the switch's choice wins and is remembered", async () => {
    const spanish = await page("/groups/food", { "accept-language": "es-MX,es;q=0.9,en;q=0.5" });
    const html = await spanish.text();
    expect(html).toContain('<html lang="es">');
    expect(html).toContain("Necesidades abiertas");
    expect(spanish.headers.get("vary")).toContain("Accept-Language");

    const switched = await page("/groups/food?lang=en", { "accept-language": "es" });
    expect(await switched.text()).toContain("Open needs");
    const cookie = switched.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^lang=en;/);
    const next = await page("/", { "accept-language": "es", cookie: "lang=en" });
    expect(await next.text()).toContain('<html lang="en">');
  });

  it("offers a visible language switch that keeps the reader on the same page", async () => {
    const html = await (await page("/groups/food?category=food")).text();
    expect(html).toContain('href="/groups/food?category=food&amp;lang=es"');
    expect(html).toContain(">Español</a>");
    expect(html).toMatch(/<header>.*<nav aria-label="Language">/s);
    expect(html).toContain('<main id="main">');
  });

  it("filters a group's needs and offers by category, urgency and purpose", async () => {
    const all = await (await page("/groups/food")).text();
    expect(all).toContain("Rice for 40 families");
    expect(all).toContain("Van on weekends");

    const medication = await (await page("/groups/food?category=medication")).text();
    expect(medication).toContain("Insulin coolers");
    expect(medication).not.toContain("Rice for 40 families");

    const low = await (await page("/groups/food?urgency=low&purpose=request")).text();
    expect(low).toContain("Blankets");
    expect(low).not.toContain("Insulin coolers");
    expect(low).not.toContain("Van on weekends");
    expect(low).toContain('<option value="low" selected="">');

    const offers = await (await page("/groups/food?purpose=offer&category=bogus")).text();
    expect(offers).toContain("Van on weekends");
    expect(offers).not.toContain("Blankets");
  });

  it("shows a need's status, quantity, place and needed-by date in the reader's language", async () => {
    const created = await (
      await instance.api("POST", "/api/v1/groups/food/needs", {
        title: "Water",
        category: "water",
        quantity: { amount: 1500.5, unit: "litre" },
        location: { name: "Barangay hall" },
        urgency: "high",
        expiresAt: "2099-12-04T18:00:00Z",
      })
    ).json();
    const html = await (await page(`/needs/${created.id}`, { "accept-language": "es" })).text();
    expect(html).toContain("<dt>Estado</dt><dd>Abierta</dd>");
    expect(html).toContain("1500,5 litros");
    expect(html).toContain("Barangay hall");
    // An instant set through the API: shown with its time and the zone's abbreviation.
    expect(html).toContain("4 de diciembre de 2099 a las 18:00 UTC");
    expect(html).toContain(
      `<link rel="alternate" type="application/activity+json" href="${created.objectId}"`,
    );

    await instance.api("PATCH", `/api/v1/needs/${created.id}`, { status: "fulfilled" });
    expect(await (await page(`/needs/${created.id}`)).text()).toContain("<dd>Fulfilled</dd>");
    expect((await page(`/offers/${created.id}`)).status).toBe(404);

    await instance.api("DELETE", `/api/v1/needs/${created.id}`);
    const gone = await page(`/needs/${created.id}`);
    expect(gone.status).toBe(410);
    const tombstone = await page(`/objects/${created.id}`, { accept: "application/activity+json" });
    expect(tombstone.status).toBe(410);
    expect((await tombstone.json()).type).toBe("Tombstone");
  });

  it("prints a group's open needs", async () => {
    const html = await (await page("/groups/food/print")).text();
    expect(html).toContain("Food collective: open needs");
    expect(html).toContain("Rice for 40 families");
    expect(html).not.toContain("Van on weekends");
    expect(html).toContain(`${instance.config.origin.origin}/groups/food`);
  });

  it("explains a remote-follow account it cannot use, keeping what was typed", async () => {
    const post = (account: string, lang = "en") =>
      fetch(new URL(`/groups/food/remote-follow?lang=${lang}`, instance.config.origin), {
        method: "POST",
        body: new URLSearchParams({ account }),
        redirect: "manual",
      });
    const bad = await post("not an account", "es");
    expect(bad.status).toBe(422);
    const badHtml = await bad.text();
    expect(badHtml).toContain("Escribe tu cuenta como nombre@servidor");
    expect(badHtml).toContain('value="not an account"');
    expect(badHtml).toContain('aria-invalid="true"');

    // Nothing listens there: the lookup fails and the person is told so.
    const unknown = await post("maria@unreachable.invalid");
    expect(unknown.status).toBe(422);
    expect(await unknown.text()).toContain("We could not find your server");
  });

  it("refuses servers the policy blocks, and limits lookups per address", async () => {
    const blocked = await instance.api("POST", "/api/v1/admin/federation/domains", {
      domain: "blocked.example",
      policy: "block",
    });
    expect(blocked.status).toBe(201);
    await instance.database.db.deleteFrom("rate_limit_hits").execute();
    const post = () =>
      fetch(new URL("/groups/food/remote-follow", instance.config.origin), {
        method: "POST",
        body: new URLSearchParams({ account: "maria@blocked.example" }),
      });
    for (let i = 0; i < REMOTE_FOLLOW_RATE_LIMIT.limit; i++) {
      const res = await post();
      expect(res.status).toBe(422);
      expect(await res.text()).toContain("We could not find your server");
    }
    const limited = await post();
    expect(limited.status).toBe(422);
    expect(await limited.text()).toContain("Many follow lookups came from this connection");
  });

  it("escapes what people typed", async () => {
    const res = await fetch(new URL("/groups/food/remote-follow", instance.config.origin), {
      method: "POST",
      body: new URLSearchParams({ account: '"><script>alert(1)</script>' }),
    });
    const html = await res.text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;");
  });
});
