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
import type { Kysely } from "kysely";
import type { Database } from "../../src/db/database.ts";
import { findGroupById } from "../../src/db/groups.repo.ts";
import { insertNotification } from "../../src/db/notifications.repo.ts";
import { answerPledge, findPledgeByOffer } from "../../src/db/pledges.repo.ts";
import {
  findProposal,
  insertPendingActivity,
  updateProposal,
} from "../../src/db/proposals.repo.ts";
import {
  countAcceptedResponses,
  deleteReply,
  findResponse,
  findResponseByActivity,
  insertResponse,
  markResponseWithdrawn,
  updateReplyContent,
} from "../../src/db/responses.repo.ts";
import { recordUndone, wasUndoneBy } from "../../src/db/undone-activities.repo.ts";
import { formatDecimal } from "../../src/domain/decimal.ts";
import type { Group } from "../../src/domain/group.ts";
import { newId } from "../../src/domain/ids.ts";
import type { NotificationMessage } from "../../src/domain/notification-message.ts";
import { checkPledgeQuantity, coverageOf, targetOf } from "../../src/domain/pledging.ts";
import type { Proposal } from "../../src/domain/proposal.ts";
import {
  RESPONSE_LIMITS,
  type Response,
  takesResponses,
  withdrawResponse,
} from "../../src/domain/response.ts";
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
 */

function drop(kind: string, id: URL | null, why: string): void {
  logger.debug("Dropped {kind} {id}: {why}", { kind, id: id?.href ?? "(no id)", why });
}

/** For reading only what an activity embeds: anything by reference is not fetched. */
const noFetch: DocumentLoader = (url) => Promise.reject(new Error(`not embedded: ${url}`));

async function embeddedObject(activity: Create | Update | Offer): Promise<APObject | null> {
  return activity
    .getObject({ documentLoader: noFetch, suppressError: true, crossOrigin: "ignore" })
    .catch(() => null);
}

async function ourProposal(
  deps: FederationDeps,
  objectId: URL | null,
): Promise<{ group: Group; proposal: Proposal } | null> {
  if (objectId === null) return null;
  const id = deps.urls.proposalIdOf(objectId);
  if (id === null) return null;
  const found = await findProposal(deps.db, id);
  if (found.state !== "live") return null;
  const group = await findGroupById(deps.db, found.proposal.groupId);
  return group === null ? null : { group, proposal: found.proposal };
}

/** The responder's inbox and `@user@host`, from their actor document. */
async function responderOf(
  ctx: InboxContext<void>,
  activity: Create | Update | Offer,
): Promise<{ inbox: string; name: string } | null> {
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

async function recordResponse(
  db: Kysely<Database>,
  group: Group,
  response: Response,
  message: NotificationMessage,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await insertResponse(trx, response))) return false;
    await insertNotification(
      trx,
      group.id,
      { kind: "response", subjectId: response.id, message },
      response.createdAt,
    );
    return true;
  });
}

/**
 * A reply to one of our needs or offers. True when the activity was a reply
 * to one of ours (stored or dropped here); false lets other listeners look.
 */
