import type { InboxContext } from "@fedify/fedify";
import { type Announce, Create, type Delete, type Undo, Update } from "@fedify/vocab";
import { FetchError } from "@fedify/vocab-runtime";
import { getLogger } from "@logtape/logtape";
import { findActorLinks } from "../../src/db/incidents.repo.ts";
import {
  addIncidentTag,
  addRemoteShare,
  deleteRemoteProposal,
  removeRemoteShare,
  storeRemoteProposal,
} from "../../src/db/remote-proposals.repo.ts";
import { readActorLabel } from "../../src/domain/actor-label.ts";
import { newId } from "../../src/domain/ids.ts";
import type { RemoteProposal } from "../../src/domain/remote-proposal.ts";
import type { FederationDeps } from "../federation.ts";
import {
  parseRemoteObject,
  parseSharedDocument,
  type RemoteObjectReading,
} from "../remote-proposal.ts";
import { DisallowedUrlError } from "../security/outbound/address-policy.ts";
import { keptIncidentTag, reshareIfOwner } from "./incidents.ts";

const logger = getLogger(["bayanihan", "federation", "inbox", "proposals"]);

/**
 * Needs and offers from allied groups (FEDERATION.md, "Activities received").
 *
 * - Create/Update count only from an actor one of our groups follows
 *   (accepted), for an object on the actor's own origin and attributed to it.
 * - The object is always fetched from its id, never taken from the activity:
 *   signed as a group that follows the actor (followers-only objects need it)
 *   and never from the document cache, so an Update reads the new version.
 * - Only public objects are kept: the network feed is public.
 * - An edit applies only when the fetched `updated` is newer than ours.
 * - Delete: only the stored author may delete, from the object's own origin.
 * - Announce from a followed actor: the object is fetched from its origin and
 *   must be attributed to an actor there; one row per object, one share per
 *   sharer. An Announce of a whole Create or Update (FEP-1b12, Lemmy), embedded
 *   or by id, shares the inner object.
 *
 * Malformed or unauthorised input is dropped with a debug line; only
 * failures worth retrying (the remote server unreachable or failing, our
 * database) are thrown, so the queue retries them.
 */

function drop(kind: string, id: URL | null, why: string): void {
  logger.debug("Dropped {kind} {id}: {why}", { kind, id: id?.href ?? "(no id)", why });
}

/** Fetch failures that retrying cannot fix: the remote server answered, and the answer is no. */
function isPermanentFetchFailure(error: FetchError): boolean {
  if (error instanceof DisallowedUrlError) return error.reason !== "lookup-failed";
  const status = error.response?.status;
  if (status !== undefined)
    return status >= 400 && status < 500 && status !== 408 && status !== 429;
  // Our bounded loader's refusals of what a server sent (security/outbound/document-loader.ts).
  return /^(Document too large|Unacceptable content type|Response is not|Invalid URL|More than \d+ redirects|HTTP \d+ without Location)/.test(
    error.message,
  );
}

/**
 * Fetches the document at `url`, signed as our group `handle`. Null (after a
 * debug line) when its server is refused or the answer is a final no.
 * Throws when a retry may help.
 */
async function fetchDocument(
  ctx: InboxContext<void>,
  kind: string,
  url: URL,
  handle: string,
  deps: FederationDeps,
): Promise<{ document: unknown } | null> {
  // The inbox screen judged the sender; a shared object may live elsewhere.
  if (!(await deps.isAllowed(url))) {
    drop(kind, url, "its server is refused by the federation policy");
    return null;
  }
  const loader = await ctx.getDocumentLoader({ identifier: handle });
  try {
    const { document } = await loader(url.href);
    return { document };
  } catch (error) {
    if (error instanceof FetchError && isPermanentFetchFailure(error)) {
      drop(kind, url, `the document could not be fetched: ${error.message}`);
      return null;
    }
    throw error;
  }
}

/**
 * The object an object reading holds, when it is the one asked for: null
 * (after a debug line) when it is unreadable, not public, or its document
 * claims another id.
 */
