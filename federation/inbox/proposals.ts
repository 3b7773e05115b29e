import type { InboxContext } from "@fedify/fedify";
import { type Announce, Create, Delete, type Undo, Update } from "@fedify/vocab";
import { getLogger } from "@logtape/logtape";
import { findActorLinks } from "../../src/db/incidents.repo.ts";
import { recordRelayed, wasRelayed } from "../../src/db/relayed-changes.repo.ts";
import {
  addRemoteShare,
  deleteRemoteProposal,
  removeRemoteShare,
} from "../../src/db/remote-proposals.repo.ts";
import { findRemoteObjectOrigin } from "../../src/db/shares.repo.ts";
import type { RemoteProposal } from "../../src/domain/remote-proposal.ts";
import { type ObjectChange, relayToSharersFollowers } from "../change-relay.ts";
import type { FederationDeps } from "../federation.ts";
import { parseSharedDocument } from "../remote-proposal.ts";
import {
  drop,
  fetchDocument,
  fetchRemoteObject,
  forgetGone,
  GONE,
  readObject,
  rememberDeletion,
  storeFetched,
  wasDeletedRemotely,
} from "./received-objects.ts";

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
 * Passes a change on to the followers of our groups that re-shared its
 * object, once per activity id, and remembers it. The record is written
 * after the Announces are queued: a crash in between sends them again,
 * under the same ids, rather than never.
 */
