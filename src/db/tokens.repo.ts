import type { Kysely } from "kysely";
import type { Database } from "./database.ts";

export async function insertToken(
  db: Kysely<Database>,
  token: { id: string; digest: string; groupId: string; createdAt: Date },
): Promise<void> {
  await db
    .insertInto("api_tokens")
    .values({
      id: token.id,
      token_digest: token.digest,
      group_id: token.groupId,
      created_at: token.createdAt,
    })
    .execute();
}

/** The group a coordinator token belongs to, looked up by the token's digest. */
export async function findTokenGroupId(
  db: Kysely<Database>,
  digest: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("api_tokens")
    .select("group_id")
    .where("token_digest", "=", digest)
    .executeTakeFirst();
  return row?.group_id ?? null;
}
