import { categoryBySlug } from "../src/domain/categories.ts";
import type { Group } from "../src/domain/group.ts";
import { incidentHashtag } from "../src/domain/incident.ts";
import { sharedLocation } from "../src/domain/location.ts";
import { coverageOf, isFullyCovered } from "../src/domain/pledging.ts";
import type { Proposal, ProposalStatus, Urgency } from "../src/domain/proposal.ts";
import { describeQuantity } from "../src/domain/units.ts";
import { escapeHtml, paragraphs } from "./html.ts";

/**
 * The JSON of a need or offer as served at its object id. One document for two
 * readers (see FEDERATION.md):
 * - Mastodon and other microblogs read it as a Note: everything a person needs
 *   is in `content`; no `summary` (it would become a content warning).
 * - Instances of this software read the FEP-0837 Proposal terms
 *   (`purpose`, `publishes`, `location`, `unitBased`) and our few extension
 *   terms (`urgency`, `status`), defined inline in the context so nobody has
 *   to fetch a context document.
 */
export const PROPOSAL_CONTEXT = [
  "https://www.w3.org/ns/activitystreams",
  {
    vf: "https://w3id.org/valueflows/ont/vf#",
    om2: "http://www.ontology-of-units-of-measure.org/resource/om-2/",
    byh: "urn:bayanihan:ns#",
    Proposal: "vf:Proposal",
    Intent: "vf:Intent",
    purpose: "vf:purpose",
    publishes: "vf:publishes",
    unitBased: "vf:unitBased",
    action: "vf:action",
    resourceConformsTo: { "@id": "vf:resourceConformsTo", "@type": "@id" },
    resourceQuantity: "vf:resourceQuantity",
    availableQuantity: "vf:availableQuantity",
    hasUnit: "om2:hasUnit",
    hasNumericalValue: "om2:hasNumericalValue",
    Hashtag: "as:Hashtag",
    sensitive: "as:sensitive",
    urgency: "byh:urgency",
    status: "byh:status",
    totalQuantity: "byh:totalQuantity",
    pledgedQuantity: "byh:pledgedQuantity",
    continues: { "@id": "byh:continues", "@type": "@id" },
    incident: { "@id": "byh:incident", "@type": "@id" },
  },
] as const;

export const PUBLIC_AUDIENCE = "https://www.w3.org/ns/activitystreams#Public";

export interface ProposalUrls {
  readonly objectId: URL;
  /** The human-readable page (the same URL, negotiated by Accept). */
  readonly pageUrl: URL;
  readonly groupId: URL;
  readonly groupFollowers: URL;
  readonly groupPage: URL;
  /** The object id of the need or offer this one continues, if any. */
  readonly previousObjectId?: URL | null;
  /** The incident it is tagged with: its object id and name (for the hashtag). */
  readonly incident?: { readonly objectId: string; readonly name: string } | null;
}

/**
 * Categories that name a service someone performs rather than goods handed
 * over; FEP-0837's `action` distinguishes them.
 */
const SERVICE_CATEGORIES = new Set([
  "medical",
  "childcare",
  "eldercare",
  "legal",
  "transport",
  "skills",
  "communication",
]);

export { coarsenCoordinate as coarsen } from "../src/domain/geo.ts";

const URGENCY_WORDS: Record<Urgency, string> = {
  low: "Low urgency",
  normal: "Normal urgency",
  high: "Urgent",
  critical: "Critical — needed now",
};

const STATUS_WORDS: Record<ProposalStatus, string> = {
  open: "Open",
  pledged: "Pledged",
  fulfilled: "Fulfilled — thank you",
  closed: "Closed",
  expired: "Expired",
};

/**
 * The language `contentMap` names. Groups have no language setting; the one
 * language recorded for a need is the one the public form was shown in when
 * a person asked through it (`intake_requests.language`). Otherwise the
 * instance's default, English: the labels of `content` ("Need:", "Status:")
 * are English whatever the coordinators write.
 */
