import { describe, expect, test } from "vitest";
import {
  areaContains,
  arrangeBoard,
  closeIncident,
  type Incident,
  type IncidentDraft,
  incidentHashtag,
  incidentTagRefusal,
  validateIncident,
} from "./incident.ts";

const start = Temporal.Instant.from("2026-11-20T00:00:00Z");
const draft: IncidentDraft = {
  name: "  Hurricane Lena — November 2026 ",
  description: "Three cities flooded",
  area: { kind: "circle", center: { latitude: 14.6, longitude: 121 }, radiusKm: 150 },
  startsAt: start,
  endsAt: null,
};

const fields = (input: IncidentDraft) => {
  const result = validateIncident(input);
  return result.ok ? [] : result.problems.map((p) => p.field);
};

describe("validateIncident", () => {
  test("accepts a circle and trims the name", () => {
    const result = validateIncident(draft);
    expect(result.ok && result.draft.name).toBe("Hurricane Lena — November 2026");
  });

  test("reports every problem at once", () => {
    expect(
      fields({
        ...draft,
        name: "  ",
        description: "x".repeat(5001),
        area: { kind: "circle", center: { latitude: 91, longitude: -181 }, radiusKm: 0 },
        endsAt: start,
      }),
    ).toEqual([
      "name",
      "description",
      "area.center.latitude",
      "area.center.longitude",
      "area.radiusKm",
      "endsAt",
    ]);
  });

  test("names each problem with a code a form can translate", () => {
    const result = validateIncident({
      ...draft,
      area: { kind: "bbox", south: 10, west: 5, north: 10, east: 5 },
      endsAt: start.subtract({ hours: 1 }),
    });
    expect(result.ok ? [] : result.problems.map((p) => p.code)).toEqual([
      "south-not-below-north",
      "west-equals-east",
      "end-before-start",
    ]);
  });

  test("radius limits", () => {
    const circle = (radiusKm: number) => ({
      ...draft,
      area: { kind: "circle" as const, center: { latitude: 0, longitude: 0 }, radiusKm },
    });
    expect(fields(circle(-5))).toEqual(["area.radiusKm"]);
    expect(fields(circle(20_000.1))).toEqual(["area.radiusKm"]);
    expect(fields(circle(Number.NaN))).toEqual(["area.radiusKm"]);
    expect(fields(circle(20_000))).toEqual([]);
    expect(fields(circle(0.01))).toEqual([]);
  });

  test("a box must have south below north; west > east crosses the antimeridian", () => {
    const box = (south: number, west: number, north: number, east: number) => ({
      ...draft,
      area: { kind: "bbox" as const, south, west, north, east },
    });
    expect(fields(box(-20, 177, -15, -178))).toEqual([]);
    expect(fields(box(10, 0, 10, 5))).toEqual(["area.bbox"]);
    expect(fields(box(12, 0, 10, 5))).toEqual(["area.bbox"]);
    expect(fields(box(-95, 0, 10, 181))).toEqual(["area.bbox.south", "area.bbox.east"]);
    expect(fields(box(0, 5, 10, 5))).toEqual(["area.bbox"]);
  });

  test("the end must follow the start", () => {
    expect(fields({ ...draft, endsAt: start.subtract({ hours: 1 }) })).toEqual(["endsAt"]);
    expect(fields({ ...draft, endsAt: start.add({ hours: 1 }) })).toEqual([]);
  });

  test("name length limit", () => {
    expect(fields({ ...draft, name: "n".repeat(201) })).toEqual(["name"]);
    expect(fields({ ...draft, name: "n".repeat(200) })).toEqual([]);
  });
});

describe("areaContains", () => {
  test("a circle holds points within its radius, measured on the sphere", () => {
    const area = { kind: "circle" as const, center: { latitude: 0, longitude: 0 }, radiusKm: 112 };
    // One degree of latitude is about 111.2 km.
    expect(areaContains(area, { latitude: 1, longitude: 0 })).toBe(true);
    expect(areaContains(area, { latitude: 1.01, longitude: 0 })).toBe(false);
    const nearDateLine = {
      kind: "circle" as const,
      center: { latitude: 0, longitude: 179.9 },
      radiusKm: 50,
    };
    expect(areaContains(nearDateLine, { latitude: 0, longitude: -179.9 })).toBe(true);
  });

  test("a box, also across the antimeridian", () => {
    const fiji = { kind: "bbox" as const, south: -21, west: 176, north: -12, east: -178 };
    expect(areaContains(fiji, { latitude: -17, longitude: 178 })).toBe(true);
    expect(areaContains(fiji, { latitude: -17, longitude: -179 })).toBe(true);
    expect(areaContains(fiji, { latitude: -17, longitude: 0 })).toBe(false);
    expect(areaContains(fiji, { latitude: -22, longitude: 178 })).toBe(false);
    const plain = { kind: "bbox" as const, south: 10, west: 120, north: 15, east: 125 };
    expect(areaContains(plain, { latitude: 12, longitude: 121 })).toBe(true);
    expect(areaContains(plain, { latitude: 12, longitude: 126 })).toBe(false);
  });
});

