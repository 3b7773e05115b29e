import type { Kysely } from "kysely";
import type { Database } from "./database.ts";
import { toDate, toInstant, toInstantOrNull } from "./time.ts";

/** A coordinator token as admins see it: never the token, nor its digest. */
export interface TokenRecord {
  readonly id: string;
  readonly groupId: string;
  readonly label: string | null;
  readonly createdAt: Temporal.Instant;
  readonly lastUsedAt: Temporal.Instant | null;
}

export async function insertToken(
  db: Kysely<Database>,
  token: {
    id: string;
    digest: string;
    groupId: string;
    createdAt: Date;
    label?: string | null;
  },
): Promise<void> {
  await db
    .insertInto("api_tokens")
    .values({
      id: token.id,
      token_digest: token.digest,
      group_id: token.groupId,
      created_at: token.createdAt,
      label: token.label ?? null,
    })
    .execute();
}

/**
 * The token behind a digest, read on every authenticated API request: no
 * cache in front of it, so a deleted row is refused from the next request on.
 */
export async function findTokenByDigest(
  db: Kysely<Database>,
  digest: string,
): Promise<{ id: string; groupId: string; lastUsedAt: Temporal.Instant | null } | null> {
  const row = await db
    .selectFrom("api_tokens")
    .select(["id", "group_id", "last_used_at"])
    .where("token_digest", "=", digest)
    .executeTakeFirst();
  return row === undefined
    ? null
    : { id: row.id, groupId: row.group_id, lastUsedAt: toInstantOrNull(row.last_used_at) };
}

/**
 * Records a use at `at` unless one at or after `unlessSince` is recorded
 * already: the condition keeps concurrent requests (and processes) from all
 * writing the same minute.
 */
export async function touchToken(
  db: Kysely<Database>,
  id: string,
  at: Temporal.Instant,
  unlessSince: Temporal.Instant,
): Promise<void> {
  await db
    .updateTable("api_tokens")
    .set({ last_used_at: toDate(at) })
    .where("id", "=", id)
    .where((eb) =>
      eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", toDate(unlessSince))]),
    )
    .execute();
}

/** A group's tokens, oldest first. */
export async function listGroupTokens(
  db: Kysely<Database>,
  groupId: string,
): Promise<TokenRecord[]> {
  const rows = await db
    .selectFrom("api_tokens")
    .select(["id", "group_id", "label", "created_at", "last_used_at"])
    .where("group_id", "=", groupId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
  return rows.map((r) => ({
    id: r.id,
    groupId: r.group_id,
    label: r.label,
    createdAt: toInstant(r.created_at),
    lastUsedAt: toInstantOrNull(r.last_used_at),
  }));
}

/** Deletes one of the group's tokens; false when the group has no token with that id. */
export async function deleteGroupToken(
  db: Kysely<Database>,
  groupId: string,
  id: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom("api_tokens")
    .where("id", "=", id)
    .where("group_id", "=", groupId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

/** Renames one of the group's tokens; false when the group has no token with that id. */
export async function setGroupTokenLabel(
  db: Kysely<Database>,
  groupId: string,
  id: string,
  label: string | null,
): Promise<boolean> {
  const result = await db
    .updateTable("api_tokens")
    .set({ label })
    .where("id", "=", id)
    .where("group_id", "=", groupId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
