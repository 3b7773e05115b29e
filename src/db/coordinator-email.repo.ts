/**
 * Coordinators' email: their address and its confirmation, their choices
 * per kind, the events waiting to be turned into emails, and the entries
 * waiting for a digest.
 */
import { randomBytes } from "node:crypto";
import { type Kysely, sql, type Transaction } from "kysely";
import {
  type DigestFrequency,
  EMAIL_KINDS,
  type EmailKind,
  type Frequency,
  type Preferences,
  preferencesOf,
} from "../domain/email-notifications.ts";
import { newId } from "../domain/ids.ts";
import { type EmailEventMessage, readEmailEventMessage } from "../domain/notification-message.ts";
import type { Database } from "./database.ts";
import { jsonb } from "./json.ts";
import { notifyExpression } from "./notify.ts";
import { OUTBOX_CHANNEL } from "./outbound-messages.repo.ts";
import { toDate, toInstant, toInstantOrNull } from "./time.ts";

type Db = Kysely<Database> | Transaction<Database>;

export interface AccountEmail {
  readonly address: string;
  readonly confirmedAt: Temporal.Instant | null;
}

export async function findAccountEmail(db: Db, accountId: string): Promise<AccountEmail | null> {
  const row = await db
    .selectFrom("account_emails")
    .select(["address", "confirmed_at"])
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  return row === undefined
    ? null
    : { address: row.address, confirmedAt: toInstantOrNull(row.confirmed_at) };
}

/** A new (unconfirmed) address, replacing any earlier one; the link's token only as a digest. */
export async function setUnconfirmedEmail(
  db: Db,
  accountId: string,
  address: string,
  confirmDigest: string,
  expiresAt: Temporal.Instant,
  now: Temporal.Instant,
): Promise<void> {
  const values = {
    address,
    confirmed_at: null,
    confirm_digest: confirmDigest,
    confirm_expires_at: toDate(expiresAt),
    updated_at: toDate(now),
  };
  await db
    .insertInto("account_emails")
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column("account_id").doUpdateSet(values))
    .execute();
}

/** Confirms the address whose link has this digest; the account id, or null (unknown or expired). */
export async function confirmEmailByDigest(
  db: Db,
  confirmDigest: string,
  now: Temporal.Instant,
): Promise<string | null> {
  const row = await db
    .updateTable("account_emails")
    .set({ confirmed_at: toDate(now), confirm_digest: null, confirm_expires_at: null })
    .where("confirm_digest", "=", confirmDigest)
    .where("confirm_expires_at", ">", toDate(now))
    .returning("account_id")
    .executeTakeFirst();
  return row?.account_id ?? null;
}

export async function deleteAccountEmail(db: Db, accountId: string): Promise<void> {
  await db.deleteFrom("account_emails").where("account_id", "=", accountId).execute();
}

/** The account (not revoked) with this confirmed address, for a password reset asked by address. */
export async function findAccountByConfirmedEmail(
  db: Db,
  address: string,
): Promise<{ id: string; username: string; language: string } | null> {
  const row = await db
    .selectFrom("account_emails as e")
    .innerJoin("accounts as a", "a.id", "e.account_id")
    .select(["a.id", "a.username", "a.language"])
    .where(sql<boolean>`lower(e.address) = lower(${address})`)
    .where("e.confirmed_at", "is not", null)
    .where("a.revoked_at", "is", null)
    .orderBy("e.confirmed_at")
    .executeTakeFirst();
  return row ?? null;
}

export async function findAccountLanguage(db: Db, accountId: string): Promise<string | null> {
  const row = await db
    .selectFrom("accounts")
    .select("language")
    .where("id", "=", accountId)
    .executeTakeFirst();
  return row?.language ?? null;
}

export async function setAccountLanguage(
  db: Db,
  accountId: string,
  language: string,
): Promise<void> {
  await db.updateTable("accounts").set({ language }).where("id", "=", accountId).execute();
}

export async function findPreferences(db: Db, accountId: string): Promise<Preferences> {
  const rows = await db
    .selectFrom("email_preferences")
    .select(["kind", "frequency"])
    .where("account_id", "=", accountId)
    .execute();
  return preferencesOf(rows);
}

/** Stores every kind's choice (one statement: all or nothing). */
export async function savePreferences(
  db: Db,
  accountId: string,
  preferences: Preferences,
): Promise<void> {
  await db
    .insertInto("email_preferences")
    .values(
      EMAIL_KINDS.map((kind) => ({ account_id: accountId, kind, frequency: preferences[kind] })),
    )
    .onConflict((oc) =>
      oc.columns(["account_id", "kind"]).doUpdateSet({ frequency: sql`excluded.frequency` }),
    )
    .execute();
}

export async function setPreference(
  db: Db,
  accountId: string,
  kind: EmailKind,
  frequency: Frequency,
): Promise<void> {
  await db
    .insertInto("email_preferences")
    .values({ account_id: accountId, kind, frequency })
    .onConflict((oc) => oc.columns(["account_id", "kind"]).doUpdateSet({ frequency }))
    .execute();
}

export interface EmailEvent {
  readonly id: string;
  readonly kind: EmailKind;
  readonly groupId: string;
  /** Names the event: an event recorded twice is emailed once. */
  readonly eventKey: string;
  /** What to tell, in no language yet (rendered per reader); never a private field. */
  readonly message: EmailEventMessage;
  /** Where the collective's workspace shows it, below `/workspace/groups/<handle>/` (`triage`). */
  readonly path: string;
  readonly createdAt: Temporal.Instant;
}

