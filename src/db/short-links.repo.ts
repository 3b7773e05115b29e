import { type Kysely, sql } from "kysely";
import type { Purpose } from "../domain/proposal.ts";
import type { Database } from "./database.ts";

/** Where a short link (domain/short-link.ts) leads. */
export type ShortLinkTarget =
  | { readonly kind: "local"; readonly purpose: Purpose; readonly id: string }
  | { readonly kind: "remote"; readonly objectId: string; readonly url: string | null };

/**
 * The row-id suffix a code names, as the short-code indexes spell it
 * (migrations/2026_12_03_170000_board_gaps.ts): the last ten characters
 * of the id, which are the last ten hex digits of a UUID's last group. The
 * expression must stay exactly this for the indexes to answer.
 */
const codeOf = (column: "proposals.id" | "remote_proposals.id") =>
  sql<string>`right(${sql.ref(column)}, 10)`;

/**
 * The public need or offer whose row id ends with `code`: one of ours
 * (public, not deleted) first, else a received one. A code is checked by
 * `isShortCode` before it gets here. Each side is one equality lookup on
 * its partial short-code index: a handful of rows at most share a code.
 */
export async function findShortLinkTarget(
  db: Kysely<Database>,
  code: string,
): Promise<ShortLinkTarget | null> {
  const local = await db
    .selectFrom("proposals")
    .select(["id", "purpose"])
    .where(codeOf("proposals.id"), "=", code)
    .where("deleted_at", "is", null)
    .where("audience", "=", "public")
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (local !== undefined) return { kind: "local", purpose: local.purpose, id: local.id };
  const remote = await db
    .selectFrom("remote_proposals")
    .select(["object_id", "url"])
    .where(codeOf("remote_proposals.id"), "=", code)
    .where("kind", "=", "proposal")
    .orderBy("published_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (remote === undefined) return null;
  return { kind: "remote", objectId: remote.object_id, url: remote.url };
}
