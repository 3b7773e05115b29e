import { Event, Group as GroupActor, Note } from "@fedify/vocab";
import { hasAcceptedFollowerOnOrigin } from "../src/db/followers.repo.ts";
import { findGroupById } from "../src/db/groups.repo.ts";
import {
  findIncident,
  findIncidentByObjectId,
  listParticipants,
} from "../src/db/incidents.repo.ts";
import { findProposal } from "../src/db/proposals.repo.ts";
import type { Group } from "../src/domain/group.ts";
import { isId } from "../src/domain/ids.ts";
import type { Proposal } from "../src/domain/proposal.ts";
import type { InstanceUrls } from "../src/urls.ts";
import type { AppFederation, FederationDeps } from "./federation.ts";
import { renderIncidentObject } from "./incident-object.ts";
import { type ProposalUrls, renderProposalObject } from "./proposal-object.ts";

export function proposalUrls(urls: InstanceUrls, group: Group, proposal: Proposal): ProposalUrls {
  return {
    objectId: urls.proposalObject(proposal.id),
    pageUrl: urls.proposalPage(proposal.purpose, proposal.id),
    groupId: urls.group(group.handle),
    groupFollowers: urls.groupFollowers(group.handle),
    groupPage: urls.group(group.handle),
    previousObjectId:
      proposal.previousId === null ? null : urls.proposalObject(proposal.previousId),
  };
}

export function registerObjects(federation: AppFederation, deps: FederationDeps): void {
  const { db, urls } = deps;

  async function load(
    id: string,
  ): Promise<{ group: Group; proposal: Proposal; incidentName: string | null } | null> {
    if (!isId(id)) return null;
    const found = await findProposal(db, id);
    if (found.state !== "live") return null;
    const group = await findGroupById(db, found.proposal.groupId);
    if (group === null) return null;
    const tag = found.proposal.incident ?? null;
    const incident = tag === null ? null : await findIncidentByObjectId(db, tag);
    return { group, proposal: found.proposal, incidentName: incident?.name ?? null };
  }

  federation
    .setObjectDispatcher(Note, "/objects/{id}", async (_ctx, { id }) => {
      const found = await load(id);
      if (found === null) return null;
      // Built from our own JSON so Fedify serves it verbatim, FEP-0837 terms
      // included (a Note constructed field by field would drop them).
      const tag = found.proposal.incident ?? null;
      return Note.fromJsonLd(
        renderProposalObject(found.group, found.proposal, {
          ...proposalUrls(urls, found.group, found.proposal),
          incident:
            tag === null || found.incidentName === null
              ? null
              : { objectId: tag, name: found.incidentName },
        }),
      );
    })
    .authorize(async (ctx, { id }) => {
      const found = await load(id);
      if (found === null || found.proposal.audience === "public") return true;
      // Followers-only: the fetch must be signed by someone on a server where
      // the group has an accepted follower (Mastodon signs such fetches on
      // behalf of one of its users or its instance actor).
      const key = await ctx.getSignedKey();
      if (key === null || key.id === null) return false;
      return hasAcceptedFollowerOnOrigin(db, found.group.id, key.id.origin);
    });
}

/**
 * Our incidents (FEDERATION.md, "Incidents"): the `Event` at
 * `/incidents/{id}` and its `participants` collection, the accepted
 * participant groups, which other participants read to decide whose tagged
 * needs to keep. Copies of other instances' incidents are not served.
 */
export function registerIncidentObjects(federation: AppFederation, deps: FederationDeps): void {
  const { db, urls } = deps;

  async function load(id: string) {
    if (!isId(id)) return null;
    const incident = await findIncident(db, id);
    if (incident === null || incident.groupId === null) return null;
    const group = await findGroupById(db, incident.groupId);
    return group === null ? null : { group, incident };
  }

  federation.setObjectDispatcher(Event, "/incidents/{id}", async (_ctx, { id }) => {
    const found = await load(id);
    if (found === null) return null;
    return Event.fromJsonLd(
      renderIncidentObject(found.incident, {
        objectId: urls.incidentObject(id),
        participants: urls.incidentParticipants(id),
        groupId: urls.group(found.group.handle),
        groupFollowers: urls.groupFollowers(found.group.handle),
      }),
    );
  });

  federation.setCollectionDispatcher(
    "incident-participants",
    GroupActor,
    "/incidents/{id}/participants",
    async (_ctx, { id }) => {
      const found = await load(id);
      if (found === null) return null;
      const items: GroupActor[] = [];
      for (const p of await listParticipants(db, id, "accepted")) {
        // A participant whose domain was blocked since it joined is not vouched for.
        if (await deps.isAllowed(new URL(p.actorId))) {
          items.push(new GroupActor({ id: new URL(p.actorId) }));
        }
      }
      return { items };
    },
  );
}
