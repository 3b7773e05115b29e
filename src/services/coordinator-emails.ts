/**
 * Email for coordinators: their address (confirmed by a link), their
 * choices per kind, one-click unsubscribing, password resets by email, and
 * turning recorded events into emails and digests. Every email is written
 * to the outbox (messaging/outbox.ts) in the transaction that decides it.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import { insertPasswordReset } from "../db/accounts.repo.ts";
import {
  claimEmailEvents,
  confirmEmailByDigest,
  deleteAccountEmail,
  deleteEmailEvents,
  type EmailEvent,
  findAccountByConfirmedEmail,
  findAccountEmail,
  findAccountLanguage,
  findPreferences,
  findRecipients,
  insertDigestEntries,
  instanceSecret,
  listDigestAccounts,
  savePreferences,
  setAccountLanguage,
  setPreference,
  setUnconfirmedEmail,
  takeDigestEntries,
} from "../db/coordinator-email.repo.ts";
import type { Database } from "../db/database.ts";
import { findGroupById } from "../db/groups.repo.ts";
import {
  DEFAULT_FREQUENCIES,
  type DigestFrequency,
  digestCutoff,
  EMAIL_KINDS,
  type EmailKind,
  type Frequency,
  isFrequency,
  normaliseEmailAddress,
  type Preferences,
} from "../domain/email-notifications.ts";
import type { Group } from "../domain/group.ts";
import { newId } from "../domain/ids.ts";
import {
  confirmationEmail,
  digestEmail,
  type Footer,
  notificationEmail,
  passwordResetEmail,
  testEmail,
} from "../messaging/email-content.ts";
import { enqueueMessage } from "../messaging/outbox.ts";
import {
  readUnsubscribeToken,
  type UnsubscribeScope,
  unsubscribeToken,
} from "../messaging/unsubscribe-token.ts";
import { isLocale, type Locale, messagesFor } from "../web/i18n/locale.ts";
import { emailEventText } from "../web/i18n/notification-text.ts";
import type { Clock } from "./ports.ts";
import { consumeRateLimit } from "./rate-limit.ts";

export interface CoordinatorEmailDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  /** The public origin: every link in an email is absolute. */
  readonly origin: URL;
  /** The instance's zone (TIME_ZONE): daily digests go out at seven there. */
  readonly timeZone: string;
}

/** How long a confirmation link works. */
export const CONFIRMATION_LIFETIME = Temporal.Duration.from({ hours: 48 });
/** How long an emailed reset link works: short, as the mailbox may be read by others too. */
export const EMAILED_RESET_LIFETIME = Temporal.Duration.from({ hours: 2 });
/** Reset emails per account and hour: enough to retry, too few to flood a mailbox. */
const RESET_EMAILS = { name: "reset-email", limit: 3, windowSeconds: 3600 };
const UNSUBSCRIBE_KEY = "unsubscribe-links";
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const digest = (value: string) => createHash("sha256").update(value).digest("hex");
const localeOf = (language: string): Locale => (isLocale(language) ? language : "en");

export const emailPaths = {
  settings: "/workspace/account/email",
  confirm: (token: string) => `/email/confirm/${token}`,
  unsubscribe: (token: string) => `/email/unsubscribe/${token}`,
  reset: (token: string) => `/password-reset/${token}`,
};

const link = (deps: CoordinatorEmailDeps, path: string) => new URL(path, deps.origin).href;
const groupPath = (handle: string, path: string) => `/workspace/groups/${handle}/${path}`;

export interface EmailSettings {
  readonly address: string | null;
  readonly confirmed: boolean;
  readonly language: Locale;
  readonly preferences: Preferences;
}

export async function emailSettings(
  deps: CoordinatorEmailDeps,
  accountId: string,
): Promise<EmailSettings> {
  const [email, language, preferences] = await Promise.all([
    findAccountEmail(deps.db, accountId),
    findAccountLanguage(deps.db, accountId),
    findPreferences(deps.db, accountId),
  ]);
  return {
    address: email?.address ?? null,
    confirmed: email?.confirmedAt != null,
    language: localeOf(language ?? "en"),
    preferences,
  };
}

/**
 * Saves an address (unconfirmed) and the emails' language, and writes the
 * confirmation email, in one transaction.
 */
