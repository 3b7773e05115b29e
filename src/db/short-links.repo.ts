import { type Kysely, sql } from "kysely";
import type { Purpose } from "../domain/proposal.ts";
import type { Database } from "./database.ts";

/** Where a short link (domain/short-link.ts) leads. */
export type ShortLinkTarget =
  | { readonly kind: "local"; readonly purpose: Purpose; readonly id: string }
  | { readonly kind: "remote"; readonly url: string };

/**
 * The public need or offer whose row id ends with `code`: one of ours
 * (public, not deleted) first, else a received one. A code is checked by
 * `isShortCode` before it gets here; the LIKE is on the id as text, which
 * both engines spell the same.
 */
export async function findShortLinkTarget(
  db: Kysely<Database>,
  code: string,
): Promise<ShortLinkTarget | null> {
  const pattern = `%${code}`;
  const local = await db
    .selectFrom("proposals")
    .select(["id", "purpose"])
    .where(sql<boolean>`cast(${sql.ref("proposals.id")} as text) like ${pattern}`)
    .where("deleted_at", "is", null)
    .where("audience", "=", "public")
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (local !== undefined) return { kind: "local", purpose: local.purpose, id: local.id };
  const remote = await db
    .selectFrom("remote_proposals")
    .select(["object_id", "url"])
    .where(sql<boolean>`cast(${sql.ref("remote_proposals.id")} as text) like ${pattern}`)
    .where("kind", "=", "proposal")
    .orderBy("published_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (remote === undefined) return null;
  return { kind: "remote", url: remote.url ?? remote.object_id };
}
