import type { Context, InboxContext } from "@fedify/fedify";
import {
  Accept,
  Group as GroupActor,
  isActor,
  type Join,
  Reject,
  type Update,
} from "@fedify/vocab";
import { FetchError } from "@fedify/vocab-runtime";
import { getLogger } from "@logtape/logtape";
import { findGroupById } from "../../src/db/groups.repo.ts";
import {
  answerJoin,
  findIncident,
  findIncidentByObjectId,
  findIncidentLinks,
  findParticipant,
  listParticipants,
  replaceRemoteParticipants,
  type StoredIncident,
  storeIncidentCopy,
  upsertParticipant,
} from "../../src/db/incidents.repo.ts";
import { findHeldIncidentTag } from "../../src/db/remote-proposals.repo.ts";
import { incidentTagRefusal } from "../../src/domain/incident.ts";
import type { RemoteProposal } from "../../src/domain/remote-proposal.ts";
import type { FederationDeps } from "../federation.ts";
import { parseIncidentObject } from "../incident-object.ts";
import { reshareToParticipants } from "../incident-reshare.ts";
import { backfillIncident, readCollectionIds } from "./backfill.ts";
import { fetchDocument, GONE } from "./received-objects.ts";

const logger = getLogger(["bayanihan", "federation", "inbox", "incidents"]);

/**
 * Incidents (FEDERATION.md, "Incidents"): Joins of our incidents and the
 * owners' answers to ours, Updates of incidents we hold a copy of, and the
 * rules for tagged needs — whose tag is kept, and which actors' tagged needs
 * are received although no group here follows them.
 */

function drop(kind: string, id: URL | null, why: string): void {
  logger.debug("Dropped {kind} {id}: {why}", { kind, id: id?.href ?? "(no id)", why });
}

/**
 * A group joins one of our incidents. Accepted at once when the incident
 * is open and the joiner is a group whose server the policy allows;
 * otherwise nothing is stored, and a closed incident or a non-group actor
 * gets a Reject.
 */
export async function onJoined(
  ctx: InboxContext<void>,
  join: Join,
  deps: FederationDeps,
): Promise<void> {
  if (join.id === null || join.actorId === null || join.objectId === null) {
    return drop("Join", join.id, "no id, actor or object");
  }
  const incidentId = deps.urls.incidentIdOf(join.objectId);
  const incident = incidentId === null ? null : await findIncident(deps.db, incidentId);
  if (incident === null || incident.groupId === null) {
    return drop("Join", join.id, "not one of our incidents");
  }
  const group = await findGroupById(deps.db, incident.groupId);
  if (group === null) return drop("Join", join.id, "the incident's group is gone");
  // The inbox screen refused blocked senders already; the check stays here
  // so a policy change while the activity waited in the queue still counts.
  if (!(await deps.isAllowed(join.actorId))) {
    return drop("Join", join.id, "the joiner's server is refused by the federation policy");
  }
  let actor: Awaited<ReturnType<Join["getActor"]>>;
  try {
    actor = await join.getActor(ctx);
  } catch (error) {
    if (error instanceof FetchError) throw error;
    return drop("Join", join.id, `unreadable actor: ${String(error)}`);
  }
  if (!isActor(actor) || actor.id?.href !== join.actorId.href || actor.inboxId === null) {
    return drop("Join", join.id, "the actor document does not match");
  }
  const sharedInbox = actor.endpoints?.sharedInbox ?? null;
  for (const inbox of [actor.inboxId, sharedInbox]) {
    if (inbox !== null && !(await deps.isDeliverable(inbox))) {
      return drop("Join", join.id, `inbox ${inbox.href} is not a public address`);
    }
  }
  const owner = deps.urls.group(group.handle);
  const recipient = { id: actor.id, inboxId: actor.inboxId };
  const answerId = `${owner.href}#incident-joins/${incident.id}/${encodeURIComponent(join.id.href)}`;
  if (incident.status !== "open" || !(actor instanceof GroupActor)) {
    await ctx.sendActivity(
      { identifier: group.handle },
      recipient,
      new Reject({
        id: new URL(`${answerId}/reject`),
        actor: owner,
        object: join.id,
        to: actor.id,
      }),
    );
    return drop("Join", join.id, incident.status !== "open" ? "closed incident" : "not a group");
  }
  await upsertParticipant(
    deps.db,
    {
      incidentId: incident.id,
      actorId: actor.id.href,
      groupId: null,
      inboxUrl: actor.inboxId.href,
      sharedInboxUrl: sharedInbox?.href ?? null,
      state: "accepted",
      joinActivityId: join.id.href,
    },
    deps.clock(),
  );
  await ctx.sendActivity(
    { identifier: group.handle },
    recipient,
    new Accept({ id: new URL(`${answerId}/accept`), actor: owner, object: join.id, to: actor.id }),
  );
  logger.info("{actor} joined incident {incident}", {
    actor: actor.id.href,
    incident: incident.objectId,
  });
}

