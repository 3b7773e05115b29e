import type { Kysely } from "kysely";
import type { Database } from "./database.ts";
import { toDate, toInstant, toInstantOrNull } from "./time.ts";

/** A link a collective handed to a partner: requests through it skip the per-address limit. */
export interface PartnerLink {
  readonly id: string;
  readonly groupId: string;
  readonly label: string;
  readonly token: string;
  readonly createdAt: Temporal.Instant;
  readonly revokedAt: Temporal.Instant | null;
}

export async function insertPartnerLink(db: Kysely<Database>, link: PartnerLink): Promise<void> {
  await db
    .insertInto("intake_partner_links")
    .values({
      id: link.id,
      group_id: link.groupId,
      label: link.label,
      token: link.token,
      created_at: toDate(link.createdAt),
      revoked_at: null,
    })
    .execute();
}

/** A group's links, newest first (at most `limit`). */
export async function listPartnerLinks(
  db: Kysely<Database>,
  groupId: string,
  limit: number,
): Promise<PartnerLink[]> {
  const rows = await db
    .selectFrom("intake_partner_links")
    .selectAll()
    .where("group_id", "=", groupId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    groupId: r.group_id,
    label: r.label,
    token: r.token,
    createdAt: toInstant(r.created_at),
    revokedAt: toInstantOrNull(r.revoked_at),
  }));
}

export async function countPartnerLinks(db: Kysely<Database>, groupId: string): Promise<number> {
  const row = await db
    .selectFrom("intake_partner_links")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("group_id", "=", groupId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Revokes one of the group's links; false when it has no such live link. */
export async function revokePartnerLink(
  db: Kysely<Database>,
  groupId: string,
  id: string,
  at: Temporal.Instant,
): Promise<boolean> {
  const result = await db
    .updateTable("intake_partner_links")
    .set({ revoked_at: toDate(at) })
    .where("group_id", "=", groupId)
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Whether `token` is a live (not revoked) link of the group. */
export async function isLivePartnerLink(
  db: Kysely<Database>,
  groupId: string,
  token: string,
): Promise<boolean> {
  return (await findLivePartnerLinkId(db, groupId, token)) !== null;
}

/** The id of the group's live (not revoked) link with this token, or null. */
export async function findLivePartnerLinkId(
  db: Kysely<Database>,
  groupId: string,
  token: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("intake_partner_links")
    .select("id")
    .where("group_id", "=", groupId)
    .where("token", "=", token)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return row?.id ?? null;
}
