/**
 * Mastodon's key-ownership rule, checked before Fedify handles an activity.
 *
 * Fedify 2.3.6 accepts a key as the actor's whenever the key document's own
 * `owner` names the actor, without asking the actor (fedify-notes.md,
 * "Security gaps" 1): anyone can publish a key on their own host that "belongs
 * to" someone else, and sign as them. The rule enforced here: every key the
 * request claims to be signed with must be on the actor's origin and be listed
 * by the actor document fetched from that origin.
 *
 * "The actor" must be the one Fedify will act on. Fedify reads the activity
 * as JSON-LD, so a crafted `@context` can make a term other than `actor` mean
 * `as:actor` (or hide an extra proof): checking only the plain `actor` field
 * would then vet one actor while Fedify attributes the activity to another.
 * So the activity is read both ways, plain and expanded with the same JSON-LD
 * processor Fedify uses, and every actor and key found either way must agree.
 */
import { preloadedContexts } from "@fedify/vocab-runtime";
import jsonld from "@fedify/vocab-runtime/jsonld";
import { isGone } from "./key-refresh.ts";

export interface LoadedDocument {
  document: unknown;
  documentUrl: string;
}

/** The shape of Fedify's `DocumentLoader`, so its cached loader can be passed as is. */
export type LoadDocument = (url: string) => Promise<LoadedDocument>;

export type KeyOwnershipError =
  /** The body is not a JSON-LD object Fedify could read as one activity. */
  | "activity_invalid"
  | "activity_too_complex"
  | "actor_missing"
  | "actor_invalid"
  /** More than one actor, or the plain and JSON-LD readings name different actors. */
  | "actor_ambiguous"
  | "actor_unavailable"
  /** The actor's own origin answers 410 Gone for it: the actor was deleted. */
  | "actor_gone"
  /** The fetched actor document is not the actor (another id, or not an actor). */
  | "actor_document_mismatch"
  | "key_missing"
  | "key_invalid"
  | "key_origin_mismatch"
  | "key_not_owned";

export type KeyOwnershipFailure = {
  ok: false;
  status: 401;
  error: KeyOwnershipError;
  message: string;
};

export type KeyOwnershipResult = { ok: true; actorId: URL } | KeyOwnershipFailure;

export interface KeyOwnershipOptions {
  /**
   * Loads remote JSON-LD contexts. Defaults to the contexts bundled with
   * Fedify, then `loadDocument`. Pass Fedify's context loader in production.
   */
  contextLoader?: LoadDocument;
  /**
   * Most JSON values (objects, arrays, scalars) in an activity we agree to
   * expand. Default 20,000; real activities have a few hundred.
   */
  maxNodes?: number;
  /**
   * Reads the actor document again bypassing every cache, when the one
   * `loadDocument` gave does not list a claimed key: the actor may have
   * added it since (key-refresh.ts; it throws when it read the document
   * moments ago). Absent: the first reading decides.
   */
  refetchDocument?: LoadDocument;
}

const AS = "https://www.w3.org/ns/activitystreams#";
const SEC = "https://w3id.org/security#";
const ACTOR_TYPES = new Set(["Application", "Group", "Organization", "Person", "Service"]);
const DEFAULT_MAX_NODES = 20_000;

