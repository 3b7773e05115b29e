import { isActor, Join, Update } from "@fedify/vocab";
import type { Kysely } from "kysely";
import type { Database } from "../src/db/database.ts";
import type { IncidentGateway } from "../src/services/ports.ts";
import type { InstanceUrls } from "../src/urls.ts";
import type { AppFederation } from "./federation.ts";
import { parseIncidentObject } from "./incident-object.ts";
import { participantRecipients, uniqueRecipients } from "./incident-recipients.ts";
import { PUBLIC_AUDIENCE } from "./proposal-object.ts";
import { followerInboxes } from "./publisher.ts";

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
