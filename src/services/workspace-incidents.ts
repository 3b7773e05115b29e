import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import {
  groupMayTag,
  type IncidentParticipant,
  listGroupIncidents,
  listParticipants,
  type StoredIncident,
} from "../db/incidents.repo.ts";
import type { Group } from "../domain/group.ts";
import {
  type IncidentArea,
  type IncidentDraft,
  type IncidentProblemCode,
  incidentTagRefusal,
  validateIncident,
} from "../domain/incident.ts";
import { canonicalTimeZone } from "../domain/time-zone.ts";
import { type IncidentDeps, openIncident } from "./incidents.ts";

/**
 * Incidents as the workspace's forms see them: text fields in, a message
 * per field out. The rules stay in the domain's `validateIncident` (through
 * `openIncident`, the API's use case); this only reads the form's strings.
 */

export const INCIDENT_FORM_FIELDS = [
  "name",
  "description",
  "areaKind",
  "centerLatitude",
  "centerLongitude",
  "radiusKm",
  "south",
  "west",
  "north",
  "east",
  "startsAt",
  "endsAt",
  "timeZone",
] as const;

export type IncidentFormField = (typeof INCIDENT_FORM_FIELDS)[number];
export type IncidentFormInput = Readonly<Record<IncidentFormField, string>>;

/** Problems of reading the form, before the domain's own. */
export type IncidentFormProblem =
  | IncidentProblemCode
  | "required"
  | "not-a-number"
  | "bad-datetime"
  | "bad-time-zone";

export type IncidentFormProblems = Partial<Record<IncidentFormField, IncidentFormProblem>>;

export const EMPTY_INCIDENT_FORM: IncidentFormInput = {
  name: "",
  description: "",
  areaKind: "circle",
  centerLatitude: "",
  centerLongitude: "",
  radiusKm: "",
  south: "",
  west: "",
  north: "",
  east: "",
  startsAt: "",
  endsAt: "",
  timeZone: "",
};

/** Where each of the domain's dotted fields is typed in the form. */
function formFieldOf(field: string, code: IncidentProblemCode): IncidentFormField {
  switch (field) {
    case "area.center.latitude":
      return "centerLatitude";
    case "area.center.longitude":
      return "centerLongitude";
    case "area.radiusKm":
      return "radiusKm";
    case "area.bbox.south":
      return "south";
    case "area.bbox.west":
      return "west";
    case "area.bbox.north":
      return "north";
    case "area.bbox.east":
      return "east";
    // The box's own problems sit under the field that makes it wrong last.
    case "area.bbox":
      return code === "west-equals-east" ? "east" : "north";
    case "endsAt":
      return "endsAt";
    case "description":
      return "description";
    default:
      return "name";
  }
}

/** The zone the times are read in: the form's, else the instance's default. */
export function zoneOf(input: IncidentFormInput, defaultZone: string): string | null {
  return canonicalTimeZone(input.timeZone.trim() === "" ? defaultZone : input.timeZone);
}

/**
 * Reads the form into the domain's draft. What cannot be read (a word where
 * a number goes, a date that is no date) becomes a problem of that field;
 * the rest is still read so that the domain can report its problems too.
 */
