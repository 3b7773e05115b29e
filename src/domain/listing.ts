import { type Category, categoryBySlug } from "./categories.ts";
import { coarsenCoordinate } from "./geo.ts";
import { sharedLocation } from "./location.ts";
import { coverageOf, isFullyCovered } from "./pledging.ts";
import type { Proposal, ProposalStatus, Purpose, Urgency } from "./proposal.ts";
import type { StoredRemoteProposal } from "./remote-proposal.ts";
import type { Unit } from "./units.ts";

/**
 * A need or offer as open-data exports show it: CSV and HXL rows, GeoJSON
 * features, Murmurations profiles, feed entries. One neutral shape for what
 * this instance published and what it received from followed groups, holding
 * only what is public by construction: no `contact`, no responder, no exact
 * coordinates (unless the coordinator marked the place exact), and nothing
 * addressed to followers only — the converters refuse those.
 */
export interface Listing {
  /** The ActivityPub id: stable, unique, the entry id in every format. */
  readonly objectId: string;
  /** The HTML page (null when a remote object gave none we can link). */
  readonly url: string | null;
  readonly purpose: Purpose;
  readonly title: string;
  /** Plain text. */
  readonly summary: string;
  /** Null for a remote category outside our vocabulary. */
  readonly category: Category | null;
  readonly status: ProposalStatus;
  /** Null when a remote object did not say. */
  readonly urgency: Urgency | null;
  readonly quantity: ListingQuantity | null;
  readonly location: ListingLocation | null;
  readonly publishedAt: Temporal.Instant;
  readonly updatedAt: Temporal.Instant;
  readonly expiresAt: Temporal.Instant | null;
  /** The date our deadline was picked as (shown as that date); absent for received copies. */
  readonly expiresOn?: Temporal.PlainDate | null;
  readonly origin: ListingOrigin;
  /** Followed groups that re-shared it (actor ids); empty for our own. */
  readonly sharedBy: readonly string[];
  /**
   * A received copy its origin has not confirmed for too long (stale): when
   * it last did. Null for a current copy and for our own.
   */
  readonly notConfirmedSince: Temporal.Instant | null;
}

export interface ListingQuantity {
  /** Exact decimal strings, as everywhere else. */
  readonly amount: string;
  readonly unit: Unit;
  /** Still needed (or available); null when a remote instance did not say. */
  readonly remaining: string | null;
}

export interface ListingLocation {
  readonly name: string;
  readonly latitude: number | null;
  readonly longitude: number | null;
}

/** The group that published it. */
export interface ListingOrigin {
  readonly actorId: string;
  /** Its public page, where anyone can reach it (for a remote group, its actor URL). */
  readonly pageUrl: string;
  /**
   * Our own group's name; for a remote actor the name (or user@host) it gave
   * when its need arrived, null if that could not be read.
   */
  readonly name: string | null;
  readonly handle: string | null;
}

/** Its quantity is all pledged: nothing is still needed (or available). */
export function listingFullyPledged(listing: Pick<Listing, "quantity">): boolean {
  return listing.quantity !== null && isFullyCovered(listing.quantity.remaining);
}

/** Where a local proposal lives; the caller builds these with the instance's URLs. */
export interface LocalListingRefs {
  readonly objectId: string;
  readonly url: string;
  readonly origin: ListingOrigin;
}

/**
 * A need or offer of one of our groups as the public may see it, or null
 * when it is not public (followers-only): exports never carry those.
 */
export function listingFromProposal(proposal: Proposal, refs: LocalListingRefs): Listing | null {
  if (proposal.audience !== "public") return null;
  const coverage = coverageOf(proposal);
  return {
    objectId: refs.objectId,
    url: refs.url,
    purpose: proposal.purpose,
    title: proposal.title,
    summary: proposal.description,
    category: categoryBySlug(proposal.category),
    status: proposal.status,
    urgency: proposal.urgency,
    quantity:
      coverage === null
        ? null
        : {
            amount: coverage.total.amount,
            unit: coverage.total.unit,
            remaining: coverage.remaining,
          },
    location: publicLocation(sharedLocation(proposal.location)),
    publishedAt: proposal.createdAt,
    updatedAt: proposal.updatedAt,
    expiresAt: proposal.expiresAt,
    expiresOn: proposal.expiresOn ?? null,
    origin: refs.origin,
    sharedBy: [],
    notConfirmedSince: null,
  };
}

/**
 * A need or offer received from a followed group, or null for a plain post
 * (it has no purpose to list it under). Only public objects are ever stored
 * (see federation/inbox/proposals.ts), and their place is rounded again here:
 * we do not know whether the origin meant it to be exact, and exports from
 * this instance show every place at the same ~1 km precision.
 */
export function listingFromRemote(remote: StoredRemoteProposal): Listing | null {
  if (remote.kind !== "proposal" || remote.purpose === null) return null;
  const location = remote.location;
  return {
    objectId: remote.objectId,
    url: remote.url,
    purpose: remote.purpose,
    title: remote.title,
    summary: remote.summaryText,
    category: remote.category === null ? null : categoryBySlug(remote.category),
    status: remote.status,
    urgency: remote.urgency,
    quantity:
      remote.quantity === null
        ? null
        : {
            amount: remote.quantity.amount,
            unit: remote.quantity.unit,
            remaining: remote.remainingAmount,
          },
    location:
      location === null
        ? null
        : publicLocation({
            name: location.name,
            latitude: location.latitude === null ? null : coarsenCoordinate(location.latitude),
            longitude: location.longitude === null ? null : coarsenCoordinate(location.longitude),
          }),
    publishedAt: remote.publishedAt,
    updatedAt: remote.updatedAt,
    expiresAt: remote.expiresAt,
    origin: {
      actorId: remote.originActorId,
      pageUrl: remote.originActorId,
      // Its display name, or else its address, as its actor said when the
      // need arrived; `handle` is our own groups' handle only.
      name: remote.originActorName ?? remote.originActorHandle ?? null,
      handle: null,
    },
    sharedBy: [...remote.sharedBy],
    notConfirmedSince: remote.stale ? remote.confirmedAt : null,
  };
}

/** A point is both coordinates or neither: half a point is no place on a map. */
function publicLocation(
  location: {
    readonly name: string;
    readonly latitude: number | null;
    readonly longitude: number | null;
  } | null,
): ListingLocation | null {
  if (location === null) return null;
  const located = location.latitude !== null && location.longitude !== null;
  return {
    name: location.name,
    latitude: located ? location.latitude : null,
    longitude: located ? location.longitude : null,
  };
}

/** The statuses exports list unless asked otherwise: what can still be answered. */
export const DEFAULT_EXPORT_STATUSES: readonly ProposalStatus[] = ["open", "pledged"];

/** A need is "need" and an offer "offer" in every export's own words. */
export function purposeWord(purpose: Purpose): "need" | "offer" {
  return purpose === "request" ? "need" : "offer";
}
