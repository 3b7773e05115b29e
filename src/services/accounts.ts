import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import {
  type AccountOverview,
  accountExists,
  createAccountFromInvitation,
  deleteAccountSessions,
  deleteExpiredSessions,
  deleteOpenInvitation,
  deleteSession,
  findAccountForLogin,
  findInvitationByDigest,
  findPasswordHash,
  findPasswordResetByDigest,
  findSession,
  insertAdminAccount,
  insertInvitation,
  insertPasswordReset,
  insertSession,
  listAccountGroupIds,
  listAccountOverviews,
  listOpenInvitations,
  setAccountRevoked,
  setPasswordHash,
  usePasswordReset,
} from "../db/accounts.repo.ts";
import type { Database } from "../db/database.ts";
import { findGroupById, listGroups } from "../db/groups.repo.ts";
import {
  type Account,
  type AccountProblem,
  checkNewAccount,
  checkNewPassword,
} from "../domain/account.ts";
import type { Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import { decoyHash, hashPassword, verifyPassword } from "./passwords.ts";
import type { Clock } from "./ports.ts";
import { admitSignIn, recordSignInFailure, recordSignInSuccess } from "./sign-in-limits.ts";

export interface AccountDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
}

/** How long an invitation link works: long enough to reach someone, short enough to go stale. */
export const INVITATION_LIFETIME = Temporal.Duration.from({ hours: 72 });
/** How long a sign-in lasts before the coordinator signs in again. */
export const SESSION_LIFETIME = Temporal.Duration.from({ hours: 12 });
const secret = () => randomBytes(32).toString("base64url");
const digest = (value: string) => createHash("sha256").update(value).digest("hex");
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** An invitation for a coordinator of `group`, or (null) for another instance admin. */
export async function createInvitation(
  deps: AccountDeps,
  group: Group | null,
): Promise<{ id: string; token: string; expiresAt: Temporal.Instant }> {
  const now = deps.clock();
  const token = secret();
  const invitation = {
    id: newId(now.epochMilliseconds),
    tokenDigest: digest(token),
    groupId: group?.id ?? null,
    createdAt: now,
    expiresAt: now.add(INVITATION_LIFETIME),
  };
  await insertInvitation(deps.db, invitation);
  return { id: invitation.id, token, expiresAt: invitation.expiresAt };
}

/** An invitation link waiting to be used, as the admins' page lists it. */
export interface OpenInvitation {
  readonly id: string;
  /** The collective it makes a coordinator of; null: an instance admin. */
  readonly group: Group | null;
  readonly createdAt: Temporal.Instant;
  readonly expiresAt: Temporal.Instant;
  readonly expired: boolean;
}

/** How many unused invitations the admins' page lists. */
const OPEN_INVITATIONS_LISTED = 100;

/** The invitations no account was created from yet, newest first, expired ones marked. */
export async function listUnusedInvitations(deps: AccountDeps): Promise<OpenInvitation[]> {
  const now = deps.clock();
  const [rows, groups] = await Promise.all([
    listOpenInvitations(deps.db, OPEN_INVITATIONS_LISTED),
    listGroups(deps.db),
  ]);
  const byId = new Map(groups.map((g) => [g.id, g]));
  return rows.map((row) => ({
    id: row.id,
    group: row.groupId === null ? null : (byId.get(row.groupId) ?? null),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    expired: Temporal.Instant.compare(row.expiresAt, now) <= 0,
  }));
}

/** Revokes an unused invitation: its link no longer opens anything. False when there is none. */
export function revokeInvitation(deps: AccountDeps, id: string): Promise<boolean> {
  return deleteOpenInvitation(deps.db, id);
}

export type InvitationLookup =
  | { readonly state: "open"; readonly id: string; readonly group: Group | null }
  | { readonly state: "used" | "expired" | "missing" };

export async function findInvitation(deps: AccountDeps, token: string): Promise<InvitationLookup> {
  if (!SECRET_PATTERN.test(token)) return { state: "missing" };
  const invitation = await findInvitationByDigest(deps.db, digest(token));
  if (invitation === null) return { state: "missing" };
  if (invitation.acceptedAt !== null) return { state: "used" };
  if (Temporal.Instant.compare(invitation.expiresAt, deps.clock()) <= 0)
    return { state: "expired" };
  if (invitation.groupId === null) return { state: "open", id: invitation.id, group: null };
  const group = await findGroupById(deps.db, invitation.groupId);
  return group === null ? { state: "missing" } : { state: "open", id: invitation.id, group };
}

export type AcceptResult =
  | { readonly ok: true; readonly session: NewSession }
  | {
      readonly ok: false;
      readonly problems: Partial<
        Record<"username" | "password" | "passwordAgain", AccountProblem | "username-taken">
      >;
    }
  | { readonly ok: false; readonly state: "used" | "expired" | "missing" };

