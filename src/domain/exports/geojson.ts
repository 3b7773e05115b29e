import { type Listing, purposeWord } from "../listing.ts";
import { type ExportDocument, isoSeconds } from "./document.ts";
import { ENGLISH_FEED_WORDS } from "./feeds.ts";

/**
 * GeoJSON (RFC 7946): one FeatureCollection, one Feature per listing, its
 * `id` the object id. A located listing is a Point at `[longitude,
 * latitude]` (GeoJSON's order, WGS 84) — coarse to ~1 km like every place
 * that leaves the instance. A listing without coordinates is still a Feature,
 * with `"geometry": null` as RFC 7946 §3.2 allows, so the file holds the
 * same rows as the CSV and a map simply leaves those out.
 */
export interface GeoJsonFeatureCollection {
  readonly type: "FeatureCollection";
  readonly features: readonly GeoJsonFeature[];
  /** Foreign members (RFC 7946 §6.1): what the collection is. */
  readonly title: string;
  readonly description: string;
}

export interface GeoJsonFeature {
  readonly type: "Feature";
  readonly id: string;
  readonly geometry: { readonly type: "Point"; readonly coordinates: [number, number] } | null;
  readonly properties: Readonly<Record<string, string | number | null | readonly string[]>>;
}

/** `words` tells the category label in the reader's language; every code stays. */
export function listingFeature(listing: Listing, words = ENGLISH_FEED_WORDS): GeoJsonFeature {
  const { location, quantity } = listing;
  const located = location !== null && location.latitude !== null && location.longitude !== null;
  return {
    type: "Feature",
    id: listing.objectId,
    geometry: located
      ? { type: "Point", coordinates: [location.longitude as number, location.latitude as number] }
      : null,
    properties: {
      type: purposeWord(listing.purpose),
      title: listing.title,
      summary: listing.summary,
      url: listing.url,
      category: listing.category?.slug ?? null,
      categoryLabel:
        listing.category === null
          ? null
          : words.category(listing.category.slug, listing.category.label),
      status: listing.status,
      urgency: listing.urgency,
      quantity: quantity === null ? null : Number(quantity.amount),
      unit: quantity?.unit ?? null,
      remaining: quantity?.remaining == null ? null : Number(quantity.remaining),
      place: location?.name ?? null,
      publishedAt: isoSeconds(listing.publishedAt),
      updatedAt: isoSeconds(listing.updatedAt),
      expiresAt: listing.expiresAt === null ? null : isoSeconds(listing.expiresAt),
      group: listing.origin.actorId,
      groupName: listing.origin.name,
      sharedBy: listing.sharedBy,
      // Set on a received copy whose origin has not confirmed it for too long.
      notConfirmedSince:
        listing.notConfirmedSince === null ? null : isoSeconds(listing.notConfirmedSince),
    },
  };
}

export function listingsGeoJson(
  document: ExportDocument,
  words = ENGLISH_FEED_WORDS,
): GeoJsonFeatureCollection {
  return {
    type: "FeatureCollection",
    title: document.title,
    description: document.description,
    features: document.listings.map((listing) => listingFeature(listing, words)),
  };
}
