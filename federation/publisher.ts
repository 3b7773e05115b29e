import type { Recipient } from "@fedify/vocab";
import { type Activity, Create, Delete, Tombstone, Update } from "@fedify/vocab";
import type { Kysely } from "kysely";
import type { Database } from "../src/db/database.ts";
import { listAcceptedFollowers } from "../src/db/followers.repo.ts";
import { findGroupById } from "../src/db/groups.repo.ts";
import { findIncidentByObjectId } from "../src/db/incidents.repo.ts";
import type { Group } from "../src/domain/group.ts";
import type { Proposal } from "../src/domain/proposal.ts";
import type { GroupActorPublisher, ProposalPublisher } from "../src/services/ports.ts";
import type { InstanceUrls } from "../src/urls.ts";
import { groupActor } from "./actors.ts";
import type { AppFederation } from "./federation.ts";
import { incidentRecipients, uniqueRecipients } from "./incident-recipients.ts";
import { reshareToParticipants } from "./incident-reshare.ts";
import { proposalDocument } from "./objects.ts";
import { embeddedNote } from "./proposal-note.ts";
import { PUBLIC_AUDIENCE } from "./proposal-object.ts";

/**
 * Sends needs and offers to the group's followers through the persistent
 * queue. `Create` and `Update` embed a plain `Note` cut from the full
 * document (proposal-note.ts), so microblog readers have the text without
 * fetching; readers that want the FEP-0837 terms fetch the full document
 * from the object's id, which Fedify's re-compaction of an embedded object
 * would otherwise strip.
 *
 * Activity ids are derived from the object and its version, so a relay that
 * sends the same change twice produces the same id and receivers deduplicate.
 * The ordering key is the object id: an Update never overtakes its Create.
 */
export function createProposalPublisher(
  federation: AppFederation,
  deps: { db: Kysely<Database>; urls: InstanceUrls; isAllowed: (url: URL) => Promise<boolean> },
): ProposalPublisher {
  const { urls } = deps;

  function addressing(group: Group, proposal: Proposal) {
    const followers = urls.groupFollowers(group.handle);
    return proposal.audience === "public"
      ? { tos: [new URL(PUBLIC_AUDIENCE)], ccs: [followers] }
      : { tos: [followers], ccs: [] };
  }

  async function send(
    group: Group,
    proposal: Proposal,
    activity: Activity,
    kind: "create" | "update" | "delete",
  ): Promise<void> {
    const recipients = await followerInboxes(deps.db, group.id, deps.isAllowed);
    const ctx = federation.createContext(urls.origin, undefined);
    // A tagged need also reaches the incident's participants (FEDERATION.md,
    // "Reaching every participant"). Only public ones: the board is public.
    const tag = proposal.incident ?? null;
    const incident =
      tag !== null && proposal.audience === "public"
        ? await findIncidentByObjectId(deps.db, tag)
        : null;
    if (incident !== null && incident.groupId !== null && incident.groupId !== group.id) {
      // Another group of this instance owns it: like any owner, it re-shares
      // the participant's need; a deletion goes to the participants directly.
      const owner = await findGroupById(deps.db, incident.groupId);
      if (owner !== null && kind !== "delete") {
        await reshareToParticipants(ctx, deps, owner, incident, {
          objectId: urls.proposalObject(proposal.id).href,
          authorId: urls.group(group.handle).href,
          updatedAt: proposal.updatedAt,
        });
      } else if (owner !== null) {
        recipients.push(...(await incidentRecipients(deps.db, incident, deps.isAllowed)));
      }
    } else if (incident !== null) {
      // Our own incident: every participant; a copy: its owner, who re-shares it.
      recipients.push(...(await incidentRecipients(deps.db, incident, deps.isAllowed)));
    }
    const unique = uniqueRecipients(recipients);
    if (unique.length === 0) return;
    await ctx.sendActivity({ identifier: group.handle }, unique, activity, {
      preferSharedInbox: true,
      orderingKey: urls.proposalObject(proposal.id).href,
    });
  }

  /** The Note as of the proposal's current version, which the relay hands us. */
  async function note(group: Group, proposal: Proposal) {
    return embeddedNote(await proposalDocument(deps.db, urls, group, proposal));
  }

  return {
    async created(group, proposal) {
      const objectId = urls.proposalObject(proposal.id);
      await send(
        group,
        proposal,
        new Create({
          id: new URL(`${objectId.href}#create`),
          actor: urls.group(group.handle),
          object: await note(group, proposal),
          published: proposal.createdAt,
          ...addressing(group, proposal),
        }),
        "create",
      );
    },
    async updated(group, proposal) {
      const objectId = urls.proposalObject(proposal.id);
      await send(
        group,
        proposal,
        new Update({
          id: new URL(`${objectId.href}#update-${proposal.updatedAt.epochMilliseconds}`),
          actor: urls.group(group.handle),
          object: await note(group, proposal),
          updated: proposal.updatedAt,
          ...addressing(group, proposal),
        }),
        "update",
      );
    },
    async deleted(group, proposal) {
      const objectId = urls.proposalObject(proposal.id);
      await send(
        group,
        proposal,
        new Delete({
          id: new URL(`${objectId.href}#delete`),
          actor: urls.group(group.handle),
          object: new Tombstone({ id: objectId }),
          ...addressing(group, proposal),
        }),
        "delete",
      );
    },
  };
}

