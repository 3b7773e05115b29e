import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import {
  deleteGroupToken,
  findTokenByDigest,
  insertToken,
  listGroupTokens,
  setGroupTokenLabel,
  type TokenRecord,
  touchToken,
} from "../db/tokens.repo.ts";
import type { Group } from "../domain/group.ts";
import { isId, newId } from "../domain/ids.ts";
import { checkTokenLabel, type TokenLabelProblem } from "../domain/token-label.ts";
import type { Clock } from "./ports.ts";

export interface TokenDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
}

export type { TokenRecord };

/**
 * How stale a token's recorded last use may get. Writing it on every request
 * would turn each API read into a write; to the minute is enough to tell a
 * token in use from a forgotten one.
 */
export const LAST_USED_PRECISION = Temporal.Duration.from({ minutes: 1 });

/** Tokens are random 256-bit secrets; only their SHA-256 digest is stored. */
export function digestToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export type IssueResult =
  | { readonly ok: true; readonly token: string; readonly record: TokenRecord }
  | { readonly ok: false; readonly problem: TokenLabelProblem };

/** A new coordinator token for `group`; the token itself is returned this once. */
export async function issueCoordinatorToken(
  deps: TokenDeps,
  group: Group,
  rawLabel?: string | null,
): Promise<IssueResult> {
  const checked = checkTokenLabel(rawLabel);
  if (!checked.ok) return checked;
  const token = `byh_${randomBytes(32).toString("base64url")}`;
  const now = deps.clock();
  const record: TokenRecord = {
    id: newId(now.epochMilliseconds),
    groupId: group.id,
    label: checked.label,
    createdAt: now,
    lastUsedAt: null,
  };
  await insertToken(deps.db, {
    id: record.id,
    digest: digestToken(token),
    groupId: group.id,
    createdAt: new Date(now.epochMilliseconds),
    label: checked.label,
  });
  return { ok: true, token, record };
}

/**
 * The group a presented token belongs to, or null for no (or a revoked)
 * token. Read from the database every time — nothing caches tokens — so a
 * revocation holds from the next request. The last use is written at most
 * once per LAST_USED_PRECISION per token.
 */
export async function authenticateCoordinatorToken(
  deps: TokenDeps,
  token: string,
): Promise<{ readonly tokenId: string; readonly groupId: string } | null> {
  const found = await findTokenByDigest(deps.db, digestToken(token));
  if (found === null) return null;
  const now = deps.clock();
  const staleBefore = now.subtract(LAST_USED_PRECISION);
  if (found.lastUsedAt === null || Temporal.Instant.compare(found.lastUsedAt, staleBefore) < 0) {
    await touchToken(deps.db, found.id, now, staleBefore);
  }
  return { tokenId: found.id, groupId: found.groupId };
}

export async function listCoordinatorTokens(deps: TokenDeps, group: Group): Promise<TokenRecord[]> {
  return listGroupTokens(deps.db, group.id);
}

/** Revokes one of the group's tokens; false when it has none with that id (another group's included). */
export async function revokeCoordinatorToken(
  deps: TokenDeps,
  group: Group,
  id: string,
): Promise<boolean> {
  return isId(id) && (await deleteGroupToken(deps.db, group.id, id));
}

export type RelabelResult = "relabelled" | "not-found" | TokenLabelProblem;

export async function relabelCoordinatorToken(
  deps: TokenDeps,
  group: Group,
  id: string,
  rawLabel: string,
): Promise<RelabelResult> {
  const checked = checkTokenLabel(rawLabel);
  if (!checked.ok) return checked.problem;
  if (!isId(id)) return "not-found";
  return (await setGroupTokenLabel(deps.db, group.id, id, checked.label))
    ? "relabelled"
    : "not-found";
}

/** One of the group's tokens by id, for the revocation's confirmation step. */
export async function findCoordinatorToken(
  deps: TokenDeps,
  group: Group,
  id: string,
): Promise<TokenRecord | null> {
  if (!isId(id)) return null;
  return (await listGroupTokens(deps.db, group.id)).find((t) => t.id === id) ?? null;
}
