import type { Kysely } from "kysely";
import type { Account } from "../domain/account.ts";
import type { Database } from "./database.ts";
import { toDate, toInstant } from "./time.ts";

export interface InvitationRow {
  readonly id: string;
  /** null: an invitation for an instance admin. */
  readonly groupId: string | null;
  readonly expiresAt: Temporal.Instant;
  readonly acceptedAt: Temporal.Instant | null;
}

export async function insertInvitation(
  db: Kysely<Database>,
  invitation: {
    id: string;
    tokenDigest: string;
    groupId: string | null;
    createdAt: Temporal.Instant;
    expiresAt: Temporal.Instant;
  },
): Promise<void> {
  await db
    .insertInto("invitations")
    .values({
      id: invitation.id,
      token_digest: invitation.tokenDigest,
      group_id: invitation.groupId,
      for_admin: invitation.groupId === null,
      created_at: toDate(invitation.createdAt),
      expires_at: toDate(invitation.expiresAt),
    })
    .execute();
}

export async function findInvitationByDigest(
  db: Kysely<Database>,
  digest: string,
): Promise<InvitationRow | null> {
  const row = await db
    .selectFrom("invitations")
    .select(["id", "group_id", "expires_at", "accepted_at"])
    .where("token_digest", "=", digest)
    .executeTakeFirst();
  if (row === undefined) return null;
  return {
    id: row.id,
    groupId: row.group_id,
    expiresAt: toInstant(row.expires_at),
    acceptedAt: row.accepted_at === null ? null : toInstant(row.accepted_at),
  };
}

/** An invitation link not used yet (expired or not): the admins' list. */
export interface OpenInvitationRow {
  readonly id: string;
  readonly groupId: string | null;
  readonly createdAt: Temporal.Instant;
  readonly expiresAt: Temporal.Instant;
}

/** Invitations no account was created from yet, newest first (at most `limit`). */
export async function listOpenInvitations(
  db: Kysely<Database>,
  limit: number,
): Promise<OpenInvitationRow[]> {
  const rows = await db
    .selectFrom("invitations")
    .select(["id", "group_id", "created_at", "expires_at"])
    .where("accepted_at", "is", null)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    groupId: row.group_id,
    createdAt: toInstant(row.created_at),
    expiresAt: toInstant(row.expires_at),
  }));
}

/**
 * Revokes an invitation no account was created from: the row goes, so its
 * link finds nothing. False when there was no such unused invitation.
 */
export async function deleteOpenInvitation(db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom("invitations")
    .where("id", "=", id)
    .where("accepted_at", "is", null)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export type AcceptOutcome = "created" | "username-taken" | "invitation-used";

/**
 * Creates the account, makes it a coordinator of the invitation's group and
 * uses up the invitation, all or nothing: an invitation opens one account.
 */
export async function createAccountFromInvitation(
  db: Kysely<Database>,
  invitationId: string,
  account: { id: string; username: string; passwordHash: string; at: Temporal.Instant },
): Promise<AcceptOutcome> {
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable("invitations")
      .set({ accepted_at: toDate(account.at) })
      .where("id", "=", invitationId)
      .where("accepted_at", "is", null)
      .returning(["group_id", "for_admin"])
      .executeTakeFirst();
    if (claimed === undefined) return "invitation-used";
    const inserted = await trx
      .insertInto("accounts")
      .values({
        id: account.id,
        username: account.username,
        password_hash: account.passwordHash,
        is_admin: claimed.for_admin,
        created_at: toDate(account.at),
        updated_at: toDate(account.at),
      })
      .onConflict((oc) => oc.column("username").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (inserted === undefined) {
      // Roll back the claim: the person picks another name and tries again.
      await trx
        .updateTable("invitations")
        .set({ accepted_at: null })
        .where("id", "=", invitationId)
        .execute();
      return "username-taken";
    }
    if (claimed.group_id !== null) {
      await trx
        .insertInto("account_groups")
        .values({ account_id: account.id, group_id: claimed.group_id })
        .execute();
    }
    await trx
      .updateTable("invitations")
      .set({ account_id: account.id })
      .where("id", "=", invitationId)
      .execute();
    return "created";
  });
}

/**
 * An instance admin made directly, without an invitation (the operator's
 * command line). False when the username is taken.
 */
