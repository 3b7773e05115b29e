import { Event, Group as GroupActor, Note } from "@fedify/vocab";
import type { Kysely } from "kysely";
import { BOARD_MAX_ITEMS, listBoard } from "../src/db/board.repo.ts";
import type { Database } from "../src/db/database.ts";
import { findGroupById } from "../src/db/groups.repo.ts";
import {
  findIncident,
  findIncidentByObjectId,
  listParticipants,
} from "../src/db/incidents.repo.ts";
import { findIntakeLanguage } from "../src/db/intake.repo.ts";
import { findProposal } from "../src/db/proposals.repo.ts";
import type { Group } from "../src/domain/group.ts";
import { isId } from "../src/domain/ids.ts";
import type { Proposal } from "../src/domain/proposal.ts";
import type { InstanceUrls } from "../src/urls.ts";
import type { AppFederation, FederationDeps } from "./federation.ts";
import { renderIncidentObject } from "./incident-object.ts";
import { contentLanguage, type ProposalUrls, renderProposalObject } from "./proposal-object.ts";

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

/**
 * The full JSON of a need or offer, as served at its id and as the embedded
 * Note of its Create and Update is cut from (proposal-note.ts).
 */
export async function proposalDocument(
  db: Kysely<Database>,
  urls: InstanceUrls,
  group: Group,
  proposal: Proposal,
): Promise<Record<string, unknown>> {
  const tag = proposal.incident ?? null;
  const [incident, language] = await Promise.all([
    tag === null ? null : findIncidentByObjectId(db, tag),
    findIntakeLanguage(
      db,
      group.id,
      proposal.previousId === null ? [proposal.id] : [proposal.id, proposal.previousId],
    ),
  ]);
  return renderProposalObject(
    group,
    proposal,
    {
      ...proposalUrls(urls, group, proposal),
      incident: tag === null || incident === null ? null : { objectId: tag, name: incident.name },
    },
    contentLanguage(language),
  );
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
      return Note.fromJsonLd(await proposalDocument(db, urls, found.group, found.proposal));
    })
    // Who may read it is the one rule of services/proposal-reads.ts: a
    // followers-only post needs a fetch signed by someone on a server where
    // the group has an accepted follower (Mastodon signs such fetches on
    // behalf of one of its users or its instance actor). The signer's key is
    // resolved only then.
    .authorize(async (ctx, { id }) => {
      const sight = await deps.findVisibleProposal(
        {
          kind: "server",
          signerOrigin: async () => (await ctx.getSignedKey())?.id?.origin ?? null,
        },
        id,
      );
      return sight.state === "visible";
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
        taggedItems: urls.incidentItems(id),
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

  // The needs and offers on the incident's board, ours and the participants',
  // in board order (at most the board's 200): a group that joins late reads
  // them, and fetches each from its own origin. Only ids: nobody is asked to
  // trust our copy of another instance's need.
  federation.setCollectionDispatcher(
    "incident-items",
    Note,
    "/incidents/{id}/items",
    async (_ctx, { id }) => {
      const found = await load(id);
      if (found === null) return null;
      const board = await listBoard(db, {
        scope: { kind: "incident", incidentObjectId: found.incident.objectId },
        limit: BOARD_MAX_ITEMS,
      });
      const items = board.local.map(
        (row) => new Note({ id: urls.proposalObject(row.proposal.id) }),
      );
      for (const row of board.remote) {
        if (await deps.isAllowed(new URL(row.originActorId))) {
          items.push(new Note({ id: new URL(row.objectId) }));
        }
      }
      return { items };
    },
  );
}
