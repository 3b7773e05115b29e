import type { CategorySlug } from "../categories.ts";
import type { Listing } from "../listing.ts";
import { purposeWord } from "../listing.ts";
import type { ExportDocument } from "./document.ts";

/**
 * Murmurations profiles (https://murmurations.network): JSON documents an
 * index validates against the schemas named in `linked_schemas` and makes
 * searchable. The schemas we emit for are transcribed into
 * `schemas/murmurations/` and the tests validate every profile against them.
 *
 * - `offers_wants_schema-v0.1.0`: one profile per need (`want`) or offer
 *   (`offer`), `receive-donate` since mutual aid is given, not sold.
 * - `groups_needs_schema-v0.0.1`: one profile per group, keyed by the group's
 *   page (`primary_url`), summing up what it needs now.
 *
 * `contact_details` is always the publishing group's public page (where its
 * "I can help" forms are), never a person's contact.
 */
export const OFFERS_WANTS_SCHEMA = "offers_wants_schema-v0.1.0";
export const GROUPS_NEEDS_SCHEMA = "groups_needs_schema-v0.0.1";

export interface OffersWantsProfile {
  readonly linked_schemas: readonly [typeof OFFERS_WANTS_SCHEMA];
  readonly exchange_type: "offer" | "want";
  readonly item_type?: "good" | "service";
  readonly transaction_type: readonly ["receive-donate"];
  readonly tags: readonly string[];
  readonly title: string;
  readonly description: string;
  readonly geographic_scope: "local";
  readonly contact_details: { readonly contact_form: string };
  readonly geolocation?: { readonly lat: number; readonly lon: number };
  readonly details_url?: string;
  /** Unix seconds. */
  readonly expires_at?: number;
}

export interface GroupsNeedsProfile {
  readonly linked_schemas: readonly [typeof GROUPS_NEEDS_SCHEMA];
  readonly exchange_type: "want";
  readonly transaction_type: "receive-donate";
  readonly tags: readonly string[];
  readonly title: string;
  readonly description: string;
  readonly geographic_scope: "local";
  readonly contact_details: { readonly contact_form: string };
  readonly primary_url: string;
  readonly details_url: string;
}

/**
 * Good or service, where the category says so plainly; the field is
 * optional, so shelter, utilities and "other" (either, depending) leave it out.
 */
const ITEM_TYPES: Partial<Record<CategorySlug, "good" | "service">> = {
  food: "good",
  water: "good",
  medication: "good",
  hygiene: "good",
  clothing: "good",
  money: "good",
  medical: "service",
  transport: "service",
  childcare: "service",
  eldercare: "service",
  legal: "service",
  communication: "service",
  skills: "service",
};

const HTTP_URL = /^https?:\/\//;

function tagsOf(listing: Listing): string[] {
  const tags = ["mutual-aid", purposeWord(listing.purpose)];
  if (listing.category !== null) tags.push(listing.category.slug, listing.category.label);
  if (listing.urgency === "high" || listing.urgency === "critical") tags.push("urgent");
  return unique(tags);
}

function unique(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = v.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** One need or offer; `fallbackContact` (our group's page) when the origin's page is not http(s). */
export function offersWantsProfile(listing: Listing, fallbackContact: string): OffersWantsProfile {
  const { location } = listing;
  const itemType = listing.category === null ? undefined : ITEM_TYPES[listing.category.slug];
  return {
    linked_schemas: [OFFERS_WANTS_SCHEMA],
    exchange_type: listing.purpose === "request" ? "want" : "offer",
    ...(itemType === undefined ? {} : { item_type: itemType }),
    transaction_type: ["receive-donate"],
    tags: tagsOf(listing),
    title: listing.title,
    description: listing.summary.trim() === "" ? listing.title : listing.summary,
    geographic_scope: "local",
    contact_details: {
      contact_form: HTTP_URL.test(listing.origin.pageUrl)
        ? listing.origin.pageUrl
        : fallbackContact,
    },
    ...(location !== null && location.latitude !== null && location.longitude !== null
      ? { geolocation: { lat: location.latitude, lon: location.longitude } }
      : {}),
    ...(listing.url !== null && HTTP_URL.test(listing.url) ? { details_url: listing.url } : {}),
    ...(listing.expiresAt === null
      ? {}
      : { expires_at: Math.floor(listing.expiresAt.epochMilliseconds / 1000) }),
  };
}

/** Every listing of the document as an offers_wants profile, in `{items}` like the API's lists. */
export function offersWantsProfiles(document: ExportDocument): {
  readonly items: readonly OffersWantsProfile[];
} {
  return { items: document.listings.map((l) => offersWantsProfile(l, document.pageUrl)) };
}

/** How many need titles the group profile's description names before "and N more". */
const NAMED_NEEDS = 10;

/**
 * The group's profile: what it needs now, as one groups_needs entry keyed by
 * its page. Only needs count (offers are not "needs"), and the tags are
 * their categories, so an index search for `water` finds the group.
 */
export function groupsNeedsProfile(document: ExportDocument): GroupsNeedsProfile {
  const needs = document.listings.filter((l) => l.purpose === "request");
  const categories = needs.flatMap((l) => (l.category === null ? [] : [l.category.slug]));
  const named = needs.slice(0, NAMED_NEEDS).map((l) => l.title);
  const more = needs.length - named.length;
  const list =
    named.length === 0
      ? "Nothing needed right now."
      : `Needed now: ${named.join("; ")}${more > 0 ? `; and ${more} more` : ""}.`;
  return {
    linked_schemas: [GROUPS_NEEDS_SCHEMA],
    exchange_type: "want",
    transaction_type: "receive-donate",
    tags: unique(["mutual-aid", ...categories]),
    title: document.title,
    description: document.description.trim() === "" ? list : `${document.description} ${list}`,
    geographic_scope: "local",
    contact_details: { contact_form: document.pageUrl },
    primary_url: document.pageUrl,
    details_url: document.pageUrl,
  };
}