/**
 * Records an event coordinators may be emailed about. Call in the event's
 * transaction: the email exists exactly when the event does.
 */
export async function recordEmailEvent(db: Db, event: Omit<EmailEvent, "id">): Promise<void> {
  await db
    .insertInto("email_events")
    .values({
      id: newId(event.createdAt.epochMilliseconds),
      kind: event.kind,
      group_id: event.groupId,
      event_key: event.eventKey,
      message: jsonb(event.message),
      path: event.path,
      created_at: toDate(event.createdAt),
    })
    .onConflict((oc) => oc.column("event_key").doNothing())
    .execute();
  await sql`SELECT ${notifyExpression(OUTBOX_CHANNEL)}`.execute(db);
}

/** Takes the oldest waiting events (locked, skipping ones another worker holds). */
export async function claimEmailEvents(
  trx: Transaction<Database>,
  limit: number,
): Promise<EmailEvent[]> {
  const rows = await trx
    .selectFrom("email_events")
    .selectAll()
    .orderBy("id")
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    groupId: r.group_id,
    eventKey: r.event_key,
    message: readEmailEventMessage(r.message),
    path: r.path,
    createdAt: toInstant(r.created_at),
  }));
}

export async function deleteEmailEvents(
  trx: Transaction<Database>,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await trx
    .deleteFrom("email_events")
    .where("id", "in", [...ids])
    .execute();
}

export interface Recipient {
  readonly accountId: string;
  readonly address: string;
  readonly language: string;
  readonly frequency: Frequency;
}

/**
 * The coordinators of a collective with a confirmed address (and access),
 * each with their choice for `kind`.
 */
export async function findRecipients(
  db: Db,
  groupId: string,
  kind: EmailKind,
  fallback: Frequency,
): Promise<Recipient[]> {
  const rows = await db
    .selectFrom("account_groups as g")
    .innerJoin("accounts as a", "a.id", "g.account_id")
    .innerJoin("account_emails as e", "e.account_id", "a.id")
    .leftJoin("email_preferences as p", (join) =>
      join.onRef("p.account_id", "=", "a.id").on("p.kind", "=", kind),
    )
    .select(["a.id", "e.address", "a.language", "p.frequency"])
    .where("g.group_id", "=", groupId)
    .where("a.revoked_at", "is", null)
    .where("e.confirmed_at", "is not", null)
    .orderBy("a.id")
    .execute();
  return rows.map((r) => ({
    accountId: r.id,
    address: r.address,
    language: r.language,
    frequency: r.frequency ?? fallback,
  }));
}

/** Puts one event in the digests of several accounts, in one statement. */
export async function insertDigestEntries(
  db: Db,
  recipients: readonly { accountId: string; frequency: DigestFrequency }[],
  event: EmailEvent,
): Promise<void> {
  if (recipients.length === 0) return;
  await db
    .insertInto("digest_entries")
    .values(
      recipients.map((r) => ({
        id: newId(event.createdAt.epochMilliseconds),
        account_id: r.accountId,
        frequency: r.frequency,
        kind: event.kind,
        group_id: event.groupId,
        event_key: event.eventKey,
        message: jsonb(event.message),
        path: event.path,
        created_at: toDate(event.createdAt),
      })),
    )
    .onConflict((oc) => oc.columns(["account_id", "event_key"]).doNothing())
    .execute();
}

/** The accounts with entries of `frequency` recorded before `cutoff`. */
export async function listDigestAccounts(
  db: Db,
  frequency: DigestFrequency,
  cutoff: Temporal.Instant,
): Promise<string[]> {
  const rows = await db
    .selectFrom("digest_entries")
    .select("account_id")
    .distinct()
    .where("frequency", "=", frequency)
    .where("created_at", "<", toDate(cutoff))
    .execute();
  return rows.map((r) => r.account_id);
}

export interface DigestEntry {
  readonly id: string;
  readonly kind: EmailKind;
  readonly groupId: string;
  readonly message: EmailEventMessage;
  readonly path: string;
  readonly createdAt: Temporal.Instant;
}

/**
 * Removes and returns an account's entries of one period, oldest first. In
 * the transaction that writes the digest: a second worker finds them gone.
 */
export async function takeDigestEntries(
  trx: Transaction<Database>,
  accountId: string,
  frequency: DigestFrequency,
  cutoff: Temporal.Instant,
): Promise<DigestEntry[]> {
  const rows = await trx
    .deleteFrom("digest_entries")
    .where("account_id", "=", accountId)
    .where("frequency", "=", frequency)
    .where("created_at", "<", toDate(cutoff))
    .returning(["kind", "group_id", "message", "path", "created_at", "id"])
    .execute();
  return rows
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => ({
      id: r.id,
      kind: r.kind,
      groupId: r.group_id,
      message: readEmailEventMessage(r.message),
      path: r.path,
      createdAt: toInstant(r.created_at),
    }));
}

const secrets = new WeakMap<Kysely<Database>, Map<string, string>>();

/** A secret the instance made for itself, made on first use (the same in every process). */
export async function instanceSecret(db: Kysely<Database>, name: string): Promise<string> {
  const known = secrets.get(db)?.get(name);
  if (known !== undefined) return known;
  await db
    .insertInto("instance_secrets")
    .values({ name, value: randomBytes(32).toString("base64url") })
    .onConflict((oc) => oc.column("name").doNothing())
    .execute();
  const row = await db
    .selectFrom("instance_secrets")
    .select("value")
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  if (!secrets.has(db)) secrets.set(db, new Map());
  secrets.get(db)!.set(name, row.value);
  return row.value;
}