function readObject(
  kind: string,
  objectId: URL,
  reading: RemoteObjectReading,
): RemoteProposal | null {
  if (!reading.ok) {
    drop(kind, objectId, `unreadable object: ${reading.reason}`);
    return null;
  }
  if (reading.proposal.objectId !== objectId.href) {
    drop(kind, objectId, `the document at this id says it is ${reading.proposal.objectId}`);
    return null;
  }
  if (!reading.isPublic) {
    drop(kind, objectId, "not public (the network feed is public)");
    return null;
  }
  return reading.proposal;
}

/**
 * Fetches and reads the object at `objectId`, signed as our group `handle`.
 * Null (after a debug line) when it is gone, unreadable, not public, or its
 * document claims another id. Throws when a retry may help.
 */
async function fetchRemoteObject(
  ctx: InboxContext<void>,
  kind: string,
  objectId: URL,
  handle: string,
  deps: FederationDeps,
): Promise<RemoteProposal | null> {
  const fetched = await fetchDocument(ctx, kind, objectId, handle, deps);
  if (fetched === null) return null;
  const reading = await parseRemoteObject(fetched.document, {
    contextLoader: ctx.contextLoader,
    now: deps.clock(),
  });
  return readObject(kind, objectId, reading);
}

/**
 * Which of our groups receives an actor's objects: one that follows it, or
 * else one an incident links to it (then only tagged objects count).
 */
async function linksOf(
  deps: FederationDeps,
  actorId: string,
): Promise<{
  followedBy: string | null;
  link: { handle: string; incidents: ReadonlySet<string> } | null;
}> {
  const links = await findActorLinks(deps.db, actorId);
  if (links.followedBy !== null) return { followedBy: links.followedBy, link: null };
  const first = links.incidents[0];
  if (first === undefined) return { followedBy: null, link: null };
  return {
    followedBy: null,
    link: {
      handle: first.handle,
      incidents: new Set(links.incidents.map((l) => l.incidentObjectId)),
    },
  };
}

/**
 * How the author names itself, for pages and exports. Its actor document is
 * in the document cache already (the inbox screen read it to check the
 * signing key); a failure only leaves the name unknown.
 */
async function authorLabel(
  deps: FederationDeps,
  authorId: string,
): Promise<{ originActorName: string | null; originActorHandle: string | null }> {
  try {
    // The cached loader: a group inbox's context signs its fetches and
    // bypasses the cache, and an actor document is public anyway.
    const { document } = await deps.documentLoaderFactory({})(authorId);
    const label = readActorLabel(document, new URL(authorId));
    return { originActorName: label.name, originActorHandle: label.handle };
  } catch (error) {
    logger.debug("Could not read the name of {actor}: {error}", { actor: authorId, error });
    return { originActorName: null, originActorHandle: null };
  }
}

async function receive(
  ctx: InboxContext<void>,
  kind: "Create" | "Update",
  activity: Create | Update,
  deps: FederationDeps,
): Promise<void> {
  const { actorId, objectId } = activity;
  if (actorId === null || objectId === null) return drop(kind, activity.id, "no actor or object");
  if (objectId.origin !== actorId.origin) {
    return drop(kind, activity.id, `object ${objectId.href} is not on ${actorId.origin}`);
  }
  // Followed actors' objects are received; so are the tagged needs of an
  // actor an incident links to one of our groups (owner or participant).
  const { followedBy, link } = await linksOf(deps, actorId.href);
  const handle = followedBy ?? link?.handle ?? null;
  if (handle === null) {
    return drop(kind, activity.id, `no group here follows ${actorId.href}`);
  }
  const fetched = await fetchRemoteObject(ctx, kind, objectId, handle, deps);
  if (fetched === null) return;
  if (fetched.originActorId !== actorId.href) {
    return drop(kind, activity.id, `object is attributed to ${fetched.originActorId}`);
  }
  if (link !== null && !link.incidents.has(fetched.incident ?? "")) {
    return drop(kind, activity.id, "not followed, and not tagged with an incident linking us");
  }
  const tag = await keptIncidentTag(ctx, deps, fetched, { handle, announcedBy: null });
  const proposal = {
    ...fetched,
    incident: tag,
    ...(await authorLabel(deps, fetched.originActorId)),
  };
  const stored = await storeRemoteProposal(deps.db, proposal, newId(), deps.clock());
  const tagged =
    stored?.outcome === "unchanged" && tag !== null
      ? await addIncidentTag(deps.db, proposal.objectId, proposal.originActorId, tag)
      : false;
  if (stored !== null && (stored.outcome !== "unchanged" || tagged)) {
    await reshareIfOwner(ctx, deps, proposal, tag);
  }
  logger.debug("{kind} {objectId} from {actor}: {outcome}", {
    kind,
    objectId: objectId.href,
    actor: actorId.href,
    outcome: stored?.outcome ?? "refused (another author holds this id)",
  });
}