export function readIncidentForm(
  input: IncidentFormInput,
  defaultZone: string,
): { draft: IncidentDraft; problems: IncidentFormProblems } {
  const problems: IncidentFormProblems = {};
  const number = (field: IncidentFormField): number => {
    const text = input[field].trim();
    if (text === "") {
      problems[field] = "required";
      return Number.NaN;
    }
    // A comma is the decimal mark in Spanish: "14,6" is 14.6.
    const value = Number(text.replace(",", "."));
    if (!Number.isFinite(value)) problems[field] = "not-a-number";
    return value;
  };
  const area: IncidentArea =
    input.areaKind === "bbox"
      ? {
          kind: "bbox",
          south: number("south"),
          west: number("west"),
          north: number("north"),
          east: number("east"),
        }
      : {
          kind: "circle",
          center: { latitude: number("centerLatitude"), longitude: number("centerLongitude") },
          radiusKm: number("radiusKm"),
        };
  const zone = zoneOf(input, defaultZone);
  if (zone === null) problems.timeZone = "bad-time-zone";
  const instant = (field: "startsAt" | "endsAt"): Temporal.Instant | null => {
    const text = input[field].trim();
    if (text === "") {
      if (field === "startsAt") problems.startsAt = "required";
      return null;
    }
    try {
      const local = Temporal.PlainDateTime.from(text);
      return zone === null ? null : local.toZonedDateTime(zone).toInstant();
    } catch {
      problems[field] = "bad-datetime";
      return null;
    }
  };
  const startsAt = instant("startsAt");
  const endsAt = instant("endsAt");
  return {
    draft: {
      name: input.name,
      description: input.description,
      area,
      startsAt: startsAt ?? Temporal.Instant.fromEpochMilliseconds(0),
      // Without a start there is nothing to compare the end with.
      endsAt: startsAt === null ? null : endsAt,
    },
    problems,
  };
}

export type OpenFromFormResult =
  | { readonly ok: true; readonly incident: StoredIncident }
  | { readonly ok: false; readonly problems: IncidentFormProblems };

/** Opens an incident from the workspace's form, with the API's use case. */
export async function openIncidentFromForm(
  deps: IncidentDeps,
  group: Group,
  input: IncidentFormInput,
  defaultZone: string,
): Promise<OpenFromFormResult> {
  const { draft, problems } = readIncidentForm(input, defaultZone);
  const all: IncidentFormProblems = { ...problems };
  if (Object.keys(problems).length === 0) {
    const opened = await openIncident(deps, group, draft);
    if (opened.ok) return opened;
    for (const p of opened.problems) all[formFieldOf(p.field, p.code)] ??= p.code;
    return { ok: false, problems: all };
  }
  // Unreadable fields: still say what else is wrong, without storing anything.
  const validation = validateIncident(draft);
  if (!validation.ok) {
    for (const p of validation.problems) all[formFieldOf(p.field, p.code)] ??= p.code;
  }
  return { ok: false, problems: all };
}

/** One incident on the group's page, with the group's part in it. */
export interface GroupIncidentEntry {
  readonly incident: StoredIncident;
  readonly role: "owner" | "participant";
  /** This group's participation; null for the owner. */
  readonly participation: "pending" | "accepted" | null;
  /** Accepted participants, and this instance's own groups' pending ones. */
  readonly participants: readonly IncidentParticipant[];
}

/** The incidents a group opened or joined, newest first, as the API lists them. */
export async function groupIncidentEntries(
  db: Kysely<Database>,
  group: Group,
): Promise<GroupIncidentEntry[]> {
  const entries: GroupIncidentEntry[] = [];
  for (const incident of await listGroupIncidents(db, group.id, 100)) {
    const participants = await listParticipants(db, incident.id);
    const own = participants.find((p) => p.groupId === group.id);
    entries.push({
      incident,
      role: incident.groupId === group.id ? "owner" : "participant",
      participation: incident.groupId === group.id ? null : (own?.state ?? null),
      // Pending joins of remote groups are nobody else's business.
      participants: participants.filter((p) => p.state === "accepted" || p.groupId !== null),
    });
  }
  return entries;
}

/**
 * What a need or offer of the group may be tagged with at `now`: incidents
 * it owns or takes part in (accepted) that are open and not past their end,
 * by the same rule `createProposal` applies.
 */
export async function taggableIncidents(
  db: Kysely<Database>,
  group: Group,
  now: Temporal.Instant,
): Promise<StoredIncident[]> {
  const taggable: StoredIncident[] = [];
  for (const incident of await listGroupIncidents(db, group.id, 100)) {
    if (incidentTagRefusal(incident, now) === null && (await groupMayTag(db, group.id, incident))) {
      taggable.push(incident);
    }
  }
  return taggable;
}
