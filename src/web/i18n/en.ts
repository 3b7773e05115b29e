import type { CategorySlug } from "../../domain/categories.ts";
import type { IntakeProblem, IntakeState } from "../../domain/intake.ts";
import type { ProposalStatus, Urgency } from "../../domain/proposal.ts";
import type { Unit } from "../../domain/units.ts";

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
  askHeading: (group: string) => `Ask ${group} for help`,
  offerHeading: (group: string) => `Offer help to ${group}`,
  askIntro:
    "No account needed. A coordinator of the collective reads your request before anything is published, and your contact details are never made public.",
  offerIntro:
    "No account needed. A coordinator of the collective reads your offer and contacts you; your contact details are never made public.",
  fieldTitleRequest: "What do you need?",
  fieldTitleRequestHint: "A few words, for example: baby formula for two weeks.",
  fieldTitleOffer: "What can you offer?",
  fieldTitleOfferHint: "A few words, for example: a van on weekends.",
  fieldDescription: "More details (optional)",
  fieldDescriptionHint:
    "Anything that helps the collective understand. Keep private details for the contact field.",
  fieldCategory: "Kind of help",
  fieldQuantity: "How much (optional)",
  fieldUnit: "Unit",
  fieldPlace: "Where (optional)",
  fieldPlaceHint: "A neighbourhood or a landmark is enough.",
  fieldUrgency: "How urgent is it?",
  fieldNeededBy: "Needed by (optional)",
  fieldAvailableUntil: "Available until (optional)",
  fieldContact: "How can the collective reach you?",
  fieldContactHint:
    "Phone, email, or where to find you. Only the collective's coordinators see this.",
  honeypotLabel: "Leave this field empty",
  submitRequest: "Send my request",
  submitOffer: "Send my offer",
  problemSummary: "Please check the fields marked below.",
  problems: {
    required: "Please fill this in.",
    "too-long": "This is too long; please shorten it.",
    "unknown-category": "Please choose a kind of help from the list.",
    "unknown-urgency": "Please choose how urgent it is from the list.",
    "invalid-amount": "Write a number greater than zero, for example 2 or 2.5.",
    "unknown-unit": "Please choose a unit from the list.",
    "invalid-date": "Write a date such as 2026-12-31.",
    "date-in-past": "This date has passed; choose today or a later day.",
  } satisfies Record<IntakeProblem, string>,
  honeypotFilled: "This form could not be sent. Please leave the last field empty and try again.",
  rateLimited:
    "Many requests were sent from this connection in the last hour, so we paused it. Please try again later or contact the collective directly.",
  tooLarge: "The form was too large to send. Please shorten your text.",
  crossSite: "This form must be sent from this site.",
  receivedRequest: "Your request was received",
  receivedOffer: "Your offer was received",
  whatHappensNext: "What happens next",
  nextRead: (group: string) => `A coordinator of ${group} reads it. Nothing is public yet.`,
  nextAct:
    "They contact you, or publish it without your contact details so that neighbours can help.",
  nextFollow: "You can see what happens, or withdraw it, at your private link below.",
  privateLink: "Your private link",
  privateLinkHint:
    "Save or bookmark this link now: we cannot show it again. Anyone who has it can see and withdraw your request, so share it only with people you trust.",
  openStatus: "See your request",
  statusHeadingRequest: (group: string) => `Your request to ${group}`,
  statusHeadingOffer: (group: string) => `Your offer to ${group}`,
  state: "State",
  states: {
    new: "Received: waiting for a coordinator to read it.",
    published: "Published: the collective shared it, without your contact details.",
    declined: "Declined: the collective could not take it on.",
    withdrawn: "Withdrawn: you withdrew it, and nobody will act on it.",
  } satisfies Record<IntakeState, string>,
  sentOn: "Sent",
  yourContact: "Your contact (private)",
  withdrawHelp: "If you no longer need this, withdraw it and the collective will not act on it.",
  withdrawButton: "Withdraw",
  cannotWithdraw:
    "A coordinator has already acted on this, so it can no longer be withdrawn here. Please contact the collective.",
  units: {
    one: "items",
    gram: "grams",
    kilogram: "kilograms",
    tonne: "tonnes",
    millilitre: "millilitres",
    litre: "litres",
    cubicMetre: "cubic metres",
    metre: "metres",
    kilometre: "kilometres",
    squareMetre: "square metres",
    minute: "minutes",
    hour: "hours",
    day: "days",
    week: "weeks",
    month: "months",
  } satisfies Record<Unit, string>,
  printHeading: (group: string) => `${group}: open needs`,
  printedOn: (date: string) => `Printed ${date}`,
} as const;

type Widen<T> = T extends string
  ? string
  : T extends (...args: infer A) => string
    ? (...args: A) => string
    : { readonly [K in keyof T]: Widen<T[K]> };

export type Messages = Widen<typeof en>;