export async function onCreated(
  ctx: InboxContext<void>,
  create: Create,
  deps: FederationDeps,
): Promise<void> {
  await receive(ctx, "Create", create, deps);
}

/** Same rules as Create; the stored copy changes only if the fetched `updated` is newer. */
export async function onUpdated(
  ctx: InboxContext<void>,
  update: Update,
  deps: FederationDeps,
): Promise<void> {
  await receive(ctx, "Update", update, deps);
}

export async function onDeleted(
  _ctx: InboxContext<void>,
  del: Delete,
  deps: FederationDeps,
): Promise<void> {
  const { actorId, objectId } = del;
  if (actorId === null || objectId === null) return drop("Delete", del.id, "no actor or object");
  if (objectId.origin !== actorId.origin) {
    return drop("Delete", del.id, `object ${objectId.href} is not on ${actorId.origin}`);
  }
  // The author check is in the query: another actor's Delete matches no row.
  const deleted = await deleteRemoteProposal(deps.db, objectId.href, actorId.href);
  if (!deleted) drop("Delete", del.id, "no object of this actor with that id");
}

/** A document loader for reading only what an activity embeds: it never fetches. */
const embeddedOnly = async (url: string): Promise<never> => {
  throw new Error(`not embedded: ${url}`);
};

/**
 * What an Announce shares. Groups on Lemmy-like software (FEP-1b12) announce
 * the whole activity, `Announce(Create(Note))` or `Announce(Update(Note))`:
 * then it is the inner object's id. Only that id is read from the embedded
 * activity, never its content nor its claimed author; the object is then
 * fetched from its origin like any other share. An object given by id may
 * still turn out to be such an activity once fetched (`byReference`). Null
 * when the Announce wraps an activity without an object.
 */
async function announcedObject(
  announce: Announce,
): Promise<{ readonly id: URL | null; readonly byReference: boolean }> {
  let embedded: unknown;
  try {
    // "trust" only lets us look at the embedded activity's type and object
    // id without fetching it; nothing else of it is used.
    embedded = await announce.getObject({ crossOrigin: "trust", documentLoader: embeddedOnly });
  } catch {
    // The object is a reference (or unreadable): it is the shared object.
    return { id: announce.objectId, byReference: true };
  }
  if (embedded instanceof Create || embedded instanceof Update) {
    return { id: embedded.objectId, byReference: false };
  }
  return { id: announce.objectId, byReference: false };
}

/**
 * The object an Announce names by id. FEP-1b12 groups may name a Create or
 * Update by its id instead of embedding it: then the activity, fetched from
 * its origin and claiming that id, only says which object it is about and
 * who made it. Both must be on the activity's origin; the object is fetched
 * from there like any other share (whatever the activity embeds is not
 * read) and must be attributed to the activity's actor. One level only: an
 * activity that names another activity is refused when that is read as an
 * object, so nothing is followed further.
 */
