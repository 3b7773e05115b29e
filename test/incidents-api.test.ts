import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";

/** Incidents on one instance: validation, tagging rules, the boards and the served object. */
describe("incidents API", () => {
  let instance: TestInstance;
  const tokens: Record<string, string> = {};
  const lena = {
    name: "Hurricane Lena — November 2026",
    description: "Flooding across three cities",
    area: { center: { latitude: 14.6, longitude: 121 }, radiusKm: 150 },
    startsAt: "2026-11-20T00:00:00Z",
  };

  beforeAll(async () => {
    instance = await startTestInstance();
    for (const handle of ["food", "water", "other"]) {
      expect(
        (await instance.api("POST", "/api/v1/groups", { handle, name: `The ${handle} group` }))
          .status,
      ).toBe(201);
      tokens[handle] = (
        await (await instance.api("POST", `/api/v1/groups/${handle}/tokens`)).json()
      ).token;
    }
  });
  afterAll(async () => {
    await instance?.stop();
  });

  const count = async (table: "incidents" | "proposals" | "incident_participants") =>
    Number(
      (
        await instance.database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );

  async function expectRefused(
    res: Response,
    status: number,
    error: string,
  ): Promise<{
    message: string;
    details?: { problems: { field: string }[]; problem?: string };
  }> {
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = await res.json();
    expect(body.error).toBe(error);
    expect(typeof body.message).toBe("string");
    return body;
  }

  let incident: { id: string; objectId: string };

  it("opens an incident with a circle and serves it as an Event", async () => {
    const res = await instance.api("POST", "/api/v1/groups/food/incidents", lena, tokens.food);
    expect(res.status).toBe(201);
    incident = await res.json();
    expect(incident).toMatchObject({
      name: lena.name,
      group: "food",
      owner: `${instance.config.origin.origin}/groups/food`,
      status: "open",
      area: lena.area,
      endsAt: null,
      objectId: `${instance.config.origin.origin}/incidents/${incident.id}`,
    });
    const object = await fetch(incident.objectId, {
      headers: { accept: "application/activity+json" },
    });
    expect(object.status).toBe(200);
    const json = await object.json();
    expect(json).toMatchObject({
      id: incident.objectId,
      type: "Event",
      name: lena.name,
      attributedTo: `${instance.config.origin.origin}/groups/food`,
      startTime: "2026-11-20T00:00:00Z",
      status: "open",
      location: { type: "Place", latitude: 14.6, longitude: 121, radius: 150, units: "km" },
      participants: `${incident.objectId}/participants`,
    });
    const participants = await fetch(json.participants, {
      headers: { accept: "application/activity+json" },
    });
    expect(participants.status).toBe(200);
    expect((await participants.json()).id).toBe(json.participants);
    // Browsers get the incident's page at the same URL (test/incident-pages.test.ts).
    const page = await fetch(incident.objectId, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("vary")).toContain("Accept");
  });

  it("opens one with a box across the antimeridian", async () => {
    const res = await instance.api(
      "POST",
      "/api/v1/groups/water/incidents",
      {
        name: "Cyclone over Fiji",
        area: { bbox: { south: -21, west: 176, north: -12, east: -178 } },
        startsAt: "2026-11-20T00:00:00Z",
        endsAt: "2026-12-20T00:00:00Z",
      },
      tokens.water,
    );
    expect(res.status).toBe(201);
    const fiji = await res.json();
    expect(fiji.area).toEqual({ bbox: { south: -21, west: 176, north: -12, east: -178 } });
    const object = await (
      await fetch(fiji.objectId, { headers: { accept: "application/activity+json" } })
    ).json();
    expect(object.location).toEqual({
      type: "Place",
      bbox: { south: -21, west: 176, north: -12, east: -178 },
    });
    expect(object.endTime).toBe("2026-12-20T00:00:00Z");
  });

  it("refuses areas not on Earth, bad radii and ends before starts, every problem at once", async () => {
    const before = await count("incidents");
    const body = await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/food/incidents",
        {
          ...lena,
          area: { center: { latitude: 95, longitude: 200 }, radiusKm: 0 },
          endsAt: "2026-11-19T00:00:00Z",
        },
        tokens.food,
      ),
      400,
      "invalid_request",
    );
    expect(body.details?.problems.map((p) => p.field)).toEqual([
      "area.center.latitude",
      "area.center.longitude",
      "area.radiusKm",
      "endsAt",
    ]);
    for (const radiusKm of [-1, 20_001]) {
      await expectRefused(
        await instance.api(
          "POST",
          "/api/v1/groups/food/incidents",
          { ...lena, area: { center: { latitude: 0, longitude: 0 }, radiusKm } },
          tokens.food,
        ),
        400,
        "invalid_request",
      );
    }
    await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/food/incidents",
        { ...lena, area: { bbox: { south: 10, west: 0, north: 5, east: 1 } } },
        tokens.food,
      ),
      400,
      "invalid_request",
    );
    await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/food/incidents",
        { ...lena, area: { center: { latitude: 0, longitude: 0 } } },
        tokens.food,
      ),
      400,
      "invalid_request",
    );
    await expectRefused(
      await instance.api("POST", "/api/v1/groups/food/incidents", lena, tokens.other),
      403,
      "forbidden",
    );
    expect(await count("incidents")).toBe(before);
  });

  it("tags needs only with incidents the group owns or joined", async () => {
    const before = await count("proposals");
    const tagged = await instance.api(
      "POST",
      "/api/v1/groups/food/needs",
      {
        title: "Drinking water",
        category: "water",
        urgency: "critical",
        incident: incident.objectId,
      },
      tokens.food,
    );
    expect(tagged.status).toBe(201);
    expect((await tagged.json()).incident).toBe(incident.objectId);

    // Another group of the same instance, not a participant: refused.
    const body = await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/other/needs",
        { title: "Tarps", category: "shelter", incident: incident.objectId },
        tokens.other,
      ),
      422,
      "unprocessable",
    );
    expect(body.message).toContain("incident");
    // An incident nobody here knows.
    await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/other/needs",
        {
          title: "Tarps",
          category: "shelter",
          incident: "https://elsewhere.example/incidents/0193a000-0000-7000-8000-000000000001",
        },
        tokens.other,
      ),
      422,
      "unprocessable",
    );
    expect(await count("proposals")).toBe(before + 1);

    // A PATCH to a foreign incident changes nothing either.
    const plain = await (
      await instance.api(
        "POST",
        "/api/v1/groups/other/needs",
        { title: "Blankets", category: "clothing" },
        tokens.other,
      )
    ).json();
    await expectRefused(
      await instance.api(
        "PATCH",
        `/api/v1/needs/${plain.id}`,
        { incident: incident.objectId, title: "Blankets, 40" },
        tokens.other,
      ),
      422,
      "unprocessable",
    );
    const after = await (
      await instance.api("GET", `/api/v1/needs/${plain.id}`, undefined, null)
    ).json();
    expect(after).toMatchObject({ title: "Blankets", incident: null });

    // Once the group joins (same instance: accepted at once), it may tag.
    const join = await instance.api(
      "POST",
      "/api/v1/groups/other/incident-joins",
      { incidentId: incident.objectId },
      tokens.other,
    );
    expect(join.status).toBe(202);
    expect((await join.json()).participation).toBe("accepted");
    const patched = await instance.api(
      "PATCH",
      `/api/v1/needs/${plain.id}`,
      { incident: incident.objectId, urgency: "high" },
      tokens.other,
    );
    expect(patched.status).toBe(200);
    expect((await patched.json()).incident).toBe(incident.objectId);

    const object = await (
      await fetch(`${instance.config.origin.origin}/objects/${plain.id}`, {
        headers: { accept: "application/activity+json" },
      })
    ).json();
    expect(object.incident).toBe(incident.objectId);
    expect(object.tag).toContainEqual({
      type: "Hashtag",
      name: "#HurricaneLenaNovember2026",
      href: incident.objectId,
    });
  });

  it("shows the board most urgent first, filtered, without foreign or untagged needs", async () => {
    await instance.api(
      "POST",
      "/api/v1/groups/water/needs",
      { title: "Soap", category: "hygiene", urgency: "critical" },
      tokens.water,
    );
    await instance.api(
      "POST",
      "/api/v1/groups/food/needs",
      {
        title: "Generators",
        category: "utilities",
        urgency: "high",
        incident: incident.objectId,
        expiresAt: "2099-01-01T00:00:00Z",
      },
      tokens.food,
    );
    await instance.api(
      "POST",
      "/api/v1/groups/food/offers",
      { title: "Rice", category: "food", urgency: "low", incident: incident.objectId },
      tokens.food,
    );
    const res = await instance.api(
      "GET",
      `/api/v1/incidents/${incident.id}/board`,
      undefined,
      null,
    );
    expect(res.status).toBe(200);
    const items: { title: string; urgency: string; groupHandle: string; source: string }[] = (
      await res.json()
    ).items;
    // "Blankets" (high, no needed-by) comes after "Generators" (high, needed by 2099).
    expect(items.map((i) => i.title)).toEqual(["Drinking water", "Generators", "Blankets", "Rice"]);
    expect(items.every((i) => i.source === "local")).toBe(true);
    const needs = await (
      await instance.api(
        "GET",
        `/api/v1/incidents/${incident.id}/board?purpose=request&category=utilities`,
        undefined,
        null,
      )
    ).json();
    expect(needs.items.map((i: { title: string }) => i.title)).toEqual(["Generators"]);
    await expectRefused(
      await instance.api(
        "GET",
        `/api/v1/incidents/${incident.id}/board?category=nope`,
        undefined,
        null,
      ),
      400,
      "invalid_request",
    );
    const allies = await (
      await instance.api("GET", "/api/v1/groups/water/board", undefined, null)
    ).json();
    // Every local group's live needs and offers, untagged ones included.
    expect(allies.items.map((i: { title: string }) => i.title)).toContain("Soap");
    expect(allies.items[0].urgency).toBe("critical");
  });

  it("lists a group's incidents and closes them for the owner only", async () => {
    const listed = await (
      await instance.api("GET", "/api/v1/groups/other/incidents", undefined, null)
    ).json();
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({ role: "participant", participation: "accepted" });
    const got = await (
      await instance.api("GET", `/api/v1/incidents/${incident.id}`, undefined, null)
    ).json();
    expect(got.participants).toEqual([
      { actorId: `${instance.config.origin.origin}/groups/other`, state: "accepted" },
    ]);

    await expectRefused(
      await instance.api("POST", `/api/v1/incidents/${incident.id}/close`, undefined, tokens.other),
      403,
      "forbidden",
    );
    const closed = await instance.api(
      "POST",
      `/api/v1/incidents/${incident.id}/close`,
      undefined,
      tokens.food,
    );
    expect(closed.status).toBe(200);
    expect((await closed.json()).status).toBe("closed");
    await expectRefused(
      await instance.api("POST", `/api/v1/incidents/${incident.id}/close`, undefined, tokens.food),
      409,
      "conflict",
    );
    // A closed incident takes no new tags, from its owner or a participant.
    const before = await count("proposals");
    const refusedOwner = await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/food/needs",
        { title: "More water", category: "water", incident: incident.objectId },
        tokens.food,
      ),
      422,
      "unprocessable",
    );
    expect(refusedOwner.details?.problem).toBe("incident-closed");
    expect(refusedOwner.message).toContain("closed");
    const untagged = await (
      await instance.api(
        "POST",
        "/api/v1/groups/other/needs",
        { title: "Candles", category: "utilities" },
        tokens.other,
      )
    ).json();
    const refusedPatch = await expectRefused(
      await instance.api(
        "PATCH",
        `/api/v1/needs/${untagged.id}`,
        { incident: incident.objectId, title: "Candles, 100" },
        tokens.other,
      ),
      422,
      "unprocessable",
    );
    expect(refusedPatch.details?.problem).toBe("incident-closed");
    expect(
      await (await instance.api("GET", `/api/v1/needs/${untagged.id}`, undefined, null)).json(),
    ).toMatchObject({ title: "Candles", incident: null });
    expect(await count("proposals")).toBe(before + 1);
    // What was tagged before stays tagged and can still change: the board is the record.
    const board = async () =>
      (
        await (
          await instance.api(
            "GET",
            `/api/v1/incidents/${incident.id}/board?status=fulfilled`,
            undefined,
            null,
          )
        ).json()
      ).items as { title: string; status: string; incident: string }[];
    const generators = (
      await (await instance.api("GET", "/api/v1/groups/food/needs", undefined, null)).json()
    ).items.find((i: { title: string }) => i.title === "Generators");
    const fulfilled = await instance.api(
      "PATCH",
      `/api/v1/needs/${generators.id}`,
      { status: "fulfilled", incident: incident.objectId },
      tokens.food,
    );
    expect(fulfilled.status).toBe(200);
    expect(await fulfilled.json()).toMatchObject({
      status: "fulfilled",
      incident: incident.objectId,
    });
    expect(await board()).toMatchObject([
      { title: "Generators", status: "fulfilled", incident: incident.objectId },
    ]);
    const object = await (
      await fetch(incident.objectId, { headers: { accept: "application/activity+json" } })
    ).json();
    expect(object.status).toBe("closed");
    expect(typeof object.updated).toBe("string");
  });

  it("takes tags before an incident's start, and none from its end on", async () => {
    const open = async (name: string, startsAt: string, endsAt: string) => {
      const res = await instance.api(
        "POST",
        "/api/v1/groups/water/incidents",
        { ...lena, name, startsAt, endsAt },
        tokens.water,
      );
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; objectId: string };
    };
    // Landfall expected next year: preparation needs are tagged already.
    const coming = await open("Typhoon Mara", "2099-06-01T00:00:00Z", "2099-07-01T00:00:00Z");
    const prepared = await instance.api(
      "POST",
      "/api/v1/groups/water/needs",
      { title: "Sandbags", category: "shelter", incident: coming.objectId },
      tokens.water,
    );
    expect(prepared.status).toBe(201);
    expect((await prepared.json()).incident).toBe(coming.objectId);

    // Its window is over (still open: nobody closed it).
    const past = await open("Flood of 2021", "2021-01-01T00:00:00Z", "2021-02-01T00:00:00Z");
    const before = await count("proposals");
    const refused = await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/water/needs",
        { title: "Pumps", category: "utilities", incident: past.objectId },
        tokens.water,
      ),
      422,
      "unprocessable",
    );
    expect(refused.details?.problem).toBe("incident-ended");
    expect(refused.message).toContain("ended");
    expect(await count("proposals")).toBe(before);
    // A non-participant hears that first, whatever the window.
    const foreign = await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/other/needs",
        { title: "Pumps", category: "utilities", incident: past.objectId },
        tokens.other,
      ),
      422,
      "unprocessable",
    );
    expect(foreign.details?.problem).toBe("incident-not-allowed");
    expect(await count("proposals")).toBe(before);
  });

  it("refuses joins of what is not an incident", async () => {
    const before = await count("incident_participants");
    await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/water/incident-joins",
        { incidentId: "not a url" },
        tokens.water,
      ),
      400,
      "invalid_request",
    );
    await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/water/incident-joins",
        {
          incidentId: `${instance.config.origin.origin}/incidents/0193a000-0000-7000-8000-000000000009`,
        },
        tokens.water,
      ),
      404,
      "not_found",
    );
    await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/water/incident-joins",
        { incidentId: incident.objectId },
        tokens.water,
      ),
      409,
      "conflict",
    );
    // A need is not an incident.
    const need = await (
      await instance.api(
        "POST",
        "/api/v1/groups/water/needs",
        { title: "Buckets", category: "water" },
        tokens.water,
      )
    ).json();
    const notIncident = await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/water/incident-joins",
        { incidentId: need.objectId },
        tokens.water,
      ),
      422,
      "unprocessable",
    );
    expect(notIncident.message).toContain("not name an incident");
    // A blocked domain is refused before anything is fetched from it.
    expect(
      (
        await instance.api("POST", "/api/v1/admin/federation/domains", {
          domain: "blocked.example",
          policy: "block",
        })
      ).status,
    ).toBe(201);
    await expectRefused(
      await instance.api(
        "POST",
        "/api/v1/groups/water/incident-joins",
        { incidentId: "https://blocked.example/incidents/0193a000-0000-7000-8000-000000000001" },
        tokens.water,
      ),
      403,
      "forbidden",
    );
    expect(await count("incident_participants")).toBe(before);
    expect(await count("incidents")).toBe(4);
  });
});