export async function setEmailAddress(
  deps: CoordinatorEmailDeps,
  account: { id: string; username: string },
  input: { address: string; language: string },
): Promise<
  | { ok: true; address: string }
  | { ok: false; problems: Partial<Record<"address" | "language", "invalid">> }
> {
  const address = normaliseEmailAddress(input.address);
  const problems: Partial<Record<"address" | "language", "invalid">> = {};
  if (address === null) problems.address = "invalid";
  if (!isLocale(input.language)) problems.language = "invalid";
  if (address === null || !isLocale(input.language)) return { ok: false, problems };
  const language = input.language;
  const now = deps.clock();
  const token = randomBytes(32).toString("base64url");
  await deps.db.transaction().execute(async (trx) => {
    await setAccountLanguage(trx, account.id, language);
    await setUnconfirmedEmail(
      trx,
      account.id,
      address,
      digest(token),
      now.add(CONFIRMATION_LIFETIME),
      now,
    );
    const content = confirmationEmail(
      messagesFor(language),
      language,
      account.username,
      link(deps, emailPaths.confirm(token)),
    );
    await enqueueMessage(
      trx,
      {
        channel: "email",
        recipient: address,
        ...content,
        language,
        dedupeKey: `confirm:${digest(token)}`,
      },
      now,
    );
  });
  return { ok: true, address };
}

export async function removeEmailAddress(
  deps: CoordinatorEmailDeps,
  accountId: string,
): Promise<void> {
  await deleteAccountEmail(deps.db, accountId);
}

/** Confirms the address the link was sent to: true when it was (still) valid. */
export async function confirmEmailAddress(
  deps: CoordinatorEmailDeps,
  token: string,
): Promise<boolean> {
  if (!SECRET_PATTERN.test(token)) return false;
  return (await confirmEmailByDigest(deps.db, digest(token), deps.clock())) !== null;
}

/**
 * Every kind's choice from a form or JSON body: each must be one of the
 * frequencies; kinds left out keep their current choice, unknown kinds are
 * refused. Nothing is stored unless everything is valid.
 */
export async function saveEmailPreferences(
  deps: CoordinatorEmailDeps,
  accountId: string,
  input: Readonly<Record<string, unknown>>,
): Promise<
  { ok: true; preferences: Preferences } | { ok: false; details: Record<string, string> }
> {
  const details: Record<string, string> = {};
  const current = await findPreferences(deps.db, accountId);
  const next: Record<EmailKind, Frequency> = { ...current };
  for (const [key, value] of Object.entries(input)) {
    if (!(EMAIL_KINDS as readonly string[]).includes(key)) {
      details[key] = `unknown kind; one of ${EMAIL_KINDS.join(", ")}`;
    } else if (!isFrequency(value)) {
      details[key] = "must be one of immediately, hourly, daily, never";
    } else {
      next[key as EmailKind] = value;
    }
  }
  if (Object.keys(details).length > 0) return { ok: false, details };
  await savePreferences(deps.db, accountId, next);
  return { ok: true, preferences: next };
}

async function unsubscribeKey(deps: { db: Kysely<Database> }): Promise<string> {
  return instanceSecret(deps.db, UNSUBSCRIBE_KEY);
}

/** What an unsubscribe link stops; null when the link is not one of ours. */
export async function readUnsubscribeLink(
  deps: CoordinatorEmailDeps,
  token: string,
): Promise<{ accountId: string; scope: UnsubscribeScope } | null> {
  return readUnsubscribeToken(await unsubscribeKey(deps), token);
}

/** Stops what the link names (one kind, or all): no sign-in, the signature is the proof. */
export async function unsubscribe(deps: CoordinatorEmailDeps, token: string): Promise<boolean> {
  const found = await readUnsubscribeLink(deps, token);
  if (found === null) return false;
  if ((await findAccountLanguage(deps.db, found.accountId)) === null) return false;
  const kinds = found.scope === "all" ? EMAIL_KINDS : [found.scope];
  await deps.db.transaction().execute(async (trx) => {
    for (const kind of kinds) await setPreference(trx, found.accountId, kind, "never");
  });
  return true;
}

