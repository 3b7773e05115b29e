import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { listProposals } from "../db/proposals.repo.ts";
import { listNetwork } from "../db/remote-proposals.repo.ts";
import type { CategorySlug } from "../domain/categories.ts";
import type { ExportDocument } from "../domain/exports/document.ts";
import type { Group } from "../domain/group.ts";
import { type Listing, listingFromProposal, listingFromRemote } from "../domain/listing.ts";
import type { ProposalStatus, Purpose } from "../domain/proposal.ts";

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
  const origin = { actorId: page, pageUrl: page, name: group.name, handle: group.handle };
  const listings = rows.slice(0, cap).flatMap((p): Listing[] => {
    const listing = listingFromProposal(p, {
      objectId: urls.proposalObject(p.id).href,
      url: urls.proposalPage(p.purpose, p.id).href,
      origin,
    });
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
