import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { findGroupById } from "../db/groups.repo.ts";
import { findProposal, listProposals } from "../db/proposals.repo.ts";
import { listNetwork } from "../db/remote-proposals.repo.ts";
import type { CategorySlug } from "../domain/categories.ts";
import type { ExportDocument } from "../domain/exports/document.ts";
import type { Group } from "../domain/group.ts";
import {
  DEFAULT_EXPORT_STATUSES,
  type Listing,
  type ListingOrigin,
  listingFromProposal,
  listingFromRemote,
} from "../domain/listing.ts";
import type { Proposal, ProposalStatus, Purpose } from "../domain/proposal.ts";

/**
 * Loads the datasets the open-data exports are made of: a group's own
 * public needs and offers, and its network feed (what followed groups
 * published or re-shared). Only public proposals are read, and each row
 * goes through the listing converters, which drop anything private.
 */

/** Where our groups' objects and pages live (InstanceUrls has these). */
export interface ExportUrls {
  group(handle: string): URL;
  proposalObject(id: string): URL;
  proposalPage(purpose: Purpose, id: string): URL;
}

export interface ExportFilters {
  readonly purpose?: Purpose | undefined;
  /** At least one; the endpoints default to open and pledged. */
  readonly statuses: readonly ProposalStatus[];
  readonly category?: CategorySlug | undefined;
}

export interface ExportDataset {
  readonly document: ExportDocument;
  /** There were more than `cap` rows; the newest `cap` are in the document. */
  readonly truncated: boolean;
}

export interface DatasetRequest {
  readonly group: Group;
  readonly filters: ExportFilters;
  readonly cap: number;
  /** The exported document's own URL (feeds link to themselves). */
  readonly selfUrl: string;
  readonly now: Temporal.Instant;
}

function subject(purpose: Purpose | undefined): string {
  return purpose === "request" ? "needs" : purpose === "offer" ? "offers" : "needs and offers";
}

export async function groupDataset(
  db: Kysely<Database>,
  urls: ExportUrls,
  request: DatasetRequest,
): Promise<ExportDataset> {
  const { group, filters, cap } = request;
  const rows = await listProposals(db, {
    groupId: group.id,
    purpose: filters.purpose,
    statuses: filters.statuses,
    category: filters.category,
    includeFollowersOnly: false,
    limit: cap + 1,
  });
  const page = urls.group(group.handle).href;
  const origin = originOf(urls, group);
  const listings = rows.slice(0, cap).flatMap((p): Listing[] => {
    const listing = localListing(urls, p, origin);
    return listing === null ? [] : [listing];
  });
  return {
    truncated: rows.length > cap,
    document: {
      title: `${group.name}: ${subject(filters.purpose)}`,
      description: group.summary,
      pageUrl: page,
      selfUrl: request.selfUrl,
      generatedAt: request.now,
      listings,
    },
  };
}

export async function networkDataset(
  db: Kysely<Database>,
  urls: ExportUrls,
  request: DatasetRequest,
): Promise<ExportDataset> {
  const { group, filters, cap } = request;
  const rows = await listNetwork(db, {
    groupId: group.id,
    kind: "proposal",
    purpose: filters.purpose,
    statuses: filters.statuses,
    category: filters.category,
    limit: cap + 1,
  });
  const listings = rows.slice(0, cap).flatMap((r): Listing[] => {
    const listing = listingFromRemote(r);
    return listing === null ? [] : [listing];
  });
  return {
    truncated: rows.length > cap,
    document: {
      title: `${group.name}: ${subject(filters.purpose)} from allied groups`,
      description: `What the groups ${group.name} follows need and offer, and what they re-shared.`,
      pageUrl: urls.group(group.handle).href,
      selfUrl: request.selfUrl,
      generatedAt: request.now,
      listings,
    },
  };
}

function originOf(urls: ExportUrls, group: Group): ListingOrigin {
  const page = urls.group(group.handle).href;
  return { actorId: page, pageUrl: page, name: group.name, handle: group.handle };
}

function localListing(urls: ExportUrls, p: Proposal, origin: ListingOrigin): Listing | null {
  return listingFromProposal(p, {
    objectId: urls.proposalObject(p.id).href,
    url: urls.proposalPage(p.purpose, p.id).href,
    origin,
  });
}

export type PublicListingLookup =
  | { readonly state: "live"; readonly listing: Listing; readonly groupPage: string }
  /** It existed publicly but has ended (fulfilled, closed, expired): an index should drop it. */
  | { readonly state: "ended" }
  /** Unknown, deleted, of the other purpose, or not public: indistinguishable on purpose. */
  | { readonly state: "missing" };

/**
 * One of our needs or offers, for its own Murmurations profile URL (the one
 * registered with an index, which re-reads it and drops it once it fails).
 */
export async function publicListing(
  db: Kysely<Database>,
  urls: ExportUrls,
  id: string,
  purpose: Purpose,
): Promise<PublicListingLookup> {
  const found = await findProposal(db, id);
  if (found.state !== "live" || found.proposal.purpose !== purpose) return { state: "missing" };
  const group = await findGroupById(db, found.proposal.groupId);
  if (group === null) return { state: "missing" };
  const listing = localListing(urls, found.proposal, originOf(urls, group));
  if (listing === null) return { state: "missing" };
  if (!DEFAULT_EXPORT_STATUSES.includes(listing.status)) return { state: "ended" };
  return { state: "live", listing, groupPage: urls.group(group.handle).href };
}
