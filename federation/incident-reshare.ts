import { createHash } from "node:crypto";
import type { Context } from "@fedify/fedify";
import { Announce } from "@fedify/vocab";
import type { Kysely } from "kysely";
import type { Database } from "../src/db/database.ts";
import type { StoredIncident } from "../src/db/incidents.repo.ts";
import type { InstanceUrls } from "../src/urls.ts";
import { participantRecipients } from "./incident-recipients.ts";
import { PUBLIC_AUDIENCE } from "./proposal-object.ts";

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
