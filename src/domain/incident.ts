import { type Coordinates, destinationPoint, haversineKm, inBoundingBox } from "./geo.ts";
import { cleanName } from "./names.ts";

/**
 * A disaster incident: a named area and time window that collectives on
 * several instances coordinate around. One instance owns it (its group
 * opened it); others keep a copy and join it. Needs and offers tagged with
 * the incident's object id appear on its cross-city board.
 */
export type IncidentStatus = "open" | "closed";

/**
 * Either a circle on the sphere or a latitude/longitude box. A box's
 * `west > east` means it crosses the antimeridian (Fiji, the Aleutians).
 */
export type IncidentArea =
  | { readonly kind: "circle"; readonly center: Coordinates; readonly radiusKm: number }
  | {
      readonly kind: "bbox";
      readonly south: number;
      readonly west: number;
      readonly north: number;
      readonly east: number;
    };

export interface IncidentDraft {
  readonly name: string;
  readonly description: string;
  readonly area: IncidentArea;
  readonly startsAt: Temporal.Instant;
  readonly endsAt: Temporal.Instant | null;
}

export interface Incident extends IncidentDraft {
  /** Our row id (also the last path segment of the object id for our own incidents). */
  readonly id: string;
  /** The ActivityPub id: what needs and offers are tagged with. */
  readonly objectId: string;
  /** The group actor that opened it: the only one who may change it. */
  readonly ownerActorId: string;
  /** Our group's id when this instance owns the incident; null for a copy. */
  readonly groupId: string | null;
  readonly status: IncidentStatus;
  readonly createdAt: Temporal.Instant;
  /** For copies, the owner's `updated`: a copy changes only for a newer one. */
  readonly updatedAt: Temporal.Instant;
}

export const INCIDENT_LIMITS = {
  nameMin: 1,
  nameMax: 200,
  descriptionMax: 5000,
  /** Half the equator is 20,037 km: a larger circle is the whole planet, surely a mistake. */
  radiusMaxKm: 20_000,
} as const;

/** What is wrong, for a form to say it in the person's language. */
export type IncidentProblemCode =
  | "name-length"
  | "description-too-long"
  | "latitude-range"
  | "longitude-range"
  | "radius-not-positive"
  | "radius-too-large"
  | "south-not-below-north"
  | "west-equals-east"
  | "end-before-start";

export interface IncidentProblem {
  /** The input field, in the API's own dotted form (`area.center.latitude`). */
  readonly field: string;
  readonly code: IncidentProblemCode;
  readonly message: string;
}

export type IncidentValidation =
  | { readonly ok: true; readonly draft: IncidentDraft }
  | { readonly ok: false; readonly problems: readonly IncidentProblem[] };

const inRange = (value: number, min: number, max: number) =>
  Number.isFinite(value) && value >= min && value <= max;

function areaProblems(area: IncidentArea): IncidentProblem[] {
  const problems: IncidentProblem[] = [];
  const latitude = (field: string, value: number) => {
    if (!inRange(value, -90, 90))
      problems.push({
        field,
        code: "latitude-range",
        message: "latitude must be between -90 and 90",
      });
  };
  const longitude = (field: string, value: number) => {
    if (!inRange(value, -180, 180))
      problems.push({
        field,
        code: "longitude-range",
        message: "longitude must be between -180 and 180",
      });
  };
  if (area.kind === "circle") {
    latitude("area.center.latitude", area.center.latitude);
    longitude("area.center.longitude", area.center.longitude);
    if (!Number.isFinite(area.radiusKm) || area.radiusKm <= 0) {
      problems.push({
        field: "area.radiusKm",
        code: "radius-not-positive",
        message: "radiusKm must be greater than 0",
      });
    } else if (area.radiusKm > INCIDENT_LIMITS.radiusMaxKm) {
      problems.push({
        field: "area.radiusKm",
        code: "radius-too-large",
        message: `radiusKm must be at most ${INCIDENT_LIMITS.radiusMaxKm}`,
      });
    }
    return problems;
  }
  latitude("area.bbox.south", area.south);
  latitude("area.bbox.north", area.north);
  longitude("area.bbox.west", area.west);
  longitude("area.bbox.east", area.east);
  if (Number.isFinite(area.south) && Number.isFinite(area.north) && area.south >= area.north) {
    problems.push({
      field: "area.bbox",
      code: "south-not-below-north",
      message: "south must be less than north",
    });
  }
  // west > east is allowed: the box crosses the antimeridian. west === east
  // would be a box of no width.
  if (Number.isFinite(area.west) && area.west === area.east) {
    problems.push({
      field: "area.bbox",
      code: "west-equals-east",
      message: "west and east must differ",
    });
  }
  return problems;
}

