import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROPOSAL_CONTEXT } from "../federation/proposal-object.ts";
import { newId } from "../src/domain/ids.ts";
import { startTestInstance, type TestInstance } from "./helpers/instance.ts";
import { type RemoteActor, startRemoteActor } from "./helpers/remote-actor.ts";
import { waitFor } from "./helpers/wait.ts";

interface BoardItem {
  objectId: string;
  title: string;
  status: string;
  group: string;
  source: string;
  urgency: string | null;
}

const PUBLIC = "https://www.w3.org/ns/activitystreams#Public";

/**
 * A hurricane hits three cities. A's group opens the incident; B's and C's
 * groups join it. B and C do not follow each other, and nobody follows
 * anybody: every tagged need still reaches all three boards, once, with its
 * live status. alice (a plain-Fedify server) tags a need with the incident
 * without taking part in it, and later tries to join from a blocked domain.
 */
describe("a disaster incident shared by three instances", () => {
  let a: TestInstance;
  let b: TestInstance;
  let c: TestInstance;
  let alice: RemoteActor;
  const tokens = new Map<TestInstance, string>();
  /** A second group on A that joins A's incident (same instance: accepted at once). */
  let waterToken: string;
  /** Each instance's own id for the incident (A's row, B's and C's copies). */
  const incidentIds = new Map<TestInstance, string>();
  let objectId: string;
  const needs = new Map<TestInstance, string>();
  let waterNeed: string;
  const actor = (instance: TestInstance) => `${instance.config.origin.origin}/groups/aid`;

  async function board(instance: TestInstance, query = ""): Promise<BoardItem[]> {
    const res = await instance.api(
      "GET",
      `/api/v1/incidents/${incidentIds.get(instance)}/board${query}`,
      undefined,
      null,
    );
    expect(res.status).toBe(200);
    return (await res.json()).items;
  }

  async function participation(instance: TestInstance): Promise<string | null> {
    const items = (await (await instance.api("GET", "/api/v1/groups/aid/incidents")).json())
      .items as { objectId: string; participation: string | null }[];
    return items.find((i) => i.objectId === objectId)?.participation ?? null;
  }

  beforeAll(async () => {
    [a, b, c, alice] = await Promise.all([
      startTestInstance({ host: "127.0.0.1" }),
      startTestInstance({ host: "127.0.0.2" }),
      startTestInstance({ host: "127.0.0.3" }),
      startRemoteActor("127.0.0.4"),
    ]);
    for (const instance of [a, b, c]) {
      await instance.api("POST", "/api/v1/groups", {
        handle: "aid",
        name: `Aid ${instance.config.origin.host}`,
      });
      tokens.set(
        instance,
        (await (await instance.api("POST", "/api/v1/groups/aid/tokens")).json()).token,
      );
    }
    await a.api("POST", "/api/v1/groups", { handle: "water", name: "Water A" });
    waterToken = (await (await a.api("POST", "/api/v1/groups/water/tokens")).json()).token;
    // A's group follows alice (she is no group software: the row is written here).
    const group = await a.database.db
      .selectFrom("groups")
      .select("id")
      .where("handle", "=", "aid")
      .executeTakeFirstOrThrow();
    const now = new Date();
    await a.database.db
      .insertInto("following")
      .values({
        id: newId(),
        group_id: group.id,
        actor_id: alice.actorId.href,
        inbox_url: alice.inbox.href,
        shared_inbox_url: alice.sharedInbox.href,
        follow_activity_id: `${actor(a)}#follows/alice`,
        state: "accepted",
        created_at: now,
        updated_at: now,
      })
      .execute();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop(), alice?.close()]);
  });

  it("is opened on A and joined by B and C, which A accepts", async () => {
    const opened = await a.api(
      "POST",
      "/api/v1/groups/aid/incidents",
      {
        name: "Hurricane Lena — November 2026",
        area: { center: { latitude: 14.6, longitude: 121 }, radiusKm: 300 },
        startsAt: "2026-11-20T00:00:00Z",
      },
      tokens.get(a),
    );
    expect(opened.status).toBe(201);
    const incident = await opened.json();
    objectId = incident.objectId;
    incidentIds.set(a, incident.id);

    for (const joiner of [b, c]) {
      const res = await joiner.api(
        "POST",
        "/api/v1/groups/aid/incident-joins",
        { incidentId: objectId },
        tokens.get(joiner),
      );
      expect(res.status).toBe(202);
      const joined = await res.json();
      expect(joined).toMatchObject({
        objectId,
        owner: actor(a),
        name: "Hurricane Lena — November 2026",
        participation: "pending",
        area: { center: { latitude: 14.6, longitude: 121 }, radiusKm: 300 },
      });
      incidentIds.set(joiner, joined.id);
    }
    const local = await a.api(
      "POST",
      "/api/v1/groups/water/incident-joins",
      { incidentId: objectId },
      waterToken,
    );
    expect(local.status).toBe(202);
    expect((await local.json()).participation).toBe("accepted");
    for (const joiner of [b, c]) {
      await expect.poll(() => participation(joiner), { timeout: 15_000 }).toBe("accepted");
    }
    const onA = await (await a.api("GET", `/api/v1/incidents/${incidentIds.get(a)}`)).json();
    expect(onA.participants.map((p: { actorId: string }) => p.actorId).sort()).toEqual(
      [actor(b), actor(c), `${a.config.origin.origin}/groups/water`].sort(),
    );
    // Nobody follows anybody.
    for (const instance of [a, b, c]) {
      expect(
        await instance.database.db.selectFrom("following").select("id").execute(),
      ).toHaveLength(instance === a ? 1 : 0);
    }
  });

  it("puts tagged needs from all three cities on every board, each once", async () => {
    // Exact points about 3, 12 and 30 km north of (14.6, 121.0); each leaves
    // its instance rounded to two decimals.
    const posts: [TestInstance, string, string, number][] = [
      [a, "Drinking water for 300 families", "critical", 14.62733],
      [b, "Tarps for the evacuation centre", "high", 14.70712],
      [c, "Insulin coolers", "normal", 14.87],
    ];
    for (const [instance, title, urgency, latitude] of posts) {
      const res = await instance.api(
        "POST",
        "/api/v1/groups/aid/needs",
        {
          title,
          category: "shelter",
          urgency,
          incident: objectId,
          location: { name: title, latitude, longitude: 121.0 },
        },
        tokens.get(instance),
      );
      expect(res.status).toBe(201);
      needs.set(instance, (await res.json()).objectId);
    }
    // A's other group, a participant on the owner's own instance.
    const water = await a.api(
      "POST",
      "/api/v1/groups/water/needs",
      { title: "Water filters", category: "water", urgency: "low", incident: objectId },
      waterToken,
    );
    expect(water.status).toBe(201);
    waterNeed = (await water.json()).objectId;
    const expected = [needs.get(a), needs.get(b), needs.get(c), waterNeed];
    for (const instance of [a, b, c]) {
      await expect
        .poll(async () => (await board(instance)).map((i) => i.objectId), { timeout: 20_000 })
        .toEqual(expected);
    }
    const onC = await board(c);
    expect(onC.map((i) => [i.group, i.urgency, i.source])).toEqual([
      [actor(a), "critical", "remote"],
      [actor(b), "high", "remote"],
      [actor(c), "normal", "local"],
      [`${a.config.origin.origin}/groups/water`, "low", "remote"],
    ]);
    // One row per object on each instance, whichever way it came.
    for (const instance of [a, b, c]) {
      const rows = await instance.database.db
        .selectFrom("remote_proposals")
        .select(["object_id", "incident_object_id"])
        .execute();
      expect(rows).toHaveLength(instance === a ? 2 : 3);
      expect(rows.every((r) => r.incident_object_id === objectId)).toBe(true);
    }
    // "What is needed within 15 km of me?" gets one answer on every instance,
    // measured to the rounded places (14.63 and 14.71: 3.3 and 12.2 km).
    for (const instance of [a, b, c]) {
      const near = await board(instance, "?near=14.6,121&km=15");
      expect(near.map((i) => [i.objectId, (i as { distanceKm?: number }).distanceKm])).toEqual([
        [needs.get(a), 3.3],
        [needs.get(b), 12.2],
      ]);
    }
    // Followers and feeds are untouched: B's need is in nobody's network feed.
    const feed = await (await a.api("GET", "/api/v1/groups/aid/network", undefined, null)).json();
    expect(feed.items.map((i: { objectId: string }) => i.objectId)).not.toContain(needs.get(b));
  });

  it("shows a status change on the origin on every board", async () => {
    const id = needs.get(b)!.split("/").at(-1);
    const res = await b.api("PATCH", `/api/v1/needs/${id}`, { status: "pledged" }, tokens.get(b));
    expect(res.status).toBe(200);
    for (const instance of [a, c]) {
      await expect
        .poll(
          async () => (await board(instance)).find((i) => i.objectId === needs.get(b))?.status,
          { timeout: 20_000 },
        )
        .toBe("pledged");
    }
    const fulfilled = await c.api(
      "PATCH",
      `/api/v1/needs/${needs.get(c)!.split("/").at(-1)}`,
      { status: "fulfilled" },
      tokens.get(c),
    );
    expect(fulfilled.status).toBe(200);
    for (const instance of [a, b]) {
      await expect
        .poll(async () => (await board(instance)).map((i) => i.objectId), { timeout: 20_000 })
        .toEqual([needs.get(a), needs.get(b), waterNeed]);
      expect((await board(instance, "?status=fulfilled")).map((i) => i.objectId)).toEqual([
        needs.get(c),
      ]);
    }
  });

  it("drops the tag of a need from an actor who does not take part", async () => {
    const note = alice.publish("/needs/1", {
      "@context": PROPOSAL_CONTEXT,
      id: new URL("/needs/1", alice.origin).href,
      type: ["Note", "Proposal"],
      attributedTo: alice.actorId.href,
      to: [PUBLIC],
      name: "Sandbags",
      content: "<p>Sandbags</p>",
      published: "2026-11-21T00:00:00Z",
      purpose: "request",
      publishes: { type: "Intent", resourceConformsTo: "urn:bayanihan:category:shelter" },
      urgency: "critical",
      status: "open",
      incident: objectId,
    }).href;
    const res = await alice.postSigned(new URL("/inbox", a.config.origin), {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${note}#create`,
      type: "Create",
      actor: alice.actorId.href,
      to: [PUBLIC],
      object: note,
    });
    expect(res.status).toBe(202);
    const stored = await waitFor("alice's need to be stored on A", () =>
      a.database.db
        .selectFrom("remote_proposals")
        .select(["object_id", "incident_object_id"])
        .where("object_id", "=", note)
        .executeTakeFirst(),
    );
    // Stored as before (A follows alice), without the tag.
    expect(stored).toMatchObject({ object_id: note, incident_object_id: null });
    expect((await board(a)).map((i) => i.objectId)).not.toContain(note);
    // It is on A's "my allies" board (A follows alice), with A's own groups' needs, in
    // board order; B's and C's needs came through the incident, not a follow, so they are not.
    const allies = await a.api("GET", "/api/v1/groups/aid/board", undefined, null);
    expect(allies.status).toBe(200);
    const items: BoardItem[] = (await allies.json()).items;
    expect(items.map((i) => i.objectId)).toEqual([needs.get(a), note, waterNeed]);
    expect(items.map((i) => i.source)).toEqual(["local", "remote", "local"]);
  });

  it("keeps a participant's new tag only while the incident is open and not past its end", async () => {
    // Two more incidents of A's group, alice an accepted participant of both
    // (she runs no group software: the rows are written as onJoined would).
    const open = async (name: string, startsAt: string, endsAt?: string) => {
      const res = await a.api(
        "POST",
        "/api/v1/groups/aid/incidents",
        {
          name,
          area: { center: { latitude: 14.6, longitude: 121 }, radiusKm: 50 },
          startsAt,
          ...(endsAt === undefined ? {} : { endsAt }),
        },
        tokens.get(a),
      );
      expect(res.status).toBe(201);
      return (await res.json()) as { id: string; objectId: string };
    };
    const storm = await open("Storm Nida", "2026-11-25T00:00:00Z");
    const flood = await open("Flood of 2021", "2021-01-01T00:00:00Z", "2021-02-01T00:00:00Z");
    const now = new Date();
    await a.database.db
      .insertInto("incident_participants")
      .values(
        [storm, flood].map((incident) => ({
          incident_id: incident.id,
          actor_id: alice.actorId.href,
          group_id: null,
          inbox_url: alice.inbox.href,
          shared_inbox_url: alice.sharedInbox.href,
          state: "accepted" as const,
          join_activity_id: `${alice.actorId.href}#joins/${incident.id}`,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();

    let sent = 0;
    /** alice publishes a need tagged with `incident` and sends its Create (or Update). */
    const send = async (
      path: string,
      incident: string,
      extra: { status?: string; updated?: string } = {},
    ) => {
      const note = alice.publish(path, {
        "@context": PROPOSAL_CONTEXT,
        id: new URL(path, alice.origin).href,
        type: ["Note", "Proposal"],
        attributedTo: alice.actorId.href,
        to: [PUBLIC],
        name: `Need at ${path}`,
        content: "<p>Pumps</p>",
        published: "2026-11-26T00:00:00Z",
        ...(extra.updated === undefined ? {} : { updated: extra.updated }),
        purpose: "request",
        publishes: { type: "Intent", resourceConformsTo: "urn:bayanihan:category:shelter" },
        urgency: "high",
        status: extra.status ?? "open",
        incident,
      }).href;
      const type = extra.updated === undefined ? "Create" : "Update";
      const res = await alice.postSigned(new URL("/inbox", a.config.origin), {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${note}#${type.toLowerCase()}-${++sent}`,
        type,
        actor: alice.actorId.href,
        to: [PUBLIC],
        object: note,
      });
      expect(res.status).toBe(202);
      return note;
    };
    const stored = (note: string, status: "open" | "fulfilled" = "open") =>
      waitFor(`${note} to be stored on A as ${status}`, () =>
        a.database.db
          .selectFrom("remote_proposals")
          .select(["object_id", "incident_object_id", "status"])
          .where("object_id", "=", note)
          .where("status", "=", status)
          .executeTakeFirst(),
      );
    const boardOf = async (incident: { id: string }, query = "") =>
      (
        (
          await (
            await a.api("GET", `/api/v1/incidents/${incident.id}/board${query}`, undefined, null)
          ).json()
        ).items as BoardItem[]
      ).map((i) => i.objectId);

    // While open, a participant's tag is kept.
    const kept = await send("/needs/storm-1", storm.objectId);
    expect(await stored(kept)).toMatchObject({ incident_object_id: storm.objectId });
    // Past its end (open still, nobody closed it): stored, without the tag.
    const late = await send("/needs/flood-1", flood.objectId);
    expect(await stored(late)).toMatchObject({ incident_object_id: null });
    expect(await boardOf(flood)).toEqual([]);

    const closed = await a.api(
      "POST",
      `/api/v1/incidents/${storm.id}/close`,
      undefined,
      tokens.get(a),
    );
    expect(closed.status).toBe(200);
    // A need tagged before the close keeps its tag through its later versions.
    await send("/needs/storm-1", storm.objectId, {
      status: "fulfilled",
      updated: "2026-11-27T00:00:00Z",
    });
    expect(await stored(kept, "fulfilled")).toMatchObject({
      incident_object_id: storm.objectId,
    });
    expect(await boardOf(storm, "?status=fulfilled")).toEqual([kept]);
    // A new one after the close: stored (A follows alice), without the tag.
    const after = await send("/needs/storm-2", storm.objectId);
    expect(await stored(after)).toMatchObject({ incident_object_id: null });
    expect(await boardOf(storm)).toEqual([]);

    // alice takes part in nothing after this test.
    await a.database.db
      .deleteFrom("incident_participants")
      .where("actor_id", "=", alice.actorId.href)
      .execute();
  });

  it("refuses a Join from a blocked domain", async () => {
    const blocked = await a.api("POST", "/api/v1/admin/federation/domains", {
      domain: alice.origin.hostname,
      policy: "block",
    });
    expect(blocked.status).toBe(201);
    const res = await alice.postSigned(new URL("/groups/aid/inbox", a.config.origin), {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: new URL("/joins/1", alice.origin).href,
      type: "Join",
      actor: alice.actorId.href,
      object: objectId,
    });
    expect(res.status).toBe(403);
    expect((await res.json()).error).toBe("domain_refused");
    const participants = await a.database.db
      .selectFrom("incident_participants")
      .select("actor_id")
      .execute();
    expect(participants.map((p) => p.actor_id).sort()).toEqual(
      [actor(b), actor(c), `${a.config.origin.origin}/groups/water`].sort(),
    );
  });

  it("federates the closing to B and C", async () => {
    const res = await a.api(
      "POST",
      `/api/v1/incidents/${incidentIds.get(a)}/close`,
      undefined,
      tokens.get(a),
    );
    expect(res.status).toBe(200);
    for (const instance of [b, c]) {
      await expect
        .poll(
          async () =>
            (
              await (
                await instance.api("GET", `/api/v1/incidents/${incidentIds.get(instance)}`)
              ).json()
            ).status,
          { timeout: 15_000 },
        )
        .toBe("closed");
    }
    // A closed incident takes no new tags on the copies either.
    const refused = await b.api(
      "POST",
      "/api/v1/groups/aid/needs",
      { title: "More tarps", category: "shelter", incident: objectId },
      tokens.get(b),
    );
    expect(refused.status).toBe(422);
  });

  it("takes a blocked host's participations and incident copies with the block", async () => {
    const blockC = await a.api("POST", "/api/v1/admin/federation/domains", {
      domain: c.config.origin.hostname,
      policy: "block",
    });
    expect(blockC.status).toBe(201);
    expect((await blockC.json()).removed).toMatchObject({ incidentParticipants: 1 });
    const shown = await (await a.api("GET", `/api/v1/incidents/${incidentIds.get(a)}`)).json();
    expect(shown.participants.map((p: { actorId: string }) => p.actorId).sort()).toEqual(
      [actor(b), `${a.config.origin.origin}/groups/water`].sort(),
    );

    const blockA = await b.api("POST", "/api/v1/admin/federation/domains", {
      domain: a.config.origin.hostname,
      policy: "block",
    });
    expect(blockA.status).toBe(201);
    expect((await blockA.json()).removed).toMatchObject({ incidentCopies: 1 });
    expect((await b.api("GET", `/api/v1/incidents/${incidentIds.get(b)}`)).status).toBe(404);
    const left = await b.database.db
      .selectFrom("incident_participants")
      .select("actor_id")
      .execute();
    expect(left).toEqual([]);
  });
});