export const DEFAULT_CONTENT_LANGUAGE = "en";

/** A recorded language when it is a plausible BCP 47 tag, else the default. */
export function contentLanguage(recorded: string | null): string {
  return recorded !== null && /^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(recorded)
    ? recorded
    : DEFAULT_CONTENT_LANGUAGE;
}

/** A hashtag as it appears in `tag` and in the links of `content`. */
export interface ProposalHashtag {
  /** Without the `#`. */
  readonly name: string;
  readonly href: string;
}

/**
 * The hashtags of a need or offer, each linking to a page that lists what it
 * names: #MutualAid the group's page (all its open needs and offers),
 * #Need/#Offer that page filtered by purpose, the category that page
 * filtered by category, an incident its own page (the incident's id).
 */
export function proposalHashtags(proposal: Proposal, urls: ProposalUrls): ProposalHashtag[] {
  const category = categoryBySlug(proposal.category);
  const categoryTag = category.label.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) =>
    c ? c.toUpperCase() : "",
  );
  const filtered = (name: string, value: string) => {
    const url = new URL(urls.groupPage);
    url.searchParams.set(name, value);
    return url.href;
  };
  return [
    { name: "MutualAid", href: urls.groupPage.href },
    {
      name: proposal.purpose === "request" ? "Need" : "Offer",
      href: filtered("purpose", proposal.purpose),
    },
    { name: categoryTag, href: filtered("category", proposal.category) },
    // Mastodon users see the incident as a hashtag; our instances read the
    // `incident` term of the full document.
    ...(urls.incident == null
      ? []
      : [{ name: incidentHashtag(urls.incident.name), href: urls.incident.objectId }]),
  ];
}

/** Formats an instant for people reading the post anywhere: UTC, minute precision. */
function formatInstant(instant: Temporal.Instant): string {
  const utc = instant.toZonedDateTimeISO("UTC");
  return `${utc.toPlainDate().toString()} ${utc.toPlainTime().toString({ smallestUnit: "minute" })} UTC`;
}

export function renderProposalContent(
  group: Group,
  proposal: Proposal,
  urls: ProposalUrls,
): string {
  const kind = proposal.purpose === "request" ? "Need" : "Offer";
  const facts: string[] = [];
  const coverage = coverageOf(proposal);
  if (coverage !== null) {
    const unit = coverage.total.unit;
    const line = [`Quantity: ${escapeHtml(describeQuantity(coverage.total.amount, unit))}`];
    if (coverage.pledged !== "0") {
      const still = proposal.purpose === "request" ? "still needed" : "still available";
      const full = proposal.purpose === "request" ? "fully pledged" : "fully taken";
      const pledgedOfTotal = `pledged ${escapeHtml(describeQuantity(coverage.pledged, unit))} of ${escapeHtml(describeQuantity(coverage.total.amount, unit))}`;
      line.push(
        isFullyCovered(coverage.remaining)
          ? `${pledgedOfTotal}: ${full}`
          : `${pledgedOfTotal}, ${escapeHtml(describeQuantity(coverage.remaining, unit))} ${still}`,
      );
    }
    facts.push(line.join(" — "));
  }
  facts.push(`Category: ${escapeHtml(categoryBySlug(proposal.category).label)}`);
  if (proposal.location !== null) facts.push(`Where: ${escapeHtml(proposal.location.name)}`);
  facts.push(URGENCY_WORDS[proposal.urgency]);
  if (proposal.expiresAt !== null) {
    facts.push(
      // A date picked as a date is that date for every reader, wherever they are.
      `${proposal.purpose === "request" ? "Needed by" : "Available until"}: ${proposal.expiresOn?.toString() ?? formatInstant(proposal.expiresAt)}`,
    );
  }
  facts.push(`Status: ${STATUS_WORDS[proposal.status]}`);
  const tagLinks = proposalHashtags(proposal, urls)
    .map(
      (tag) =>
        `<a href="${escapeHtml(tag.href)}" class="mention hashtag" rel="tag">#<span>${escapeHtml(tag.name)}</span></a>`,
    )
    .join(" ");
  const page = escapeHtml(urls.pageUrl.href);
  const previous =
    urls.previousObjectId == null
      ? []
      : [
          `<p>This continues an earlier ${kind.toLowerCase()}: <a href="${escapeHtml(urls.previousObjectId.href)}">${escapeHtml(urls.previousObjectId.href)}</a></p>`,
        ];
  return [
    `<p><strong>${kind}: ${escapeHtml(proposal.title)}</strong></p>`,
    paragraphs(proposal.description),
    `<p>${facts.join("<br>")}</p>`,
    ...previous,
    `<p>From ${escapeHtml(group.name)}. Reply to this post to help, or see <a href="${page}">${page}</a></p>`,
    `<p>${tagLinks}</p>`,
  ].join("");
}

