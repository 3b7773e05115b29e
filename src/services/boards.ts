import type { Kysely } from "kysely";
import { BOARD_MAX_ITEMS, type BoardScope, listBoard } from "../db/board.repo.ts";
import type { Database } from "../db/database.ts";
import { listGroups } from "../db/groups.repo.ts";
import type { CategorySlug } from "../domain/categories.ts";
import type { Group } from "../domain/group.ts";
import { arrangeBoard, type BoardEntry, type Incident } from "../domain/incident.ts";
import {
  type Listing,
  listingFromProposal,
  listingFromRemote,
  listingFullyPledged,
} from "../domain/listing.ts";
import { type NearQuery, roundDistanceKm } from "../domain/near.ts";
import type { ProposalStatus, Purpose } from "../domain/proposal.ts";
import type { ExportDataset, ExportUrls } from "./exports.ts";

/**
 * The boards (db/board.repo.ts) as listings: what the public board pages,
 * the text page and the board exports show. Every row goes through the
 * listing converters, so a board page or export carries exactly what the
 * group exports may carry — no contact, no followers-only need, places
 * rounded unless marked exact — and local and remote items share one shape.
 */

export interface BoardFilters {
  readonly purpose?: Purpose | undefined;
  readonly category?: CategorySlug | undefined;
  /** Omitted: the live ones (open and pledged), as the board itself. */
  readonly statuses?: readonly ProposalStatus[] | undefined;
  /** Only what lies within km of the point; each item then says how far it is. */
  readonly near?: NearQuery | undefined;
}

/** A board item: the listing and our row's id (its short link's code comes from it). */
export interface BoardItem {
  readonly listing: Listing;
  readonly rowId: string;
  readonly source: "local" | "remote";
  /** With `near`: km to the place as shown publicly, to 0.1 km. */
  readonly distanceKm?: number | undefined;
  /** The incident it is tagged with (its object id), if any. */
  readonly incident: string | null;
}

export interface BoardListings {
  /**
   * Board order: what still needs help first (fully pledged items last), then
   * urgency, then needed-by soonest, then newest; each object once.
   */
  readonly items: readonly BoardItem[];
  /** More matched than `limit`: the most pressing `limit` are shown. */
  readonly truncated: boolean;
}

type SortKey = BoardEntry;

export async function boardListings(
  db: Kysely<Database>,
  urls: ExportUrls,
  scope: BoardScope,
  filters: BoardFilters,
  limit: number = BOARD_MAX_ITEMS,
): Promise<BoardListings> {
  const cap = Math.min(Math.max(1, limit), BOARD_MAX_ITEMS);
  // One board read per asked status (the board takes one, or the live pair).
  const statusSets: readonly (ProposalStatus | undefined)[] =
    filters.statuses === undefined ? [undefined] : filters.statuses;
  const all: (BoardItem & SortKey)[] = [];
  const add = (
    listing: Listing,
    rowId: string,
    source: BoardItem["source"],
    distanceKm: number | undefined,
    incident: string | null | undefined,
  ) =>
    all.push({
      listing,
      rowId,
      source,
      incident: incident ?? null,
      distanceKm: distanceKm === undefined ? undefined : roundDistanceKm(distanceKm),
      objectId: listing.objectId,
      urgency: listing.urgency,
      expiresAt: listing.expiresAt,
      publishedAt: listing.publishedAt,
      covered: listingFullyPledged(listing),
    });
  // Our groups' names, for the exports' group column (the board rows carry handles).
  const names = new Map((await listGroups(db)).map((g) => [g.handle, g.name]));
  // The board reads at most BOARD_MAX_ITEMS a side: a full side may hide
  // more, so it counts as cut (it errs on "cut" when exactly that many exist).
  let sideFull = false;
  for (const status of statusSets) {
    const rows = await listBoard(db, {
      scope,
      purpose: filters.purpose,
      category: filters.category,
      status,
      near: filters.near,
      limit: cap + 1,
    });
    const full = (n: number) => n > cap || n >= BOARD_MAX_ITEMS;
    if (full(rows.local.length) || full(rows.remote.length)) sideFull = true;
    for (const { proposal, groupHandle } of rows.local) {
      const page = urls.group(groupHandle).href;
      const listing = listingFromProposal(proposal, {
        objectId: urls.proposalObject(proposal.id).href,
        url: urls.proposalPage(proposal.purpose, proposal.id).href,
        origin: {
          actorId: page,
          pageUrl: page,
          name: names.get(groupHandle) ?? null,
          handle: groupHandle,
        },
      });
      if (listing !== null)
        add(listing, proposal.id, "local", rows.distances.get(proposal.id), proposal.incident);
    }
    for (const remote of rows.remote) {
      const listing = listingFromRemote(remote);
      if (listing !== null)
        add(listing, remote.id, "remote", rows.distances.get(remote.id), remote.incident);
    }
  }
  const unique = new Set(all.map((i) => i.objectId)).size;
  const items = arrangeBoard(all, cap).map(({ listing, rowId, source, distanceKm, incident }) => ({
    listing,
    rowId,
    source,
    distanceKm,
    incident,
  }));
  return { items, truncated: unique > cap || sideFull };
}

/** Exports list newest first (ExportDocument); the board's own order is for the pages. */
function newestFirst(listings: readonly Listing[]): Listing[] {
  return [...listings].sort(
    (a, b) =>
      Temporal.Instant.compare(b.publishedAt, a.publishedAt) ||
      a.objectId.localeCompare(b.objectId),
  );
}

function subject(purpose: Purpose | undefined): string {
  return purpose === "request" ? "needs" : purpose === "offer" ? "offers" : "needs and offers";
}

export interface BoardDatasetRequest {
  readonly filters: BoardFilters;
  readonly cap: number;
  readonly selfUrl: string;
  readonly now: Temporal.Instant;
}

/** An incident's board as an export document. `pageUrl`: the incident's page here. */
export async function incidentDataset(
  db: Kysely<Database>,
  urls: ExportUrls,
  incident: Incident,
  pageUrl: string,
  request: BoardDatasetRequest,
): Promise<ExportDataset> {
  const board = await boardListings(
    db,
    urls,
    { kind: "incident", incidentObjectId: incident.objectId },
    request.filters,
    request.cap,
  );
  return {
    truncated: board.truncated,
    document: {
      title: `${incident.name}: ${subject(request.filters.purpose)}`,
      description:
        incident.description === ""
          ? `The cross-city board of ${incident.name}.`
          : incident.description,
      pageUrl,
      selfUrl: request.selfUrl,
      generatedAt: request.now,
      listings: newestFirst(board.items.map((i) => i.listing)),
    },
  };
}

/** A group's "my allies" board as an export document. */
export async function alliesDataset(
  db: Kysely<Database>,
  urls: ExportUrls,
  group: Group,
  pageUrl: string,
  request: BoardDatasetRequest,
): Promise<ExportDataset> {
  const board = await boardListings(
    db,
    urls,
    { kind: "allies", groupId: group.id },
    request.filters,
    request.cap,
  );
  return {
    truncated: board.truncated,
    document: {
      title: `${group.name}: ${subject(request.filters.purpose)} of its allies`,
      description: `This instance's groups and the groups ${group.name} follows: what they need and offer.`,
      pageUrl,
      selfUrl: request.selfUrl,
      generatedAt: request.now,
      listings: newestFirst(board.items.map((i) => i.listing)),
    },
  };
}