/** Checks an incident, reporting every problem at once; cleans the name (names.ts). */
export function validateIncident(input: IncidentDraft): IncidentValidation {
  const problems: IncidentProblem[] = [];
  const name = cleanName(input.name);
  if (name.length < INCIDENT_LIMITS.nameMin || name.length > INCIDENT_LIMITS.nameMax) {
    problems.push({
      field: "name",
      code: "name-length",
      message: `name must be ${INCIDENT_LIMITS.nameMin}–${INCIDENT_LIMITS.nameMax} characters`,
    });
  }
  if (input.description.length > INCIDENT_LIMITS.descriptionMax) {
    problems.push({
      field: "description",
      code: "description-too-long",
      message: `description must be at most ${INCIDENT_LIMITS.descriptionMax} characters`,
    });
  }
  problems.push(...areaProblems(input.area));
  if (input.endsAt !== null && Temporal.Instant.compare(input.endsAt, input.startsAt) <= 0) {
    problems.push({
      field: "endsAt",
      code: "end-before-start",
      message: "endsAt must be after startsAt",
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, draft: { ...input, name } };
}

/** Whether a point lies in the incident's area (the circle's edge included). */
export function areaContains(area: IncidentArea, point: Coordinates): boolean {
  if (area.kind === "circle") return haversineKm(area.center, point) <= area.radiusKm;
  return inBoundingBox(
    {
      minLatitude: area.south,
      maxLatitude: area.north,
      longitudes: { west: area.west, east: area.east },
    },
    point,
  );
}

export type CloseResult =
  | { readonly ok: true; readonly incident: Incident }
  | { readonly ok: false; readonly error: "already-closed" };

/**
 * Closes an incident. `updatedAt` moves strictly forward so that copies,
 * which apply only newer versions, take the change.
 */
export function closeIncident(incident: Incident, now: Temporal.Instant): CloseResult {
  if (incident.status === "closed") return { ok: false, error: "already-closed" };
  const nowMs = now.epochMilliseconds;
  const updatedMs = Math.max(nowMs, incident.updatedAt.epochMilliseconds + 1);
  return {
    ok: true,
    incident: {
      ...incident,
      status: "closed",
      updatedAt: Temporal.Instant.fromEpochMilliseconds(updatedMs),
    },
  };
}

/**
 * Why a new incident tag is refused at `now`, or null when it may be given:
 * only while the incident is open and its end (if any) has not come. Before
 * its start is fine: needs posted to prepare for a landfall are real. Needs
 * tagged earlier keep their tag when an incident closes or ends — its board
 * is then its record — so this is asked only of a tag being given.
 */
export type IncidentTagRefusal = "incident-closed" | "incident-ended";

export function incidentTagRefusal(
  incident: Pick<Incident, "status" | "endsAt">,
  now: Temporal.Instant,
): IncidentTagRefusal | null {
  if (incident.status !== "open") return "incident-closed";
  if (incident.endsAt !== null && Temporal.Instant.compare(now, incident.endsAt) >= 0) {
    return "incident-ended";
  }
  return null;
}

/**
 * The hashtag Mastodon users see on tagged needs: the incident's name in
 * CamelCase, letters and digits only ("Hurricane Lena — November 2026" →
 * "HurricaneLenaNovember2026"), at most 60 characters; "Incident" when the
 * name has no letter or digit.
 */
export function incidentHashtag(name: string): string {
  const words = name
    .normalize("NFKC")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  const tag = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return tag === "" ? "Incident" : tag.slice(0, 60);
}

/**
 * The incident's area as a closed outline to draw: a circle as `steps`
 * points on its edge, a box as its four corners (an east edge west of the
 * west one, across the antimeridian, one turn further east so the outline
 * does not go round the world).
 */
export function incidentAreaOutline(area: IncidentArea, steps = 48): Coordinates[] {
  if (area.kind === "circle") {
    return Array.from({ length: steps }, (_, i) =>
      destinationPoint(area.center, area.radiusKm, (360 * i) / steps),
    );
  }
  const east = area.east < area.west ? area.east + 360 : area.east;
  return [
    { latitude: area.north, longitude: area.west },
    { latitude: area.north, longitude: east },
    { latitude: area.south, longitude: east },
    { latitude: area.south, longitude: area.west },
  ];
}

/** Board order: most urgent first; unknown urgency (some remote objects) last. */
export const URGENCY_RANK: Readonly<Record<string, number>> = {
  critical: 0,
  high: 1,
  normal: 2,
  low: 3,
};
export const UNKNOWN_URGENCY_RANK = 4;

/** What the board sorts on, for local and remote items alike. */
export interface BoardEntry {
  readonly objectId: string;
  readonly urgency: string | null;
  readonly expiresAt: Temporal.Instant | null;
  readonly publishedAt: Temporal.Instant;
  /** Nothing still needed (or available): after every item that still needs help. */
  readonly covered?: boolean | undefined;
}

/**
 * Board order: what still needs help before what is fully pledged, then
 * urgency (critical > high > normal > low > unknown), then needed-by soonest (none last), then newest. Each object once: the first
 * occurrence of an object id wins. At most `limit` entries.
 */
export function arrangeBoard<T extends BoardEntry>(items: readonly T[], limit: number): T[] {
  const seen = new Set<string>();
  const unique = items.filter((item) => {
    if (seen.has(item.objectId)) return false;
    seen.add(item.objectId);
    return true;
  });
  const rank = (u: string | null) => (u === null ? UNKNOWN_URGENCY_RANK : (URGENCY_RANK[u] ?? 4));
  return unique
    .sort((a, b) => {
      const byCovered = Number(a.covered === true) - Number(b.covered === true);
      if (byCovered !== 0) return byCovered;
      const byUrgency = rank(a.urgency) - rank(b.urgency);
      if (byUrgency !== 0) return byUrgency;
      if (a.expiresAt !== null && b.expiresAt !== null) {
        const byExpiry = Temporal.Instant.compare(a.expiresAt, b.expiresAt);
        if (byExpiry !== 0) return byExpiry;
      } else if (a.expiresAt !== null) return -1;
      else if (b.expiresAt !== null) return 1;
      const byNewest = Temporal.Instant.compare(b.publishedAt, a.publishedAt);
      return byNewest !== 0 ? byNewest : a.objectId.localeCompare(b.objectId);
    })
    .slice(0, limit);
}

/** Another instance's incident as read from its origin, before it is stored. */
export interface FetchedIncident extends Omit<Incident, "id" | "groupId"> {
  /** The owner's inbox, where our tagged needs and our Join go. */
  readonly ownerInboxUrl: string;
  /** The owner's list of accepted participants. */
  readonly participantsUrl: string | null;
}
