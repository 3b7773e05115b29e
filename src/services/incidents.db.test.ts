import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, testEngine } from "../../test/helpers/database.ts";
import type { DatabaseHandle } from "../db/connect.ts";
import { findIncident, findParticipant } from "../db/incidents.repo.ts";
import type { Group } from "../domain/group.ts";
import type { Incident } from "../domain/incident.ts";
import { createGroup } from "./groups.ts";
import {
  closeOwnIncident,
  type IncidentDeps,
  joinIncident,
  openIncident,
  relayPendingIncidentMessages,
} from "./incidents.ts";
import type { IncidentGateway } from "./ports.ts";

const ORIGIN = "https://aid.example";
const OWNER = "https://other.example/groups/relief";
const REMOTE_INCIDENT = "https://other.example/incidents/lena";

/**
 * Stands for the federation side: the queue can be told to fail, as when
 * the process dies between the commit and the enqueue; fetches answer with
 * one remote incident.
 */
function recordingGateway() {
  const sent: string[] = [];
  let failing = false;
  const gateway: IncidentGateway = {
    async fetchIncident() {
      return {
        ok: true,
        incident: {
          objectId: REMOTE_INCIDENT,
          ownerActorId: OWNER,
          ownerInboxUrl: `${OWNER}/inbox`,
          participantsUrl: `${REMOTE_INCIDENT}/participants`,
          name: "Hurricane Lena",
          description: "",
          area: { kind: "circle", center: { latitude: 14.6, longitude: 121 }, radiusKm: 100 },
          startsAt: Temporal.Instant.from("2026-11-20T00:00:00Z"),
          endsAt: null,
          status: "open",
          createdAt: Temporal.Instant.from("2026-11-20T00:00:00Z"),
          updatedAt: Temporal.Instant.from("2026-11-20T00:00:00Z"),
        },
      };
    },
    async join(group, incident, joinActivityId) {
      if (failing) throw new Error("queue unavailable");
      sent.push(`join:${group.handle}:${incident.objectId}:${joinActivityId}`);
    },
    async updated(group, incident: Incident) {
      if (failing) throw new Error("queue unavailable");
      sent.push(`update:${group.handle}:${incident.id}:${incident.status}`);
    },
  };
  const fail = (value: boolean): void => {
    failing = value;
  };
  return { gateway, sent, fail };
}

describe(`incident outbox (${testEngine})`, () => {
  let handle: DatabaseHandle;
  let group: Group;
  let now = Temporal.Instant.from("2026-11-28T08:00:00Z");
  const clock = () => now;
  const deps = (incidents: IncidentGateway): IncidentDeps => ({
    db: handle.db,
    clock,
    incidents,
    isAllowed: async () => true,
    actorIdOf: (g) => `${ORIGIN}/groups/${g.handle}`,
    incidentObjectIdOf: (id) => `${ORIGIN}/incidents/${id}`,
    localIncidentIdOf: (url) =>
      url.origin === ORIGIN && url.pathname.startsWith("/incidents/")
        ? url.pathname.slice("/incidents/".length)
        : null,
  });
  const pending = async () =>
    (await handle.db.selectFrom("pending_incident_messages").selectAll().execute()).length;

  beforeAll(async () => {
    handle = await createTestDatabase();
    const result = await createGroup(
      { db: handle.db, keys: { generate: async () => [] }, clock },
      { handle: "food", name: "Food", summary: "", followPolicy: "open" },
    );
    if (!result.ok) throw new Error("group not created");
    group = result.group;
  });
  afterAll(async () => {
    await handle.close();
  });

  it("keeps the closing Update when it could not be queued, and sends it on the next relay", async () => {
    const { gateway, sent, fail } = recordingGateway();
    const opened = await openIncident(deps(gateway), group, {
      name: "Flood",
      description: "",
      area: { kind: "circle", center: { latitude: 10, longitude: 120 }, radiusKm: 20 },
      startsAt: now,
      endsAt: null,
    });
    if (!opened.ok) throw new Error("not opened");
    now = now.add({ minutes: 1 });
    fail(true);
    const closed = await closeOwnIncident(deps(gateway), opened.incident);
    // The coordinator's close succeeds, and the Update is still owed.
    expect(closed.ok).toBe(true);
    expect((await findIncident(handle.db, opened.incident.id))?.status).toBe("closed");
    expect(await pending()).toBe(1);
    expect(sent).toEqual([]);
    fail(false);
    await relayPendingIncidentMessages(deps(gateway));
    expect(sent).toEqual([`update:food:${opened.incident.id}:closed`]);
    expect(await pending()).toBe(0);
  });

  it("keeps a Join that could not be queued and sends the same Join later, once", async () => {
    const { gateway, sent, fail } = recordingGateway();
    fail(true);
    const joined = await joinIncident(deps(gateway), group, new URL(REMOTE_INCIDENT));
    expect(joined).toMatchObject({ ok: true, state: "pending" });
    if (!joined.ok) return;
    const participant = await findParticipant(
      handle.db,
      joined.incident.id,
      `${ORIGIN}/groups/food`,
    );
    expect(participant?.state).toBe("pending");
    expect(await pending()).toBe(1);
    fail(false);
    await relayPendingIncidentMessages(deps(gateway));
    await relayPendingIncidentMessages(deps(gateway));
    expect(sent).toEqual([`join:food:${REMOTE_INCIDENT}:${participant?.joinActivityId}`]);
    expect(await pending()).toBe(0);
  });

  it("sends nothing for a Join answered before the relay reached it", async () => {
    const { gateway, sent, fail } = recordingGateway();
    fail(true);
    const joined = await joinIncident(deps(gateway), group, new URL(REMOTE_INCIDENT));
    if (!joined.ok) throw new Error("not joined");
    await handle.db
      .updateTable("incident_participants")
      .set({ state: "accepted" })
      .where("incident_id", "=", joined.incident.id)
      .execute();
    fail(false);
    await relayPendingIncidentMessages(deps(gateway));
    expect(sent).toEqual([]);
    expect(await pending()).toBe(0);
  });
});
