import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/**
 * Everyone's own time: an instance in Manila (TIME_ZONE), collectives with
 * zones of their own, dates picked on forms kept as those dates in every
 * zone from UTC−12 to UTC+14, and bad zones and dates refused.
 */
describe("time zones", () => {
  let instance: TestInstance;
  let cookie: string;
  let coordinatorToken: string;

  const cookieOf = (setCookie: string | string[] | undefined) =>
    [setCookie ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
  const get = async (path: string, lang = "en") => {
    const res = await fetch(new URL(path, instance.config.origin), {
      headers: { cookie, "accept-language": lang },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text() };
  };
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const post = (path: string, fields: Record<string, string>, lang = "en") =>
    postForm(new URL(path, instance.config.origin), fields, { cookie, "accept-language": lang });
  /** The text of the error shown next to a field, or null. */
  const errorOf = (html: string, id: string) =>
    new RegExp(`<p class="error" id="${id}-error">([^<]*)</p>`).exec(html)?.[1] ?? null;
  const groupZone = async (handle: string) =>
    (await (await instance.api("GET", `/api/v1/groups/${handle}`)).json()).timeZone;
  const proposalCount = async () =>
    (await instance.database.db.selectFrom("proposals").select("id").execute()).length;

  beforeAll(async () => {
    instance = await startTestInstance({ env: { TIME_ZONE: "Asia/Manila" } });
    expect(
      (await instance.api("POST", "/api/v1/groups", { handle: "food", name: "Food" })).status,
    ).toBe(201);
    expect(
      (
        await instance.api("POST", "/api/v1/groups", {
          handle: "kiri",
          name: "Kiritimati",
          timeZone: "pacific/kiritimati",
        })
      ).status,
    ).toBe(201);
    await instance.api("POST", "/api/v1/groups", { handle: "other", name: "Other" });
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group: "food" })
    ).json();
    await postForm(new URL(invitation.url), {
      username: "lena",
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    const login = await postForm(new URL("/login", instance.config.origin), {
      username: "lena",
      password: "a long passphrase",
    });
    cookie = cookieOf(login.headers["set-cookie"]);
    coordinatorToken = (await (await instance.api("POST", "/api/v1/groups/food/tokens")).json())
      .token;
  });
  afterAll(async () => {
    await instance?.stop();
  });

  describe("a collective's zone through the API", () => {
    it("uses the instance's TIME_ZONE unless the collective has its own", async () => {
      expect(await groupZone("food")).toBe("Asia/Manila");
      expect(await groupZone("kiri")).toBe("Pacific/Kiritimati");
    });

    it("refuses a zone that does not exist, naming the field, and stores nothing", async () => {
      const res = await instance.api("POST", "/api/v1/groups", {
        handle: "mars",
        name: "Mars",
        timeZone: "Mars/Olympus_Mons",
      });
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error).toBe("invalid_request");
      expect(body.message).toContain("timeZone");
      expect((await instance.api("GET", "/api/v1/groups/mars")).status).toBe(404);
    });

    it("lets the group's coordinator or an admin change it, and nobody else", async () => {
      const other = (await (await instance.api("POST", "/api/v1/groups/other/tokens")).json())
        .token;
      const refused = await instance.api(
        "PATCH",
        "/api/v1/groups/food",
        { timeZone: "Europe/Madrid" },
        other,
      );
      expect(refused.status).toBe(403);
      expect(
        (await instance.api("PATCH", "/api/v1/groups/food", { timeZone: "Europe/Madrid" }, null))
          .status,
      ).toBe(401);
      const bad = await instance.api(
        "PATCH",
        "/api/v1/groups/food",
        { timeZone: "+08:00" },
        coordinatorToken,
      );
      expect(bad.status).toBe(400);
      expect((await bad.json()).message).toContain("timeZone");
      expect(await groupZone("food")).toBe("Asia/Manila");

      const changed = await instance.api(
        "PATCH",
        "/api/v1/groups/food",
        { timeZone: "europe/madrid" },
        coordinatorToken,
      );
      expect(changed.status).toBe(200);
      expect((await changed.json()).timeZone).toBe("Europe/Madrid");
      // null: back to the instance's zone.
      const reset = await instance.api("PATCH", "/api/v1/groups/food", { timeZone: null });
      expect((await reset.json()).timeZone).toBe("Asia/Manila");
    });
  });

  describe("deadlines as dates through the API", () => {
    it("ends a date at the end of that day in the collective's zone and shows it back", async () => {
      const res = await instance.api("POST", "/api/v1/groups/kiri/needs", {
        title: "Water",
        category: "water",
        expiresOn: "2099-12-09",
      });
      expect(res.status).toBe(201);
      const need = await res.json();
      expect(need.expiresOn).toBe("2099-12-09");
      // Kiritimati is UTC+14: the 10th begins there at 10:00 UTC on the 9th.
      expect(need.expiresAt).toBe("2099-12-09T10:00:00Z");
      // Setting an instant instead drops the date.
      const patched = await instance.api("PATCH", `/api/v1/needs/${need.id}`, {
        expiresAt: "2099-12-20T12:00:00Z",
      });
      expect((await patched.json()).expiresOn).toBeNull();
    });

    it("refuses a date in the past, year 30000, and both kinds of deadline at once", async () => {
      const before = await proposalCount();
      const yesterday = Temporal.Now.zonedDateTimeISO("Pacific/Kiritimati")
        .toPlainDate()
        .subtract({ days: 1 })
        .toString();
      for (const [body, message] of [
        [{ expiresOn: yesterday }, /^expiresOn: must not be before today in Pacific\/Kiritimati/],
        [{ expiresOn: "30000-01-01" }, /expiresOn/],
        [{ expiresAt: "30000-01-01T00:00:00Z" }, /expiresAt/],
        [{ expiresOn: "2099-12-09", expiresAt: "2099-12-09T00:00:00Z" }, /expiresAt or expiresOn/],
      ] as const) {
        const res = await instance.api("POST", "/api/v1/groups/kiri/needs", {
          title: "Water",
          category: "water",
          ...body,
        });
        expect(res.status).toBe(400);
        expect((await res.json()).message).toMatch(message);
      }
      expect(await proposalCount()).toBe(before);
    });
  });

  describe("pages", () => {
    /** Every whole-hour offset from UTC−12 to UTC+14. */
    const zones = [
      ...Array.from({ length: 12 }, (_, i) => `Etc/GMT+${12 - i}`),
      "UTC",
      ...Array.from({ length: 13 }, (_, i) => `Etc/GMT-${i + 1}`),
      "Pacific/Kiritimati",
    ];

    it("keeps a date picked on the need form that date in every zone from UTC−12 to UTC+14", async () => {
      for (const zone of zones) {
        const set = await instance.api("PATCH", "/api/v1/groups/food", { timeZone: zone });
        expect(set.status).toBe(200);
        const form = await get("/workspace/groups/food/posts/new");
        const saved = await post("/workspace/groups/food/posts/new?purpose=request", {
          _csrf: csrfIn(form.body),
          title: `Rice for ${zone}`,
          category: "food",
          urgency: "normal",
          neededBy: "2099-12-09",
        });
        expect(saved.status, zone).toBe(303);
        const row = await instance.database.db
          .selectFrom("proposals")
          .select(["id", "expires_on", "expires_at"])
          .where("title", "=", `Rice for ${zone}`)
          .executeTakeFirstOrThrow();
        expect(row.expires_on, zone).toBe("2099-12-09");
        // It runs out as the 10th begins in the collective's zone.
        const end = Temporal.Instant.fromEpochMilliseconds(new Date(row.expires_at!).getTime());
        expect(end.toZonedDateTimeISO(zone).toPlainDateTime().toString(), zone).toBe(
          "2099-12-10T00:00:00",
        );
        const page = await get(`/needs/${row.id}`);
        expect(page.body, zone).toContain("December 9, 2099");
        expect(page.body, zone).not.toContain("December 10, 2099");
        const spanish = await get(`/needs/${row.id}`, "es");
        expect(spanish.body, zone).toContain("9 de diciembre de 2099");
        const edit = await get(`/workspace/groups/food/posts/${row.id}/edit`);
        expect(edit.body, zone).toContain('value="2099-12-09"');
      }
      // Shown from a collective in another zone (the instance's), still the 9th.
      await instance.api("PATCH", "/api/v1/groups/food", { timeZone: null });
      const list = await get("/groups/food");
      expect(list.body).toContain("December 9, 2099");
      expect(list.body).not.toContain("December 10, 2099");
    });

    it("keeps a date picked on the public form that date, and when it is published", async () => {
      await instance.api("PATCH", "/api/v1/groups/food", { timeZone: "Etc/GMT+12" });
      const sent = await postForm(
        new URL("/groups/food/ask", instance.config.origin),
        {
          title: "Formula milk",
          category: "food",
          neededBy: "2099-12-09",
          contact: "0917 000 0000",
        },
        { "accept-language": "es" },
      );
      expect(sent.status).toBe(303);
      const statusUrl = sent.headers.location as string;
      await instance.api("PATCH", "/api/v1/groups/food", { timeZone: "Pacific/Kiritimati" });
      expect((await get(statusUrl, "es")).body).toContain("9 de diciembre de 2099");
      const triage = await get("/workspace/groups/food/triage");
      expect(triage.body).toContain("December 9, 2099");
      expect(triage.body).toContain('value="2099-12-09"');
      await instance.api("PATCH", "/api/v1/groups/food", { timeZone: null });
    });

    it("shows times in the collective's zone with its abbreviation, and the instance's elsewhere", async () => {
      const need = await (
        await instance.api("POST", "/api/v1/groups/kiri/needs", {
          title: "Tarps",
          category: "shelter",
          expiresAt: "2099-12-09T16:00:00Z",
        })
      ).json();
      const page = await get(`/needs/${need.id}`);
      expect(page.body).toContain("December 10, 2099 at 6:00 AM GMT+14");
      const food = await (
        await instance.api("POST", "/api/v1/groups/food/needs", {
          title: "Soap",
          category: "hygiene",
          expiresAt: "2099-12-09T16:00:00Z",
        })
      ).json();
      const spanish = await get(`/needs/${food.id}`, "es");
      expect(spanish.body).toContain("10 de diciembre de 2099 a las 0:00 GMT+8");
    });

    it("says next to the field what is wrong with a date, in the person's language", async () => {
      const before = await proposalCount();
      const form = await get("/workspace/groups/food/posts/new");
      const far = await post(
        "/workspace/groups/food/posts/new?purpose=request",
        {
          _csrf: csrfIn(form.body),
          title: "Far",
          category: "food",
          neededBy: "30000-01-01",
        },
        "es",
      );
      expect(far.status).toBe(422);
      expect(errorOf(far.body, "f-neededBy")).not.toBeNull();
      const past = await postForm(
        new URL("/groups/food/ask", instance.config.origin),
        { title: "Late", category: "food", neededBy: "2000-01-01", contact: "x" },
        { "accept-language": "es" },
      );
      expect(past.status).toBe(422);
      expect(errorOf(past.body, "f-neededBy")).toMatch(/pas/);
      expect(await proposalCount()).toBe(before);
    });

    it("offers the incident's zones as a list with the collective's chosen, and refuses an unknown one", async () => {
      await instance.api("PATCH", "/api/v1/groups/food", { timeZone: "America/Mexico_City" });
      const form = await get("/workspace/groups/food/incidents/new");
      expect(form.body).toMatch(/<select[^>]*name="timeZone"/);
      expect(form.body).toContain('<option value="America/Mexico_City" selected="">');
      expect(form.body).not.toMatch(/<input[^>]*name="timeZone"/);
      const incidents = async () =>
        (await instance.database.db.selectFrom("incidents").select("id").execute()).length;
      const before = await incidents();
      const fields = {
        _csrf: csrfIn(form.body),
        name: "Flood",
        description: "",
        areaKind: "circle",
        centerLatitude: "19.4",
        centerLongitude: "-99.1",
        radiusKm: "10",
        startsAt: "2099-11-20T08:00",
        endsAt: "",
      };
      const bad = await post("/workspace/groups/food/incidents/new", {
        ...fields,
        timeZone: "Mars/Olympus_Mons",
      });
      expect(bad.status).toBe(422);
      expect(errorOf(bad.body, "inc-timeZone")).toContain("Unknown time zone");
      expect(await incidents()).toBe(before);
      // Without a pick, the collective's zone: 08:00 in Mexico City is 14:00 UTC.
      const opened = await post("/workspace/groups/food/incidents/new", {
        ...fields,
        timeZone: "",
      });
      expect(opened.status).toBe(303);
      const list = await get("/workspace/groups/food/incidents");
      expect(list.body).toContain("November 20, 2099 at 8:00 AM CST");
      await instance.api("PATCH", "/api/v1/groups/food", { timeZone: null });
    });
  });
});