/**
 * Sends a reset link to the confirmed address of the account named by
 * username or address. Says nothing about whether one matched (the page
 * answers the same either way), and sends at most a few per account and hour.
 */
export async function requestPasswordResetByEmail(
  deps: CoordinatorEmailDeps,
  usernameOrAddress: string,
): Promise<void> {
  const given = usernameOrAddress.trim().slice(0, 254);
  if (given === "") return;
  const account = given.includes("@")
    ? await findAccountByConfirmedEmail(deps.db, given)
    : await findAccountByUsernameWithEmail(deps.db, given);
  if (account === null) return;
  const decision = await consumeRateLimit(deps, RESET_EMAILS, account.id);
  if (!decision.allowed) return;
  const email = await findAccountEmail(deps.db, account.id);
  if (email === null || email.confirmedAt === null) return;
  const now = deps.clock();
  const token = randomBytes(32).toString("base64url");
  const language = localeOf(account.language);
  await deps.db.transaction().execute(async (trx) => {
    const id = newId(now.epochMilliseconds);
    await insertPasswordReset(trx, {
      id,
      accountId: account.id,
      tokenDigest: digest(token),
      createdAt: now,
      expiresAt: now.add(EMAILED_RESET_LIFETIME),
    });
    const content = passwordResetEmail(
      messagesFor(language),
      language,
      account.username,
      link(deps, emailPaths.reset(token)),
    );
    await enqueueMessage(
      trx,
      {
        channel: "email",
        recipient: email.address,
        ...content,
        language,
        dedupeKey: `reset:${id}`,
      },
      now,
    );
  });
}

async function findAccountByUsernameWithEmail(
  db: Kysely<Database>,
  username: string,
): Promise<{ id: string; username: string; language: string } | null> {
  const row = await db
    .selectFrom("accounts")
    .select(["id", "username", "language"])
    .where("username", "=", username.toLowerCase())
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return row ?? null;
}