/**
 * The owner's Accept or Reject of one of our Joins, matched by the Join id
 * and the owner. True when it was one (whatever happened to it).
 */
export async function onJoinAnswered(
  ctx: InboxContext<void>,
  answer: Accept | Reject,
  deps: FederationDeps,
): Promise<boolean> {
  if (answer.objectId === null || answer.actorId === null) return false;
  const accepted = answer instanceof Accept;
  const matched = await answerJoin(
    deps.db,
    answer.objectId.href,
    answer.actorId.href,
    accepted,
    deps.clock(),
  );
  if (matched === null) return false;
  if (accepted) {
    const links = await findIncidentLinks(deps.db, answer.actorId.href);
    for (const link of links) {
      const incident = await findIncidentByObjectId(deps.db, link.incidentObjectId);
      if (incident !== null && incident.groupId === null) {
        await refreshParticipants(ctx, deps, incident, link.handle);
        if (incident.id === matched.incidentId) {
          await backfillJoinedIncident(ctx, deps, incident, link.handle);
        }
      }
    }
  }
  return true;
}

/**
 * What was tagged before our group joined: the incident's current document
 * (read again from its origin, for its `taggedItems` collection) and the
 * needs and offers that collection lists. A document that cannot be read
 * leaves the board to fill as needs change; an unreachable server throws,
 * so the Accept is retried.
 */
async function backfillJoinedIncident(
  ctx: Context<void>,
  deps: FederationDeps,
  incident: StoredIncident,
  handle: string,
): Promise<void> {
  const fetched = await fetchDocument(ctx, "Accept", new URL(incident.objectId), handle, deps);
  if (fetched === null || fetched === GONE) return;
  const reading = await parseIncidentObject(fetched.document, ctx.contextLoader);
  if (!reading.ok || reading.incident.objectId !== incident.objectId) {
    return drop("Accept", new URL(incident.objectId), "the incident could not be read again");
  }
  await backfillIncident(
    ctx,
    deps,
    {
      objectId: incident.objectId,
      ownerActorId: incident.ownerActorId,
      taggedItemsUrl: reading.incident.taggedItemsUrl,
    },
    handle,
    async (actorId) => (await findParticipant(deps.db, incident.id, actorId))?.state === "accepted",
  );
}

/**
 * Reads the owner's participants collection into our copy, so tagged needs
 * from participants we do not follow are recognised: page by page within
 * the back-fill's bounds (backfill.ts), every page on the incident's origin.
 * A collection read in part still replaces the list (as far as it went); a
 * failure or a document that is no collection leaves it as it was (logged):
 * the next tagged need tries again.
 */
export async function refreshParticipants(
  ctx: Context<void>,
  deps: FederationDeps,
  incident: StoredIncident,
  handle: string,
): Promise<void> {
  const url = incident.participantsUrl;
  if (url === null || new URL(url).origin !== new URL(incident.objectId).origin) return;
  let read: Awaited<ReturnType<typeof readCollectionIds>>;
  try {
    read = await readCollectionIds(ctx, deps, new URL(url), { handle });
  } catch (error) {
    logger.info("Could not read the participants of {incident}: {error}", {
      incident: incident.objectId,
      error,
    });
    return;
  }
  if (read.pages === 0) {
    logger.info("The participants of {incident} could not be read: {why}", {
      incident: incident.objectId,
      why: read.stoppedBecause,
    });
    return;
  }
  if (!read.complete) {
    logger.info("Read the participants of {incident} in part: {why}", {
      incident: incident.objectId,
      why: read.stoppedBecause,
    });
  }
  await replaceRemoteParticipants(
    deps.db,
    incident.id,
    read.ids.map((id) => id.href),
    deps.clock(),
  );
}

/**
 * An Update of an incident we hold a copy of: only from its owner, read
 * from the origin, applied only when `updated` is newer. True when the
 * object is an incident (handled or dropped here), false otherwise.
 */
