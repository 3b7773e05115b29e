import { timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import type { Group } from "../domain/group.ts";
import type { Clock } from "../services/ports.ts";
import { authenticateCoordinatorToken } from "../services/tokens.ts";
import { ApiError } from "./errors.ts";

export type Caller =
  | { readonly kind: "admin" }
  | { readonly kind: "coordinator"; readonly groupId: string }
  | { readonly kind: "anonymous" };

/**
 * Who is calling. A missing Authorization header is an anonymous caller; a
 * header with an unknown token is an error (401), so a mistyped token is
 * noticed instead of silently reading the public view. A coordinator token
 * is looked up on every request (no cache), so a revoked one is refused at once.
 */
export async function identifyCaller(
  c: Context,
  deps: { db: Kysely<Database>; adminToken: string | null; clock: Clock },
): Promise<Caller> {
  const header = c.req.header("authorization");
  if (header === undefined) return { kind: "anonymous" };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) {
    throw ApiError.said(401, "unauthorized", (t) => t.apiErrors.bearerFormat);
  }
  const token = match[1]!;
  if (deps.adminToken !== null && constantTimeEquals(token, deps.adminToken))
    return { kind: "admin" };
  const found = await authenticateCoordinatorToken(deps, token);
  if (found === null) throw ApiError.said(401, "unauthorized", (t) => t.apiErrors.tokenInvalid);
  return { kind: "coordinator", groupId: found.groupId };
}

function constantTimeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function requireAdmin(caller: Caller): void {
  if (caller.kind === "anonymous")
    throw ApiError.said(401, "unauthorized", (t) => t.apiErrors.adminRequired);
  if (caller.kind !== "admin") throw ApiError.said(403, "forbidden", (t) => t.apiErrors.adminOnly);
}

export function isCoordinatorOf(caller: Caller, group: Group): boolean {
  return caller.kind === "admin" || (caller.kind === "coordinator" && caller.groupId === group.id);
}

export function requireCoordinator(caller: Caller, group: Group): void {
  if (caller.kind === "anonymous") {
    throw ApiError.said(401, "unauthorized", (t) => t.apiErrors.coordinatorRequired);
  }
  if (!isCoordinatorOf(caller, group)) {
    throw ApiError.said(403, "forbidden", (t) => t.apiErrors.notCoordinator);
  }
}
