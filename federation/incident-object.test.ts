import { type DocumentLoader, preloadedContexts } from "@fedify/vocab-runtime";
import { describe, expect, it } from "vitest";
import type { Incident } from "../src/domain/incident.ts";
import { parseIncidentObject, renderIncidentObject } from "./incident-object.ts";

const contextLoader: DocumentLoader = async (url) => {
  if (Object.hasOwn(preloadedContexts, url)) {
    return { contextUrl: null, document: preloadedContexts[url], documentUrl: url };
  }
  throw new Error(`no network in unit tests: ${url}`);
};

const at = (iso: string) => Temporal.Instant.from(iso);
const incident: Incident = {
  id: "0193a000-0000-7000-8000-000000000001",
  objectId: "https://a.example/incidents/0193a000-0000-7000-8000-000000000001",
  ownerActorId: "https://a.example/groups/aid",
  groupId: "g",
  name: "Hurricane Lena — November 2026",
  description: "Flooding <b>across</b> three cities",
  area: { kind: "circle", center: { latitude: 14.6, longitude: 121 }, radiusKm: 300 },
  startsAt: at("2026-11-20T00:00:00Z"),
  endsAt: at("2026-12-20T00:00:00Z"),
  status: "open",
  createdAt: at("2026-11-20T06:00:00Z"),
  updatedAt: at("2026-11-20T06:00:00Z"),
};
const urls = {
  objectId: new URL(incident.objectId),
  participants: new URL(`${incident.objectId}/participants`),
  taggedItems: new URL(`${incident.objectId}/items`),
  groupId: new URL(incident.ownerActorId),
  groupFollowers: new URL(`${incident.ownerActorId}/followers`),
};

describe("incident objects", () => {
  it("read back what they say, for a circle and a box", async () => {
    for (const area of [
      incident.area,
      { kind: "bbox" as const, south: -21, west: 176, north: -12, east: -178 },
    ]) {
      const json = renderIncidentObject({ ...incident, area, status: "closed" }, urls);
      const reading = await parseIncidentObject(json, contextLoader);
      expect(reading).toEqual({
        ok: true,
        incident: {
          objectId: incident.objectId,
          ownerActorId: incident.ownerActorId,
          name: incident.name,
          description: "Flooding <b>across</b> three cities",
          area,
          startsAt: incident.startsAt,
          endsAt: incident.endsAt,
          status: "closed",
          createdAt: incident.createdAt,
          updatedAt: incident.updatedAt,
          participantsUrl: urls.participants.href,
          taggedItemsUrl: urls.taggedItems.href,
        },
      });
    }
    // The description is escaped, never markup.
    expect(renderIncidentObject(incident, urls).summary).toBe(
      "<p>Flooding &lt;b&gt;across&lt;/b&gt; three cities</p>",
    );
  });

  it("converts a radius in metres and refuses unknown units", async () => {
    const json = renderIncidentObject(incident, urls) as { location: Record<string, unknown> };
    const metres = { ...json, location: { ...json.location, radius: 5000, units: "m" } };
    const reading = await parseIncidentObject(metres, contextLoader);
    expect(reading.ok && reading.incident.area).toEqual({
      kind: "circle",
      center: { latitude: 14.6, longitude: 121 },
      radiusKm: 5,
    });
    const furlongs = { ...json, location: { ...json.location, units: "furlongs" } };
    expect((await parseIncidentObject(furlongs, contextLoader)).ok).toBe(false);
  });

  it("refuses what is not an incident on its owner's server, or not on Earth", async () => {
    const json = renderIncidentObject(incident, urls) as Record<string, unknown> & {
      location: Record<string, unknown>;
    };
    const cases: [string, unknown][] = [
      ["a Note", { ...json, type: "Note" }],
      ["another server's actor", { ...json, attributedTo: "https://b.example/groups/aid" }],
      ["no status", { ...json, status: undefined }],
      ["latitude 95", { ...json, location: { ...json.location, latitude: 95 } }],
      ["radius 0", { ...json, location: { ...json.location, radius: 0 } }],
      ["end before start", { ...json, endTime: "2026-11-01T00:00:00Z" }],
      ["no startTime", { ...json, startTime: undefined }],
      ["not an object", "Event"],
    ];
    for (const [what, document] of cases) {
      const reading = await parseIncidentObject(document, contextLoader);
      expect(reading.ok, what).toBe(false);
    }
  });
});
