import type { Kysely, Selectable } from "kysely";
import type { Response } from "../domain/response.ts";
import type { Unit } from "../domain/units.ts";
import type { Database, ResponsesTable } from "./database.ts";
import { normalizeDecimal } from "./proposals.repo.ts";
import { toDate, toInstant, toInstantOrNull } from "./time.ts";

function toResponse(row: Selectable<ResponsesTable>): Response {
  return {
    id: row.id,
    proposalId: row.proposal_id,
    source: row.source,
    actorId: row.actor_id,
    actorInboxUrl: row.actor_inbox_url,
    actorName: row.actor_name,
    activityId: row.activity_id,
    content: row.content,
    quantity:
      row.quantity_amount === null || row.quantity_unit === null
        ? null
        : { amount: normalizeDecimal(row.quantity_amount), unit: row.quantity_unit as Unit },
    acceptedAmount: row.accepted_amount === null ? null : normalizeDecimal(row.accepted_amount),
    contact: row.contact,
    state: row.state,
    reason: row.reason,
    agreementId: row.agreement_id,
    remoteUpdatedAt: toInstantOrNull(row.remote_updated_at),
    createdAt: toInstant(row.created_at),
    updatedAt: toInstant(row.updated_at),
  };
}

function toRow(r: Response) {
  return {
    id: r.id,
    proposal_id: r.proposalId,
    source: r.source,
    actor_id: r.actorId,
    actor_inbox_url: r.actorInboxUrl,
    actor_name: r.actorName,
    activity_id: r.activityId,
    content: r.content,
    quantity_amount: r.quantity?.amount ?? null,
    quantity_unit: r.quantity?.unit ?? null,
    accepted_amount: r.acceptedAmount,
    contact: r.contact,
    state: r.state,
    reason: r.reason,
    agreement_id: r.agreementId,
    remote_updated_at: r.remoteUpdatedAt === null ? null : toDate(r.remoteUpdatedAt),
    created_at: toDate(r.createdAt),
    updated_at: toDate(r.updatedAt),
  };
}

/**
 * Inserts a response; a remote one is keyed by its activity id, so a
 * redelivered reply or Offer is stored once. False when it already existed.
 */
export async function insertResponse(db: Kysely<Database>, response: Response): Promise<boolean> {
  const result = await db
    .insertInto("responses")
    .values(toRow(response))
    .onConflict((oc) => oc.column("activity_id").doNothing())
    .returning("id")
    .executeTakeFirst();
  return result !== undefined;
}

export async function findResponse(db: Kysely<Database>, id: string): Promise<Response | null> {
  const row = await db.selectFrom("responses").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? null : toResponse(row);
}

export async function findResponseByActivity(
  db: Kysely<Database>,
  activityId: string,
): Promise<Response | null> {
  const row = await db
    .selectFrom("responses")
    .selectAll()
    .where("activity_id", "=", activityId)
    .executeTakeFirst();
  return row === undefined ? null : toResponse(row);
}

/** Oldest first: the order they arrived in, which is the order to answer them. */
export async function listResponses(
  db: Kysely<Database>,
  proposalId: string,
  limit: number,
  afterId?: string,
): Promise<Response[]> {
  let query = db.selectFrom("responses").selectAll().where("proposal_id", "=", proposalId);
  if (afterId !== undefined) query = query.where("id", ">", afterId);
  const rows = await query.orderBy("id").limit(limit).execute();
  return rows.map(toResponse);
}

/** Writes a coordinator's answer, only if nobody answered it meanwhile. */
export async function updateResponseAnswer(
  db: Kysely<Database>,
  response: Response,
): Promise<boolean> {
  const result = await db
    .updateTable("responses")
    .set({
      state: response.state,
      reason: response.reason,
      quantity_amount: response.quantity?.amount ?? null,
      quantity_unit: response.quantity?.unit ?? null,
      accepted_amount: response.acceptedAmount,
      agreement_id: response.agreementId,
      updated_at: toDate(response.updatedAt),
    })
    .where("id", "=", response.id)
    .where("state", "=", "proposed")
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * A reply's author edited it: the text changes only when the edit is newer
 * than the version held (a late redelivery of an older one changes nothing).
 */
export async function updateReplyContent(
  db: Kysely<Database>,
  activityId: string,
  actorId: string,
  content: string,
  remoteUpdatedAt: Temporal.Instant,
  now: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("responses")
    .set({ content, remote_updated_at: toDate(remoteUpdatedAt), updated_at: toDate(now) })
    .where("activity_id", "=", activityId)
    .where("actor_id", "=", actorId)
    .where("source", "=", "reply")
    .where((eb) =>
      eb.or([
        eb("remote_updated_at", "is", null),
        eb("remote_updated_at", "<", toDate(remoteUpdatedAt)),
      ]),
    )
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * The author deleted their reply: it goes, unless a coordinator already
 * accepted it (then the pledge it became stays, its text removed as the
 * author wished).
 */
export async function deleteReply(
  db: Kysely<Database>,
  activityId: string,
  actorId: string,
  now: Temporal.Instant,
): Promise<boolean> {
  const deleted = await db
    .deleteFrom("responses")
    .where("activity_id", "=", activityId)
    .where("actor_id", "=", actorId)
    .where("source", "=", "reply")
    .where("state", "!=", "accepted")
    .executeTakeFirst();
  if (deleted.numDeletedRows > 0n) return true;
  const emptied = await db
    .updateTable("responses")
    .set({ content: "", updated_at: toDate(now) })
    .where("activity_id", "=", activityId)
    .where("actor_id", "=", actorId)
    .where("source", "=", "reply")
    .executeTakeFirst();
  return emptied.numUpdatedRows > 0n;
}

/**
 * A need or offer ended: every answer nobody answered yet is declined with
 * the reason, in the transaction of the ending. Returns them, so the
 * agreements among them get their `Reject`.
 */
export async function declineWaitingResponses(
  db: Kysely<Database>,
  proposalId: string,
  reason: string,
  now: Temporal.Instant,
): Promise<{ id: string; source: Response["source"] }[]> {
  return db
    .updateTable("responses")
    .set({ state: "rejected", reason, updated_at: toDate(now) })
    .where("proposal_id", "=", proposalId)
    .where("state", "=", "proposed")
    .returning(["id", "source"])
    .execute();
}

/** The responder withdrew it: only from the state it was read in, so a concurrent answer wins or loses whole. */
export async function markResponseWithdrawn(
  db: Kysely<Database>,
  id: string,
  from: Response["state"],
  now: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("responses")
    .set({ state: "withdrawn", updated_at: toDate(now) })
    .where("id", "=", id)
    .where("state", "=", from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** How many other answers to a proposal stand accepted. */
export async function countAcceptedResponses(
  db: Kysely<Database>,
  proposalId: string,
  exceptId: string,
): Promise<number> {
  const row = await db
    .selectFrom("responses")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("proposal_id", "=", proposalId)
    .where("state", "=", "accepted")
    .where("id", "!=", exceptId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
