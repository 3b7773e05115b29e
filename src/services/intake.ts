import { createHash, createHmac, randomBytes } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import { findContactWays } from "../db/contact-ways.repo.ts";
import { recordEmailEvent } from "../db/coordinator-email.repo.ts";
import type { Database } from "../db/database.ts";
import {
  forgetErasedEmailRecipients,
  insertEmailSubscription,
} from "../db/email-subscriptions.repo.ts";
import { findGroupById } from "../db/groups.repo.ts";
import {
  changeIntakeState,
  eraseEndedContacts,
  findIntakeEnd,
  findIntakeRequestByTokenDigest,
  insertIntakeRequest,
} from "../db/intake.repo.ts";
import { findLivePartnerLinkId } from "../db/partner-links.repo.ts";
import { forgetErasedSmsRecipients, insertSmsSubscription } from "../db/sms-gateways.repo.ts";
import type { ContactWays } from "../domain/contact-ways.ts";
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
import { enqueueRequesterUpdates } from "../messaging/requester-updates.ts";
import type { InstanceUrls } from "../urls.ts";
import type { Clock } from "./ports.ts";
import { consumeRateLimit, type RateLimit } from "./rate-limit.ts";

/**
 * Accepted submissions per client address and hour. Generous: whole
 * neighbourhoods share one address behind a mobile carrier or a community
 * centre's connection, and a person in a crisis must never be turned away by
 * a number; it stops floods, not people.
 */
export const DEFAULT_INTAKE_LIMIT_PER_HOUR = 20;

export function intakeRateLimit(perHour: number): RateLimit {
  return { name: "intake", limit: perHour, windowSeconds: 3600 };
}

export const INTAKE_RATE_LIMIT: RateLimit = intakeRateLimit(DEFAULT_INTAKE_LIMIT_PER_HOUR);

/** How long a person's contact is kept after their request ended, by default. */
export const DEFAULT_CONTACT_RETENTION_DAYS = 30;

export interface IntakeDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  /** The instance's zone (TIME_ZONE), for collectives without one; absent: UTC. */
  readonly timeZone?: string;
  /** Accepted submissions per client address and hour (INTAKE_LIMIT_PER_HOUR); absent: 20. */
  readonly intakeLimitPerHour?: number;
  /** For the private link sent to a number or address left for updates; absent: none is sent. */
  readonly urls?: InstanceUrls;
}

/**
 * Where a person who asked on the web wants updates, with their consent
 * (the form says what for): a number through the collective's gateway,
 * an address, or both. Checked before submitting.
 */
export interface UpdateChannels {
  readonly sms?: { readonly gatewayId: string; readonly phoneNumber: string } | null;
  readonly email?: string | null;
}

