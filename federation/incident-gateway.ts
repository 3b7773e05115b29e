import { createHash } from "node:crypto";
import type { Context } from "@fedify/fedify";
import { Announce, isActor, Join, Update } from "@fedify/vocab";
import type { Kysely } from "kysely";
import type { Database } from "../src/db/database.ts";
import type { StoredIncident } from "../src/db/incidents.repo.ts";
import type { IncidentGateway } from "../src/services/ports.ts";
import type { InstanceUrls } from "../src/urls.ts";
import type { AppFederation } from "./federation.ts";
import { parseIncidentObject } from "./incident-object.ts";
import { participantRecipients, uniqueRecipients } from "./incident-recipients.ts";
import { PUBLIC_AUDIENCE } from "./proposal-object.ts";
import { followerInboxes } from "./publisher.ts";

/**
 * The owner re-shares a participant's tagged need or offer to the other
 * participants, who need not follow each other: an Announce of the object
 * by id, which they fetch from its origin. The id names the object's
 * version, so each change is announced once and a repeat deduplicates.
 */
export async function reshareToParticipants(
  ctx: Context<void>,
  deps: { db: Kysely<Database>; urls: InstanceUrls; isAllowed: (url: URL) => Promise<boolean> },
  owner: { handle: string },
  incident: StoredIncident,
  object: { objectId: string; authorId: string; updatedAt: Temporal.Instant },
): Promise<number> {
  const recipients = await participantRecipients(
    deps.db,
    incident.id,
    deps.isAllowed,
    object.authorId,
  );
  if (recipients.length === 0) return 0;
  const actor = deps.urls.group(owner.handle);
  const digest = createHash("sha256").update(object.objectId).digest("hex").slice(0, 32);
  await ctx.sendActivity(
    { identifier: owner.handle },
    recipients,
    new Announce({
      id: new URL(
        `${actor.href}#incident-shares/${incident.id}/${digest}-${object.updatedAt.epochMilliseconds}`,
      ),
      actor,
      object: new URL(object.objectId),
      tos: [new URL(PUBLIC_AUDIENCE)],
      ccs: [new URL(object.authorId)],
    }),
    { preferSharedInbox: true, orderingKey: object.objectId },
  );
  return recipients.length;
}

export function createIncidentGateway(
  federation: AppFederation,
  deps: { db: Kysely<Database>; urls: InstanceUrls; isAllowed: (url: URL) => Promise<boolean> },
): IncidentGateway {
  const { urls } = deps;
  const context = () => federation.createContext(urls.origin, undefined);

  return {
    async fetchIncident(group, objectId) {
      const ctx = context();
      // Signed as the joining group, never from the document cache.
      const loader = await ctx.getDocumentLoader({ identifier: group.handle });
      let document: unknown;
      try {
        ({ document } = await loader(objectId));
      } catch {
        return { ok: false, error: "not-found" };
      }
      const reading = await parseIncidentObject(document, ctx.contextLoader);
      if (!reading.ok || reading.incident.objectId !== objectId) {
        return { ok: false, error: "not-incident" };
      }
      const ownerId = new URL(reading.incident.ownerActorId);
      if (!(await deps.isAllowed(ownerId))) return { ok: false, error: "refused" };
      let owner: unknown;
      try {
        owner = await ctx.lookupObject(ownerId.href, { documentLoader: loader });
      } catch {
        return { ok: false, error: "not-found" };
      }
      if (!isActor(owner) || owner.id?.href !== ownerId.href || owner.inboxId === null) {
        return { ok: false, error: "not-incident" };
      }
      return { ok: true, incident: { ...reading.incident, ownerInboxUrl: owner.inboxId.href } };
    },

    async join(group, incident, joinActivityId) {
      // To the owner's personal inbox, as follows go.
      await context().sendActivity(
        { identifier: group.handle },
        { id: new URL(incident.ownerActorId), inboxId: new URL(incident.ownerInboxUrl) },
        new Join({
          id: new URL(joinActivityId),
          actor: urls.group(group.handle),
          object: new URL(incident.objectId),
          to: new URL(incident.ownerActorId),
        }),
      );
    },

    async updated(group, incident) {
      const recipients = uniqueRecipients([
        ...(await participantRecipients(deps.db, incident.id, deps.isAllowed)),
        ...(await followerInboxes(deps.db, group.id, deps.isAllowed)),
      ]);
      if (recipients.length === 0) return;
      const objectId = urls.incidentObject(incident.id);
      await context().sendActivity(
        { identifier: group.handle },
        recipients,
        new Update({
          id: new URL(`${objectId.href}#update-${incident.updatedAt.epochMilliseconds}`),
          actor: urls.group(group.handle),
          object: objectId,
          updated: incident.updatedAt,
          tos: [new URL(PUBLIC_AUDIENCE)],
          ccs: [urls.groupFollowers(group.handle)],
        }),
        { preferSharedInbox: true, orderingKey: objectId.href },
      );
    },
  };
}