function refuse(error: KeyOwnershipError, message: string): KeyOwnershipFailure {
  return { ok: false, status: 401, error, message };
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Ids referenced by a compact JSON-LD value: strings, or objects' `id`/`@id`.
 * Returns null when an entry has no usable id, which must not be ignored.
 */
function plainIds(value: unknown): string[] | null {
  const ids: string[] = [];
  for (const entry of asArray(value)) {
    if (typeof entry === "string") {
      ids.push(entry);
    } else if (isObject(entry) && typeof (entry.id ?? entry["@id"]) === "string") {
      ids.push((entry.id ?? entry["@id"]) as string);
    } else {
      return null;
    }
  }
  return ids;
}

/** Ids of an expanded JSON-LD property (`[{ "@id": … }, …]`); null if one has none. */
function expandedIds(node: JsonObject, property: string): string[] | null {
  const ids: string[] = [];
  for (const entry of asArray(node[property])) {
    if (!isObject(entry) || typeof entry["@id"] !== "string") return null;
    ids.push(entry["@id"]);
  }
  return ids;
}

/** Whether `root` holds at most `limit` JSON values; stops counting at the limit. */
function hasAtMostNodes(root: unknown, limit: number): boolean {
  const stack: unknown[] = [root];
  let count = 1;
  while (stack.length > 0) {
    const value = stack.pop();
    const children = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
    count += children.length;
    if (count > limit) return false;
    for (const child of children) {
      if (typeof child === "object" && child !== null) stack.push(child);
    }
  }
  return true;
}

function httpUrl(text: string): URL | null {
  if (!URL.canParse(text)) return null;
  const url = new URL(text);
  return url.protocol === "https:" || url.protocol === "http:" ? url : null;
}

function withContextUrl(loader: LoadDocument) {
  return async (url: string) => {
    const { document, documentUrl } = await loader(url);
    return { contextUrl: null, document, documentUrl };
  };
}

interface Readings {
  actors: Set<string>;
  keys: Set<string>;
}

/**
 * A proof whose key we cannot see must not pass. In particular a proof given
 * by reference (a URL) is fetched by Fedify, and once Fedify verifies a proof
 * it skips the HTTP signature, whose key is the one we checked.
 */
function unreadableProof(): KeyOwnershipFailure {
  return refuse(
    "key_invalid",
    "A proof does not name its verificationMethod inline (proofs by reference are not accepted).",
  );
}

/** The actor and key ids as a plain JSON reader (Mastodon, Fedify's LD-signature code) sees them. */
function readPlain(activity: JsonObject): Readings | KeyOwnershipFailure {
  const actors = plainIds(activity.actor);
  if (actors === null) return refuse("actor_invalid", "The activity's actor has no id.");
  const keys: string[] = [];
  for (const signature of asArray(activity.signature)) {
    if (!isObject(signature)) continue;
    for (const field of ["creator", "verificationMethod"]) {
      const ids = plainIds(signature[field]);
      if (ids === null) return refuse("key_invalid", `The LD signature's ${field} has no id.`);
      keys.push(...ids);
    }
  }
  for (const proof of asArray(activity.proof)) {
    const ids = isObject(proof) ? plainIds(proof.verificationMethod) : null;
    if (ids === null || ids.length === 0) return unreadableProof();
    keys.push(...ids);
  }
  return { actors: new Set(actors), keys: new Set(keys) };
}

/** The actor and proof key ids as Fedify's JSON-LD parser sees them. */
async function readExpanded(
  activity: JsonObject,
  contextLoader: LoadDocument,
): Promise<Readings | KeyOwnershipFailure> {
  let expanded: unknown;
  try {
    expanded = await jsonld.expand(activity, {
      documentLoader: withContextUrl(contextLoader),
      // As Fedify's vocabulary parser does, so both see the same nodes.
      keepFreeFloatingNodes: true,
    });
  } catch (error) {
    return refuse(
      "activity_invalid",
      `The activity is not valid JSON-LD or its context could not be loaded: ${String(error)}`,
    );
  }
  if (!Array.isArray(expanded) || expanded.length !== 1 || !isObject(expanded[0])) {
    return refuse("activity_invalid", "The body must describe exactly one JSON-LD node.");
  }
  const node = expanded[0];
  const actors = expandedIds(node, `${AS}actor`);
  if (actors === null) return refuse("actor_invalid", "The activity's actor has no id.");
  const keys: string[] = [];
  for (const entry of asArray(node[`${SEC}proof`])) {
    // Data Integrity declares `proof` as a graph container.
    const proofs = isObject(entry) && "@graph" in entry ? asArray(entry["@graph"]) : [entry];
    for (const proof of proofs) {
      const ids = isObject(proof) ? expandedIds(proof, `${SEC}verificationMethod`) : null;
      if (ids === null || ids.length === 0) return unreadableProof();
      keys.push(...ids);
    }
  }
  return { actors: new Set(actors), keys: new Set(keys) };
}

/**
 * The part of `checkKeyOwnership` that needs no JSON-LD and no fetch: every
 * key the signature headers claim must be on the origin of the activity's
 * plain `actor`. Run before the signature is verified, it refuses a key on
 * another host without fetching that key. Null when this much is fine (or
 * when only the full check can tell: no single plain actor).
 */
export function checkClaimedKeyOrigins(
  activity: unknown,
  claimedKeyIds: URL[],
): KeyOwnershipFailure | null {
  if (!isObject(activity)) return null;
  const actors = plainIds(activity.actor);
  if (actors === null || actors.length !== 1) return null;
  const actorId = httpUrl(actors[0]!);
  if (actorId === null) return null;
  for (const keyId of claimedKeyIds) {
    if (keyId.origin !== actorId.origin) {
      return refuse(
        "key_origin_mismatch",
        `The key ${keyId.href} is not on the actor's origin (${actorId.origin}).`,
      );
    }
  }
  return null;
}

function listedKeyIds(actorDocument: JsonObject): Set<string> {
  const listed = new Set<string>();
  for (const field of ["publicKey", "assertionMethod"]) {
    for (const entry of asArray(actorDocument[field])) {
      const id =
        typeof entry === "string" ? entry : isObject(entry) ? (entry.id ?? entry["@id"]) : null;
      if (typeof id === "string" && URL.canParse(id)) listed.add(new URL(id).href);
    }
  }
  return listed;
}

/**
 * Checks that every key the request claims (`claimedKeyIds` from the HTTP
 * signature headers, plus any LD-signature `creator` and proof
 * `verificationMethod` in the body) belongs to the activity's actor: same
 * origin as the actor id, and listed in the actor document's `publicKey` or
 * `assertionMethod` when fetched from the actor's own URL.
 *
 * Only `loadDocument` (and the context loader) touch the network; the
 * actor document is fetched once whatever the number of keys.
 */
export async function checkKeyOwnership(
  activity: unknown,
  claimedKeyIds: URL[],
  loadDocument: LoadDocument,
  options: KeyOwnershipOptions = {},
): Promise<KeyOwnershipResult> {
  if (!isObject(activity)) return refuse("activity_invalid", "The body is not a JSON object.");
  if (!hasAtMostNodes(activity, options.maxNodes ?? DEFAULT_MAX_NODES)) {
    return refuse("activity_too_complex", "The activity has too many JSON values to check.");
  }

  const plain = readPlain(activity);
  if ("ok" in plain) return plain;
  const contextLoader =
    options.contextLoader ??
    (async (url: string) =>
      url in preloadedContexts
        ? { document: preloadedContexts[url], documentUrl: url }
        : await loadDocument(url));
  const expanded = await readExpanded(activity, contextLoader);
  if ("ok" in expanded) return expanded;

  const actorIds = new Set([...plain.actors, ...expanded.actors]);
  if (actorIds.size === 0) return refuse("actor_missing", "The activity names no actor.");
  if (actorIds.size > 1) {
    return refuse(
      "actor_ambiguous",
      "The activity names more than one actor (possibly through its JSON-LD context).",
    );
  }
  const actorId = httpUrl([...actorIds][0]!);
  if (actorId === null)
    return refuse("actor_invalid", "The activity's actor is not an http(s) URL.");

  const keyTexts = new Set([
    ...claimedKeyIds.map((url) => url.href),
    ...plain.keys,
    ...expanded.keys,
  ]);
  if (keyTexts.size === 0) return refuse("key_missing", "The request claims no signing key.");
  const keyIds: URL[] = [];
  for (const text of keyTexts) {
    const keyId = httpUrl(text);
    if (keyId === null) return refuse("key_invalid", `The key id ${text} is not an http(s) URL.`);
    // Checked before any fetch: a key on another host is refused for free.
    if (keyId.origin !== actorId.origin) {
      return refuse(
        "key_origin_mismatch",
        `The key ${keyId.href} is not on the actor's origin (${actorId.origin}).`,
      );
    }
    keyIds.push(keyId);
  }

  // Never trust an embedded actor: fetch the document its own origin serves.
  const documentUrl = new URL(actorId);
  documentUrl.hash = "";
  const read = await readActor(loadDocument, documentUrl, actorId);
  if (!read.ok) return read;
  let listed = listedKeyIds(read.actor);
  if (options.refetchDocument && keyIds.some((keyId) => !listed.has(keyId.href))) {
    // The cached document may predate a key the actor added since.
    const fresh = await readActor(options.refetchDocument, documentUrl, actorId);
    if (fresh.ok) listed = listedKeyIds(fresh.actor);
    else if (fresh.error === "actor_gone") return fresh;
  }
  for (const keyId of keyIds) {
    if (!listed.has(keyId.href)) {
      return refuse(
        "key_not_owned",
        `The actor ${actorId.href} does not list the key ${keyId.href} among its keys.`,
      );
    }
  }
  return { ok: true, actorId };
}

/** The actor document its own origin serves for `actorId`, or why it cannot vouch for keys. */
async function readActor(
  load: LoadDocument,
  documentUrl: URL,
  actorId: URL,
): Promise<{ ok: true; actor: JsonObject } | KeyOwnershipFailure> {
  let loaded: LoadedDocument;
  try {
    loaded = await load(documentUrl.href);
  } catch (error) {
    if (isGone(error)) {
      return refuse("actor_gone", `The actor ${actorId.href} is gone (its server answers 410).`);
    }
    return refuse(
      "actor_unavailable",
      `The actor ${actorId.href} could not be fetched: ${String(error)}`,
    );
  }
  const servedFrom = URL.canParse(loaded.documentUrl) ? new URL(loaded.documentUrl) : null;
  if (servedFrom?.origin !== actorId.origin) {
    return refuse(
      "key_not_owned",
      `The actor ${actorId.href} redirected to another origin, which cannot vouch for its keys.`,
    );
  }
  const actor = loaded.document;
  const servedId = isObject(actor) ? (actor.id ?? actor["@id"]) : undefined;
  if (
    !isObject(actor) ||
    typeof servedId !== "string" ||
    !URL.canParse(servedId) ||
    new URL(servedId).href !== actorId.href
  ) {
    return refuse(
      "actor_document_mismatch",
      `The document served for ${actorId.href} is not that actor.`,
    );
  }
  const types = asArray(actor.type ?? actor["@type"]);
  if (!types.some((type) => typeof type === "string" && ACTOR_TYPES.has(type))) {
    return refuse("actor_document_mismatch", `${actorId.href} is not an actor.`);
  }
  return { ok: true, actor };
}
