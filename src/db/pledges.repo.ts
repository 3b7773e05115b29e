import type { Kysely, Selectable } from "kysely";
import type { Pledge } from "../domain/pledge.ts";
import type { Unit } from "../domain/units.ts";
import type { Database, PledgesTable } from "./database.ts";
import { normalizeDecimal } from "./proposals.repo.ts";
import { toDate, toInstant } from "./time.ts";

function toPledge(row: Selectable<PledgesTable>): Pledge {
  return {
    id: row.id,
    groupId: row.group_id,
    objectId: row.object_id,
    intentId: row.intent_id,
    targetActorId: row.target_actor_id,
    offerId: row.offer_id,
    quantity:
      row.quantity_amount === null || row.quantity_unit === null
        ? null
        : { amount: normalizeDecimal(row.quantity_amount), unit: row.quantity_unit as Unit },
    message: row.message,
    state: row.state,
    reason: row.reason,
    agreementId: row.agreement_id,
    createdAt: toInstant(row.created_at),
    updatedAt: toInstant(row.updated_at),
  };
}

export async function insertPledge(db: Kysely<Database>, pledge: Pledge): Promise<void> {
  await db
    .insertInto("pledges")
    .values({
      id: pledge.id,
      group_id: pledge.groupId,
      object_id: pledge.objectId,
      intent_id: pledge.intentId,
      target_actor_id: pledge.targetActorId,
      offer_id: pledge.offerId,
      quantity_amount: pledge.quantity?.amount ?? null,
      quantity_unit: pledge.quantity?.unit ?? null,
      message: pledge.message,
      state: pledge.state,
      reason: pledge.reason,
      agreement_id: pledge.agreementId,
      created_at: toDate(pledge.createdAt),
      updated_at: toDate(pledge.updatedAt),
    })
    .execute();
}

export async function findPledge(db: Kysely<Database>, id: string): Promise<Pledge | null> {
  const row = await db.selectFrom("pledges").selectAll().where("id", "=", id).executeTakeFirst();
  return row === undefined ? null : toPledge(row);
}

export async function findPledgeByOffer(
  db: Kysely<Database>,
  offerId: string,
): Promise<Pledge | null> {
  const row = await db
    .selectFrom("pledges")
    .selectAll()
    .where("offer_id", "=", offerId)
    .executeTakeFirst();
  return row === undefined ? null : toPledge(row);
}

/** Newest first. */
export async function listPledges(
  db: Kysely<Database>,
  groupId: string,
  limit: number,
  beforeId?: string,
): Promise<Pledge[]> {
  let query = db.selectFrom("pledges").selectAll().where("group_id", "=", groupId);
  if (beforeId !== undefined) query = query.where("id", "<", beforeId);
  const rows = await query.orderBy("id", "desc").limit(limit).execute();
  return rows.map(toPledge);
}

/** Records the proposer's answer; only the first answer counts. */
export async function answerPledge(
  db: Kysely<Database>,
  id: string,
  answer: { state: "accepted" | "rejected"; reason: string | null; agreementId: string | null },
  now: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("pledges")
    .set({
      state: answer.state,
      reason: answer.reason,
      agreement_id: answer.agreementId,
      updated_at: toDate(now),
    })
    .where("id", "=", id)
    .where("state", "=", "pending")
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Our group withdrew it: only from the state it was read in (a concurrent answer makes this false). */
export async function markPledgeWithdrawn(
  db: Kysely<Database>,
  id: string,
  from: Pledge["state"],
  now: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("pledges")
    .set({ state: "withdrawn", updated_at: toDate(now) })
    .where("id", "=", id)
    .where("state", "=", from)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