async function footerFor(
  deps: CoordinatorEmailDeps,
  trx: Transaction<Database>,
  key: string,
  accountId: string,
  scope: UnsubscribeScope,
): Promise<Footer & { headers: Record<string, string> }> {
  const row = await trx
    .selectFrom("accounts")
    .select("username")
    .where("id", "=", accountId)
    .executeTakeFirstOrThrow();
  const unsubscribeLink = link(
    deps,
    emailPaths.unsubscribe(unsubscribeToken(key, accountId, scope)),
  );
  return {
    username: row.username,
    preferencesLink: link(deps, emailPaths.settings),
    unsubscribeLink,
    // RFC 2369 and RFC 8058: mail programs show an unsubscribe button that
    // POSTs to the link.
    headers: {
      "List-Unsubscribe": `<${unsubscribeLink}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    },
  };
}

/** Events handled per transaction. */
const FAN_OUT_BATCH = 50;

/**
 * Turns recorded events into emails (coordinators who chose "immediately")
 * and digest entries (hourly, daily), deleting each event in the same
 * transaction: a crash repeats a batch whole or not at all, and dedupe keys
 * make a repeated one write nothing new.
 */
export async function fanOutEmailEvents(deps: CoordinatorEmailDeps): Promise<number> {
  // Read before any transaction: PGlite has one connection, and a query on
  // `db` inside a transaction would wait for it forever.
  const key = await unsubscribeKey(deps);
  let handled = 0;
  for (;;) {
    const count = await deps.db.transaction().execute(async (trx) => {
      const events = await claimEmailEvents(trx, FAN_OUT_BATCH);
      const groups = new Map<string, Group | null>();
      for (const event of events) {
        if (!groups.has(event.groupId))
          groups.set(event.groupId, await findGroupById(trx, event.groupId));
        const group = groups.get(event.groupId);
        if (group) await fanOutOne(deps, trx, key, event, group);
      }
      await deleteEmailEvents(
        trx,
        events.map((e) => e.id),
      );
      return events.length;
    });
    handled += count;
    if (count < FAN_OUT_BATCH) return handled;
  }
}

async function fanOutOne(
  deps: CoordinatorEmailDeps,
  trx: Transaction<Database>,
  key: string,
  event: EmailEvent,
  group: Group,
): Promise<void> {
  const recipients = await findRecipients(
    trx,
    event.groupId,
    event.kind,
    DEFAULT_FREQUENCIES[event.kind],
  );
  const digests: { accountId: string; frequency: DigestFrequency }[] = [];
  for (const recipient of recipients) {
    if (recipient.frequency === "hourly" || recipient.frequency === "daily") {
      digests.push({ accountId: recipient.accountId, frequency: recipient.frequency });
    }
  }
  // One statement per event however many coordinators wait for a digest.
  await insertDigestEntries(trx, digests, event);
  for (const recipient of recipients) {
    if (recipient.frequency !== "immediately") continue;
    const language = localeOf(recipient.language);
    const footer = await footerFor(deps, trx, key, recipient.accountId, event.kind);
    const content = notificationEmail(
      messagesFor(language),
      language,
      {
        kind: event.kind,
        groupName: group.name,
        sentence: emailEventText(messagesFor(language), language, event.message),
        link: link(deps, groupPath(group.handle, event.path)),
      },
      footer,
    );
    await enqueueMessage(
      trx,
      {
        channel: "email",
        recipient: recipient.address,
        ...content,
        headers: footer.headers,
        language,
        dedupeKey: `event:${event.eventKey}:${recipient.accountId}`,
      },
      deps.clock(),
    );
  }
}

/**
 * Writes the digests whose period has ended: one email per account and
 * frequency with every entry recorded before the cutoff, the entries
 * deleted in the same transaction.
 */
export async function sendDueDigests(deps: CoordinatorEmailDeps): Promise<number> {
  let written = 0;
  const now = deps.clock();
  const key = await unsubscribeKey(deps);
  for (const frequency of ["hourly", "daily"] as const satisfies DigestFrequency[]) {
    const cutoff = digestCutoff(now, frequency, deps.timeZone);
    for (const accountId of await listDigestAccounts(deps.db, frequency, cutoff)) {
      if (await writeDigest(deps, key, accountId, frequency, cutoff)) written++;
    }
  }
  return written;
}

async function writeDigest(
  deps: CoordinatorEmailDeps,
  key: string,
  accountId: string,
  frequency: DigestFrequency,
  cutoff: Temporal.Instant,
): Promise<boolean> {
  return deps.db.transaction().execute(async (trx) => {
    const entries = await takeDigestEntries(trx, accountId, frequency, cutoff);
    if (entries.length === 0) return false;
    const email = await findAccountEmail(trx, accountId);
    // An address removed since: the entries go with it.
    if (email === null || email.confirmedAt === null) return false;
    const language = localeOf((await findAccountLanguage(trx, accountId)) ?? "en");
    const groups = new Map<string, Group | null>();
    for (const entry of entries) {
      if (!groups.has(entry.groupId))
        groups.set(entry.groupId, await findGroupById(trx, entry.groupId));
    }
    const footer = await footerFor(deps, trx, key, accountId, "all");
    const content = digestEmail(
      messagesFor(language),
      language,
      frequency,
      entries.flatMap((e) => {
        const group = groups.get(e.groupId);
        if (!group) return [];
        return [
          {
            kind: e.kind,
            groupName: group.name,
            sentence: emailEventText(messagesFor(language), language, e.message),
            link: link(deps, groupPath(group.handle, e.path)),
          },
        ];
      }),
      footer,
    );
    await enqueueMessage(
      trx,
      {
        channel: "email",
        recipient: email.address,
        ...content,
        headers: footer.headers,
        language,
        // The entries are gone with this transaction: a later digest has
        // other entries, so the first one's id names this digest.
        dedupeKey: `digest:${accountId}:${entries[0]!.id}`,
      },
      deps.clock(),
    );
    return true;
  });
}

/** A test email from the admins' page, to see that mail leaves the instance. */
export async function sendTestEmail(
  deps: CoordinatorEmailDeps,
  rawAddress: string,
  language: Locale,
): Promise<boolean> {
  const address = normaliseEmailAddress(rawAddress);
  if (address === null) return false;
  const content = testEmail(messagesFor(language), language);
  await enqueueMessage(
    deps.db,
    {
      channel: "email",
      recipient: address,
      ...content,
      language,
      dedupeKey: `test:${crypto.randomUUID()}`,
    },
    deps.clock(),
  );
  return true;
}
