import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postForm } from "./helpers/form-post.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { waitFor } from "./helpers/wait.ts";

interface GroupIncident {
  id: string;
  objectId: string;
  name: string;
  status: string;
  startsAt: string;
  endsAt: string | null;
  area: unknown;
  participants: { actorId: string; state: string }[];
  participation: string | null;
}

/**
 * A coordinator's incidents in the workspace: A's food group opens, tags
 * and closes incidents from the forms; B's relief group joins one of A's
 * from its own instance, and the owner's Accept makes it a participant.
 */
describe("incidents in the workspace", () => {
  let a: TestInstance;
  let b: TestInstance;
  /** Coordinates A's "food". */
  let cookieFood: string;
  /** Coordinates A's "other" (not "food"). */
  let cookieOther: string;
  /** Coordinates B's "relief". */
  let cookieRelief: string;
  let lena: GroupIncident;

  const get = async (instance: TestInstance, cookie: string, path: string, lang = "en") => {
    const res = await fetch(new URL(path, instance.config.origin), {
      headers: { cookie, "accept-language": lang },
      redirect: "manual",
    });
    return { status: res.status, body: await res.text(), location: res.headers.get("location") };
  };
  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const post = (
    instance: TestInstance,
    cookie: string,
    path: string,
    fields: Record<string, string>,
    lang = "en",
  ) => postForm(new URL(path, instance.config.origin), fields, { cookie, "accept-language": lang });
  const cookieOf = (setCookie: string | string[] | undefined) =>
    [setCookie ?? []]
      .flat()
      .find((c) => c.startsWith("session="))!
      .split(";")[0]!;
  /** An account from an invitation, then signed in through the login form. */
  const signIn = async (instance: TestInstance, group: string, username: string) => {
    const invitation = await (
      await instance.api("POST", "/api/v1/admin/invitations", { group })
    ).json();
    const created = await postForm(new URL(invitation.url), {
      username,
      password: "a long passphrase",
      passwordAgain: "a long passphrase",
    });
    expect(created.status).toBe(303);
    const login = await postForm(new URL("/login", instance.config.origin), {
      username,
      password: "a long passphrase",
    });
    expect(login.status).toBe(303);
    return cookieOf(login.headers["set-cookie"]);
  };
  const incidents = async (instance: TestInstance, handle: string): Promise<GroupIncident[]> =>
    (await (await instance.api("GET", `/api/v1/groups/${handle}/incidents`)).json()).items;
  const incidentRows = async (instance: TestInstance) =>
    (await instance.database.db.selectFrom("incidents").select("id").execute()).length;
  /** The text of the error shown next to a field, or null. */
  const errorOf = (html: string, id: string) =>
    new RegExp(`<p class="error" id="${id}-error">([^<]*)</p>`)
      .exec(html)?.[1]
      ?.replaceAll("&#39;", "'")
      .replaceAll("&quot;", '"')
      .replaceAll("&amp;", "&") ?? null;

  const circle = {
    name: "Hurricane Lena — November 2026",
    description: "Landfall over the northern coast.",
    areaKind: "circle",
    centerLatitude: "19.4",
    centerLongitude: "-99.1",
    radiusKm: "300",
    south: "",
    west: "",
    north: "",
    east: "",
    timeZone: "America/Mexico_City",
    startsAt: "2026-11-20T08:00",
    endsAt: "",
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
    ]);
    await a.api("POST", "/api/v1/groups", { handle: "food", name: "Food A" });
    await a.api("POST", "/api/v1/groups", { handle: "other", name: "Other A" });
    await b.api("POST", "/api/v1/groups", { handle: "relief", name: "Relief B" });
    [cookieFood, cookieOther, cookieRelief] = await Promise.all([
      signIn(a, "food", "ana"),
      signIn(a, "other", "olga"),
      signIn(b, "relief", "ben"),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it("is reached from the workspace home and starts empty", async () => {
    const home = await get(a, cookieFood, "/workspace");
    expect(home.body).toContain('href="/workspace/groups/food/incidents"');
    const page = await get(a, cookieFood, "/workspace/groups/food/incidents");
    expect(page.status).toBe(200);
    expect(page.body).toContain("This group has opened or joined no incident yet.");
    expect(page.body).toContain('href="/workspace/groups/food/incidents/new"');
    const es = await get(a, cookieFood, "/workspace/groups/food/incidents", "es");
    expect(es.body).toContain("Unirse al incidente de otro grupo");
  });

  it("re-renders a bad incident with every problem next to its field, storing nothing", async () => {
    const form = await get(a, cookieFood, "/workspace/groups/food/incidents/new");
    expect(form.status).toBe(200);
    // The form says which zone is chosen unless another is picked.
    expect(form.body).toContain("The collective&#39;s zone, UTC, is chosen");
    const csrf = csrfIn(form.body);
    const bad = {
      ...circle,
      centerLatitude: "95",
      centerLongitude: "east",
      radiusKm: "0",
      startsAt: "2026-11-20T08:00",
      endsAt: "2026-11-19T08:00",
      // The box is not chosen: its nonsense is not read.
      south: "nonsense",
      _csrf: csrf,
    };
    const res = await post(a, cookieFood, "/workspace/groups/food/incidents/new", bad);
    expect(res.status).toBe(422);
    expect(errorOf(res.body, "inc-centerLatitude")).toBe("A latitude is between -90 and 90.");
    expect(errorOf(res.body, "inc-centerLongitude")).toBe("Type a number, like 14.6.");
    expect(errorOf(res.body, "inc-radiusKm")).toBe("The radius must be more than 0 km.");
    expect(errorOf(res.body, "inc-endsAt")).toBe("The end must be after the start.");
    expect(errorOf(res.body, "inc-south")).toBeNull();
    expect(res.body).toContain('value="95"');
    expect(res.body).toContain('value="east"');
    expect(res.body).toContain("Hurricane Lena — November 2026");

    const es = await post(
      a,
      cookieFood,
      "/workspace/groups/food/incidents/new",
      { ...bad, radiusKm: "25000", timeZone: "Mars/Olympus" },
      "es",
    );
    expect(es.status).toBe(422);
    expect(errorOf(es.body, "inc-centerLatitude")).toBe("Una latitud está entre -90 y 90.");
    expect(errorOf(es.body, "inc-radiusKm")).toBe("El radio puede ser de 20 000 km como máximo.");
    expect(errorOf(es.body, "inc-timeZone")).toContain("Zona horaria desconocida");

    const box = await post(a, cookieFood, "/workspace/groups/food/incidents/new", {
      ...circle,
      areaKind: "bbox",
      name: "   ",
      south: "20",
      west: "10",
      north: "10",
      east: "10",
      startsAt: "",
      _csrf: csrf,
    });
    expect(box.status).toBe(422);
    expect(errorOf(box.body, "inc-name")).toBe("Type a name of at most 200 characters.");
    expect(errorOf(box.body, "inc-north")).toBe("The north edge must be north of the south edge.");
    expect(errorOf(box.body, "inc-east")).toBe("The east and west edges must differ.");
    expect(errorOf(box.body, "inc-startsAt")).toBe("Fill this in.");
    // The circle's leftover fields are not read either.
    expect(errorOf(box.body, "inc-centerLatitude")).toBeNull();
    expect(box.body).toMatch(/value="bbox" id="inc-areaKind-bbox" checked/);

    expect(await incidentRows(a)).toBe(0);
  });

  it("refuses a form without the CSRF token, and another group's coordinator", async () => {
    const noToken = await post(a, cookieFood, "/workspace/groups/food/incidents/new", circle);
    expect(noToken.status).toBe(403);
    const otherPage = await get(a, cookieOther, "/workspace/groups/food/incidents");
    expect(otherPage.status).toBe(404);
    const otherForm = await get(a, cookieOther, "/workspace/groups/other/incidents/new");
    const otherCsrf = csrfIn(otherForm.body);
    const foreign = await post(a, cookieOther, "/workspace/groups/food/incidents/new", {
      ...circle,
      _csrf: otherCsrf,
    });
    expect(foreign.status).toBe(404);
    expect(await incidentRows(a)).toBe(0);
  });

  it("opens an incident, reading the times in the zone the form names", async () => {
    const form = await get(a, cookieFood, "/workspace/groups/food/incidents/new");
    const res = await post(a, cookieFood, "/workspace/groups/food/incidents/new", {
      ...circle,
      centerLatitude: "19,4",
      endsAt: "2026-12-20T18:30",
      _csrf: csrfIn(form.body),
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe("/workspace/groups/food/incidents?done=opened");
    const [opened] = await incidents(a, "food");
    lena = opened!;
    expect(lena.name).toBe("Hurricane Lena — November 2026");
    // Mexico City keeps UTC−6 all year: 08:00 there is 14:00 UTC.
    expect(lena.startsAt).toBe("2026-11-20T14:00:00Z");
    expect(lena.endsAt).toBe("2026-12-21T00:30:00Z");
    expect(lena.area).toEqual({ center: { latitude: 19.4, longitude: -99.1 }, radiusKm: 300 });
    expect(lena.status).toBe("open");

    const page = await get(a, cookieFood, "/workspace/groups/food/incidents?done=opened");
    expect(page.body).toContain("Incident opened.");
    expect(page.body).toContain(`href="/incidents/${lena.id}"`);
    expect(page.body).toContain(`href="/workspace/groups/food/incidents/${lena.id}/close"`);
    expect(page.body).toContain('data-role="owner"');
    expect(page.body).toContain(
      "From November 20, 2026 at 2:00 PM UTC to December 21, 2026 at 12:30 AM UTC",
    );

    // Without a zone the times are UTC, as the form says.
    const utc = await post(a, cookieFood, "/workspace/groups/food/incidents/new", {
      ...circle,
      name: "Flood watch",
      timeZone: "",
      startsAt: "2026-11-21T08:00",
      _csrf: csrfIn(form.body),
    });
    expect(utc.status).toBe(303);
    const flood = (await incidents(a, "food")).find((i) => i.name === "Flood watch")!;
    expect(flood.startsAt).toBe("2026-11-21T08:00:00Z");
  });

  it("tags a need from the write form, and refuses a tag the group may not use", async () => {
    const form = await get(a, cookieFood, "/workspace/groups/food/posts/new?purpose=request");
    expect(form.body).toContain(`<option value="${lena.objectId}">Hurricane Lena`);
    const csrf = csrfIn(form.body);
    const need = {
      title: "Drinking water",
      description: "For the evacuation centre.",
      category: "food",
      quantityAmount: "",
      quantityUnit: "one",
      place: "",
      urgency: "high",
      neededBy: "",
      contact: "",
      audience: "public",
      _csrf: csrf,
    };
    const stranger = "http://127.0.0.9/incidents/0193a000-0000-7000-8000-000000000001";
    const refused = await post(a, cookieFood, "/workspace/groups/food/posts/new?purpose=request", {
      ...need,
      incident: stranger,
    });
    expect(refused.status).toBe(422);
    expect(errorOf(refused.body, "f-incident")).toContain("cannot tag with that incident");
    expect(refused.body).toContain('value="Drinking water"');
    expect(refused.body).toContain(`<option value="${stranger}" selected="">`);
    const stored = () =>
      a.database.db
        .selectFrom("proposals")
        .select(["id", "incident_object_id"])
        .where("title", "=", "Drinking water")
        .execute();
    expect(await stored()).toHaveLength(0);

    const created = await post(a, cookieFood, "/workspace/groups/food/posts/new?purpose=request", {
      ...need,
      incident: lena.objectId,
    });
    expect(created.status).toBe(303);
    const [row] = await stored();
    const json = await (await a.api("GET", `/api/v1/needs/${row!.id}`, undefined, null)).json();
    expect(json.incident).toBe(lena.objectId);

    // The edit form shows the tag; choosing "none" removes it.
    const edit = await get(a, cookieFood, `/workspace/groups/food/posts/${row!.id}/edit`);
    expect(edit.body).toContain(`<option value="${lena.objectId}" selected="">`);
    const untagged = await post(a, cookieFood, `/workspace/groups/food/posts/${row!.id}/edit`, {
      ...need,
      incident: "",
    });
    expect(untagged.status).toBe(303);
    const after = await (await a.api("GET", `/api/v1/needs/${row!.id}`, undefined, null)).json();
    expect(after.incident).toBeNull();
    const retag = await post(a, cookieFood, `/workspace/groups/food/posts/${row!.id}/edit`, {
      ...need,
      incident: lena.objectId,
    });
    expect(retag.status).toBe(303);
    const es = await post(
      a,
      cookieFood,
      `/workspace/groups/food/posts/${row!.id}/edit`,
      { ...need, incident: stranger },
      "es",
    );
    expect(es.status).toBe(422);
    expect(errorOf(es.body, "f-incident")).toContain("no puede etiquetar con ese incidente");
    const kept = await (await a.api("GET", `/api/v1/needs/${row!.id}`, undefined, null)).json();
    expect(kept.incident).toBe(lena.objectId);
  });

  it("lets B's coordinator join A's incident from the form, accepted by A", async () => {
    const page = await get(b, cookieRelief, "/workspace/groups/relief/incidents");
    const csrf = csrfIn(page.body);
    const join = (incident: string, lang = "en") =>
      post(
        b,
        cookieRelief,
        "/workspace/groups/relief/incidents/join",
        { incident, _csrf: csrf },
        lang,
      );

    const format = await join("lena");
    expect(format.status).toBe(422);
    expect(errorOf(format.body, "join-incident")).toBe(
      "Paste a web address that starts with https://.",
    );
    expect(format.body).toContain('value="lena"');
    const unknown = await join(
      new URL("/incidents/0193a000-0000-7000-8000-000000000002", a.config.origin).href,
    );
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body, "join-incident")).toBe(
      "No incident could be found at that address.",
    );
    const notIncident = await join(new URL("/groups/food", a.config.origin).href, "es");
    expect(notIncident.status).toBe(422);
    expect(errorOf(notIncident.body, "join-incident")).toBe("Esa dirección no es un incidente.");
    expect(
      (
        await b.api("POST", "/api/v1/admin/federation/domains", {
          domain: "blocked.example",
          policy: "block",
        })
      ).status,
    ).toBe(201);
    const blocked = await join("https://blocked.example/incidents/x");
    expect(blocked.status).toBe(403);
    expect(errorOf(blocked.body, "join-incident")).toBe(
      "This instance does not federate with that incident's server.",
    );
    expect(await incidents(b, "relief")).toEqual([]);

    // The public page's address is the incident's ActivityPub id.
    const sent = await join(new URL(`/incidents/${lena.id}`, a.config.origin).href);
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toMatch(/done=(join-sent|joined)$/);
    const accepted = await waitFor("B's participation accepted", async () => {
      const [joined] = await incidents(b, "relief");
      return joined?.participation === "accepted" ? joined : null;
    });
    expect(accepted!.objectId).toBe(lena.objectId);
    const relief = `${b.config.origin.origin}/groups/relief`;
    const bPage = await get(b, cookieRelief, "/workspace/groups/relief/incidents");
    expect(bPage.body).toContain('data-participation="accepted"');
    expect(bPage.body).toContain(`href="${lena.objectId}"`);
    expect(bPage.body).toContain(`Opened by: <a href="${a.config.origin.origin}/groups/food">`);
    // A copy is not B's to close.
    expect(bPage.body).not.toContain("/close");
    const aPage = await get(a, cookieFood, "/workspace/groups/food/incidents");
    expect(aPage.body).toContain(`href="${relief}"`);

    // B may now tag its own needs with it.
    const bForm = await get(b, cookieRelief, "/workspace/groups/relief/posts/new?purpose=offer");
    expect(bForm.body).toContain(`<option value="${lena.objectId}">Hurricane Lena`);
  });

  it("closes an own incident only after the confirmation step", async () => {
    const path = `/workspace/groups/food/incidents/${lena.id}/close`;
    const confirm = await get(a, cookieFood, path);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain("Close “Hurricane Lena — November 2026”?");
    const csrf = csrfIn(confirm.body);
    const status = async () => (await incidents(a, "food")).find((i) => i.id === lena.id)!.status;

    expect((await post(a, cookieFood, path, { confirm: "1" })).status).toBe(403);
    const otherCsrf = csrfIn((await get(a, cookieOther, "/workspace")).body);
    expect((await post(a, cookieOther, path, { confirm: "1", _csrf: otherCsrf })).status).toBe(404);
    expect(
      (
        await post(a, cookieOther, `/workspace/groups/other/incidents/${lena.id}/close`, {
          confirm: "1",
          _csrf: otherCsrf,
        })
      ).status,
    ).toBe(404);
    const unconfirmed = await post(a, cookieFood, path, { _csrf: csrf });
    expect(unconfirmed.status).toBe(422);
    expect(errorOf(unconfirmed.body, "close-confirm")).toBe("Tick the box to confirm.");
    expect(await status()).toBe("open");

    const closed = await post(a, cookieFood, path, { confirm: "1", _csrf: csrf });
    expect(closed.status).toBe(303);
    expect(closed.headers.location).toBe("/workspace/groups/food/incidents?done=closed");
    expect(await status()).toBe("closed");
    const page = await get(a, cookieFood, "/workspace/groups/food/incidents?done=closed");
    expect(page.body).toContain("Incident closed.");
    expect(page.body).not.toContain(path);
    expect((await get(a, cookieFood, path)).status).toBe(409);
    expect((await post(a, cookieFood, path, { confirm: "1", _csrf: csrf })).status).toBe(409);
    // A closed incident is no longer offered for tagging.
    const form = await get(a, cookieFood, "/workspace/groups/food/posts/new?purpose=request");
    expect(form.body).not.toContain(`<option value="${lena.objectId}">`);
    // Nor one whose time window has ended; either is refused next to the select.
    const ended = await a.api("POST", "/api/v1/groups/food/incidents", {
      name: "Flood of 2021",
      area: { center: { latitude: 14.6, longitude: 121 }, radiusKm: 50 },
      startsAt: "2021-01-01T00:00:00Z",
      endsAt: "2021-02-01T00:00:00Z",
    });
    expect(ended.status).toBe(201);
    const endedId: string = (await ended.json()).objectId;
    const fresh = await get(a, cookieFood, "/workspace/groups/food/posts/new?purpose=request");
    expect(fresh.body).not.toContain(`<option value="${endedId}"`);
    const tagRows = async () =>
      (
        await a.database.db
          .selectFrom("proposals")
          .select("id")
          .where("title", "=", "Pumps")
          .execute()
      ).length;
    for (const [incident, says, lang] of [
      [lena.objectId, "That incident is closed", "en"],
      [endedId, "That incident's time window has ended", "en"],
      [endedId, "El periodo de ese incidente terminó", "es"],
    ] as const) {
      const refused = await post(
        a,
        cookieFood,
        "/workspace/groups/food/posts/new?purpose=request",
        {
          title: "Pumps",
          description: "",
          category: "utilities",
          quantityAmount: "",
          quantityUnit: "one",
          place: "",
          urgency: "high",
          neededBy: "",
          contact: "",
          audience: "public",
          incident,
          _csrf: csrfIn(fresh.body),
        },
        lang,
      );
      expect(refused.status).toBe(422);
      expect(errorOf(refused.body, "f-incident")).toContain(says);
    }
    expect(await tagRows()).toBe(0);
    // The Update reaches B's copy; a closed incident cannot be joined.
    await waitFor("B's copy closed", async () => {
      const [copy] = await incidents(b, "relief");
      return copy?.status === "closed";
    });
    const bPage = await get(b, cookieRelief, "/workspace/groups/relief/incidents");
    expect(bPage.body).toContain('data-status="closed"');
    const again = await post(b, cookieRelief, "/workspace/groups/relief/incidents/join", {
      incident: lena.objectId,
      _csrf: csrfIn(bPage.body),
    });
    expect(again.status).toBe(409);
    expect(errorOf(again.body, "join-incident")).toBe("That incident is closed.");
  });
});
