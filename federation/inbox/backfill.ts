import type { Context } from "@fedify/fedify";
import { getLogger } from "@logtape/logtape";
import type { RemoteProposal } from "../../src/domain/remote-proposal.ts";
import type { FederationDeps } from "../federation.ts";
import { httpUrl } from "../remote-proposal.ts";
import { fetchDocument, fetchRemoteObject, GONE, storeFetched } from "./received-objects.ts";

const logger = getLogger(["bayanihan", "federation", "inbox", "backfill"]);

/**
 * How much of a collection a back-fill reads: pages, items per page (the
 * rest of a longer page is skipped), and objects fetched in all. Each page
 * is one document, so the document loader's size cap (1 MB) bounds it too.
 */
export const BACKFILL_LIMITS = { maxPages: 10, maxItemsPerPage: 200, concurrency: 4 } as const;

export interface BackfillReport {
  readonly pages: number;
  /** Object ids found on the pages (on the author's origin, deduplicated). */
  readonly found: number;
  /** Open needs and offers stored or refreshed. */
  readonly stored: number;
  /** Why reading stopped early, if it did. */
  readonly stoppedBecause: string | null;
}

type Json = Record<string, unknown>;

const COLLECTION_TYPES: ReadonlySet<string> = new Set([
  "Collection",
  "OrderedCollection",
  "CollectionPage",
  "OrderedCollectionPage",
]);

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function typesOf(node: Json): string[] {
  const type = node.type ?? node["@type"];
  return (Array.isArray(type) ? type : [type]).filter((t): t is string => typeof t === "string");
}

/** The id of a node given by id or embedded. */
function idOf(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (isObject(value) && typeof value.id === "string") return value.id;
  return null;
}

/** An http(s) id, read as every received id is (remote-proposal.ts `httpUrl`). */
function itemId(item: unknown): URL | null {
  const id = httpUrl(idOf(item));
  return id === null ? null : new URL(id);
}

/** A URL on `origin`, or null: a collection never leads us to another server. */
function sameOriginUrl(value: string | null, origin: string): URL | null {
  const url = itemId(value);
  return url !== null && url.origin === origin ? url : null;
}

/** The items of a collection or page, as they are (ids or embedded nodes). */
function itemsOf(node: Json): unknown[] {
  const items = node.orderedItems ?? node.items;
  if (Array.isArray(items)) return items;
  return items === undefined ? [] : [items];
}

/**
 * The object an outbox item is about: a `Create` or `Update` (embedded, as
 * outboxes give them) names it by id or embeds it; only its id is read, on
 * the author's origin. Anything else (an `Announce`, a bare id) is skipped.
 */
function outboxItemObject(origin: string): (item: unknown) => URL | null {
  return (item) => {
    if (!isObject(item)) return null;
    const types = typesOf(item);
    if (!types.includes("Create") && !types.includes("Update")) return null;
    return sameOriginUrl(idOf(item.object), origin);
  };
}

/**
 * Reads a collection, page by page, within `BACKFILL_LIMITS`, and returns
 * the object ids `readItem` finds in its items. Pages must be on `origin`
 * (the collection's owner's); a page seen twice ends the walk (a cycle).
 * Malformed pages end it with a reason. Throws only what a retry may fix.
 */
async function collectObjectIds(
  ctx: Context<void>,
  deps: FederationDeps,
  collectionUrl: URL,
  via: { handle: string; origin: string; readItem: (item: unknown) => URL | null },
): Promise<{ ids: URL[]; pages: number; stoppedBecause: string | null }> {
  const found = new Map<string, URL>();
  const seen = new Set<string>();
  let pages = 0;
  const fetched = await fetchDocument(ctx, "Backfill", collectionUrl, via.handle, deps);
  if (fetched === null || fetched === GONE || !isObject(fetched.document)) {
    return { ids: [], pages, stoppedBecause: "the collection could not be read" };
  }
  if (!typesOf(fetched.document).some((type) => COLLECTION_TYPES.has(type))) {
    return { ids: [], pages, stoppedBecause: "the document is not a collection" };
  }
  seen.add(collectionUrl.href);
  // A collection either holds its items or points to its first page, which
  // may be embedded or given by id.
  let page: Json | null = fetched.document;
  let next: URL | null = null;
  if (itemsOf(fetched.document).length === 0 && fetched.document.first !== undefined) {
    const first = fetched.document.first;
    page = isObject(first) && itemsOf(first).length > 0 ? first : null;
    next = page === null ? sameOriginUrl(idOf(first), via.origin) : null;
  }
  for (;;) {
    if (page === null) {
      if (next === null) return { ids: [...found.values()], pages, stoppedBecause: null };
      if (pages >= BACKFILL_LIMITS.maxPages) {
        return { ids: [...found.values()], pages, stoppedBecause: "page limit reached" };
      }
      if (seen.has(next.href)) {
        return { ids: [...found.values()], pages, stoppedBecause: `cycle at ${next.href}` };
      }
      seen.add(next.href);
      const loaded = await fetchDocument(ctx, "Backfill", next, via.handle, deps);
      if (loaded === null || loaded === GONE || !isObject(loaded.document)) {
        return { ids: [...found.values()], pages, stoppedBecause: `unreadable page ${next.href}` };
      }
      page = loaded.document;
    }
    pages++;
    for (const item of itemsOf(page).slice(0, BACKFILL_LIMITS.maxItemsPerPage)) {
      const id = via.readItem(item);
      if (id !== null) found.set(id.href, id);
    }
    next = sameOriginUrl(idOf(page.next), via.origin);
    page = null;
  }
}

