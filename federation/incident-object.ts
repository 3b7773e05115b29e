import type { DocumentLoader } from "@fedify/vocab-runtime";
import jsonld from "@fedify/vocab-runtime/jsonld";
import {
  type Incident,
  type IncidentArea,
  type IncidentStatus,
  validateIncident,
} from "../src/domain/incident.ts";
import { paragraphs } from "./html.ts";
import { htmlToText } from "./html-to-text.ts";
import { PUBLIC_AUDIENCE } from "./proposal-object.ts";
import { httpUrl, parseInstant } from "./remote-proposal.ts";

/**
 * The JSON of an incident as served at its id (FEDERATION.md, "Incidents").
 * An `Event`, which Mastodon shows as its name, summary and a link; its area
 * is a `Place`: a circle as AS2 `latitude`/`longitude`/`radius` with
 * `units: "km"`, a box as our `bbox` term. `status`, `participants` and
 * `taggedItems` (the needs and offers on its board) are our terms too,
 * defined inline so nobody has to fetch a context.
 */
export const INCIDENT_CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  {
    byh: "urn:bayanihan:ns#",
    status: "byh:status",
    bbox: "byh:bbox",
    south: "byh:south",
    west: "byh:west",
    north: "byh:north",
    east: "byh:east",
    participants: { "@id": "byh:participants", "@type": "@id" },
    taggedItems: { "@id": "byh:taggedItems", "@type": "@id" },
  },
] as const;

/** The tag a need or offer carries: the incident's object id. */
export const INCIDENT_TERM = { "@id": "byh:incident", "@type": "@id" } as const;

export interface IncidentUrls {
  readonly objectId: URL;
  readonly participants: URL;
  readonly taggedItems: URL;
  readonly groupId: URL;
  readonly groupFollowers: URL;
}

function place(area: IncidentArea): Record<string, unknown> {
  if (area.kind === "circle") {
    return {
      type: "Place",
      latitude: area.center.latitude,
      longitude: area.center.longitude,
      radius: area.radiusKm,
      units: "km",
    };
  }
  const { south, west, north, east } = area;
  return { type: "Place", bbox: { south, west, north, east } };
}

export function renderIncidentObject(
  incident: Incident,
  urls: IncidentUrls,
): Record<string, unknown> {
  const object: Record<string, unknown> = {
    "@context": INCIDENT_CONTEXT,
    id: urls.objectId.href,
    type: "Event",
    attributedTo: urls.groupId.href,
    to: [PUBLIC_AUDIENCE],
    cc: [urls.groupFollowers.href],
    name: incident.name,
    url: urls.objectId.href,
    published: incident.createdAt.toString(),
    startTime: incident.startsAt.toString(),
    location: place(incident.area),
    status: incident.status,
    participants: urls.participants.href,
    taggedItems: urls.taggedItems.href,
  };
  if (!incident.updatedAt.equals(incident.createdAt)) {
    object.updated = incident.updatedAt.toString();
  }
  if (incident.endsAt !== null) object.endTime = incident.endsAt.toString();
  // Mastodon shows an Event's summary under its name (and ignores content).
  if (incident.description !== "") object.summary = paragraphs(incident.description);
  return object;
}

const AS = "https://www.w3.org/ns/activitystreams#";
const BYH = "urn:bayanihan:ns#";

type Node = Readonly<Record<string, unknown>>;
const isNode = (v: unknown): v is Node => typeof v === "object" && v !== null && !Array.isArray(v);
const entries = (node: Node, iri: string): readonly unknown[] => {
  const value = node[iri];
  return Array.isArray(value) ? value : [];
};
function literal(node: Node, iri: string): unknown {
  for (const entry of entries(node, iri)) {
    if (isNode(entry) && "@value" in entry) return entry["@value"];
  }
  return undefined;
}
function firstId(node: Node, iri: string): string | null {
  for (const entry of entries(node, iri)) {
    if (isNode(entry) && typeof entry["@id"] === "string") return entry["@id"];
  }
  return null;
}
function firstEmbedded(node: Node, iri: string): Node | null {
  for (const entry of entries(node, iri)) {
    if (isNode(entry) && Object.keys(entry).some((k) => k !== "@id")) return entry;
  }
  return null;
}
const num = (value: unknown): number => (typeof value === "number" ? value : Number.NaN);