async function fetchSharedObject(
  ctx: InboxContext<void>,
  url: URL,
  handle: string,
  deps: FederationDeps,
): Promise<RemoteProposal | null> {
  const fetched = await fetchDocument(ctx, "Announce", url, handle, deps);
  if (fetched === null) return null;
  const reading = await parseSharedDocument(fetched.document, {
    contextLoader: ctx.contextLoader,
    now: deps.clock(),
  });
  if ("object" in reading) return readObject("Announce", url, reading.object);
  const { activity } = reading;
  const refuse = (why: string) => {
    drop("Announce", url, `announced ${activity.type}: ${why}`);
    return null;
  };
  if (activity.id !== url.href) return refuse(`the document at this id says it is ${activity.id}`);
  if (activity.actorId === null || activity.objectId === null) {
    return refuse("not one actor and one object");
  }
  const actorId = new URL(activity.actorId);
  const objectId = new URL(activity.objectId);
  if (actorId.origin !== url.origin) return refuse(`its actor is not on ${url.origin}`);
  if (objectId.origin !== url.origin) return refuse(`its object is not on ${url.origin}`);
  const object = await fetchRemoteObject(ctx, "Announce", objectId, handle, deps);
  if (object === null) return null;
  if (object.originActorId !== actorId.href) {
    return refuse(`the object is attributed to ${object.originActorId}, not to its actor`);
  }
  return object;
}

export async function onAnnounced(
  ctx: InboxContext<void>,
  announce: Announce,
  deps: FederationDeps,
): Promise<void> {
  const { actorId: sharer, id } = announce;
  const announced = await announcedObject(announce);
  const objectId = announced.id;
  if (id === null || sharer === null || objectId === null) {
    return drop("Announce", id, "no id, actor or object");
  }
  if (objectId.origin === ctx.canonicalOrigin) {
    return drop("Announce", id, "shares one of our own objects");
  }
  // A followed sharer, or the owner of an incident one of our groups joined
  // re-sharing a participant's tagged need.
  const { followedBy, link } = await linksOf(deps, sharer.href);
  const handle = followedBy ?? link?.handle ?? null;
  if (handle === null) return drop("Announce", id, `no group here follows ${sharer.href}`);
  // Whatever the Announce embeds is ignored: the object comes from its origin.
  const fetched = announced.byReference
    ? await fetchSharedObject(ctx, objectId, handle, deps)
    : await fetchRemoteObject(ctx, "Announce", objectId, handle, deps);
  if (fetched === null) return;
  if (new URL(fetched.originActorId).origin !== new URL(fetched.objectId).origin) {
    return drop("Announce", id, `object is attributed to ${fetched.originActorId}, elsewhere`);
  }
  if (link !== null && !link.incidents.has(fetched.incident ?? "")) {
    return drop("Announce", id, "not followed, and not tagged with an incident linking us");
  }
  const tag = await keptIncidentTag(ctx, deps, fetched, { handle, announcedBy: sharer.href });
  const proposal = {
    ...fetched,
    incident: tag,
    ...(await authorLabel(deps, fetched.originActorId)),
  };
  const now = deps.clock();
  const stored = await storeRemoteProposal(deps.db, proposal, newId(), now);
  if (stored === null) return drop("Announce", id, "another author holds this object id");
  if (stored.outcome === "unchanged" && tag !== null) {
    await addIncidentTag(deps.db, proposal.objectId, proposal.originActorId, tag);
  }
  // An author boosting its own object refreshes it; it is not a share. An
  // incident owner's re-share is not one of the network feed's shares.
  if (sharer.href === proposal.originActorId || link !== null) return;
  await addRemoteShare(
    deps.db,
    { remoteProposalId: stored.id, sharerActorId: sharer.href, announceId: id.href },
    now,
  );
}

/** Undo(Announce), by the sharer only, matched by the Announce id. */
export async function onUnannounced(undo: Undo, deps: FederationDeps): Promise<void> {
  if (undo.actorId === null || undo.objectId === null) return;
  await removeRemoteShare(deps.db, undo.actorId.href, undo.objectId.href);
}
