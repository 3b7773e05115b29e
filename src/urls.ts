import type { Purpose } from "./domain/proposal.ts";

/**
 * Where everything lives on this instance. ActivityPub ids and HTML pages are
 * built here only, so the federation layer and the pages cannot disagree.
 */
export interface InstanceUrls {
  readonly origin: URL;
  group(handle: string): URL;
  groupInbox(handle: string): URL;
  groupOutbox(handle: string): URL;
  groupFollowers(handle: string): URL;
  sharedInbox(): URL;
  /** The ActivityPub id of a need or offer. */
  proposalObject(id: string): URL;
  /** Its HTML page. */
  proposalPage(purpose: Purpose, id: string): URL;
  /** The id of the Offer(Agreement) a pledge sends. */
  pledgeOffer(pledgeId: string): URL;
  /** The id of the Agreement this instance finalises when it accepts a response. */
  agreement(responseId: string): URL;
  /** The id of a direct message telling a responder their answer was accepted. */
  responseNotice(responseId: string): URL;
  /** The proposal id in one of our object ids, or null when it is not one. */
  proposalIdOf(objectId: URL): string | null;
  /** The ActivityPub id of one of our incidents. */
  incidentObject(id: string): URL;
  /** The collection of its accepted participant groups. */
  incidentParticipants(id: string): URL;
  /** The collection of the needs and offers on its board, for groups that join late. */
  incidentItems(id: string): URL;
  /** The incident id in one of our incident object ids, or null when it is not one. */
  incidentIdOf(objectId: URL): string | null;
  /** Where a person sees and withdraws what they sent without an account (private). */
  requestStatusPage(token: string): URL;
  /** Where an invited coordinator creates their account (private). */
  invitationPage(token: string): URL;
  /** A one-time link with which an account's owner sets a new password. */
  passwordResetPage(token: string): URL;
  /** A group's open-data export (`listings.csv`, …; see README "Open data"). */
  groupExport(handle: string, file: string): URL;
  /** The same for what the group receives from followed groups. */
  networkExport(handle: string, file: string): URL;
  /** A group's RSS or Atom feed of its needs and offers. */
  groupFeed(handle: string, format: FeedFormat): URL;
  /** The feed of what the group receives from followed groups. */
  networkFeed(handle: string, format: FeedFormat): URL;
  /**
   * An incident's public page, by our row id: our own incident's object id
   * (browsers get the page, ActivityPub clients the Event), or a copy's page.
   */
  incidentPage(id: string): URL;
  /** Its low-bandwidth text page of open needs. */
  incidentText(id: string): URL;
  /** An incident board's open-data export (`listings.csv`, …). */
  incidentExport(id: string, file: string): URL;
  /** The RSS or Atom feed of an incident board. */
  incidentFeed(id: string, format: FeedFormat): URL;
  /** A group's "my allies" board page. */
  alliesBoard(handle: string): URL;
  /** Its open-data export. */
  alliesExport(handle: string, file: string): URL;
  /** Its RSS or Atom feed. */
  alliesFeed(handle: string, format: FeedFormat): URL;
  /** A short link to a board item, for reading out or writing down (`/go/3f9a2c71be`). */
  shortLink(code: string): URL;
}

export type FeedFormat = "rss" | "atom";

export function instanceUrls(origin: URL): InstanceUrls {
  const at = (path: string) => new URL(path, origin);
  return {
    origin,
    group: (handle) => at(`/groups/${handle}`),
    groupInbox: (handle) => at(`/groups/${handle}/inbox`),
    groupOutbox: (handle) => at(`/groups/${handle}/outbox`),
    groupFollowers: (handle) => at(`/groups/${handle}/followers`),
    sharedInbox: () => at("/inbox"),
    proposalObject: (id) => at(`/objects/${id}`),
    proposalPage: (purpose, id) => at(`/${purpose === "request" ? "needs" : "offers"}/${id}`),
    pledgeOffer: (id) => at(`/pledges/${id}`),
    agreement: (id) => at(`/agreements/${id}`),
    responseNotice: (id) => at(`/notices/${id}`),
    proposalIdOf(objectId) {
      if (objectId.origin !== origin.origin || objectId.search !== "") return null;
      const match = /^\/objects\/([0-9a-f-]{36})$/.exec(objectId.pathname);
      return match?.[1] ?? null;
    },
    incidentObject: (id) => at(`/incidents/${id}`),
    incidentParticipants: (id) => at(`/incidents/${id}/participants`),
    incidentItems: (id) => at(`/incidents/${id}/items`),
    incidentIdOf(objectId) {
      if (objectId.origin !== origin.origin || objectId.search !== "") return null;
      const match = /^\/incidents\/([0-9a-f-]{36})$/.exec(objectId.pathname);
      return match?.[1] ?? null;
    },
    requestStatusPage: (token) => at(`/requests/${token}`),
    invitationPage: (token) => at(`/invitations/${token}`),
    passwordResetPage: (token) => at(`/password-reset/${token}`),
    groupExport: (handle, file) => at(`/api/v1/groups/${handle}/exports/${file}`),
    networkExport: (handle, file) => at(`/api/v1/groups/${handle}/network/exports/${file}`),
    groupFeed: (handle, format) => at(`/groups/${handle}/feed.${format}`),
    networkFeed: (handle, format) => at(`/groups/${handle}/network/feed.${format}`),
    incidentPage: (id) => at(`/incidents/${id}`),
    incidentText: (id) => at(`/incidents/${id}/text`),
    incidentExport: (id, file) => at(`/api/v1/incidents/${id}/exports/${file}`),
    incidentFeed: (id, format) => at(`/incidents/${id}/feed.${format}`),
    alliesBoard: (handle) => at(`/groups/${handle}/board`),
    alliesExport: (handle, file) => at(`/api/v1/groups/${handle}/board/exports/${file}`),
    alliesFeed: (handle, format) => at(`/groups/${handle}/board/feed.${format}`),
    shortLink: (code) => at(`/go/${code}`),
  };
}
