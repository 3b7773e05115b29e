import type { Recipient } from "@fedify/vocab";
import type { Kysely } from "kysely";
import type { Database } from "../src/db/database.ts";
import { listParticipants, type StoredIncident } from "../src/db/incidents.repo.ts";

/**
 * The accepted participants of one of our incidents that the federation
 * policy allows (by actor host and by inbox host), except `exceptActorId`.
 */
export async function participantRecipients(
  db: Kysely<Database>,
  incidentId: string,
  isAllowed: (url: URL) => Promise<boolean>,
  exceptActorId?: string,
): Promise<Recipient[]> {
  const recipients: Recipient[] = [];
  for (const p of await listParticipants(db, incidentId, "accepted")) {
    // Our own groups read the local tables; remote ones need an inbox.
    if (p.groupId !== null || p.inboxUrl === null || p.actorId === exceptActorId) continue;
    const id = new URL(p.actorId);
    const inboxId = new URL(p.inboxUrl);
    const sharedInbox = p.sharedInboxUrl === null ? null : new URL(p.sharedInboxUrl);
    if (!(await isAllowed(id)) || !(await isAllowed(sharedInbox ?? inboxId))) continue;
    recipients.push({ id, inboxId, endpoints: sharedInbox === null ? null : { sharedInbox } });
  }
  return recipients;
}

/** Each recipient once (by actor id), the first occurrence kept. */
export function uniqueRecipients(recipients: readonly Recipient[]): Recipient[] {
  const seen = new Set<string>();
  return recipients.filter((r) => {
    const key = r.id?.href ?? "";
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The recipients a tagged need or offer adds to its group's followers. */
export async function incidentRecipients(
  db: Kysely<Database>,
  incident: StoredIncident,
  isAllowed: (url: URL) => Promise<boolean>,
): Promise<Recipient[]> {
  if (incident.groupId !== null) {
    // Ours (this group's or another local group's): every remote participant.
    return participantRecipients(db, incident.id, isAllowed);
  }
  // A copy: the owner, who re-shares it to the other participants.
  if (incident.ownerInboxUrl === null) return [];
  const id = new URL(incident.ownerActorId);
  const inboxId = new URL(incident.ownerInboxUrl);
  if (!(await isAllowed(id)) || !(await isAllowed(inboxId))) return [];
  return [{ id, inboxId, endpoints: null }];
}