/**
 * Fetches each object from its id (never the copy a page embeds: our own
 * outbox, for one, embeds a plain Note) and stores the open needs and offers
 * `belongs` accepts, as if they had just been received.
 */
async function storeOpenProposals(
  ctx: Context<void>,
  deps: FederationDeps,
  ids: readonly URL[],
  via: { handle: string; belongs: (object: RemoteProposal) => Promise<boolean> },
): Promise<number> {
  let stored = 0;
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      // A participant's server may be refused by our policy: not fetched at all.
      if (!(await deps.isAllowed(id))) continue;
      const object = await fetchRemoteObject(ctx, "Backfill", id, via.handle, deps);
      if (object === null || object === GONE) continue;
      if (object.kind !== "proposal" || (object.status !== "open" && object.status !== "pledged")) {
        continue;
      }
      if (!(await via.belongs(object))) continue;
      if (
        (await storeFetched(ctx, deps, object, {
          handle: via.handle,
          announcedBy: null,
          source: "backfill",
        })) !== null
      ) {
        stored++;
      }
    }
  };
  await Promise.all(Array.from({ length: BACKFILL_LIMITS.concurrency }, worker));
  return stored;
}

/**
 * A follow of `authorId` by our group `handle` was just accepted: reads the
 * author's outbox and stores its current open needs and offers, which it
 * will never send again unless they change (FEDERATION.md, "Back-fill").
 * Throws only what a retry may fix (the author's server unreachable, our
 * database): the caller's activity is then retried, and storing is
 * idempotent.
 */
export async function backfillFromOutbox(
  ctx: Context<void>,
  deps: FederationDeps,
  follow: { handle: string; authorId: URL },
): Promise<BackfillReport> {
  const origin = follow.authorId.origin;
  const actor = await fetchDocument(ctx, "Backfill", follow.authorId, follow.handle, deps);
  const outbox =
    actor === null || actor === GONE || !isObject(actor.document)
      ? null
      : sameOriginUrl(idOf(actor.document.outbox), origin);
  if (outbox === null) {
    return { pages: 0, found: 0, stored: 0, stoppedBecause: "no outbox on the author's origin" };
  }
  const { ids, pages, stoppedBecause } = await collectObjectIds(ctx, deps, outbox, {
    handle: follow.handle,
    origin,
    readItem: outboxItemObject(origin),
  });
  const stored = await storeOpenProposals(ctx, deps, ids, {
    handle: follow.handle,
    belongs: async (object) => object.originActorId === follow.authorId.href,
  });
  const report = { pages, found: ids.length, stored, stoppedBecause };
  logger.info("Back-filled {stored} of {found} items from {outbox} ({pages} pages){stop}", {
    ...report,
    outbox: outbox.href,
    stop: stoppedBecause === null ? "" : `; stopped: ${stoppedBecause}`,
  });
  return report;
}

/**
 * One of our groups' Join of an incident was just accepted: reads the
 * incident's `taggedItems` collection (on the incident's origin, within the
 * same bounds) and stores the open needs and offers on its board, each
 * fetched from its own origin, kept only when it is tagged with the incident
 * and its author is the owner or an accepted participant as the owner's
 * list says (read just before). Without it a late joiner saw only what was
 * posted or changed after it joined.
 */
export async function backfillIncident(
  ctx: Context<void>,
  deps: FederationDeps,
  incident: { objectId: string; ownerActorId: string; taggedItemsUrl: string | null },
  handle: string,
  isParticipant: (actorId: string) => Promise<boolean>,
): Promise<BackfillReport> {
  const origin = new URL(incident.objectId).origin;
  const url = sameOriginUrl(incident.taggedItemsUrl, origin);
  if (url === null) {
    return { pages: 0, found: 0, stored: 0, stoppedBecause: "the incident lists no items" };
  }
  const { ids, pages, stoppedBecause } = await collectObjectIds(ctx, deps, url, {
    handle,
    origin,
    readItem: itemId,
  });
  const stored = await storeOpenProposals(ctx, deps, ids, {
    handle,
    belongs: async (object) =>
      object.incident === incident.objectId &&
      (object.originActorId === incident.ownerActorId ||
        (await isParticipant(object.originActorId))),
  });
  const report = { pages, found: ids.length, stored, stoppedBecause };
  logger.info("Back-filled {stored} of {found} items of incident {incident}{stop}", {
    ...report,
    incident: incident.objectId,
    stop: stoppedBecause === null ? "" : `; stopped: ${stoppedBecause}`,
  });
  return report;
}

/**
 * The ids a collection on `origin` lists (actors, objects), page by page
 * within `BACKFILL_LIMITS`. `complete` is false when the walk stopped early
 * or the document was no collection (then `ids` may be empty although the
 * collection is not). Throws only what a retry may fix.
 */
export async function readCollectionIds(
  ctx: Context<void>,
  deps: FederationDeps,
  url: URL,
  via: { handle: string },
): Promise<{ ids: URL[]; pages: number; complete: boolean; stoppedBecause: string | null }> {
  const read = await collectObjectIds(ctx, deps, url, {
    handle: via.handle,
    origin: url.origin,
    readItem: itemId,
  });
  return { ...read, complete: read.stoppedBecause === null };
}