export async function onReplyCreatedOrUpdated(
  ctx: InboxContext<void>,
  activity: Create | Update,
  deps: FederationDeps,
): Promise<boolean> {
  const kind = activity instanceof Update ? "Update" : "Create";
  const note = await embeddedObject(activity);
  if (note === null || note.replyTargetId === null) return false;
  const target = await ourProposal(deps, note.replyTargetId);
  if (target === null) return false;
  const { actorId } = activity;
  if (actorId === null || note.id === null) {
    drop(kind, activity.id, "no actor or reply id");
    return true;
  }
  if (note.id.origin !== actorId.origin || note.attributionId?.href !== actorId.href) {
    drop(kind, activity.id, "the reply is not the sender's own");
    return true;
  }
  const now = deps.clock();
  const content = plainText(note.content, RESPONSE_LIMITS.content);
  const written = note.updated ?? note.published ?? now;
  if (kind === "Update" || (await findResponseByActivity(deps.db, note.id.href)) !== null) {
    const edited = await updateReplyContent(
      deps.db,
      note.id.href,
      actorId.href,
      content,
      written,
      now,
    );
    // Mastodon creates an unknown edited post on the spot; so do we.
    if (edited || (await findResponseByActivity(deps.db, note.id.href)) !== null) return true;
  }
  const responder = await responderOf(ctx, activity);
  if (responder === null) {
    drop(kind, activity.id, "the replying actor has no inbox");
    return true;
  }
  const response: Response = {
    id: newId(now.epochMilliseconds),
    proposalId: target.proposal.id,
    source: "reply",
    actorId: actorId.href,
    actorInboxUrl: responder.inbox,
    actorName: responder.name,
    activityId: note.id.href,
    content,
    quantity: null,
    acceptedAmount: null,
    contact: null,
    state: "proposed",
    reason: null,
    agreementId: null,
    remoteUpdatedAt: written,
    createdAt: now,
    updatedAt: now,
  };
  await recordResponse(deps.db, target.group, response, {
    key: "replied",
    actor: responder.name,
    title: target.proposal.title,
  });
  return true;
}