/**
 * Tells a collective's followers that its actor changed (name, summary,
 * follow policy): an `Update` embedding the current actor document, as
 * Mastodon expects, whose id carries the version so a second send of the
 * same change is deduplicated. Receivers read the actor again from its id.
 */
export function createGroupActorPublisher(
  federation: AppFederation,
  deps: { db: Kysely<Database>; urls: InstanceUrls; isAllowed: (url: URL) => Promise<boolean> },
): GroupActorPublisher {
  const { urls } = deps;
  return {
    async updated(group) {
      const recipients = uniqueRecipients(await followerInboxes(deps.db, group.id, deps.isAllowed));
      if (recipients.length === 0) return;
      const ctx = federation.createContext(urls.origin, undefined);
      const actorId = urls.group(group.handle);
      await ctx.sendActivity(
        { identifier: group.handle },
        recipients,
        new Update({
          id: new URL(`${actorId.href}#update-${group.updatedAt.epochMilliseconds}`),
          actor: actorId,
          object: await groupActor(ctx, urls, group),
          updated: group.updatedAt,
          tos: [new URL(PUBLIC_AUDIENCE)],
          ccs: [urls.groupFollowers(group.handle)],
        }),
        { preferSharedInbox: true, orderingKey: actorId.href },
      );
    },
  };
}

/**
 * Every accepted follower the federation policy allows, judged by its actor's
 * host and by its inbox's host: a follower on a refused domain gets nothing,
 * even through a shared inbox on an allowed one. Fedify groups them by shared
 * inbox, so 1,000 followers on 100 servers cost 100 deliveries, and each
 * delivery message names its recipient actors (the queue guard checks them
 * again, in case the policy changes while it waits).
 */
export async function followerInboxes(
  db: Kysely<Database>,
  groupId: string,
  isAllowed: (url: URL) => Promise<boolean>,
): Promise<Recipient[]> {
  const recipients: Recipient[] = [];
  for (const follower of await listAcceptedFollowers(db, groupId)) {
    const id = new URL(follower.actorId);
    const inboxId = new URL(follower.inboxUrl);
    const sharedInbox = follower.sharedInboxUrl === null ? null : new URL(follower.sharedInboxUrl);
    if (!(await isAllowed(id)) || !(await isAllowed(sharedInbox ?? inboxId))) continue;
    recipients.push({
      id,
      inboxId,
      endpoints: sharedInbox === null ? null : { sharedInbox },
    });
  }
  return recipients;
}
