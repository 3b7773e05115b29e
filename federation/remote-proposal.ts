import type { DocumentLoader } from "@fedify/vocab-runtime";
import jsonld from "@fedify/vocab-runtime/jsonld";
import { categoryByUri } from "../src/domain/categories.ts";
import type {
  Location,
  ProposalStatus,
  Purpose,
  Quantity,
  Urgency,
} from "../src/domain/proposal.ts";
import { REMOTE_LIMITS, type RemoteProposal } from "../src/domain/remote-proposal.ts";
import { isUnit, type Unit } from "../src/domain/units.ts";
import { htmlToText } from "./html-to-text.ts";

/**
 * Reading needs and offers that other instances publish (FEDERATION.md,
 * "Receiving"). The object is read as JSON-LD, so the FEP-0837 terms are found
 * whether they arrive as the compact keys we publish (`purpose`, `publishes`,
 * defined inline in `@context`) or as full IRIs
 * (`https://w3id.org/valueflows/ont/vf#purpose`), as Fedify's own
 * `Proposal.toJsonLd()` may write them. Undefined compact keys (which the
 * ActivityStreams context turns into `_:` blank terms) are not read: a Note
 * that does not say it is a Proposal is kept as a plain post, never guessed
 * into a need.
 *
 * Every field is checked and clamped; text is reduced to plain text. A
 * reading either yields a `RemoteProposal` or says why the object was refused.
 */
export type RemoteObjectReading =
  | { readonly ok: true; readonly proposal: RemoteProposal; readonly isPublic: boolean }
  | { readonly ok: false; readonly reason: string };

const AS = "https://www.w3.org/ns/activitystreams#";
const VF = "https://w3id.org/valueflows/ont/vf#";
const OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/";
const BYH = "urn:bayanihan:ns#";

/** Types shown as posts when they carry no FEP-0837 proposal. */
const POST_TYPES: ReadonlySet<string> = new Set([`${AS}Note`, `${AS}Article`, `${AS}Page`]);
/** The three spellings of the public audience that servers send (as JSON-LD reads them). */
const PUBLIC_IDS: ReadonlySet<string> = new Set([`${AS}Public`, "as:Public", "Public"]);

const URGENCIES: ReadonlySet<string> = new Set<Urgency>(["low", "normal", "high", "critical"]);
const STATUSES: ReadonlySet<string> = new Set<ProposalStatus>([
  "open",
  "pledged",
  "fulfilled",
  "closed",
  "expired",
]);

function refuse(reason: string): RemoteObjectReading {
  return { ok: false, reason };
}

/**
 * Reads a fetched document. `contextLoader` resolves remote `@context` URLs
 * (the usual ones are preloaded, so it is rarely called); nothing else is
 * fetched. Never throws.
 */
export async function parseRemoteObject(
  json: unknown,
  options: { readonly contextLoader: DocumentLoader; readonly now: Temporal.Instant },
): Promise<RemoteObjectReading> {
  const node = await expandOne(json, options.contextLoader);
  return typeof node === "string" ? refuse(node) : readExpandedObject(node, options.now);
}

/**
 * A `Create` or `Update` fetched from its id: only what is needed to find the
 * object it is about. Whatever it embeds of that object is not read.
 */
export interface WrappingActivity {
  readonly type: "Create" | "Update";
  readonly id: string | null;
  readonly actorId: string | null;
  /** The object's id, whether the activity embeds the object or names it. */
  readonly objectId: string | null;
}

/**
 * What a shared id names. FEP-1b12 groups (Lemmy) may announce a `Create` or
 * `Update` by its id rather than embedding it: the fetched document is then
 * that activity. Anything else is read as an object (and an activity of
 * another type is refused there as an unsupported type). Never throws.
 */
export type SharedDocumentReading =
  | { readonly activity: WrappingActivity }
  | { readonly object: RemoteObjectReading };