export async function onIncidentUpdated(
  ctx: InboxContext<void>,
  update: Update,
  deps: FederationDeps,
): Promise<boolean> {
  const { actorId, objectId } = update;
  if (actorId === null || objectId === null) return false;
  const incident = await findIncidentByObjectId(deps.db, objectId.href);
  if (incident === null) return false;
  if (incident.groupId !== null) {
    drop("Update", update.id, "one of our own incidents");
    return true;
  }
  if (actorId.href !== incident.ownerActorId) {
    drop("Update", update.id, `${actorId.href} does not own the incident`);
    return true;
  }
  const ours = (await listParticipants(deps.db, incident.id)).find((p) => p.groupId !== null);
  const group = ours?.groupId == null ? null : await findGroupById(deps.db, ours.groupId);
  if (group === null) {
    drop("Update", update.id, "no group here joined the incident");
    return true;
  }
  let document: unknown;
  try {
    const loader = await ctx.getDocumentLoader({ identifier: group.handle });
    ({ document } = await loader(objectId.href));
  } catch (error) {
    if (error instanceof FetchError && (error.response?.status ?? 500) >= 500) throw error;
    drop("Update", update.id, `the incident could not be fetched: ${String(error)}`);
    return true;
  }
  const reading = await parseIncidentObject(document, ctx.contextLoader);
  if (
    !reading.ok ||
    reading.incident.objectId !== incident.objectId ||
    reading.incident.ownerActorId !== incident.ownerActorId
  ) {
    drop("Update", update.id, reading.ok ? "another id or owner" : reading.reason);
    return true;
  }
  await storeIncidentCopy(deps.db, {
    ...reading.incident,
    id: incident.id,
    groupId: null,
    ownerInboxUrl: incident.ownerInboxUrl,
  });
  await refreshParticipants(ctx, deps, incident, group.handle);
  return true;
}

/**
 * The incident tag of a received need, kept only when its author may tag
 * it — the incident's owner, or an accepted participant as this instance
 * knows it (for a copy, after re-reading the owner's list once), or when
 * the owner itself re-shared it, or the stored copy already carries the tag
 * (a later Update or a reconciliation fetch has no re-share to show) — and
 * only while the incident is open and
 * not past its end, by our clock (domain/incident.ts incidentTagRefusal).
 * A need whose stored copy already carries the tag keeps it after the
 * incident closed or ended: its later versions (a status change) stay on
 * the board, which is then the incident's record. Otherwise null, with a
 * log line; the need is stored either way.
 */
export async function keptIncidentTag(
  ctx: Context<void>,
  deps: FederationDeps,
  proposal: RemoteProposal,
  via: { readonly handle: string; readonly announcedBy: string | null },
): Promise<string | null> {
  const tag = proposal.incident ?? null;
  if (tag === null) return null;
  const author = proposal.originActorId;
  const refuse = (why: string) => {
    logger.info("Dropped the incident tag {tag} of {objectId}: {why}", {
      tag,
      objectId: proposal.objectId,
      why,
    });
    return null;
  };
  const incident = await findIncidentByObjectId(deps.db, tag);
  if (incident === null) return refuse("no group here takes part in that incident");
  // A tag this copy already holds was checked when it was first kept,
  // possibly on the strength of the owner's re-share; a later Update or a
  // reconciliation fetch, which has no re-share to show, must not drop it.
  let held: Promise<string | null> | null = null;
  const holdsTag = async () => {
    held ??= findHeldIncidentTag(deps.db, proposal.objectId, author);
    return (await held) === tag;
  };
  const allowed = async (): Promise<boolean> => {
    if (author === incident.ownerActorId) return true;
    if (via.announcedBy !== null && via.announcedBy === incident.ownerActorId) return true;
    if ((await findParticipant(deps.db, incident.id, author))?.state === "accepted") return true;
    if (await holdsTag()) return true;
    if (incident.groupId === null) {
      await refreshParticipants(ctx, deps, incident, via.handle);
      if ((await findParticipant(deps.db, incident.id, author))?.state === "accepted") return true;
    }
    return false;
  };
  if (!(await allowed())) return refuse(`${author} does not take part in it`);
  const window = incidentTagRefusal(incident, deps.clock());
  if (window === null) return tag;
  if (await holdsTag()) return tag;
  return refuse(
    window === "incident-closed"
      ? "the incident is closed (new tags are refused)"
      : "the incident's time window has ended (new tags are refused)",
  );
}

/**
 * After a tagged need from a participant of one of our incidents is stored
 * (new or changed): the owner group re-shares it to the other participants.
 */
export async function reshareIfOwner(
  ctx: Context<void>,
  deps: FederationDeps,
  proposal: RemoteProposal,
  tag: string | null,
): Promise<void> {
  if (tag === null) return;
  const incident = await findIncidentByObjectId(deps.db, tag);
  if (incident === null || incident.groupId === null) return;
  if (proposal.originActorId === incident.ownerActorId) return;
  const group = await findGroupById(deps.db, incident.groupId);
  if (group === null) return;
  await reshareToParticipants(ctx, deps, group, incident, {
    objectId: proposal.objectId,
    authorId: proposal.originActorId,
    updatedAt: proposal.updatedAt,
  });
}
