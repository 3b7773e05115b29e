import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/database.ts";
import { findGroupById } from "../db/groups.repo.ts";
import {
  changeIntakeState,
  findIntakeRequestByTokenDigest,
  insertIntakeRequest,
} from "../db/intake.repo.ts";
import type { Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import {
  canWithdraw,
  type IntakeField,
  type IntakeInput,
  type IntakeProblem,
  type IntakeRequest,
  validateIntake,
} from "../domain/intake.ts";
import type { Purpose } from "../domain/proposal.ts";
import { collectiveZone, todayIn } from "../domain/time-zone.ts";
import type { Clock } from "./ports.ts";
import { consumeRateLimit, type RateLimit } from "./rate-limit.ts";

/**
 * Accepted submissions per client address and hour. Generous: whole
 * neighbourhoods share one address behind a mobile carrier or a community
 * centre's connection, and a person in a crisis must never be turned away by
 * a number; it stops floods, not people.
 */
export const INTAKE_RATE_LIMIT: RateLimit = { name: "intake", limit: 20, windowSeconds: 3600 };

export interface IntakeDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  /** The instance's zone (TIME_ZONE), for collectives without one; absent: UTC. */
  readonly timeZone?: string;
}

export type SubmitResult =
  | { readonly ok: true; readonly request: IntakeRequest; readonly statusToken: string }
  | {
      readonly ok: false;
      readonly reason: "invalid";
      readonly problems: Partial<Record<IntakeField, IntakeProblem>>;
    }
  | { readonly ok: false; readonly reason: "rate-limited"; readonly retryAfterSeconds: number };

/**
 * Puts a request (or an offer) from someone without an account in the group's
 * triage queue and returns the private status token, which is shown once and
 * stored only as a digest: the link is the person's only key to it.
 */
export async function submitIntake(
  deps: IntakeDeps,
  group: Group,
  purpose: Purpose,
  input: IntakeInput,
  meta: { readonly language: string; readonly clientKey: string },
): Promise<SubmitResult> {
  const now = deps.clock();
  const timeZone = collectiveZone(group, deps.timeZone);
  const validation = validateIntake(input, todayIn(now, timeZone), { timeZone });
  if (!validation.ok) return { ok: false, reason: "invalid", problems: validation.problems };
  const decision = await consumeRateLimit(deps, INTAKE_RATE_LIMIT, meta.clientKey);
  if (!decision.allowed) {
    return { ok: false, reason: "rate-limited", retryAfterSeconds: decision.retryAfterSeconds };
  }
  const statusToken = randomBytes(32).toString("base64url");
  const request: IntakeRequest = {
    id: newId(now.epochMilliseconds),
    groupId: group.id,
    purpose,
    ...validation.draft,
    language: meta.language,
    state: "new",
    proposalId: null,
    createdAt: now,
    updatedAt: now,
  };
  await insertIntakeRequest(deps.db, request, digestStatusToken(statusToken));
  return { ok: true, request, statusToken };
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function digestStatusToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The request behind a private link, with its group; null for an unknown or malformed token. */
export async function findIntakeByToken(
  db: Kysely<Database>,
  token: string,
): Promise<{ request: IntakeRequest; group: Group } | null> {
  if (!TOKEN_PATTERN.test(token)) return null;
  const request = await findIntakeRequestByTokenDigest(db, digestStatusToken(token));
  if (request === null) return null;
  const group = await findGroupById(db, request.groupId);
  return group === null ? null : { request, group };
}

export type WithdrawResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly error: "not-found" | "not-withdrawable" };

export async function withdrawIntake(deps: IntakeDeps, token: string): Promise<WithdrawResult> {
  const found = await findIntakeByToken(deps.db, token);
  if (found === null) return { ok: false, error: "not-found" };
  if (found.request.state === "withdrawn") return { ok: true };
  if (!canWithdraw(found.request.state)) return { ok: false, error: "not-withdrawable" };
  const changed = await changeIntakeState(
    deps.db,
    found.request.id,
    "new",
    "withdrawn",
    deps.clock(),
  );
  return changed ? { ok: true } : { ok: false, error: "not-withdrawable" };
}