export async function parseSharedDocument(
  json: unknown,
  options: { readonly contextLoader: DocumentLoader; readonly now: Temporal.Instant },
): Promise<SharedDocumentReading> {
  const node = await expandOne(json, options.contextLoader);
  if (typeof node === "string") return { object: refuse(node) };
  const nodeTypes = types(node);
  const type = nodeTypes.includes(`${AS}Create`)
    ? "Create"
    : nodeTypes.includes(`${AS}Update`)
      ? "Update"
      : null;
  if (type === null) return { object: readExpandedObject(node, options.now) };
  const objectIds = ids(node, `${AS}object`);
  const actorIds = ids(node, `${AS}actor`);
  return {
    activity: {
      type,
      id: httpUrl(node["@id"]),
      // One actor and one object, or the activity is not read at all.
      actorId: actorIds.length === 1 ? httpUrl(actorIds[0]) : null,
      objectId: objectIds.length === 1 ? httpUrl(objectIds[0]) : null,
    },
  };
}

/** The one JSON-LD node a document expands to, or why there is none. */
async function expandOne(json: unknown, contextLoader: DocumentLoader): Promise<Node | string> {
  // An array is expanded JSON-LD; it must still hold exactly one object.
  if (typeof json !== "object" || json === null) return "not a JSON object";
  let expanded: unknown;
  try {
    expanded = await jsonld.expand(json, {
      documentLoader: (url: string) => contextLoader(url),
    });
  } catch (error) {
    return `not readable as JSON-LD: ${error instanceof Error ? error.message : error}`;
  }
  if (!Array.isArray(expanded) || expanded.length !== 1 || !isNode(expanded[0])) {
    return "not a single JSON-LD object";
  }
  return expanded[0];
}

type Node = Readonly<Record<string, unknown>>;

function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function entries(node: Node, iri: string): readonly unknown[] {
  const value = node[iri];
  return Array.isArray(value) ? value : [];
}

/** The first literal; for language maps, the one without a language first. */
function literal(node: Node, iri: string): unknown {
  let fallback: unknown;
  for (const entry of entries(node, iri)) {
    if (!isNode(entry) || !("@value" in entry)) continue;
    if (!("@language" in entry)) return entry["@value"];
    if (fallback === undefined) fallback = entry["@value"];
  }
  return fallback;
}

/** Ids of linked or embedded nodes (`{"@id": …}`), in order. */
function ids(node: Node, iri: string): string[] {
  const result: string[] = [];
  for (const entry of entries(node, iri)) {
    if (isNode(entry) && typeof entry["@id"] === "string") result.push(entry["@id"]);
  }
  return result;
}

/** The first embedded node that has more than an id. */
function embedded(node: Node, iri: string): Node | null {
  for (const entry of entries(node, iri)) {
    if (isNode(entry) && Object.keys(entry).some((k) => k !== "@id")) return entry;
  }
  return null;
}

function types(node: Node): string[] {
  const value = node["@type"];
  return Array.isArray(value) ? value.filter((t): t is string => typeof t === "string") : [];
}

/** An absolute http(s) URL of sane length, normalised; null otherwise. */
export function httpUrl(value: unknown): string | null {
  if (typeof value !== "string" || value.length > REMOTE_LIMITS.uri) return null;
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  return url.href;
}

/** A category URI: http(s) or a URN (our vocabulary's form); nothing that could run in a link. */
function categoryUri(value: unknown): string | null {
  if (typeof value !== "string" || value.length > REMOTE_LIMITS.uri) return null;
  if (/^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i.test(value)) return value;
  return httpUrl(value);
}

function text(value: unknown, maxChars: number, singleLine: boolean): string {
  return typeof value === "string" ? htmlToText(value, maxChars, { singleLine }) : "";
}

/** An RFC 3339 instant within years 1–9999; anything else is absent. */
export function parseInstant(value: unknown): Temporal.Instant | null {
  if (typeof value !== "string" || value.length > 64) return null;
  let instant: Temporal.Instant;
  try {
    instant = Temporal.Instant.from(value);
  } catch {
    return null;
  }
  const year = instant.toZonedDateTimeISO("UTC").year;
  return year < REMOTE_LIMITS.minYear || year > REMOTE_LIMITS.maxYear ? null : instant;
}

const DECIMAL = /^\+?\d{1,20}(?:\.\d{1,20})?$/;

/**
 * A positive amount up to 1e9, written as our own amounts are (at most six
 * decimals, no exponent, no trailing zeros); null for anything else.
 */
