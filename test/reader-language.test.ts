import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCsvStrict } from "./helpers/csv.ts";
import { testEngine } from "./helpers/database.ts";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { child, childrenNamed, parseXml, textOf } from "./helpers/xml.ts";

/**
 * What the API and the feeds say to people follows the reader's language:
 * notifications, match reasons and error messages by Accept-Language, feed
 * labels by lang= or Accept-Language. Codes and keys stay as they are.
 */
describe(`the reader's language in the API, the pages and the feeds (${testEngine})`, () => {
  let instance: TestInstance;
  let token: string;
  let need: { id: string };

  function get(path: string, headers: Record<string, string> = {}, auth: string | null = null) {
    return fetch(new URL(path, instance.config.origin), {
      headers: { ...headers, ...(auth === null ? {} : { authorization: `Bearer ${auth}` }) },
    });
  }

  beforeAll(async () => {
    instance = await startTestInstance();
    await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food Collective" });
    token = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json()).token;
    need = await (
      await instance.api(
        "POST",
        "/api/v1/groups/food/needs",
        {
          title: "Drinking water for the shelter",
          category: "water",
          urgency: "critical",
          quantity: { amount: 40, unit: "one" },
        },
        token,
      )
    ).json();
    await instance.api(
      "POST",
      "/api/v1/groups/food/offers",
      { title: "Bottled water", category: "water", quantity: { amount: 10, unit: "one" } },
      token,
    );
    const answered = await instance.api(
      "POST",
      `/api/v1/needs/${need.id}/responses`,
      { content: "I can bring 5 gallons" },
      null,
    );
    expect(answered.status).toBe(201);
  });
  afterAll(async () => {
    await instance?.stop();
  });

  it("words a notification in the language asked for, and keeps its key", async () => {
    const summaries: Record<string, string> = {};
    for (const language of ["es-MX,es;q=0.9", "fil-PH", "tl", "de", ""]) {
      const res = await get(
        "/api/v1/groups/food/notifications",
        language === "" ? {} : { "accept-language": language },
        token,
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("vary")).toContain("Accept-Language");
      const [item] = (await res.json()).items;
      expect(item.message).toEqual({ key: "new-answer", title: "Drinking water for the shelter" });
      expect(item.count).toBe(1);
      summaries[language] = `${res.headers.get("content-language")}: ${item.summary}`;
    }
    expect(summaries).toEqual({
      "es-MX,es;q=0.9": "es: Nueva respuesta a “Drinking water for the shelter”",
      "fil-PH": "fil: Bagong sagot sa “Drinking water for the shelter”",
      tl: "fil: Bagong sagot sa “Drinking water for the shelter”",
      de: "en: New answer to “Drinking water for the shelter”",
      "": "en: New answer to “Drinking water for the shelter”",
    });
  });

  it("words the notifications page in the page's language, Filipino included", async () => {
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group: "food" })
    ).json();
    const created = await postForm(new URL(invitation.url), {
      username: "maria",
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    expect(created.status).toBe(303);
    const cookie = [created.headers["set-cookie"] ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
    const page = async (lang: string) => {
      const res = await get(`/workspace/groups/food/notifications?lang=${lang}`, { cookie });
      expect(res.status).toBe(200);
      return res.text();
    };
    const spanish = await page("es");
    expect(spanish).toContain('<html lang="es"');
    expect(spanish).toContain("<p>Nueva respuesta a “Drinking water for the shelter”</p>");
    expect(spanish).not.toContain("New answer to");
    const filipino = await page("tl");
    expect(filipino).toContain('<html lang="fil"');
    expect(filipino).toContain("<p>Bagong sagot sa “Drinking water for the shelter”</p>");
    expect(filipino).toContain("Mga abiso para sa Food Collective");
    expect(filipino).toContain(">Filipino<");
  });

  it("explains matches in the language asked for", async () => {
    const english = (await (await get(`/api/v1/needs/${need.id}/matches`, {}, token)).json())
      .items[0];
    const spanish = (
      await (
        await get(`/api/v1/needs/${need.id}/matches`, { "accept-language": "es" }, token)
      ).json()
    ).items[0];
    expect(spanish.reasons).toEqual(english.reasons);
    expect(english.explanation).toMatch(/^Same category \(Drinking water\); /);
    expect(english.explanation).toContain("10 available covers part of the 40 needed");
    expect(spanish.explanation).toMatch(/^Misma categoría \(Agua potable\); /);
    expect(spanish.explanation).toContain("cubre una parte");
  });

  it("says an error's message in the language asked for; the code stays", async () => {
    const cases: [string, Record<string, string>, string | null, number, string, string][] = [
      ["/api/v1/groups/nobody", { "accept-language": "es" }, null, 404, "not_found", "es"],
      ["/api/v1/groups/nobody", { "accept-language": "fil" }, null, 404, "not_found", "fil"],
      ["/api/v1/groups/nobody", { "accept-language": "de" }, null, 404, "not_found", "en"],
      [
        "/api/v1/groups/food/notifications",
        { "accept-language": "es" },
        null,
        401,
        "unauthorized",
        "es",
      ],
      ["/api/v1/no/such/thing", { "accept-language": "tl" }, null, 404, "not_found", "fil"],
      [
        "/api/v1/groups/food/notifications?limit=0",
        { "accept-language": "es" },
        token,
        400,
        "invalid_request",
        "es",
      ],
    ];
    const messages: string[] = [];
    for (const [path, headers, auth, status, code, language] of cases) {
      const res = await get(path, headers, auth);
      expect(res.status, path).toBe(status);
      expect(res.headers.get("content-language"), path).toBe(language);
      const body = await res.json();
      expect(body.error, path).toBe(code);
      messages.push(body.message);
    }
    expect(messages).toEqual([
      "No se encontró: grupo",
      "Hindi nahanap: grupo",
      "Group not found",
      "Hace falta un token de coordinación de este grupo",
      "Walang ganitong endpoint ng API",
      "Revisa estos campos: limit.",
    ]);
  });

  it("words what near= and a pledged quantity got wrong in the language asked for", async () => {
    const said = async (path: string, language: string, init: RequestInit = {}) => {
      const res = await fetch(new URL(path, instance.config.origin), {
        ...init,
        headers: { ...(init.headers as Record<string, string>), "accept-language": language },
      });
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.headers.get("content-language")).toBe(language);
      return { status: res.status, body: await res.json() };
    };
    const badLatitude = await said("/api/v1/groups/food/needs?near=91,0", "es");
    expect(badLatitude).toEqual({
      status: 400,
      body: {
        error: "invalid_request",
        message: "near: la latitud debe estar entre -90 y 90",
        details: {
          issues: [{ path: "near", message: "near: the latitude must be between -90 and 90" }],
        },
      },
    });
    const kmAlone = await said("/api/v1/groups/food/needs?km=5", "fil");
    expect(kmAlone.body.message).toBe(
      "kailangan ng km ang near (isang lugar o latitude,longitude) na pagsusukatan",
    );
    const unknown = await said("/api/v1/groups/food/needs?near=Xqzzyville", "es");
    expect(unknown.body.message).toBe("near: no conocemos ningún lugar llamado «Xqzzyville»");
    // The group page says the same, inside its own sentence.
    const page = await (
      await get("/groups/food?near=91,0", { accept: "text/html", "accept-language": "es" })
    ).text();
    expect(page).toContain(
      "No se pudo leer el lugar de este enlace (near: la latitud debe estar entre -90 y 90)",
    );

    // 40 are needed: accepting an answer for 41 is refused, the numbers kept.
    const responses = await (await get(`/api/v1/needs/${need.id}/responses`, {}, token)).json();
    const tooMuch = await said(`/api/v1/responses/${responses.items[0].id}/accept`, "es", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ quantity: { amount: 41, unit: "one" } }),
    });
    expect(tooMuch).toEqual({
      status: 422,
      body: {
        error: "unprocessable",
        message: "Solo faltan 40",
        details: { problem: "exceeds-remaining" },
      },
    });
  });

  it("tells the spreadsheet, HXL and GeoJSON headers and labels in the reader's language, codes kept", async () => {
    const table = async (file: string, query: string, headers: Record<string, string> = {}) =>
      parseCsvStrict(
        await (await get(`/api/v1/groups/food/exports/${file}${query}`, headers)).text(),
      );
    const english = await table("listings.csv", "");
    const spanish = await table("listings.csv", "?lang=es");
    const byAccept = await table("listings.csv", "", { "accept-language": "es-MX" });
    expect(byAccept).toEqual(spanish);
    expect(english[0]).toContain("Category label");
    expect(spanish[0]).toContain("Nombre de la categoría");
    expect(spanish[0]).toHaveLength(english[0]!.length);
    const water = (rows: string[][], header: string) => {
      const column = rows[0]!.indexOf(header);
      return rows.slice(1).map((row) => row[column]);
    };
    expect(water(english, "Category")).toEqual(water(spanish, "Categoría"));
    expect(water(english, "Category")).toContain("water");
    expect(water(spanish, "Nombre de la categoría")).toContain("Agua potable");
    expect(water(english, "Category label")).toContain("Drinking water");
    // The hashtag row is the contract for aggregators: the same in every language.
    const hxlEnglish = await table("listings.hxl.csv", "");
    const hxlFilipino = await table("listings.hxl.csv", "?lang=fil");
    expect(hxlFilipino[1]).toEqual(hxlEnglish[1]);
    expect(hxlFilipino[0]).not.toEqual(hxlEnglish[0]);
    const geo = await (await get("/api/v1/groups/food/exports/listings.geojson?lang=es")).json();
    expect(
      geo.features.map(
        (f: { properties: { categoryLabel: string } }) => f.properties.categoryLabel,
      ),
    ).toContain("Agua potable");
    // The page in Spanish links to the Spanish tables and feeds; Murmurations stays as its schema says.
    const page = await (
      await get("/groups/food", { accept: "text/html", "accept-language": "es" })
    ).text();
    expect(page).toContain('href="/api/v1/groups/food/exports/listings.csv?lang=es"');
    expect(page).toContain('href="/groups/food/feed.rss?lang=es"');
  });

  it("words a refusal the catalogs know in the language asked for, with its problem kept", async () => {
    const res = await fetch(new URL("/api/v1/groups/food/needs", instance.config.origin), {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        "accept-language": "es",
      },
      body: JSON.stringify({
        title: "Tarps",
        category: "shelter",
        incident: "https://elsewhere.example/incidents/1",
      }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      error: "unprocessable",
      message: "Este grupo no puede etiquetar con ese incidente: no participa en él (todavía).",
      details: { problem: "incident-not-allowed" },
    });
  });

  it("labels feed entries in the language of lang=, else Accept-Language", async () => {
    const entry = async (path: string, headers: Record<string, string> = {}) => {
      const res = await get(path, headers);
      expect(res.status, path).toBe(200);
      const rss = parseXml(await res.text());
      const channel = child(rss, "channel");
      const item = childrenNamed(channel, "item").find(
        (i) => textOf(child(i, "title")) === "Drinking water for the shelter",
      )!;
      return {
        language: textOf(child(channel, "language")),
        category: textOf(child(item, "category")),
        description: textOf(child(item, "description")),
      };
    };
    const english = await entry("/groups/food/feed.rss");
    expect(english).toEqual({
      language: "en",
      category: "Drinking water",
      description: "Need · open · Drinking water · urgency: critical · 40 items",
    });
    expect(await entry("/groups/food/feed.rss?lang=es")).toEqual({
      language: "es",
      category: "Agua potable",
      description: "Necesidad · Abierta · Agua potable · urgencia: Crítica · 40 unidades",
    });
    const filipino = await entry("/groups/food/feed.rss", { "accept-language": "tl-PH" });
    expect(filipino).toEqual({
      language: "fil",
      category: "Inuming tubig",
      description: "Pangangailangan · Bukas · Inuming tubig · pagkaapurahan: Kritikal · 40 piraso",
    });
    // lang= wins over the header, and the feed's self link keeps it.
    const atom = parseXml(
      await (await get("/groups/food/feed.atom?lang=fil", { "accept-language": "es" })).text(),
    );
    expect(atom.attributes["xml:lang"]).toBe("fil");
    expect(
      childrenNamed(atom, "link").find((l) => l.attributes.rel === "self")?.attributes.href,
    ).toBe(`${instance.config.origin.origin}/groups/food/feed.atom?lang=fil`);
  });
});
