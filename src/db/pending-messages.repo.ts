import type { Kysely } from "kysely";
import type { Database, PendingMessagesTable } from "./database.ts";
import { toDate } from "./time.ts";

export type PendingMessageKind = PendingMessagesTable["kind"];

/**
 * The outbox for conversation messages (answers to responses, pledges):
 * written in the transaction that decides them, sent by the relay after the
 * commit, deleted once queued. A crash in between loses nothing.
 */
export async function insertPendingMessage(
  db: Kysely<Database>,
  kind: PendingMessageKind,
  subjectId: string,
  at: Temporal.Instant,
): Promise<void> {
  await db
    .insertInto("pending_messages")
    .values({ kind, subject_id: subjectId, created_at: toDate(at) })
    .execute();
}

export async function listPendingMessages(
  db: Kysely<Database>,
  limit: number,
): Promise<{ id: string; kind: PendingMessageKind; subjectId: string }[]> {
  const rows = await db
    .selectFrom("pending_messages")
    .select(["id", "kind", "subject_id"])
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: String(r.id), kind: r.kind, subjectId: r.subject_id }));
}

export async function deletePendingMessage(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom("pending_messages").where("id", "=", id).execute();
}
