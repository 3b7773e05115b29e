import type { Follower, Group } from "../domain/group.ts";
import type {
  InboundOffer,
  InboundPledgeAnswer,
  InboundReply,
  Responder,
} from "../domain/inbound-response.ts";
import type { FetchedIncident, Incident } from "../domain/incident.ts";
import type { Pledge } from "../domain/pledge.ts";
import type { Proposal } from "../domain/proposal.ts";
import type { Response } from "../domain/response.ts";

/**
 * What the application needs from federation, as an interface so services and
 * their tests do not depend on Fedify. The federation layer implements it.
 */
export interface ProposalPublisher {
  /** Queue delivery of a newly published need or offer to the group's followers. */
  created(group: Group, proposal: Proposal): Promise<void>;
  /** Queue delivery of its current state (an edit or a status change). */
  updated(group: Group, proposal: Proposal): Promise<void>;
  /** Queue delivery of its deletion. */
  deleted(group: Group, proposal: Proposal): Promise<void>;
}

/** Tells a collective's followers that its actor (name, summary, follow policy) changed. */
export interface GroupActorPublisher {
  /** Queue delivery of an `Update` of the group's actor, as it is now. */
  updated(group: Group): Promise<void>;
}

export interface KeyPairGenerator {
  /** One RSA (for HTTP signatures Mastodon verifies) and one Ed25519 pair (for integrity proofs). */
  generate(): Promise<
    { algorithm: "RSASSA-PKCS1-v1_5" | "Ed25519"; privateJwk: JsonWebKey; publicJwk: JsonWebKey }[]
  >;
}

export type Clock = () => Temporal.Instant;

/** Another server's actor as far as following needs it. */
export interface RemoteActorRef {
  readonly id: string;
  readonly inbox: string;
  readonly sharedInbox: string | null;
}

/** The follow and share conversations with other servers. */
export interface PeerGateway {
  /** Looks up `user@host` (WebFinger) or an actor URL; null when it is not an actor. */
  resolveActor(account: string): Promise<RemoteActorRef | null>;
  follow(group: Group, target: RemoteActorRef, followActivityId: string): Promise<void>;
  unfollow(group: Group, target: RemoteActorRef, followActivityId: string): Promise<void>;
  acceptFollower(group: Group, follower: Follower): Promise<void>;
  rejectFollower(group: Group, follower: Follower): Promise<void>;
  /**
   * The `http://ostatus.org/schema/1.0/subscribe` template from the WebFinger
   * document of `user@host` (where a person confirms a follow on their own
   * server); null when the lookup fails or there is none.
   */
  subscribeTemplate(account: string): Promise<string | null>;
  /** Announces another group's object to this group's followers. */
  share(
    group: Group,
    share: { id: string; objectId: string; originActorId: string },
  ): Promise<void>;
}

/**
 * The answering conversations with other servers (FEP-0837 and replies):
 * implemented by the federation layer, called by the outbox relay after the
 * decision is committed.
 */
export interface ConversationGateway {
  /**
   * Tells the responder their answer was accepted: an agreement gets
   * Accept(Offer) with the finalised Agreement; every remote responder also
   * gets a direct message, so a Mastodon user sees it in their notifications.
   */
  responseAccepted(group: Group, proposal: Proposal, response: Response): Promise<void>;
  /** An agreement gets Reject(Offer) with the reason; a reply needs no answer. */
  responseRejected(group: Group, proposal: Proposal, response: Response): Promise<void>;
  /** Sends a pledge's Offer(Agreement) to the proposer's inbox. */
  pledge(group: Group, pledge: Pledge): Promise<void>;
  /** Withdraws a pledge: `Undo` of its Offer, to the proposer's inbox. */
  pledgeWithdrawn(group: Group, pledge: Pledge): Promise<void>;
}

export type IncidentFetch =
  | { readonly ok: true; readonly incident: FetchedIncident }
  | { readonly ok: false; readonly error: "not-found" | "not-incident" | "refused" };

/** The incident conversations with other servers (FEDERATION.md, "Incidents"). */
export interface IncidentGateway {
  /**
   * Fetches an incident from its own id (signed as `group`), never from a
   * copy: it must be an incident attributed to an actor on its own origin.
   */
  fetchIncident(group: Group, objectId: string): Promise<IncidentFetch>;
  /** Sends `Join` (object: the incident id) to the owner's inbox. */
  join(
    group: Group,
    incident: {
      readonly objectId: string;
      readonly ownerActorId: string;
      readonly ownerInboxUrl: string;
    },
    joinActivityId: string,
  ): Promise<void>;
  /** Sends `Update` of our incident to its accepted participants and the group's followers. */
  updated(group: Group, incident: Incident): Promise<void>;
}

/**
 * What an inbound Offer needs from the federation layer while it is judged:
 * the responder is read from their actor document only once the Offer is
 * known to be new, and a refusal goes back as a `Reject` with the reason.
 */
export interface OfferConversation {
  responder(): Promise<Responder | null>;
  /** Sends `Reject` of the Offer, with the reason, as `group`. */
  refuse(group: Group, responder: Responder, reason: string): Promise<void>;
}

/** How a received answer ended: `not-ours` lets other listeners look at the activity. */
export type InboundOutcome =
  | { readonly handled: false }
  | { readonly handled: true; readonly dropped: string | null };

/**
 * The inbound answering use cases (services/inbound-responses.ts), the other
 * way round from the ports above: built in server.ts and handed to the inbox
 * listeners, which only parse and authenticate the activities.
 */
export interface InboundResponses {
  /** A reply or its edit; `responder` is read only for a reply new here. */
  receiveReply(
    reply: InboundReply,
    responder: () => Promise<Responder | null>,
  ): Promise<InboundOutcome>;
  /** The author deleted their reply (`noteId`). */
  deleteReply(noteId: string, actorId: string): Promise<InboundOutcome>;
  /** An Offer(Agreement); refused back through `conversation` when it cannot be taken. */
  receiveOffer(offer: InboundOffer, conversation: OfferConversation): Promise<InboundOutcome>;
  /** The proposer's Accept or Reject of one of our pledges. */
  receivePledgeAnswer(answer: InboundPledgeAnswer): Promise<InboundOutcome>;
  /**
   * The pledging actor withdraws its Offer (`Undo`); an Undo of an activity
   * not seen yet is remembered when it names the actor's own activity.
   */
  receiveOfferUndo(offerId: string, actorId: string): Promise<InboundOutcome>;
}