export async function insertAdminAccount(
  db: Kysely<Database>,
  account: { id: string; username: string; passwordHash: string; at: Temporal.Instant },
): Promise<boolean> {
  const inserted = await db
    .insertInto("accounts")
    .values({
      id: account.id,
      username: account.username,
      password_hash: account.passwordHash,
      is_admin: true,
      created_at: toDate(account.at),
      updated_at: toDate(account.at),
    })
    .onConflict((oc) => oc.column("username").doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findAccountForLogin(
  db: Kysely<Database>,
  username: string,
): Promise<{ account: Account; passwordHash: string } | null> {
  const row = await db
    .selectFrom("accounts")
    .selectAll()
    .where("username", "=", username)
    // A revoked account signs in like an unknown one: same answer, same work.
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (row === undefined) return null;
  return {
    account: {
      id: row.id,
      username: row.username,
      isAdmin: row.is_admin,
      createdAt: toInstant(row.created_at),
    },
    passwordHash: row.password_hash,
  };
}

/** The ids of the groups an account coordinates. */
export async function listAccountGroupIds(
  db: Kysely<Database>,
  accountId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom("account_groups")
    .select("group_id")
    .where("account_id", "=", accountId)
    .execute();
  return rows.map((r) => r.group_id);
}

export async function insertSession(
  db: Kysely<Database>,
  session: {
    idDigest: string;
    accountId: string;
    csrfToken: string;
    createdAt: Temporal.Instant;
    expiresAt: Temporal.Instant;
  },
): Promise<void> {
  await db
    .insertInto("sessions")
    .values({
      id_digest: session.idDigest,
      account_id: session.accountId,
      csrf_token: session.csrfToken,
      created_at: toDate(session.createdAt),
      expires_at: toDate(session.expiresAt),
    })
    .execute();
}

/** A live session with its account; null when unknown or expired. */
export async function findSession(
  db: Kysely<Database>,
  idDigest: string,
  now: Temporal.Instant,
): Promise<{ account: Account; csrfToken: string } | null> {
  const row = await db
    .selectFrom("sessions")
    .innerJoin("accounts", "accounts.id", "sessions.account_id")
    .select([
      "accounts.id",
      "accounts.username",
      "accounts.is_admin",
      "accounts.created_at",
      "sessions.csrf_token",
    ])
    .where("sessions.id_digest", "=", idDigest)
    .where("sessions.expires_at", ">", toDate(now))
    .where("accounts.revoked_at", "is", null)
    .executeTakeFirst();
  if (row === undefined) return null;
  return {
    account: {
      id: row.id,
      username: row.username,
      isAdmin: row.is_admin,
      createdAt: toInstant(row.created_at),
    },
    csrfToken: row.csrf_token,
  };
}

export async function deleteSession(db: Kysely<Database>, idDigest: string): Promise<void> {
  await db.deleteFrom("sessions").where("id_digest", "=", idDigest).execute();
}

export async function deleteExpiredSessions(
  db: Kysely<Database>,
  now: Temporal.Instant,
): Promise<void> {
  await db.deleteFrom("sessions").where("expires_at", "<=", toDate(now)).execute();
}

/** An account as the admins' page shows it. */
export interface AccountOverview {
  readonly account: Account;
  readonly revokedAt: Temporal.Instant | null;
  /** The collectives it coordinates (an admin coordinates every one without rows here). */
  readonly groupIds: readonly string[];
  readonly liveSessions: number;
}

/** Every account, oldest first, with its groups and how many sessions are live. */
export async function listAccountOverviews(
  db: Kysely<Database>,
  now: Temporal.Instant,
): Promise<AccountOverview[]> {
  const [accounts, memberships, sessions] = await Promise.all([
    db.selectFrom("accounts").selectAll().orderBy("created_at").orderBy("username").execute(),
    db.selectFrom("account_groups").select(["account_id", "group_id"]).execute(),
    db
      .selectFrom("sessions")
      .select(["account_id", (eb) => eb.fn.countAll<string>().as("live")])
      .where("expires_at", ">", toDate(now))
      .groupBy("account_id")
      .execute(),
  ]);
  const groupsOf = new Map<string, string[]>();
  for (const m of memberships)
    groupsOf.set(m.account_id, [...(groupsOf.get(m.account_id) ?? []), m.group_id]);
  const liveOf = new Map(sessions.map((s) => [s.account_id, Number(s.live)]));
  return accounts.map((row) => ({
    account: {
      id: row.id,
      username: row.username,
      isAdmin: row.is_admin,
      createdAt: toInstant(row.created_at),
    },
    revokedAt: row.revoked_at === null ? null : toInstant(row.revoked_at),
    groupIds: groupsOf.get(row.id) ?? [],
    liveSessions: liveOf.get(row.id) ?? 0,
  }));
}

export async function accountExists(db: Kysely<Database>, accountId: string): Promise<boolean> {
  const row = await db
    .selectFrom("accounts")
    .select("id")
    .where("id", "=", accountId)
    .executeTakeFirst();
  return row !== undefined;
}

/** Ends every session of an account; how many there were. */
export async function deleteAccountSessions(
  db: Kysely<Database>,
  accountId: string,
): Promise<number> {
  const result = await db
    .deleteFrom("sessions")
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Revokes (a time) or restores (null) an account's access; revoking also
 * ends its sessions, in the same transaction. False when there is no such account.
 */
export async function setAccountRevoked(
  db: Kysely<Database>,
  accountId: string,
  revokedAt: Temporal.Instant | null,
  now: Temporal.Instant,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable("accounts")
      .set({ revoked_at: revokedAt === null ? null : toDate(revokedAt), updated_at: toDate(now) })
      .where("id", "=", accountId)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return false;
    if (revokedAt !== null) {
      await trx.deleteFrom("sessions").where("account_id", "=", accountId).execute();
    }
    return true;
  });
}

/** An account's password hash, for checking the current password before a change; null when revoked or gone. */
export async function findPasswordHash(
  db: Kysely<Database>,
  accountId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom("accounts")
    .select("password_hash")
    .where("id", "=", accountId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return row?.password_hash ?? null;
}

/**
 * Sets an account's password hash and ends its sessions but `keepSession`
 * (the digest of the one that made the change, if any), together.
 */
export async function setPasswordHash(
  db: Kysely<Database>,
  accountId: string,
  passwordHash: string,
  now: Temporal.Instant,
  keepSession: string | null,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable("accounts")
      .set({ password_hash: passwordHash, updated_at: toDate(now) })
      .where("id", "=", accountId)
      .execute();
    let sessions = trx.deleteFrom("sessions").where("account_id", "=", accountId);
    if (keepSession !== null) sessions = sessions.where("id_digest", "!=", keepSession);
    await sessions.execute();
  });
}