export type SubmitResult =
  | {
      readonly ok: true;
      readonly request: IntakeRequest;
      readonly statusToken: string;
      /** The same form was sent before: `request` is that first one, nothing new was stored. */
      readonly duplicate: boolean;
    }
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
  meta: {
    readonly language: string;
    readonly clientKey: string;
    /** The form's one-time token (newFormToken); absent or malformed: no duplicate check. */
    readonly formToken?: string | undefined;
    /** A partner link's token: a live one of the group skips the per-address limit. */
    readonly partnerToken?: string | undefined;
    readonly updates?: UpdateChannels;
  },
): Promise<SubmitResult> {
  const formToken =
    meta.formToken !== undefined && TOKEN_PATTERN.test(meta.formToken) ? meta.formToken : null;
  if (formToken !== null) {
    // A reload, a double tap, the back button: the same form leads to the
    // request it already made, whatever its fields say now.
    const statusToken = statusTokenFor(formToken);
    const first = await findIntakeRequestByTokenDigest(deps.db, digestStatusToken(statusToken));
    if (first !== null) return { ok: true, request: first, statusToken, duplicate: true };
  }
  const now = deps.clock();
  const timeZone = collectiveZone(group, deps.timeZone);
  const validation = validateIntake(input, todayIn(now, timeZone), { timeZone });
  if (!validation.ok) return { ok: false, reason: "invalid", problems: validation.problems };
  const partnerLinkId =
    meta.partnerToken === undefined || meta.partnerToken === ""
      ? null
      : await findLivePartnerLinkId(deps.db, group.id, meta.partnerToken);
  if (partnerLinkId === null) {
    const limit = intakeRateLimit(deps.intakeLimitPerHour ?? DEFAULT_INTAKE_LIMIT_PER_HOUR);
    const decision = await consumeRateLimit(deps, limit, meta.clientKey);
    if (!decision.allowed) {
      return { ok: false, reason: "rate-limited", retryAfterSeconds: decision.retryAfterSeconds };
    }
  }
  const statusToken =
    formToken === null ? randomBytes(32).toString("base64url") : statusTokenFor(formToken);
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
    partnerLinkId,
  };
  // The coordinators' email about it, the channels left for updates and
  // the private link sent to them are recorded with it, or none is.
  const inserted = await deps.db.transaction().execute(async (trx) => {
    const stored = await insertIntakeRequest(trx, request, digestStatusToken(statusToken));
    if (stored) {
      await subscribeToUpdates(trx, deps.urls, group, request, statusToken, meta.updates ?? {});
      await recordEmailEvent(trx, {
        kind: "new-request",
        groupId: group.id,
        eventKey: `intake:${request.id}`,
        message: { key: "new-request", purpose: request.purpose, title: request.title },
        path: "triage",
        createdAt: now,
      });
    }
    return stored;
  });
  if (!inserted) {
    // Two submissions of one form at once: the other one was stored first.
    const first = await findIntakeRequestByTokenDigest(deps.db, digestStatusToken(statusToken));
    if (first !== null) return { ok: true, request: first, statusToken, duplicate: true };
  }
  return { ok: true, request, statusToken, duplicate: false };
}

async function subscribeToUpdates(
  trx: Transaction<Database>,
  urls: InstanceUrls | undefined,
  group: Group,
  request: IntakeRequest,
  statusToken: string,
  channels: UpdateChannels,
): Promise<void> {
  const at = request.createdAt;
  if (channels.sms != null) {
    await insertSmsSubscription(trx, {
      intakeRequestId: request.id,
      gatewayId: channels.sms.gatewayId,
      phoneNumber: channels.sms.phoneNumber,
      at,
    });
  }
  if (channels.email != null) {
    await insertEmailSubscription(trx, {
      intakeRequestId: request.id,
      address: channels.email,
      at,
    });
  }
  if (urls !== undefined && (channels.sms != null || channels.email != null)) {
    const event = { kind: "received", statusToken } as const;
    await enqueueRequesterUpdates(trx, urls, request, group.name, event, at);
  }
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new one-time token for a form: sending the form twice makes one request. */
export function newFormToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * The private link's token of the request a form made: derived from the
 * form's token, so sending the form again can lead to the same page while
 * only digests are stored.
 */
function statusTokenFor(formToken: string): string {
  return createHmac("sha256", formToken).update("request-status").digest("base64url");
}

export function digestStatusToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Everything the private status page shows. */
export interface RequestStatus {
  readonly request: IntakeRequest;
  readonly group: Group;
  /** How the public can reach the collective (all "" when it published none). */
  readonly contactWays: ContactWays;
  /** When the request ended (declined, withdrawn, its need closed); null while going on. */
  readonly endedAt: Temporal.Instant | null;
}

export async function findRequestStatus(
  db: Kysely<Database>,
  token: string,
): Promise<RequestStatus | null> {
  const found = await findIntakeByToken(db, token);
  if (found === null) return null;
  const [contactWays, endedAt] = await Promise.all([
    findContactWays(db, found.group.id),
    findIntakeEnd(db, found.request),
  ]);
  return { ...found, contactWays, endedAt };
}

/**
 * Erases the contact of every request that ended more than `retention`
 * ago; the periodic job runs it with the expiry sweep.
 */
export async function eraseOldContacts(
  deps: { readonly db: Kysely<Database>; readonly clock: Clock },
  retention: Temporal.Duration,
): Promise<number> {
  const now = deps.clock();
  const erased = await eraseEndedContacts(deps.db, now.subtract(retention), now);
  await forgetErasedSmsRecipients(deps.db);
  await forgetErasedEmailRecipients(deps.db);
  return erased;
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
