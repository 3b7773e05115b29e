import {
  Accept,
  Agreement,
  Commitment,
  Create,
  isActor,
  Measure,
  Mention,
  Note,
  Offer,
  Reject,
  Undo,
} from "@fedify/vocab";
import { parseDecimal } from "@fedify/vocab-runtime";
import type { Group } from "../src/domain/group.ts";
import type { Pledge } from "../src/domain/pledge.ts";
import type { Proposal, Quantity } from "../src/domain/proposal.ts";
import type { Response } from "../src/domain/response.ts";
import { describeQuantity } from "../src/domain/units.ts";
import type { ConversationGateway } from "../src/services/ports.ts";
import type { InstanceUrls } from "../src/urls.ts";
import type { AppFederation } from "./federation.ts";
import { escapeHtml } from "./html.ts";

/**
 * The answering conversations over Fedify (FEDERATION.md, "Responses and
 * pledges"): FEP-0837 Offer(Agreement) → Accept(result Agreement) / Reject,
 * and a direct message to a responder whose answer was accepted. Activity ids
 * derive from our row ids, so a relay that sends twice sends the same ids.
 */
export function createConversationGateway(
  federation: AppFederation,
  deps: { urls: InstanceUrls },
): ConversationGateway {
  const { urls } = deps;
  const context = () => federation.createContext(urls.origin, undefined);

  function measure(quantity: Quantity): Measure {
    return new Measure({ unit: quantity.unit, numericalValue: parseDecimal(quantity.amount) });
  }

  function responder(response: Response) {
    if (response.actorId === null || response.actorInboxUrl === null) return null;
    return { id: new URL(response.actorId), inboxId: new URL(response.actorInboxUrl) };
  }

  /** A Mention-addressed Note to the responder only: Mastodon shows it as a private mention. */
  async function notice(group: Group, proposal: Proposal, response: Response): Promise<void> {
    const to = responder(response);
    if (to === null) return;
    const groupId = urls.group(group.handle);
    const noticeId = urls.responseNotice(response.id);
    const name = response.actorName ?? to.id.href;
    const page = urls.proposalPage(proposal.purpose, proposal.id).href;
    const what = proposal.purpose === "request" ? "offer to help with" : "request for";
    const amount =
      response.acceptedAmount === null || proposal.quantity === null
        ? ""
        : ` (${describeQuantity(response.acceptedAmount, proposal.quantity.unit)})`;
    const content =
      `<p><span class="h-card"><a href="${escapeHtml(to.id.href)}" class="u-url mention">${escapeHtml(name)}</a></span> ` +
      `Thank you! ${escapeHtml(group.name)} accepted your ${what} “${escapeHtml(proposal.title)}”${escapeHtml(amount)}. ` +
      `A coordinator will be in touch to arrange the details. <a href="${escapeHtml(page)}">${escapeHtml(page)}</a></p>`;
    await context().sendActivity(
      { identifier: group.handle },
      to,
      new Create({
        id: new URL(`${noticeId.href}#create`),
        actor: groupId,
        tos: [to.id],
        published: response.updatedAt,
        object: new Note({
          id: noticeId,
          attribution: groupId,
          tos: [to.id],
          content,
          published: response.updatedAt,
          ...(response.source === "reply" && response.activityId !== null
            ? { replyTarget: new URL(response.activityId) }
            : {}),
          tags: [new Mention({ href: to.id, name })],
        }),
      }),
    );
  }

  return {
    async responseAccepted(group, proposal, response) {
      const to = responder(response);
      if (response.source === "agreement" && to !== null && response.activityId !== null) {
        const agreementId = urls.agreement(response.id);
        const groupId = urls.group(group.handle);
        await context().sendActivity(
          { identifier: group.handle },
          to,
          new Accept({
            id: new URL(`${agreementId.href}#accept`),
            actor: groupId,
            object: new URL(response.activityId),
            tos: [to.id],
            result: new Agreement({
              id: agreementId,
              attribution: groupId,
              stipulates: new Commitment({
                id: new URL(`${agreementId.href}#primary`),
                satisfies: new URL(`${urls.proposalObject(proposal.id).href}#primary`),
                ...(response.quantity === null
                  ? {}
                  : { resourceQuantity: measure(response.quantity) }),
              }),
            }),
          }),
        );
      }
      await notice(group, proposal, response);
    },

    async responseRejected(group, _proposal, response) {
      const to = responder(response);
      if (response.source !== "agreement" || to === null || response.activityId === null) return;
      await context().sendActivity(
        { identifier: group.handle },
        to,
        new Reject({
          id: new URL(`${urls.agreement(response.id).href}#reject`),
          actor: urls.group(group.handle),
          object: new URL(response.activityId),
          tos: [to.id],
          ...(response.reason === null ? {} : { content: response.reason }),
        }),
      );
    },

    async pledge(group, pledge) {
      const ctx = context();
      await ctx.sendActivity(
        { identifier: group.handle },
        await proposer(pledge),
        offerFor(urls, group, pledge),
        { orderingKey: pledge.offerId },
      );
    },

    async pledgeWithdrawn(group, pledge) {
      // The Offer is embedded, as Mastodon embeds the Follow it undoes; the
      // proposer matches it by id and by the actor that sent it.
      await context().sendActivity(
        { identifier: group.handle },
        await proposer(pledge),
        new Undo({
          id: new URL(`${pledge.offerId}#undo`),
          actor: urls.group(group.handle),
          tos: [new URL(pledge.targetActorId)],
          object: offerFor(urls, group, pledge),
        }),
        // Never ahead of the Offer it withdraws, retries included.
        { orderingKey: pledge.offerId },
      );
    },
  };

  /**
   * The proposer's inbox comes from its actor document (cached by the
   * loader); a failure throws and the relay tries again later.
   */
  async function proposer(pledge: Pledge) {
    const actor = await context().lookupObject(pledge.targetActorId);
    if (!isActor(actor) || actor.id?.href !== pledge.targetActorId || actor.inboxId === null) {
      throw new Error(`${pledge.targetActorId} is not an actor with an inbox`);
    }
    return actor;
  }
}

export function offerFor(urls: InstanceUrls, group: Group, pledge: Pledge): Offer {
  const groupId = urls.group(group.handle);
  return new Offer({
    id: new URL(pledge.offerId),
    actor: groupId,
    tos: [new URL(pledge.targetActorId)],
    ...(pledge.message === "" ? {} : { content: pledge.message }),
    object: new Agreement({
      attribution: groupId,
      stipulates: new Commitment({
        satisfies: new URL(pledge.intentId),
        ...(pledge.quantity === null
          ? {}
          : {
              resourceQuantity: new Measure({
                unit: pledge.quantity.unit,
                numericalValue: parseDecimal(pledge.quantity.amount),
              }),
            }),
      }),
    }),
  });
}