export async function insertPasswordReset(
  db: Kysely<Database>,
  reset: {
    id: string;
    accountId: string;
    tokenDigest: string;
    createdAt: Temporal.Instant;
    expiresAt: Temporal.Instant;
  },
): Promise<void> {
  await db
    .insertInto("password_resets")
    .values({
      id: reset.id,
      account_id: reset.accountId,
      token_digest: reset.tokenDigest,
      created_at: toDate(reset.createdAt),
      expires_at: toDate(reset.expiresAt),
    })
    .execute();
}

export interface PasswordResetRow {
  readonly id: string;
  readonly accountId: string;
  readonly username: string;
  readonly expiresAt: Temporal.Instant;
  readonly usedAt: Temporal.Instant | null;
}

/** A reset link by its token's digest, with the account's username; null when unknown or the account is revoked. */
export async function findPasswordResetByDigest(
  db: Kysely<Database>,
  digest: string,
): Promise<PasswordResetRow | null> {
  const row = await db
    .selectFrom("password_resets")
    .innerJoin("accounts", "accounts.id", "password_resets.account_id")
    .select([
      "password_resets.id",
      "password_resets.account_id",
      "accounts.username",
      "password_resets.expires_at",
      "password_resets.used_at",
    ])
    .where("password_resets.token_digest", "=", digest)
    .where("accounts.revoked_at", "is", null)
    .executeTakeFirst();
  if (row === undefined) return null;
  return {
    id: row.id,
    accountId: row.account_id,
    username: row.username,
    expiresAt: toInstant(row.expires_at),
    usedAt: row.used_at === null ? null : toInstant(row.used_at),
  };
}

/**
 * Uses a reset link: sets the password and ends every session of the
 * account, only if the link is still unused and unexpired (a race uses it
 * once). False when it was not.
 */
export async function usePasswordReset(
  db: Kysely<Database>,
  resetId: string,
  passwordHash: string,
  now: Temporal.Instant,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable("password_resets")
      .set({ used_at: toDate(now) })
      .where("id", "=", resetId)
      .where("used_at", "is", null)
      .where("expires_at", ">", toDate(now))
      .returning("account_id")
      .executeTakeFirst();
    if (claimed === undefined) return false;
    await trx
      .updateTable("accounts")
      .set({ password_hash: passwordHash, updated_at: toDate(now) })
      .where("id", "=", claimed.account_id)
      .execute();
    await trx.deleteFrom("sessions").where("account_id", "=", claimed.account_id).execute();
    return true;
  });
}
