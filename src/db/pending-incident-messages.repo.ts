import type { Kysely } from "kysely";
import type { Database, PendingIncidentMessagesTable } from "./database.ts";
import { toDate } from "./time.ts";

export type PendingIncidentMessageKind = PendingIncidentMessagesTable["kind"];

export interface PendingIncidentMessage {
  readonly id: string;
  readonly kind: PendingIncidentMessageKind;
  readonly incidentId: string;
  readonly groupId: string;
}

/**
 * The outbox for incident messages (a Join we send, the Update of one of our
 * incidents): written in the transaction that decides them, sent by the
 * relay after the commit, deleted once queued.
 */
export async function insertPendingIncidentMessage(
  db: Kysely<Database>,
  message: Omit<PendingIncidentMessage, "id">,
  at: Temporal.Instant,
): Promise<void> {
  await db
    .insertInto("pending_incident_messages")
    .values({
      kind: message.kind,
      incident_id: message.incidentId,
      group_id: message.groupId,
      created_at: toDate(at),
    })
    .execute();
}

export async function listPendingIncidentMessages(
  db: Kysely<Database>,
  limit: number,
): Promise<PendingIncidentMessage[]> {
  const rows = await db
    .selectFrom("pending_incident_messages")
    .select(["id", "kind", "incident_id", "group_id"])
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: String(r.id),
    kind: r.kind,
    incidentId: r.incident_id,
    groupId: r.group_id,
  }));
}

export async function deletePendingIncidentMessage(
  db: Kysely<Database>,
  id: string,
): Promise<void> {
  await db.deleteFrom("pending_incident_messages").where("id", "=", id).execute();
}
