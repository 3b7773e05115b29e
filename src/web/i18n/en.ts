import type { CategorySlug } from "../../domain/categories.ts";
import type { ProposalStatus, Urgency } from "../../domain/proposal.ts";

/**
 * The English catalog. Its shape is the `Messages` type every other language
 * must satisfy, so a key missing from a translation fails the type check.
 * Messages that take values are functions; they return plain text and the
 * components escape it like any other string.
 */
export const en = {
  siteName: "Bayanihan",
  skipToContent: "Skip to content",
  language: "Language",
  home: "All collectives",
  footer: "Bayanihan: mutual aid over the fediverse.",
  notFound: "Not found",
  notFoundText: "There is nothing at this address.",
  removed: "This was removed",
  removedText: "The collective removed this post.",
  homeHeading: (host: string) => `Mutual aid collectives on ${host}`,
  homeIntro:
    "Each collective shares what its community needs and what it can offer. You can ask for help or offer help without an account.",
  noGroups: "No collectives here yet.",
  groupAccount: (account: string) => `Fediverse account: ${account}`,
  openNeeds: "Open needs",
  openOffers: "Open offers",
  noneRightNow: "None right now.",
  askForHelp: "Ask for help",
  offerHelp: "Offer help",
  printView: "Print open needs",
  filters: "Filter",
  filterCategory: "Category",
  filterUrgency: "Urgency",
  filterPurpose: "Show",
  any: "Any",
  purposeBoth: "Needs and offers",
  purposeRequest: "Needs",
  purposeOffer: "Offers",
  applyFilters: "Apply",
  followHeading: "Follow from Mastodon or another fediverse account",
  followHelp:
    "Type your own account and we will send you to your server, where you confirm the follow.",
  followAccount: "Your account",
  followAccountHint: "For example: you@mastodon.social",
  followButton: "Follow",
  followErrorFormat: "Type your account as name@server, for example you@mastodon.social.",
  followErrorLookup:
    "We could not find your server's follow page. Check the account, or search for the address shown above from your own server.",
  need: "Need",
  offer: "Offer",
  status: "Status",
  category: "Category",
  quantity: "Quantity",
  where: "Where",
  urgency: "Urgency",
  neededBy: "Needed by",
  availableUntil: "Available until",
  postedOn: "Posted",
  postedBy: "Posted by",
  helpLater:
    "To help, reply to this post from your fediverse account, or contact the collective. An “I can help” form is coming.",
  statuses: {
    open: "Open",
    pledged: "Pledged",
    fulfilled: "Fulfilled",
    closed: "Closed",
    expired: "Expired",
  } satisfies Record<ProposalStatus, string>,
  urgencies: {
    low: "Low",
    normal: "Normal",
    high: "High",
    critical: "Critical",
  } satisfies Record<Urgency, string>,
  categories: {
    food: "Food",
    water: "Drinking water",
    shelter: "Shelter",
    medical: "Medical care",
    medication: "Medication",
    hygiene: "Hygiene supplies",
    clothing: "Clothing",
    transport: "Transport",
    childcare: "Childcare",
    eldercare: "Eldercare",
    legal: "Legal help",
    money: "Money",
    utilities: "Utilities",
    communication: "Communication",
    skills: "Skills and labour",
    other: "Other",
  } satisfies Record<CategorySlug, string>,
  printHeading: (group: string) => `${group}: open needs`,
  printedOn: (date: string) => `Printed ${date}`,
} as const;

type Widen<T> = T extends string
  ? string
  : T extends (...args: infer A) => string
    ? (...args: A) => string
    : { readonly [K in keyof T]: Widen<T[K]> };

export type Messages = Widen<typeof en>;
