import type { InboxContext } from "@fedify/fedify";
import {
  type Accept,
  Agreement,
  type Object as APObject,
  type Create,
  type Delete,
  isActor,
  type Offer,
  Reject,
  type Undo,
  Update,
} from "@fedify/vocab";
import type { DocumentLoader } from "@fedify/vocab-runtime";
import { getLogger } from "@logtape/logtape";
import { newId } from "../../src/domain/ids.ts";
import type { Responder } from "../../src/domain/inbound-response.ts";
import { RESPONSE_LIMITS } from "../../src/domain/response.ts";
import type { InboundOutcome, OfferConversation } from "../../src/services/ports.ts";
import type { FederationDeps } from "../federation.ts";
import { htmlToText } from "../html-to-text.ts";

const logger = getLogger(["bayanihan", "federation", "inbox", "responses"]);

/**
 * Answers to our needs and offers (FEDERATION.md, "Responses and pledges"):
 * - a reply (`Create(Note)` whose `inReplyTo` is one of our objects), its
 *   edits (`Update`) and deletion (`Delete`), from the reply's author only;
 * - an FEP-0837 `Offer(Agreement)` whose Commitment satisfies one of our
 *   proposals' primary intent, checked (unit, step, positive) and answered
 *   with `Reject` and a reason when it cannot be taken; nothing stored then;
 * - the proposer's `Accept`/`Reject` of one of our groups' pledges.
 * The embedded reply or Agreement is used as sent: the activity is signed
 * by its author, and the object must be on the author's own origin.
 *
 * These listeners only read the activities into domain values and check who
 * sent them; the rules and transactions are services/inbound-responses.ts,
 * reached through `deps.responses`.
 */

function drop(kind: string, id: URL | null, why: string): void {
  logger.debug("Dropped {kind} {id}: {why}", { kind, id: id?.href ?? "(no id)", why });
}

/** Logs a drop the service decided on; true when the activity was one for these listeners. */
function handled(kind: string, id: URL | null, outcome: InboundOutcome): boolean {
  if (outcome.handled && outcome.dropped !== null) drop(kind, id, outcome.dropped);
  return outcome.handled;
}

/** For reading only what an activity embeds: anything by reference is not fetched. */
const noFetch: DocumentLoader = (url) => Promise.reject(new Error(`not embedded: ${url}`));

async function embeddedObject(activity: Create | Update | Offer): Promise<APObject | null> {
  return activity
    .getObject({ documentLoader: noFetch, suppressError: true, crossOrigin: "ignore" })
    .catch(() => null);
}

/** The responder's inbox and `@user@host`, from their actor document. */
async function responderOf(
  ctx: InboxContext<void>,
  activity: Create | Update | Offer,
): Promise<Responder | null> {
  const actor = await activity.getActor(ctx);
  if (!isActor(actor) || actor.id === null || actor.inboxId === null) return null;
  const username = actor.preferredUsername?.toString() ?? null;
  return {
    inbox: actor.inboxId.href,
    name: username === null ? actor.id.href : `@${username}@${actor.id.host}`,
  };
}

function plainText(value: unknown, limit: number): string {
  return htmlToText(value == null ? "" : String(value), limit);
}

/**
 * A reply to one of our needs or offers. True when the activity was a reply
 * to one of ours (stored or dropped); false lets other listeners look.
 */
export async function onReplyCreatedOrUpdated(
  ctx: InboxContext<void>,
  activity: Create | Update,
  deps: FederationDeps,
): Promise<boolean> {
  const edit = activity instanceof Update;
  const note = await embeddedObject(activity);
  if (note === null || note.replyTargetId === null) return false;
  const proposalId = deps.urls.proposalIdOf(note.replyTargetId);
  if (proposalId === null) return false;
  const outcome = await deps.responses.receiveReply(
    {
      proposalId,
      noteId: note.id?.href ?? null,
      actorId: activity.actorId?.href ?? null,
      attributedTo: note.attributionId?.href ?? null,
      content: plainText(note.content, RESPONSE_LIMITS.content),
      written: note.updated ?? note.published ?? null,
      edit,
    },
    () => responderOf(ctx, activity),
  );
  return handled(edit ? "Update" : "Create", activity.id, outcome);
}