export function renderProposalObject(
  group: Group,
  proposal: Proposal,
  urls: ProposalUrls,
  language: string = DEFAULT_CONTENT_LANGUAGE,
): Record<string, unknown> {
  const audience =
    proposal.audience === "public"
      ? { to: [PUBLIC_AUDIENCE], cc: [urls.groupFollowers.href] }
      : { to: [urls.groupFollowers.href], cc: [] };
  const category = categoryBySlug(proposal.category);
  const coverage = coverageOf(proposal);
  const content = renderProposalContent(group, proposal, urls);
  const object: Record<string, unknown> = {
    "@context": PROPOSAL_CONTEXT,
    id: urls.objectId.href,
    type: ["Note", "Proposal"],
    attributedTo: urls.groupId.href,
    ...audience,
    name: proposal.title,
    content,
    contentMap: { [language]: content },
    mediaType: "text/html",
    url: urls.pageUrl.href,
    published: proposal.createdAt.toString(),
    sensitive: false,
    tag: proposalHashtags(proposal, urls).map((tag) => ({
      type: "Hashtag",
      name: `#${tag.name}`,
      href: tag.href,
    })),
    purpose: proposal.purpose,
    // Unit-based so that several pledges can each cover part of it: a
    // pledge is a whole multiple of `resourceQuantity` (the step), at most
    // `availableQuantity` (what is still needed). FEDERATION.md, "Quantities".
    unitBased: coverage !== null,
    publishes: {
      id: `${urls.objectId.href}#primary`,
      type: "Intent",
      action: SERVICE_CATEGORIES.has(proposal.category) ? "deliverService" : "transfer",
      resourceConformsTo: category.uri,
      ...(coverage === null
        ? {}
        : {
            resourceQuantity: measure(coverage.step, coverage.total.unit),
            availableQuantity: measure(coverage.remaining, coverage.total.unit),
            totalQuantity: measure(coverage.total.amount, coverage.total.unit),
            pledgedQuantity: measure(coverage.pledged, coverage.total.unit),
          }),
    },
    urgency: proposal.urgency,
    status: proposal.status,
  };
  // Mastodon applies an edit only when `updated` is present and newer, so it
  // is set as soon as the object has changed once.
  if (!proposal.updatedAt.equals(proposal.createdAt))
    object.updated = proposal.updatedAt.toString();
  if (proposal.expiresAt !== null) object.endTime = proposal.expiresAt.toString();
  if (urls.previousObjectId != null) object.continues = urls.previousObjectId.href;
  if (urls.incident != null) object.incident = urls.incident.objectId;
  const location = sharedLocation(proposal.location);
  if (location !== null) {
    object.location = {
      type: "Place",
      name: location.name,
      ...(location.latitude === null || location.longitude === null
        ? {}
        : { latitude: location.latitude, longitude: location.longitude }),
    };
  }
  return object;
}

function measure(amount: string, unit: string) {
  return { hasUnit: unit, hasNumericalValue: amount };
}