/** The invitee chooses a username and password; they are signed in at once. */
export async function acceptInvitation(
  deps: AccountDeps,
  token: string,
  input: { username: string; password: string; passwordAgain: string },
): Promise<AcceptResult> {
  const invitation = await findInvitation(deps, token);
  if (invitation.state !== "open") return { ok: false, state: invitation.state };
  const username = input.username.trim().toLowerCase();
  const problems = checkNewAccount({ ...input, username });
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  const now = deps.clock();
  const account = {
    id: newId(now.epochMilliseconds),
    username,
    passwordHash: await hashPassword(input.password),
    at: now,
  };
  const outcome = await createAccountFromInvitation(deps.db, invitation.id, account);
  if (outcome === "username-taken") return { ok: false, problems: { username: "username-taken" } };
  if (outcome === "invitation-used") return { ok: false, state: "used" };
  return { ok: true, session: await startSession(deps, account.id) };
}

export type AdminAccountResult =
  | { readonly ok: true; readonly account: Account }
  | {
      readonly ok: false;
      readonly problems: Partial<
        Record<"username" | "password" | "passwordAgain", AccountProblem | "username-taken">
      >;
    };

/**
 * An instance admin account made by the operator (`npm run admin --
 * create-admin`): how the first admin comes to exist without ADMIN_TOKEN and
 * an invitation. The same rules as an invited account's.
 */
export async function createAdminAccount(
  deps: AccountDeps,
  input: { username: string; password: string; passwordAgain: string },
): Promise<AdminAccountResult> {
  const username = input.username.trim().toLowerCase();
  const problems = checkNewAccount({ ...input, username });
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  const now = deps.clock();
  const id = newId(now.epochMilliseconds);
  const passwordHash = await hashPassword(input.password);
  if (!(await insertAdminAccount(deps.db, { id, username, passwordHash, at: now }))) {
    return { ok: false, problems: { username: "username-taken" } };
  }
  return { ok: true, account: { id, username, isAdmin: true, createdAt: now } };
}

export interface NewSession {
  /** The cookie's value; stored only as a digest. */
  readonly id: string;
  readonly expiresAt: Temporal.Instant;
}

async function startSession(deps: AccountDeps, accountId: string): Promise<NewSession> {
  const now = deps.clock();
  const id = secret();
  const expiresAt = now.add(SESSION_LIFETIME);
  await deleteExpiredSessions(deps.db, now);
  await insertSession(deps.db, {
    idDigest: digest(id),
    accountId,
    csrfToken: secret(),
    createdAt: now,
    expiresAt,
  });
  return { id, expiresAt };
}

export type LoginResult =
  | { readonly ok: true; readonly session: NewSession }
  | { readonly ok: false; readonly reason: "invalid" }
  | { readonly ok: false; readonly reason: "rate-limited"; readonly retryAfterSeconds: number };

/**
 * Signs in. Every failure looks the same to the caller, and an unknown
 * username costs the same scrypt work as a wrong password. Only failures
 * count towards the limits (sign-in-limits.ts): hard ones per address and
 * per (username, address), and for the username from everywhere a short,
 * growing wait rather than a lock, so guessing from other addresses cannot
 * keep the coordinator out.
 */
export async function login(
  deps: AccountDeps,
  input: { username: string; password: string },
  clientKey: string,
): Promise<LoginResult> {
  const username = input.username.trim().toLowerCase();
  const admitted = await admitSignIn(deps, username, clientKey);
  if (!admitted.allowed) {
    return { ok: false, reason: "rate-limited", retryAfterSeconds: admitted.retryAfterSeconds };
  }
  const found = await findAccountForLogin(deps.db, username);
  const password = input.password.slice(0, 1000);
  const valid =
    found === null
      ? (await verifyPassword(password, await decoyHash())) && false
      : await verifyPassword(password, found.passwordHash);
  if (!valid || found === null) {
    await recordSignInFailure(deps, username, clientKey);
    return { ok: false, reason: "invalid" };
  }
  await recordSignInSuccess(deps, username);
  return { ok: true, session: await startSession(deps, found.account.id) };
}

export interface SignedIn {
  readonly account: Account;
  readonly csrfToken: string;
  /** The collectives the account coordinates (an admin: every one). */
  readonly groupIds: readonly string[];
}

export async function currentSession(
  deps: AccountDeps,
  sessionId: string,
): Promise<SignedIn | null> {
  if (!SECRET_PATTERN.test(sessionId)) return null;
  const session = await findSession(deps.db, digest(sessionId), deps.clock());
  if (session === null) return null;
  const groupIds = session.account.isAdmin
    ? (await listGroups(deps.db)).map((g) => g.id)
    : await listAccountGroupIds(deps.db, session.account.id);
  return { ...session, groupIds };
}

export async function logout(deps: AccountDeps, sessionId: string): Promise<void> {
  await deleteSession(deps.db, digest(sessionId));
}