export function parseAmount(value: unknown): string | null {
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && DECIMAL.test(value.trim())) n = Number(value.trim());
  else return null;
  if (!Number.isFinite(n) || n <= 0 || n > REMOTE_LIMITS.maxQuantity) return null;
  const canonical = n.toFixed(6).replace(/\.?0+$/, "");
  return canonical === "0" || canonical === "" ? null : canonical;
}

/** FEP-0837 units are OM 2 local names; the full OM 2 IRI or `om2:` prefix is accepted too. */
function parseUnit(value: unknown): Unit | null {
  if (typeof value !== "string") return null;
  const name = value.startsWith(OM2)
    ? value.slice(OM2.length)
    : value.startsWith("om2:")
      ? value.slice(4)
      : value;
  return isUnit(name) ? name : null;
}

function parseMeasure(
  node: Node,
  iri: string,
  parse: (value: unknown) => string | null,
): Quantity | null {
  const measure = embedded(node, iri);
  if (measure === null) return null;
  const unit = parseUnit(literal(measure, `${OM2}hasUnit`) ?? ids(measure, `${OM2}hasUnit`)[0]);
  const amount = parse(literal(measure, `${OM2}hasNumericalValue`));
  return unit === null || amount === null ? null : { amount, unit };
}

/** Zero or more, same canonical form as parseAmount (what is still needed may be nothing). */
export function parseRemainingAmount(value: unknown): string | null {
  if (value === 0 || (typeof value === "string" && /^\+?0+(?:\.0+)?$/.test(value.trim()))) {
    return "0";
  }
  return parseAmount(value);
}

/**
 * The quantities of a primary intent (FEDERATION.md, "Quantities"). Ours say
 * the total in `totalQuantity`, what is still needed in `availableQuantity`
 * and, being unit-based, the step pledges must be multiples of in
 * `resourceQuantity`. Other FEP-0837 software: without `unitBased` the
 * resource quantity is the whole amount and a pledge must equal it.
 */
export function parseQuantities(node: Node, intent: Node): QuantityReading {
  const resource = parseMeasure(intent, `${VF}resourceQuantity`, parseAmount);
  const available = parseMeasure(intent, `${VF}availableQuantity`, parseRemainingAmount);
  const total = parseMeasure(intent, `${BYH}totalQuantity`, parseAmount);
  const unitBased = literal(node, `${VF}unitBased`) === true;
  const quantity = total ?? (unitBased ? available : resource) ?? resource;
  if (quantity === null) return { quantity: null, remaining: null, step: null };
  const sameUnit = (q: Quantity | null) => (q !== null && q.unit === quantity.unit ? q : null);
  return {
    quantity,
    remaining: sameUnit(available)?.amount ?? (unitBased ? null : quantity.amount),
    step: unitBased ? (sameUnit(resource)?.amount ?? null) : quantity.amount,
  };
}

export interface QuantityReading {
  readonly quantity: Quantity | null;
  readonly remaining: string | null;
  readonly step: string | null;
}

function coordinate(value: unknown, limit: number): number | null {
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^[+-]?\d{1,3}(?:\.\d{1,15})?$/.test(value.trim())
        ? Number(value)
        : Number.NaN;
  return Number.isFinite(n) && Math.abs(n) <= limit ? n : null;
}

function parseLocation(node: Node): Location | null {
  const place = embedded(node, `${AS}location`);
  if (place === null) return null;
  const name = text(literal(place, `${AS}name`), REMOTE_LIMITS.locationName, true);
  const latitude = coordinate(literal(place, `${AS}latitude`), 90);
  const longitude = coordinate(literal(place, `${AS}longitude`), 180);
  // Coordinates go together: one without the other points nowhere.
  const located = latitude !== null && longitude !== null;
  if (name === "" && !located) return null;
  return {
    name,
    latitude: located ? latitude : null,
    longitude: located ? longitude : null,
  };
}

