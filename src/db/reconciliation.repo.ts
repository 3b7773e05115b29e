import { type Kysely, sql } from "kysely";
import type { ReconciliationWindow } from "../domain/reconciliation.ts";
import type { Database } from "./database.ts";
import { toDate } from "./time.ts";

/**
 * The reconciliation job's reads and writes on `remote_proposals`
 * (FEDERATION.md, "Reconciliation"), and the lease that keeps it to one
 * worker process at a time (`job_leases`).
 */

export interface DueCopy {
  readonly id: string;
  readonly objectId: string;
  readonly originActorId: string;
}

/**
 * Claims the copies one run asks their origins about: live needs and offers
 * (open or pledged) confirmed before the window and not asked since (an
 * unreachable one: not asked since the retry time), least recently asked
 * first, at most `perOrigin` per origin (scheme, host and port of the object
 * id) and `perRun` in all. Claiming marks them asked now, so a copy whose
 * origin fails goes to the back of the line and the next run takes others.
 */
export async function claimDueCopies(
  db: Kysely<Database>,
  window: ReconciliationWindow,
  limits: { readonly perOrigin: number; readonly perRun: number },
  now: Temporal.Instant,
): Promise<DueCopy[]> {
  const result = await sql<{ id: string; object_id: string; origin_actor_id: string }>`
    WITH due AS (
      SELECT id, checked_at,
        row_number() OVER (
          PARTITION BY lower(substring(object_id from '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)'))
          ORDER BY checked_at, id
        ) AS place
      FROM remote_proposals
      WHERE kind = 'proposal' AND status IN ('open', 'pledged')
        AND confirmed_at < ${toDate(window.confirmedBefore)}
        AND checked_at < CASE WHEN unreachable_since IS NULL
          THEN ${toDate(window.askedBefore)}::timestamptz
          ELSE ${toDate(window.retryBefore)}::timestamptz END
    ), picked AS (
      SELECT id FROM due WHERE place <= ${limits.perOrigin}
      ORDER BY checked_at, id
      LIMIT ${limits.perRun}
    )
    UPDATE remote_proposals SET checked_at = ${toDate(now)}
    FROM picked WHERE remote_proposals.id = picked.id
    RETURNING remote_proposals.id, remote_proposals.object_id, remote_proposals.origin_actor_id
  `.execute(db);
  return result.rows.map((row) => ({
    id: row.id,
    objectId: row.object_id,
    originActorId: row.origin_actor_id,
  }));
}

/** The origin gave no usable answer for the copy: it stays unconfirmed from the first such time. */
export async function markUnconfirmed(
  db: Kysely<Database>,
  id: string,
  now: Temporal.Instant,
): Promise<void> {
  await db
    .updateTable("remote_proposals")
    .set((eb) => ({ unreachable_since: eb.fn.coalesce("unreachable_since", eb.val(toDate(now))) }))
    .where("id", "=", id)
    .execute();
}

/** Copies unconfirmed since before `staleBefore` become stale; returns how many did. */
export async function markStale(
  db: Kysely<Database>,
  staleBefore: Temporal.Instant,
): Promise<number> {
  const result = await db
    .updateTable("remote_proposals")
    .set({ stale: true })
    .where("unreachable_since", "<", toDate(staleBefore))
    .where("stale", "=", false)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Takes the lease of job `name` for `holder` until `until`, when it is free
 * (expired) or already `holder`'s. True when `holder` now holds it.
 */
export async function takeLease(
  db: Kysely<Database>,
  lease: { readonly name: string; readonly holder: string },
  until: Temporal.Instant,
  now: Temporal.Instant,
): Promise<boolean> {
  const taken = await db
    .insertInto("job_leases")
    .values({ name: lease.name, holder: lease.holder, until: toDate(until) })
    .onConflict((oc) =>
      oc
        .column("name")
        .doUpdateSet({ holder: lease.holder, until: toDate(until) })
        .where((eb) =>
          eb.or([
            eb("job_leases.until", "<=", toDate(now)),
            eb("job_leases.holder", "=", lease.holder),
          ]),
        ),
    )
    .returning("holder")
    .executeTakeFirst();
  return taken !== undefined;
}

/**
 * A group of ours that follows (accepted or asked) one of the groups that
 * re-shared the copy, else our first group: who signs the fetch when no
 * group follows the author itself. Null when there is no group at all.
 */
export async function groupForCopy(db: Kysely<Database>, copyId: string): Promise<string | null> {
  const sharerFollower = await db
    .selectFrom("remote_shares")
    .innerJoin("following", "following.actor_id", "remote_shares.sharer_actor_id")
    .innerJoin("groups", "groups.id", "following.group_id")
    .select("groups.handle")
    .where("remote_shares.remote_proposal_id", "=", copyId)
    .where("following.state", "in", ["accepted", "pending"])
    .orderBy("groups.handle")
    .limit(1)
    .executeTakeFirst();
  if (sharerFollower !== undefined) return sharerFollower.handle;
  const any = await db
    .selectFrom("groups")
    .select("handle")
    .orderBy("handle")
    .limit(1)
    .executeTakeFirst();
  return any?.handle ?? null;
}