/** The accounts of the instance for its admins, with groups and live sessions. */
export async function listAccounts(deps: AccountDeps): Promise<AccountOverview[]> {
  return listAccountOverviews(deps.db, deps.clock());
}

/** Signs an account out of every browser; null when there is no such account. */
export async function signOutEverywhere(
  deps: AccountDeps,
  accountId: string,
): Promise<number | null> {
  if (!(await accountExists(deps.db, accountId))) return null;
  return deleteAccountSessions(deps.db, accountId);
}

export type RevokeResult = "revoked" | "restored" | "self" | "not-found";

/**
 * An admin takes an account's access away (signed out at once, and it cannot
 * sign in) or gives it back. Never one's own: the last admin would lock
 * everyone out of the instance's pages.
 */
export async function setAccountAccess(
  deps: AccountDeps,
  by: Account,
  accountId: string,
  access: "revoke" | "restore",
): Promise<RevokeResult> {
  if (accountId === by.id) return "self";
  const now = deps.clock();
  const done = await setAccountRevoked(deps.db, accountId, access === "revoke" ? now : null, now);
  if (!done) return "not-found";
  return access === "revoke" ? "revoked" : "restored";
}

/** How long a password reset link stays usable. */
export const PASSWORD_RESET_LIFETIME = Temporal.Duration.from({ hours: 24 });

export type PasswordField = "current" | "password" | "passwordAgain";
export type PasswordProblem = AccountProblem | "current-wrong";

/**
 * A signed-in coordinator changes their password: the current one must be
 * right and the new one typed twice. Every other session of the account
 * ends; the one that made the change (`sessionId`, the cookie's value) stays.
 */
export async function changePassword(
  deps: AccountDeps,
  account: Account,
  sessionId: string,
  input: { current: string; password: string; passwordAgain: string },
): Promise<
  { ok: true } | { ok: false; problems: Partial<Record<PasswordField, PasswordProblem>> }
> {
  const hash = await findPasswordHash(deps.db, account.id);
  const problems: Partial<Record<PasswordField, PasswordProblem>> = checkNewPassword(input);
  // Always a verification, so a wrong current password costs what a right one does.
  const right = await verifyPassword(input.current.slice(0, 1000), hash ?? (await decoyHash()));
  if (!right || hash === null) problems.current = "current-wrong";
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  await setPasswordHash(
    deps.db,
    account.id,
    await hashPassword(input.password),
    deps.clock(),
    digest(sessionId),
  );
  return { ok: true };
}

/**
 * A one-time link with which the account's owner sets a new password,
 * valid for PASSWORD_RESET_LIFETIME. Null when there is no such account
 * (or its access is revoked).
 */
export async function issuePasswordReset(
  deps: AccountDeps,
  accountId: string,
): Promise<{ token: string; expiresAt: Temporal.Instant } | null> {
  if ((await findPasswordHash(deps.db, accountId)) === null) return null;
  const now = deps.clock();
  const token = secret();
  const expiresAt = now.add(PASSWORD_RESET_LIFETIME);
  await insertPasswordReset(deps.db, {
    id: newId(now.epochMilliseconds),
    accountId,
    tokenDigest: digest(token),
    createdAt: now,
    expiresAt,
  });
  return { token, expiresAt };
}

export type PasswordResetLookup =
  | {
      readonly state: "open";
      readonly id: string;
      readonly accountId: string;
      readonly username: string;
    }
  | { readonly state: "used" | "expired" | "missing" };

export async function findPasswordReset(
  deps: AccountDeps,
  token: string,
): Promise<PasswordResetLookup> {
  if (!SECRET_PATTERN.test(token)) return { state: "missing" };
  const reset = await findPasswordResetByDigest(deps.db, digest(token));
  if (reset === null) return { state: "missing" };
  if (reset.usedAt !== null) return { state: "used" };
  if (Temporal.Instant.compare(reset.expiresAt, deps.clock()) <= 0) return { state: "expired" };
  return { state: "open", id: reset.id, accountId: reset.accountId, username: reset.username };
}

/**
 * Sets a new password with a reset link, once: every session of the account
 * ends, and the person is signed in anew.
 */
export async function resetPassword(
  deps: AccountDeps,
  token: string,
  input: { password: string; passwordAgain: string },
): Promise<
  | { readonly ok: true; readonly session: NewSession }
  | {
      readonly ok: false;
      readonly problems: Partial<Record<"password" | "passwordAgain", AccountProblem>>;
    }
  | { readonly ok: false; readonly state: "used" | "expired" | "missing" }
> {
  const reset = await findPasswordReset(deps, token);
  if (reset.state !== "open") return { ok: false, state: reset.state };
  const problems = checkNewPassword(input);
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  const used = await usePasswordReset(
    deps.db,
    reset.id,
    await hashPassword(input.password),
    deps.clock(),
  );
  if (!used) return { ok: false, state: "used" };
  return { ok: true, session: await startSession(deps, reset.accountId) };
}