/** What an incident object says, checked; the owner's inbox is added by the caller. */
export type IncidentReading =
  | {
      readonly ok: true;
      readonly incident: Omit<Incident, "id" | "groupId"> & {
        readonly participantsUrl: string | null;
        /** Its board's needs and offers, on the incident's origin, when it says. */
        readonly taggedItemsUrl: string | null;
      };
    }
  | { readonly ok: false; readonly reason: string };

function readArea(node: Node): IncidentArea | string {
  const location = firstEmbedded(node, `${AS}location`);
  if (location === null) return "no location";
  const box = firstEmbedded(location, `${BYH}bbox`);
  if (box !== null) {
    return {
      kind: "bbox",
      south: num(literal(box, `${BYH}south`)),
      west: num(literal(box, `${BYH}west`)),
      north: num(literal(box, `${BYH}north`)),
      east: num(literal(box, `${BYH}east`)),
    };
  }
  const radius = num(literal(location, `${AS}radius`));
  const units = literal(location, `${AS}units`) ?? "m";
  // AS2's default unit is metres; we write km, others may not.
  const factor = units === "km" ? 1 : units === "m" ? 0.001 : units === "miles" ? 1.609344 : null;
  if (factor === null) return `unknown radius units ${String(units)}`;
  return {
    kind: "circle",
    center: {
      latitude: num(literal(location, `${AS}latitude`)),
      longitude: num(literal(location, `${AS}longitude`)),
    },
    radiusKm: radius * factor,
  };
}

/**
 * Reads a fetched incident document as JSON-LD, so our terms are found in
 * compact or full-IRI form. Text is reduced to plain text and clamped, and
 * the area and dates go through the same validation as our own incidents.
 * Never throws.
 */
export async function parseIncidentObject(
  json: unknown,
  contextLoader: DocumentLoader,
): Promise<IncidentReading> {
  if (typeof json !== "object" || json === null) return { ok: false, reason: "not an object" };
  let expanded: unknown;
  try {
    expanded = await jsonld.expand(json, { documentLoader: (url: string) => contextLoader(url) });
  } catch (error) {
    return { ok: false, reason: `not JSON-LD: ${error instanceof Error ? error.message : error}` };
  }
  if (!Array.isArray(expanded) || expanded.length !== 1 || !isNode(expanded[0])) {
    return { ok: false, reason: "not a single object" };
  }
  const node = expanded[0];
  const types = Array.isArray(node["@type"]) ? node["@type"] : [];
  if (!types.includes(`${AS}Event`)) return { ok: false, reason: "not an Event" };
  const objectId = httpUrl(node["@id"]);
  const owner = httpUrl(firstId(node, `${AS}attributedTo`));
  if (objectId === null || owner === null) return { ok: false, reason: "no id or attributedTo" };
  if (new URL(owner).origin !== new URL(objectId).origin) {
    return { ok: false, reason: "attributed to an actor on another server" };
  }
  const status = literal(node, `${BYH}status`);
  if (status !== "open" && status !== "closed") return { ok: false, reason: "no incident status" };
  const area = readArea(node);
  if (typeof area === "string") return { ok: false, reason: area };
  const startsAt = parseInstant(literal(node, `${AS}startTime`));
  if (startsAt === null) return { ok: false, reason: "no startTime" };
  const published = parseInstant(literal(node, `${AS}published`)) ?? startsAt;
  const summary = literal(node, `${AS}summary`);
  const validation = validateIncident({
    name: htmlToText(String(literal(node, `${AS}name`) ?? ""), 200, { singleLine: true }),
    description:
      typeof summary === "string" ? htmlToText(summary, 5000, { singleLine: false }) : "",
    area,
    startsAt,
    endsAt: parseInstant(literal(node, `${AS}endTime`)),
  });
  if (!validation.ok) {
    return {
      ok: false,
      reason: validation.problems.map((p) => `${p.field}: ${p.message}`).join("; "),
    };
  }
  const sameOrigin = (url: string | null) =>
    url !== null && new URL(url).origin === new URL(objectId).origin ? url : null;
  const participantsUrl = httpUrl(firstId(node, `${BYH}participants`));
  return {
    ok: true,
    incident: {
      ...validation.draft,
      objectId,
      ownerActorId: owner,
      status: status as IncidentStatus,
      createdAt: published,
      updatedAt: parseInstant(literal(node, `${AS}updated`)) ?? published,
      participantsUrl: sameOrigin(participantsUrl),
      taggedItemsUrl: sameOrigin(httpUrl(firstId(node, `${BYH}taggedItems`))),
    },
  };
}