async function relayOnce(
  ctx: InboxContext<void>,
  deps: FederationDeps,
  change: ObjectChange,
): Promise<void> {
  if (await wasRelayed(deps.db, change.activityId.href)) return;
  const groups = await relayToSharersFollowers(ctx, deps, change);
  await recordRelayed(
    deps.db,
    { activityId: change.activityId.href, objectId: change.objectId.href },
    deps.clock(),
  );
  if (groups > 0) {
    logger.debug("Relayed {type} {activity} to the followers of {groups} group(s)", {
      type: change.type,
      activity: change.activityId.href,
      groups,
    });
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
  // A Create or Update delayed past the Delete: the object stays deleted.
  if (await wasDeletedRemotely(deps, objectId.href)) {
    return drop(kind, activity.id, `${objectId.href} was deleted by its origin`);
  }
  const fetched = await fetchRemoteObject(ctx, kind, objectId, handle, deps);
  if (fetched === GONE) return forgetGone(deps, kind, objectId);
  if (fetched === null) return;
  if (fetched.originActorId !== actorId.href) {
    return drop(kind, activity.id, `object is attributed to ${fetched.originActorId}`);
  }
  if (link !== null && !link.incidents.has(fetched.incident ?? "")) {
    return drop(kind, activity.id, "not followed, and not tagged with an incident linking us");
  }
  const stored = await storeFetched(ctx, deps, fetched, {
    handle,
    announcedBy: null,
    source: "inbox",
  });
  if (kind === "Update" && stored !== null && activity.id !== null) {
    await relayOnce(ctx, deps, { type: "Update", activityId: activity.id, actorId, objectId });
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

/**
 * Same rules as Create; the stored copy changes only if the fetched `updated`
 * is newer. The change is then passed on to whoever saw the object through
 * one of our shares.
 */
export async function onUpdated(
  ctx: InboxContext<void>,
  update: Update,
  deps: FederationDeps,
): Promise<void> {
  await receive(ctx, "Update", update, deps);
}

export async function onDeleted(
  ctx: InboxContext<void>,
  del: Delete,
  deps: FederationDeps,
): Promise<void> {
  const { actorId, objectId } = del;
  if (actorId === null || objectId === null) return drop("Delete", del.id, "no actor or object");
  if (objectId.origin !== actorId.origin) {
    return drop("Delete", del.id, `object ${objectId.href} is not on ${actorId.origin}`);
  }
  // Remembered even without a copy here: a Create arriving after it must not
  // bring the object back (only the object's own origin can delete it).
  await rememberDeletion(deps, objectId);
  // The author check is in the query: another actor's Delete matches no row.
  const deleted = await deleteRemoteProposal(deps.db, objectId.href, actorId.href);
  if (!deleted) drop("Delete", del.id, "no object of this actor with that id");
  // Passed on even without a copy here (a relayed Delete may have removed it
  // first): each receiver asks the origin before removing anything.
  if (del.id !== null && del.id.origin === objectId.origin) {
    await relayOnce(ctx, deps, { type: "Delete", activityId: del.id, actorId, objectId });
  }
}

/** A document loader for reading only what an activity embeds: it never fetches. */
const embeddedOnly = async (url: string): Promise<never> => {
  throw new Error(`not embedded: ${url}`);
};

/**
 * What an Announce shares. Groups on Lemmy-like software (FEP-1b12) announce
 * the whole activity, `Announce(Create(Note))` or `Announce(Update(Note))`:
 * then it is the inner object's id. Only the embedded activity's type, id,
 * actor and object id are read, never its content: the object is then
 * fetched from its origin like any other share. An embedded `Update` or
 * `Delete` is a change passed on by a group that re-shared the object
 * (`change`). An object given by id may still turn out to be such an
 * activity once fetched (`byReference`).
 */
async function announcedObject(announce: Announce): Promise<{
  readonly id: URL | null;
  readonly byReference: boolean;
  readonly change: {
    readonly type: "Update" | "Delete";
    readonly activityId: URL | null;
    readonly actorId: URL | null;
  } | null;
}> {
  let embedded: unknown;
  try {
    // "trust" only lets us look at the embedded activity's type and object
    // id without fetching it; nothing else of it is used.
    embedded = await announce.getObject({ crossOrigin: "trust", documentLoader: embeddedOnly });
  } catch {
    // The object is a reference (or unreadable): it is the shared object.
    return { id: announce.objectId, byReference: true, change: null };
  }
  if (embedded instanceof Update || embedded instanceof Delete) {
    return {
      id: embedded.objectId,
      byReference: false,
      change: {
        type: embedded instanceof Update ? "Update" : "Delete",
        activityId: embedded.id,
        actorId: embedded.actorId,
      },
    };
  }
  if (embedded instanceof Create) {
    return { id: embedded.objectId, byReference: false, change: null };
  }
  return { id: announce.objectId, byReference: false, change: null };
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
): Promise<RemoteProposal | typeof GONE | null> {
  const fetched = await fetchDocument(ctx, "Announce", url, handle, deps);
  if (fetched === null || fetched === GONE) return fetched;
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
  if (object === null || object === GONE) return object;
  if (object.originActorId !== actorId.href) {
    return refuse(`the object is attributed to ${object.originActorId}, not to its actor`);
  }
  return object;
}

/**
 * A change relayed by a group that re-shared the object (FEDERATION.md,
 * "Changes travel as far as the need did"). Nothing of the relayed activity
 * is believed but which object it is about: the origin is asked. If the
 * object is gone there, our copy goes; if it is still there, a relayed
 * Update stores whatever it now says, and a relayed Delete the origin does
 * not confirm deletes nothing and goes no further. Either way the change is passed on to our sharers' followers,
 * once per activity id; a change seen before is dropped, which ends loops.
 */
async function onRelayedChange(
  ctx: InboxContext<void>,
  deps: FederationDeps,
  announce: { id: URL; sharer: URL; objectId: URL; handle: string },
  change: { type: "Update" | "Delete"; activityId: URL | null; actorId: URL | null },
): Promise<void> {
  const { id, objectId, handle } = announce;
  const { activityId, actorId } = change;
  if (activityId === null || actorId === null) {
    return drop("Announce", id, `relayed ${change.type} without an id or actor`);
  }
  if (actorId.origin !== objectId.origin || activityId.origin !== objectId.origin) {
    return drop("Announce", id, `relayed ${change.type} is not from ${objectId.origin}`);
  }
  if (await wasRelayed(deps.db, activityId.href)) {
    return drop("Announce", id, `relayed ${change.type} ${activityId.href} was applied already`);
  }
  const fetched = await fetchRemoteObject(ctx, "Announce", objectId, handle, deps);
  if (fetched === null) return;
  if (fetched === GONE) {
    await forgetGone(deps, "Announce", objectId);
  } else if (change.type === "Delete") {
    // The origin still serves it: the origin wins, the Delete goes no further.
    return drop("Announce", id, "relayed Delete of an object its origin still serves");
  } else {
    if (fetched.originActorId !== actorId.href) {
      return drop("Announce", id, `object is attributed to ${fetched.originActorId}`);
    }
    const stored = await storeFetched(ctx, deps, fetched, {
      handle,
      announcedBy: announce.sharer.href,
      source: "inbox",
    });
    if (stored === null) return drop("Announce", id, "another author holds this object id");
  }
  await relayOnce(ctx, deps, { type: change.type, activityId, actorId, objectId });
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
  // A relayed change of an object we already hold refreshes it; one of an
  // object we never had is read as a share of it (Lemmy's Announce(Update)).
  if (
    announced.change !== null &&
    (announced.change.type === "Delete" ||
      (await findRemoteObjectOrigin(deps.db, objectId.href)) !== null)
  ) {
    return onRelayedChange(ctx, deps, { id, sharer, objectId, handle }, announced.change);
  }
  // Whatever the Announce embeds is ignored: the object comes from its origin.
  const fetched = announced.byReference
    ? await fetchSharedObject(ctx, objectId, handle, deps)
    : await fetchRemoteObject(ctx, "Announce", objectId, handle, deps);
  if (fetched === GONE) return forgetGone(deps, "Announce", objectId);
  if (fetched === null) return;
  if (new URL(fetched.originActorId).origin !== new URL(fetched.objectId).origin) {
    return drop("Announce", id, `object is attributed to ${fetched.originActorId}, elsewhere`);
  }
  if (link !== null && !link.incidents.has(fetched.incident ?? "")) {
    return drop("Announce", id, "not followed, and not tagged with an incident linking us");
  }
  const stored = await storeFetched(ctx, deps, fetched, {
    handle,
    announcedBy: sharer.href,
    source: "inbox",
  });
  if (stored === null) return drop("Announce", id, "another author holds this object id");
  // An author boosting its own object refreshes it; it is not a share. An
  // incident owner's re-share is not one of the network feed's shares.
  if (sharer.href === fetched.originActorId || link !== null) return;
  await addRemoteShare(
    deps.db,
    { remoteProposalId: stored.id, sharerActorId: sharer.href, announceId: id.href },
    deps.clock(),
  );
}

/** Undo(Announce), by the sharer only, matched by the Announce id. */
export async function onUnannounced(undo: Undo, deps: FederationDeps): Promise<void> {
  if (undo.actorId === null || undo.objectId === null) return;
  await removeRemoteShare(deps.db, undo.actorId.href, undo.objectId.href);
}