/** The author deleted a reply. True when it was one of the responses here. */
export async function onReplyDeleted(del: Delete, deps: FederationDeps): Promise<boolean> {
  if (del.actorId === null || del.objectId === null) return false;
  const response = await findResponseByActivity(deps.db, del.objectId.href);
  if (response === null || response.source !== "reply") return false;
  if (response.actorId !== del.actorId.href) {
    drop("Delete", del.id, "only the reply's author may delete it");
    return true;
  }
  await deleteReply(deps.db, del.objectId.href, del.actorId.href, deps.clock());
  return true;
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
  const target = await ourProposal(deps, objectId);
  if (target === null || satisfies.hash !== "#primary") {
    return drop("Offer", id, `${satisfies.href} is not the intent of a need or offer here`);
  }
  if ((await findResponseByActivity(deps.db, id.href)) !== null) return; // A redelivery.
  // Its Undo was handled first (received activities run concurrently).
  if (await wasUndoneBy(deps.db, id.href, actorId.href)) {
    return drop("Offer", id, "its actor already withdrew it");
  }
  const { group, proposal } = target;
  const responder = await responderOf(ctx, offer);
  if (responder === null) return drop("Offer", id, "the offering actor has no inbox");
  const refuse = async (reason: string) => {
    logger.info("Refused Offer {id} for {proposal}: {reason}", {
      id: id.href,
      proposal: proposal.id,
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
  };
  if (!takesResponses(proposal))
    return refuse(`This is ${proposal.status}; it takes no more pledges`);
  const measure = commitment.resourceQuantity;
  const offered =
    measure === null
      ? null
      : { amount: String(measure.numericalValue ?? ""), unit: measure.unit ?? "" };
  // Beyond what is still needed is the coordinator's call, at acceptance.
  const check = checkPledgeQuantity(targetOf(coverageOf(proposal)), offered, { allowExcess: true });
  if (!check.ok) return refuse(check.message);
  const now = deps.clock();
  const message = plainText(offer.content ?? agreement.content, RESPONSE_LIMITS.content);
  await recordResponse(
    deps.db,
    group,
    {
      id: newId(now.epochMilliseconds),
      proposalId: proposal.id,
      source: "agreement",
      actorId: actorId.href,
      actorInboxUrl: responder.inbox,
      actorName: responder.name,
      activityId: id.href,
      content: message,
      quantity:
        check.amount === null || proposal.quantity === null
          ? null
          : { amount: formatDecimal(check.amount), unit: proposal.quantity.unit },
      acceptedAmount: null,
      contact: null,
      state: "proposed",
      reason: null,
      agreementId: null,
      remoteUpdatedAt: null,
      createdAt: now,
      updatedAt: now,
    },
    {
      key: "pledged",
      actor: responder.name,
      title: proposal.title,
      quantity: offered === null ? null : { amount: offered.amount, unit: offered.unit },
    },
  );
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
  const pledge = await findPledgeByOffer(deps.db, answer.objectId.href);
  if (pledge === null) return false;
  if (pledge.targetActorId !== answer.actorId.href) {
    drop(
      answer instanceof Reject ? "Reject" : "Accept",
      answer.id,
      "only the proposer may answer this pledge",
    );
    return true;
  }
  const accepted = !(answer instanceof Reject);
  const now = deps.clock();
  const reason = accepted ? null : plainText(answer.content, RESPONSE_LIMITS.reason) || null;
  await deps.db.transaction().execute(async (trx) => {
    const answered = await answerPledge(
      trx,
      pledge.id,
      {
        state: accepted ? "accepted" : "rejected",
        reason,
        agreementId: accepted ? (answer.resultId?.href ?? null) : null,
      },
      now,
    );
    if (!answered) return;
    await insertNotification(
      trx,
      pledge.groupId,
      {
        kind: "pledge-answered",
        subjectId: pledge.id,
        message: accepted ? { key: "pledge-accepted" } : { key: "pledge-declined", reason },
      },
      now,
    );
  });
  return true;
}

/**
 * The pledging group withdraws its Offer (`Undo` of it), before or after it
 * was accepted: the response is withdrawn, an accepted amount goes back to
 * the need, whose `Update` reaches every copy through the outbox, and the
 * coordinators are told. Only the Offer's own actor may undo it. True when
 * the Undo named an Offer answered here; false lets the follows look.
 *
 * An Undo of an activity not seen yet is remembered (only for the actor's
 * own activities), so the Offer it withdraws, if it comes late, is dropped.
 */
export async function onOfferUndone(undo: Undo, deps: FederationDeps): Promise<boolean> {
  if (undo.actorId === null || undo.objectId === null) return false;
  const response = await findResponseByActivity(deps.db, undo.objectId.href);
  if (response === null) {
    if (undo.objectId.origin === undo.actorId.origin) {
      await recordUndone(
        deps.db,
        { activityId: undo.objectId.href, actorId: undo.actorId.href },
        deps.clock(),
      );
    }
    return false;
  }
  if (response.source !== "agreement") return false;
  if (response.actorId !== undo.actorId.href) {
    drop("Undo", undo.id, "only the pledging actor may withdraw its Offer");
    return true;
  }
  const now = deps.clock();
  const changed = await deps.db.transaction().execute(async (trx) => {
    // Read again inside: an acceptance committed meanwhile is given back too.
    const current = await findResponse(trx, response.id);
    if (current === null) return false;
    const found = await findProposal(trx, current.proposalId);
    const proposal = found.state === "live" ? found.proposal : null;
    const others = await countAcceptedResponses(trx, current.proposalId, current.id);
    const result = withdrawResponse(proposal, current, others, now);
    if (!result.ok) return false; // Already declined or withdrawn: a redelivery.
    if (!(await markResponseWithdrawn(trx, current.id, current.state, now))) {
      throw new Error(`Response ${current.id} changed while it was being withdrawn; retrying`);
    }
    if (proposal !== null && result.proposal !== null) {
      if (!(await updateProposal(trx, result.proposal, proposal.updatedAt))) {
        throw new Error(`Proposal ${proposal.id} changed while a pledge was withdrawn; retrying`);
      }
      await insertPendingActivity(trx, proposal.id, "update", result.proposal.updatedAt);
    }
    if (proposal !== null) {
      const group = await findGroupById(trx, proposal.groupId);
      if (group !== null) {
        await insertNotification(
          trx,
          group.id,
          {
            kind: "response",
            subjectId: current.id,
            message: {
              key: "pledge-withdrawn",
              actor: current.actorName ?? current.actorId ?? "",
              title: proposal.title,
            },
          },
          now,
        );
      }
    }
    return result.proposal !== null;
  });
  if (changed) deps.onOutboxWritten?.();
  return true;
}