/** `url` may be an IRI or a Link with `href`; the first http(s) one wins. */
function parseUrl(node: Node): string | null {
  for (const entry of entries(node, `${AS}url`)) {
    if (!isNode(entry)) continue;
    const candidate =
      typeof entry["@id"] === "string" && Object.keys(entry).length === 1
        ? entry["@id"]
        : (ids(entry, `${AS}href`)[0] ?? literal(entry, `${AS}href`));
    const url = httpUrl(candidate);
    if (url !== null) return url;
  }
  return null;
}

function isPublic(node: Node): boolean {
  return [`${AS}to`, `${AS}cc`, `${AS}audience`].some((iri) =>
    ids(node, iri).some((id) => PUBLIC_IDS.has(id)),
  );
}

/**
 * The pure part: an expanded JSON-LD node to a validated value. Exported for
 * tests; `now` stands in for a missing (or future) `published`.
 */
export function readExpandedObject(node: Node, now: Temporal.Instant): RemoteObjectReading {
  const objectId = httpUrl(node["@id"]);
  if (objectId === null) return refuse("no http(s) id");
  const nodeTypes = types(node);
  const isProposalType = nodeTypes.includes(`${VF}Proposal`);
  const isPostType = nodeTypes.some((t) => POST_TYPES.has(t));
  if (!isProposalType && !isPostType) return refuse(`unsupported type ${nodeTypes.join(", ")}`);
  const attributedTo = ids(node, `${AS}attributedTo`).map(httpUrl);
  const originActorId = attributedTo[0] ?? null;
  if (originActorId === null) return refuse("no attributedTo");

  const purposeValue = literal(node, `${VF}purpose`);
  const purpose: Purpose | null =
    purposeValue === "request" || purposeValue === "offer" ? purposeValue : null;
  if (isProposalType && purpose === null && !isPostType) {
    return refuse("a Proposal without a purpose of request or offer");
  }
  const kind = isProposalType && purpose !== null ? "proposal" : "post";

  const published = parseInstant(literal(node, `${AS}published`));
  // A date in the future would pin the object at the top of every feed.
  const publishedAt =
    published === null || Temporal.Instant.compare(published, now) > 0 ? now : published;
  const updated = parseInstant(literal(node, `${AS}updated`));
  const common = {
    objectId,
    originActorId,
    title: text(literal(node, `${AS}name`), REMOTE_LIMITS.title, true),
    summaryText: text(literal(node, `${AS}content`), REMOTE_LIMITS.summaryText, false),
    url: parseUrl(node),
    publishedAt,
    updatedAt: updated ?? publishedAt,
  };
  if (kind === "post") {
    return {
      ok: true,
      isPublic: isPublic(node),
      proposal: {
        ...common,
        kind,
        purpose: null,
        category: null,
        categoryUri: null,
        quantity: null,
        remainingAmount: null,
        quantityStep: null,
        intentId: null,
        location: null,
        urgency: null,
        status: "open",
        expiresAt: null,
      },
    };
  }

  const intent = embedded(node, `${VF}publishes`);
  const conformsTo =
    intent === null
      ? null
      : categoryUri(
          ids(intent, `${VF}resourceConformsTo`)[0] ?? literal(intent, `${VF}resourceConformsTo`),
        );
  const urgency = literal(node, `${BYH}urgency`);
  const status = literal(node, `${BYH}status`);
  const reading =
    intent === null
      ? { quantity: null, remaining: null, step: null }
      : parseQuantities(node, intent);
  const quantities = {
    quantity: reading.quantity,
    remainingAmount: reading.remaining,
    quantityStep: reading.step,
  };
  return {
    ok: true,
    isPublic: isPublic(node),
    proposal: {
      ...common,
      kind,
      purpose,
      category: conformsTo === null ? null : (categoryByUri(conformsTo)?.slug ?? null),
      categoryUri: conformsTo,
      ...quantities,
      intentId: intent === null ? null : httpUrl(intent["@id"]),
      location: parseLocation(node),
      urgency: typeof urgency === "string" && URGENCIES.has(urgency) ? (urgency as Urgency) : null,
      status:
        typeof status === "string" && STATUSES.has(status) ? (status as ProposalStatus) : "open",
      expiresAt: parseInstant(literal(node, `${AS}endTime`)),
      // Only read here; whether the author may tag it is the inbox's call.
      incident: httpUrl(ids(node, `${BYH}incident`)[0]),
    },
  };
}
