import { type Kysely, sql } from "kysely";
import type { EmailKind } from "../domain/email-notifications.ts";
import { newId } from "../domain/ids.ts";
import {
  type NotificationMessage,
  readNotificationMessage,
} from "../domain/notification-message.ts";
import { recordEmailEvent } from "./coordinator-email.repo.ts";
import type { Database, NotificationsTable } from "./database.ts";
import { jsonb } from "./json.ts";
import { toDate, toInstant, toInstantOrNull } from "./time.ts";

export type NotificationKind = NotificationsTable["kind"];

export interface Notification {
  readonly id: string;
  readonly kind: NotificationKind;
  /** The response, pledge or follower the notification is about. */
  readonly subjectId: string;
  /** What to tell a coordinator, in no language yet; never a private field. */
  readonly message: NotificationMessage;
  /** How many alike events it stands for (follow requests from one host). */
  readonly count: number;
  readonly createdAt: Temporal.Instant;
  readonly readAt: Temporal.Instant | null;
}

/** Which email choice a notification falls under, and where the workspace shows it. */
function emailOf(kind: NotificationKind, subjectId: string): { kind: EmailKind; path: string } {
  if (kind === "response") return { kind: "reply-or-pledge", path: `responses/${subjectId}` };
  if (kind === "pledge-answered") return { kind: "reply-or-pledge", path: "pledges" };
  return { kind: "follow-request", path: "followers" };
}

/**
 * Call inside the transaction that records the event, so none is missed;
 * the coordinators' emails about it are recorded with it.
 */
export async function insertNotification(
  db: Kysely<Database>,
  groupId: string,
  n: { kind: NotificationKind; subjectId: string; message: NotificationMessage },
  now: Temporal.Instant,
): Promise<void> {
  const id = newId(now.epochMilliseconds);
  await recordEmailEvent(db, {
    ...emailOf(n.kind, n.subjectId),
    groupId,
    eventKey: `notification:${id}`,
    message: n.message,
    createdAt: now,
  });
  await db
    .insertInto("notifications")
    .values({
      id,
      group_id: groupId,
      kind: n.kind,
      subject_id: n.subjectId,
      message: jsonb(n.message),
      created_at: toDate(now),
      read_at: null,
    })
    .execute();
}

/**
 * Records one of many alike events (follow requests from one host) as one
 * unread notification per `coalesceKey` that counts them: the first is
 * stored with its message, each later one until the group reads it adds one
 * to the count (the message is rendered with the count when read). Returns
 * the count. One statement, so concurrent events each count once.
 */
export async function addCoalescedNotification(
  db: Kysely<Database>,
  groupId: string,
  n: {
    kind: NotificationKind;
    subjectId: string;
    coalesceKey: string;
    message: NotificationMessage;
  },
  now: Temporal.Instant,
): Promise<number> {
  const row = await db
    .insertInto("notifications")
    .values({
      id: newId(now.epochMilliseconds),
      group_id: groupId,
      kind: n.kind,
      subject_id: n.subjectId,
      message: jsonb(n.message),
      created_at: toDate(now),
      read_at: null,
      coalesce_key: n.coalesceKey,
    })
    .onConflict((oc) =>
      oc
        .columns(["group_id", "coalesce_key"])
        .where("read_at", "is", null)
        .where("coalesce_key", "is not", null)
        .doUpdateSet({ count: sql`notifications.count + 1` }),
    )
    .returning(["id", "count"])
    .executeTakeFirstOrThrow();
  // Later alike events count up in the workspace; they are not emailed again.
  if (row.count === 1) {
    await recordEmailEvent(db, {
      ...emailOf(n.kind, n.subjectId),
      groupId,
      eventKey: `notification:${row.id}`,
      message: n.message,
      createdAt: now,
    });
  }
  return row.count;
}

/** Newest first, keyset-paginated by id (UUIDv7 ids are time-ordered). */
export async function listNotifications(
  db: Kysely<Database>,
  groupId: string,
  q: { limit: number; beforeId?: string | undefined; unreadOnly: boolean },
): Promise<Notification[]> {
  let query = db.selectFrom("notifications").selectAll().where("group_id", "=", groupId);
  if (q.beforeId !== undefined) query = query.where("id", "<", q.beforeId);
  if (q.unreadOnly) query = query.where("read_at", "is", null);
  const rows = await query.orderBy("id", "desc").limit(q.limit).execute();
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    subjectId: row.subject_id,
    message: readNotificationMessage(row.message),
    count: row.count,
    createdAt: toInstant(row.created_at),
    readAt: toInstantOrNull(row.read_at),
  }));
}

/** Marks every notification up to and including `upToId` as read. */
export async function markNotificationsRead(
  db: Kysely<Database>,
  groupId: string,
  upToId: string,
  now: Temporal.Instant,
): Promise<number> {
  const result = await db
    .updateTable("notifications")
    .set({ read_at: toDate(now) })
    .where("group_id", "=", groupId)
    .where("id", "<=", upToId)
    .where("read_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** How many a group has not read yet, for the workspace's navigation. */
export async function countUnreadNotifications(
  db: Kysely<Database>,
  groupId: string,
): Promise<number> {
  const row = await db
    .selectFrom("notifications")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("group_id", "=", groupId)
    .where("read_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