describe("closeIncident", () => {
  const incident: Incident = {
    ...draft,
    id: "0193a000-0000-7000-8000-000000000001",
    objectId: "https://a.example/incidents/0193a000-0000-7000-8000-000000000001",
    ownerActorId: "https://a.example/groups/aid",
    groupId: "g",
    status: "open",
    createdAt: start,
    updatedAt: start,
  };

  test("closes once, moving updatedAt strictly forward", () => {
    const closed = closeIncident(incident, start);
    expect(closed.ok && closed.incident.status).toBe("closed");
    expect(closed.ok && closed.incident.updatedAt.epochMilliseconds).toBe(
      start.epochMilliseconds + 1,
    );
    if (!closed.ok) throw new Error("not closed");
    expect(closeIncident(closed.incident, start.add({ hours: 1 }))).toEqual({
      ok: false,
      error: "already-closed",
    });
  });
});

describe("incidentTagRefusal", () => {
  const end = start.add({ hours: 72 });
  const window = { status: "open" as const, endsAt: end };

  test("a tag is taken before the start (preparation) and until the end", () => {
    expect(incidentTagRefusal(window, start.subtract({ hours: 48 }))).toBeNull();
    expect(incidentTagRefusal(window, end.subtract({ milliseconds: 1 }))).toBeNull();
    expect(
      incidentTagRefusal({ status: "open", endsAt: null }, end.add({ hours: 1e4 })),
    ).toBeNull();
  });

  test("from its end on, or once closed, no new tag", () => {
    expect(incidentTagRefusal(window, end)).toBe("incident-ended");
    expect(incidentTagRefusal(window, end.add({ hours: 1 }))).toBe("incident-ended");
    // Closed says more than ended: closed is checked first.
    expect(incidentTagRefusal({ status: "closed", endsAt: end }, end.add({ hours: 1 }))).toBe(
      "incident-closed",
    );
    expect(incidentTagRefusal({ status: "closed", endsAt: null }, start)).toBe("incident-closed");
  });
});

test("incidentHashtag", () => {
  expect(incidentHashtag("Hurricane Lena — November 2026")).toBe("HurricaneLenaNovember2026");
  expect(incidentHashtag("tifón ñando")).toBe("TifónÑando");
  expect(incidentHashtag("— —")).toBe("Incident");
  expect(incidentHashtag("a".repeat(100))).toHaveLength(60);
});

describe("arrangeBoard", () => {
  const at = (iso: string) => Temporal.Instant.from(iso);
  const entry = (
    objectId: string,
    urgency: string | null,
    expiresAt: string | null,
    published = "2026-11-20T00:00:00Z",
  ) => ({
    objectId,
    urgency,
    expiresAt: expiresAt === null ? null : at(expiresAt),
    publishedAt: at(published),
  });

  test("urgency first, then needed-by soonest with none last, then newest; each object once", () => {
    const board = arrangeBoard(
      [
        entry("low", "low", "2026-11-21T00:00:00Z"),
        entry("normal-none", "normal", null),
        entry("normal-late", "normal", "2026-11-30T00:00:00Z"),
        entry("critical", "critical", null),
        entry("unknown", null, "2026-11-21T00:00:00Z"),
        entry("normal-soon", "normal", "2026-11-22T00:00:00Z"),
        entry("normal-soon", "normal", "2026-11-22T00:00:00Z"),
        entry("normal-none-newer", "normal", null, "2026-11-25T00:00:00Z"),
      ],
      100,
    );
    expect(board.map((e) => e.objectId)).toEqual([
      "critical",
      "normal-soon",
      "normal-late",
      "normal-none-newer",
      "normal-none",
      "low",
      "unknown",
    ]);
  });

  test("fully pledged items come after every one that still needs help", () => {
    const board = arrangeBoard(
      [
        { ...entry("critical-covered", "critical", "2026-11-21T00:00:00Z"), covered: true },
        entry("low-open", "low", null),
        { ...entry("high-covered", "high", null), covered: true },
        entry("critical-open", "critical", null),
      ],
      100,
    );
    expect(board.map((e) => e.objectId)).toEqual([
      "critical-open",
      "low-open",
      "critical-covered",
      "high-covered",
    ]);
  });

  test("cut to the limit", () => {
    const many = Array.from({ length: 10 }, (_, i) => entry(`o${i}`, "high", null));
    expect(arrangeBoard(many, 3)).toHaveLength(3);
  });
});
