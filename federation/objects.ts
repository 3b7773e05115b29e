import { Note } from "@fedify/vocab";
import { hasAcceptedFollowerOnOrigin } from "../src/db/followers.repo.ts";
import { findGroupById } from "../src/db/groups.repo.ts";
import { findProposal } from "../src/db/proposals.repo.ts";
import type { Group } from "../src/domain/group.ts";
import { isId } from "../src/domain/ids.ts";
import type { Proposal } from "../src/domain/proposal.ts";
import type { InstanceUrls } from "../src/urls.ts";
import type { AppFederation, FederationDeps } from "./federation.ts";
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

  async function load(id: string): Promise<{ group: Group; proposal: Proposal } | null> {
    if (!isId(id)) return null;
    const found = await findProposal(db, id);
    if (found.state !== "live") return null;
    const group = await findGroupById(db, found.proposal.groupId);
    return group === null ? null : { group, proposal: found.proposal };
  }

  federation
    .setObjectDispatcher(Note, "/objects/{id}", async (_ctx, { id }) => {
      const found = await load(id);
      if (found === null) return null;
      // Built from our own JSON so Fedify serves it verbatim, FEP-0837 terms
      // included (a Note constructed field by field would drop them).
      return Note.fromJsonLd(
        renderProposalObject(
          found.group,
          found.proposal,
          proposalUrls(urls, found.group, found.proposal),
        ),
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