/** The author deleted a reply. True when it was one of the responses here. */
export async function onReplyDeleted(del: Delete, deps: FederationDeps): Promise<boolean> {
  if (del.actorId === null || del.objectId === null) return false;
  const outcome = await deps.responses.deleteReply(del.objectId.href, del.actorId.href);
  return handled("Delete", del.id, outcome);
}

/** An FEP-0837 Offer(Agreement) answering one of our needs or offers. */
export async function onOffered(
  ctx: InboxContext<void>,
  offer: Offer,
  deps: FederationDeps,
): Promise<void> {
  const { actorId, id } = offer;
  if (actorId === null || id === null) return drop("Offer", id, "no id or actor");
  if (id.origin !== actorId.origin)
    return drop("Offer", id, "the Offer is not on its actor's origin");
  const agreement = await embeddedObject(offer);
  if (!(agreement instanceof Agreement)) return drop("Offer", id, "no embedded Agreement");
  const commitment = agreement.stipulates;
  const satisfies = commitment?.satisfies ?? null;
  if (commitment === null || satisfies === null) {
    return drop("Offer", id, "no Commitment that satisfies an intent");
  }
  const objectId = new URL(satisfies.href);
  objectId.hash = "";
  const proposalId = deps.urls.proposalIdOf(objectId);
  if (proposalId === null || satisfies.hash !== "#primary") {
    return drop("Offer", id, `${satisfies.href} is not the intent of a need or offer here`);
  }
  const measure = commitment.resourceQuantity;
  const conversation: OfferConversation = {
    responder: () => responderOf(ctx, offer),
    refuse: async (group, responder, reason) => {
      logger.info("Refused Offer {id} for {proposal}: {reason}", {
        id: id.href,
        proposal: proposalId,
        reason,
      });
      await ctx.sendActivity(
        { identifier: group.handle },
        { id: actorId, inboxId: new URL(responder.inbox) },
        new Reject({
          id: new URL(`${ctx.getActorUri(group.handle).href}#offer-rejects/${newId()}`),
          actor: ctx.getActorUri(group.handle),
          object: id,
          tos: [actorId],
          content: reason,
        }),
      );
    },
  };
  const outcome = await deps.responses.receiveOffer(
    {
      offerId: id.href,
      actorId: actorId.href,
      proposalId,
      offered:
        measure === null
          ? null
          : { amount: String(measure.numericalValue ?? ""), unit: measure.unit ?? "" },
      message: plainText(offer.content ?? agreement.content, RESPONSE_LIMITS.content),
    },
    conversation,
  );
  handled("Offer", id, outcome);
}

/**
 * The proposer's answer to one of our pledges, matched by our Offer id and
 * the actor we sent it to. True when it answered a pledge of ours.
 */
export async function onPledgeAnswered(
  answer: Accept | Reject,
  deps: FederationDeps,
): Promise<boolean> {
  if (answer.actorId === null || answer.objectId === null) return false;
  const accepted = !(answer instanceof Reject);
  const outcome = await deps.responses.receivePledgeAnswer({
    offerId: answer.objectId.href,
    actorId: answer.actorId.href,
    accepted,
    reason: accepted ? null : plainText(answer.content, RESPONSE_LIMITS.reason),
    agreementId: accepted ? (answer.resultId?.href ?? null) : null,
  });
  return handled(accepted ? "Accept" : "Reject", answer.id, outcome);
}

/**
 * The pledging group withdraws its Offer (`Undo` of it). True when the Undo
 * named an Offer answered here; false lets the follows look.
 */
export async function onOfferUndone(undo: Undo, deps: FederationDeps): Promise<boolean> {
  if (undo.actorId === null || undo.objectId === null) return false;
  const outcome = await deps.responses.receiveOfferUndo(undo.objectId.href, undo.actorId.href);
  return handled("Undo", undo.id, outcome);
}
