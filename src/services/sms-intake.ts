import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { recordEmailEvent } from "../db/coordinator-email.repo.ts";
import type { Database } from "../db/database.ts";
import { listGroupPlaces } from "../db/group-places.repo.ts";
import { findGroupById } from "../db/groups.repo.ts";
import { insertIntakeRequest } from "../db/intake.repo.ts";
import { findSmsInbound, insertSmsInbound } from "../db/sms-gateways.repo.ts";
import {
  isClearBest,
  MAX_PLACE_QUERY,
  normalizePlaceName,
  placeLabel,
} from "../domain/gazetteer.ts";
import { newId } from "../domain/ids.ts";
import { INTAKE_LIMITS, type IntakeRequest } from "../domain/intake.ts";
import {
  DEFAULT_SMS_LIMIT_PER_HOUR,
  MAX_SMS_TEXT,
  routeByKeyword,
  type SmsGateway,
} from "../domain/sms-gateway.ts";
import { readSmsRequest } from "../domain/sms-request.ts";
import { enqueueRequesterUpdates } from "../messaging/requester-updates.ts";
import type { InstanceUrls } from "../urls.ts";
import { digestStatusToken } from "./intake.ts";
import { searchPlaces } from "./places.ts";
import type { Clock } from "./ports.ts";
import { consumeRateLimit } from "./rate-limit.ts";

export interface SmsIntakeDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly urls: InstanceUrls;
  /** Accepted texts per sender number and hour; absent: DEFAULT_SMS_LIMIT_PER_HOUR. */
  readonly smsLimitPerHour?: number;
}

/** A text a gateway delivered, after its webhook's signature was checked. */
export interface IncomingSms {
  /** The gateways of the number it was sent to whose secret signed it. */
  readonly gateways: readonly SmsGateway[];
  /** The gateway's own id for it: a resent webhook carries the same. */
  readonly messageId: string;
  readonly from: string;
  readonly text: string;
}

export type SmsIntakeResult =
  | { readonly ok: true; readonly requestId: string; readonly duplicate: boolean }
  | { readonly ok: false; readonly reason: "too-long" | "empty" | "bad-sender" | "unknown-keyword" }
  | { readonly ok: false; readonly reason: "rate-limited"; readonly retryAfterSeconds: number };

/** A sender as gateways write it: "+639171234567", or national digits ("09171234567"). */
const SENDER = /^\+?\d{3,15}$/;

/**
 * Turns a text into a request in the collective's triage queue: the short
 * grammar fills category, quantity and place where it can, the whole text is
 * kept for the coordinator, and the sender's number becomes the request's
 * contact (erased with it, like any other). The reply with the private
 * status link is written to the outbox in the same transaction, so a crash
 * loses neither or both. A message id already stored makes nothing new.
 */
export async function receiveSms(deps: SmsIntakeDeps, sms: IncomingSms): Promise<SmsIntakeResult> {
  if (sms.text.length > MAX_SMS_TEXT) return { ok: false, reason: "too-long" };
  const from = sms.from.replace(/[\s().-]/g, "");
  if (!SENDER.test(from)) return { ok: false, reason: "bad-sender" };
  const route = routeByKeyword(sms.gateways, sms.text);
  if (route === null) return { ok: false, reason: "unknown-keyword" };
  const gateway = route.gateway;

  const known = await findSmsInbound(deps.db, gateway.id, sms.messageId);
  if (known !== null) return { ok: true, requestId: known, duplicate: true };

  const reading = readSmsRequest(route.text);
  if (reading.text === "") return { ok: false, reason: "empty" };
  const group = await findGroupById(deps.db, gateway.groupId);
  if (group === null) return { ok: false, reason: "unknown-keyword" };

  // Counted per number on every gateway: a flood is stopped wherever it goes.
  const limit = {
    name: "sms",
    limit: deps.smsLimitPerHour ?? DEFAULT_SMS_LIMIT_PER_HOUR,
    windowSeconds: 3600,
  };
  const decision = await consumeRateLimit(deps, limit, from.replace(/^\+/, ""));
  if (!decision.allowed) {
    return { ok: false, reason: "rate-limited", retryAfterSeconds: decision.retryAfterSeconds };
  }

  const now = deps.clock();
  const place = reading.place === null ? null : await findPlace(deps.db, group.id, reading.place);
  const statusToken = randomBytes(32).toString("base64url");
  const request: IntakeRequest = {
    id: newId(now.epochMilliseconds),
    groupId: group.id,
    purpose: reading.purpose,
    title: truncate(reading.text, INTAKE_LIMITS.title),
    description: reading.text,
    category: reading.category,
    quantity: reading.quantity,
    place:
      place?.name ?? (reading.place === null ? null : truncate(reading.place, INTAKE_LIMITS.place)),
    placePoint: place?.point ?? null,
    urgency: "normal",
    neededBy: null,
    neededOn: null,
    contact: from,
    language: reading.language ?? "en",
    state: "new",
    proposalId: null,
    createdAt: now,
    updatedAt: now,
    partnerLinkId: null,
  };
  const stored = await deps.db
    .transaction()
    .execute(async (trx) => {
      await insertIntakeRequest(trx, request, digestStatusToken(statusToken));
      const first = await insertSmsInbound(trx, {
        gatewayId: gateway.id,
        messageId: sms.messageId,
        intakeRequestId: request.id,
        at: now,
      });
      // Two deliveries of one message at once: the other one made the request.
      if (!first) throw new AlreadyReceived();
      // The coordinators hear of it as of a request from the web form.
      await recordEmailEvent(trx, {
        kind: "new-request",
        groupId: group.id,
        eventKey: `intake:${request.id}`,
        message: { key: "new-request", purpose: request.purpose, title: request.title },
        path: "triage",
        createdAt: now,
      });
      const event = { kind: "received", statusToken } as const;
      await enqueueRequesterUpdates(trx, deps.urls, request, group.name, event, now);
      return true;
    })
    .catch((error: unknown) => {
      if (error instanceof AlreadyReceived) return false;
      throw error;
    });
  if (!stored) {
    const first = await findSmsInbound(deps.db, gateway.id, sms.messageId);
    return { ok: true, requestId: first ?? request.id, duplicate: true };
  }
  return { ok: true, requestId: request.id, duplicate: false };
}

class AlreadyReceived extends Error {}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The place a text names, only when it is clear: one of the collective's
 * own places of that very name first (local names the gazetteer lacks,
 * "Cubao"), else the gazetteer's clear best of that name. Anything less is
 * left as written for the coordinator's place step.
 */
async function findPlace(
  db: Kysely<Database>,
  groupId: string,
  written: string,
): Promise<{ name: string; point: { latitude: number; longitude: number } } | null> {
  if (written.length > MAX_PLACE_QUERY) return null;
  const typed = normalizePlaceName(written);
  const own = (await listGroupPlaces(db, groupId)).filter(
    (p) => normalizePlaceName(p.name) === typed,
  );
  if (own.length === 1) {
    const [p] = own;
    return { name: p!.name, point: { latitude: p!.latitude, longitude: p!.longitude } };
  }
  if (own.length > 1) return null;
  const found = searchPlaces(written, 2);
  if (!isClearBest(found)) return null;
  const best = found[0]!;
  return { name: placeLabel(best), point: { latitude: best.latitude, longitude: best.longitude } };
}
