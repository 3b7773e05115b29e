import type { Context } from "@fedify/fedify";
import { FetchError } from "@fedify/vocab-runtime";
import { getLogger } from "@logtape/logtape";
import {
  isDeletedRemotely,
  REMOTE_TOMBSTONE_TTL,
  recordRemoteDeletion,
} from "../../src/db/deleted-remote-objects.repo.ts";
import {
  addIncidentTag,
  deleteRemoteCopy,
  type StoreOutcome,
  storeRemoteProposal,
} from "../../src/db/remote-proposals.repo.ts";
import { readActorLabel } from "../../src/domain/actor-label.ts";
import { classifyDeliveryAnswer } from "../../src/domain/delivery-answer.ts";
import { newId } from "../../src/domain/ids.ts";
import type { RemoteProposal } from "../../src/domain/remote-proposal.ts";
import type { FederationDeps } from "../federation.ts";
import { parseRemoteObject, type RemoteObjectReading } from "../remote-proposal.ts";
import { DisallowedUrlError } from "../security/outbound/address-policy.ts";
import { RefusedDocumentError } from "../security/outbound/document-loader.ts";
import { keptIncidentTag, reshareIfOwner } from "./incidents.ts";

const logger = getLogger(["bayanihan", "federation", "inbox", "proposals"]);

/**
 * Received needs, offers and posts: fetched from their origin (never taken
 * from what an activity embeds), read, and stored. Shared by the listeners
 * of `proposals.ts` and the back-fill of a newly followed group.
 */

export function drop(kind: string, id: URL | null, why: string): void {
  logger.debug("Dropped {kind} {id}: {why}", { kind, id: id?.href ?? "(no id)", why });
}

/**
 * Fetch failures that retrying cannot fix: an address we refuse, what our
 * loader refuses of what a server sent, or a status the delivery rules
 * (domain/delivery-answer.ts) call final — read the same way for a fetch.
 */
function isPermanentFetchFailure(error: FetchError): boolean {
  if (error instanceof DisallowedUrlError) return error.reason !== "lookup-failed";
  if (error instanceof RefusedDocumentError) return true;
  const status = error.response?.status;
  return status !== undefined && classifyDeliveryAnswer(status) === "refused";
}

/** What a fetch yields when the origin says the object no longer exists. */
export const GONE = "gone" as const;

/** 404 or 410 from the object's own server: it is gone, and so must our copy be. */
function isGoneAnswer(error: FetchError): boolean {
  const status = error.response?.status;
  return status !== undefined && classifyDeliveryAnswer(status) === "gone";
}

function isTombstone(document: unknown): boolean {
  if (typeof document !== "object" || document === null) return false;
  const type = (document as { type?: unknown }).type;
  return type === "Tombstone" || (Array.isArray(type) && type.includes("Tombstone"));
}

/**
 * Fetches the document at `url`, signed as our group `handle`. `GONE` when
 * its server answers 404/410 or a Tombstone; null (after a debug line) when
 * its server is refused or the answer is another final no. Throws when a
 * retry may help.
 */
export async function fetchDocument(
  ctx: Context<void>,
  kind: string,
  url: URL,
  handle: string,
  deps: FederationDeps,
): Promise<{ document: unknown } | typeof GONE | null> {
  // The inbox screen judged the sender; a shared object may live elsewhere.
  if (!(await deps.isAllowed(url))) {
    drop(kind, url, "its server is refused by the federation policy");
    return null;
  }
  const loader = await ctx.getDocumentLoader({ identifier: handle });
  try {
    const { document } = await loader(url.href);
    return isTombstone(document) ? GONE : { document };
  } catch (error) {
    if (error instanceof FetchError && isGoneAnswer(error)) return GONE;
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
export function readObject(
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
 * `GONE` when its origin says it no longer exists; null (after a debug line)
 * when it is unreadable, not public, or its document claims another id.
 * Throws when a retry may help.
 */
export async function fetchRemoteObject(
  ctx: Context<void>,
  kind: string,
  objectId: URL,
  handle: string,
  deps: FederationDeps,
): Promise<RemoteProposal | typeof GONE | null> {
  const fetched = await fetchDocument(ctx, kind, objectId, handle, deps);
  if (fetched === null || fetched === GONE) return fetched;
  const reading = await parseRemoteObject(fetched.document, {
    contextLoader: ctx.contextLoader,
    now: deps.clock(),
  });
  return readObject(kind, objectId, reading);
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

/**
 * Whether the object's origin deleted it (within the tombstones' 30 days):
 * then no Create, Update or share brings it back.
 */
export async function wasDeletedRemotely(deps: FederationDeps, objectId: string): Promise<boolean> {
  return isDeletedRemotely(deps.db, objectId, deps.clock().subtract(REMOTE_TOMBSTONE_TTL));
}

/** Remembers that the object's origin deleted it (see wasDeletedRemotely). */
export async function rememberDeletion(deps: FederationDeps, objectId: URL): Promise<void> {
  await recordRemoteDeletion(deps.db, objectId.href, deps.clock());
}

/** The origin says the object is gone: our copy goes, whoever told us. */
export async function forgetGone(deps: FederationDeps, kind: string, objectId: URL): Promise<void> {
  await rememberDeletion(deps, objectId);
  const removed = await deleteRemoteCopy(deps.db, objectId.href);
  drop(kind, objectId, removed ? "gone at its origin; our copy is removed" : "gone at its origin");
}

/**
 * Stores a fetched object with the incident tag we keep of it and its
 * author's name, and lets an incident owner re-share the new version.
 * Null when another author holds the object id, or its origin deleted it
 * (a tombstone: what arrives after a Delete does not bring it back).
 */
export async function storeFetched(
  ctx: Context<void>,
  deps: FederationDeps,
  fetched: RemoteProposal,
  via: {
    handle: string;
    announcedBy: string | null;
    /** What brought it: the convergence lag counts what an inbox or reconciliation changed. */
    source: "inbox" | "reconciliation" | "backfill";
  },
): Promise<{ id: string; outcome: StoreOutcome } | null> {
  if (await wasDeletedRemotely(deps, fetched.objectId)) {
    drop("store", new URL(fetched.objectId), "its origin deleted it");
    return null;
  }
  const tag = await keptIncidentTag(ctx, deps, fetched, via);
  const proposal = {
    ...fetched,
    incident: tag,
    ...(await authorLabel(deps, fetched.originActorId)),
  };
  const now = deps.clock();
  const stored = await storeRemoteProposal(deps.db, proposal, newId(), now);
  if (stored !== null && stored.outcome !== "unchanged" && via.source !== "backfill") {
    const lag = now.since(fetched.updatedAt).total("seconds");
    deps.onCopyStored?.(via.source, lag);
  }
  const tagged =
    stored?.outcome === "unchanged" && tag !== null
      ? await addIncidentTag(deps.db, proposal.objectId, proposal.originActorId, tag)
      : false;
  if (stored !== null && (stored.outcome !== "unchanged" || tagged)) {
    await reshareIfOwner(ctx, deps, proposal, tag);
  }
  return stored;
}
