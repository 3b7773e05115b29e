import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  findSmsGatewaysByNumber,
  rememberRefusedSms,
  wasSmsRefusedBefore,
} from "../db/sms-gateways.repo.ts";
import {
  checkAndroidSignature,
  checkTwilioSignature,
  MAX_SMS_TEXT,
  normalizePhoneNumber,
  type SmsGateway,
} from "../domain/sms-gateway.ts";
import { receiveSms, type SmsIntakeDeps, type SmsIntakeResult } from "../services/sms-intake.ts";
import { ApiError } from "./errors.ts";

/**
 * A webhook body, at most: a 1,600-character text with every character
 * escaped (JSON `\uXXXX`, form `%XX%XX%XX`) fits; a novel does not.
 */
export const MAX_SMS_WEBHOOK_BYTES = 32 * 1024;

/**
 * Where gateways deliver received texts:
 *
 * - `POST /webhooks/sms/android/{number}`: SMS Gateway for Android's
 *   `sms:received` webhook, registered on the phone with this URL (the
 *   number in digits, no "+") and the collective's signing key.
 * - `POST /webhooks/sms/twilio`: Twilio's incoming-message webhook; the
 *   `To` number finds the collective.
 *
 * Nothing is stored unless the request is signed by a gateway of that
 * number; an unknown number is refused as an unsigned request is.
 * Refusals are JSON errors as elsewhere in the API.
 */
export function registerSmsWebhooks(app: OpenAPIHono, deps: SmsIntakeDeps): void {
  app.use(
    "/webhooks/sms/*",
    bodyLimit({
      maxSize: MAX_SMS_WEBHOOK_BYTES,
      onError: (c) => {
        c.header("Connection", "close");
        throw new ApiError(413, "payload_too_large", "The webhook body is too large");
      },
    }),
  );

  app.post("/webhooks/sms/android/:number", async (c) => {
    const number = normalizePhoneNumber(`+${c.req.param("number")}`);
    const gateways =
      number === null ? [] : await findSmsGatewaysByNumber(deps.db, "android", number);
    const raw = await c.req.text();
    // A number no collective has answers as a bad signature does: the
    // webhook cannot be used to learn which numbers exist.
    if (gateways.length === 0) throw badAndroidSignature();
    const headers = {
      signature: c.req.header("x-signature"),
      timestamp: c.req.header("x-timestamp"),
    };
    const now = deps.clock();
    const checks = gateways.map((g) => ({
      gateway: g,
      check: checkAndroidSignature(g.webhookSecret, raw, headers, now),
    }));
    const signedBy = checks.filter((x) => x.check === "valid").map((x) => x.gateway);
    if (signedBy.length === 0) {
      if (checks.some((x) => x.check === "stale")) {
        throw new ApiError(
          401,
          "unauthorized",
          "X-Timestamp is outside the accepted window; the request may be a replay",
        );
      }
      throw badAndroidSignature();
    }
    const event = parseAndroidEvent(raw);
    // Other events (sent, delivered, ping) are the gateway's business: taken, ignored.
    if (event.event !== "sms:received") return c.json({ status: "ignored" }, 200);
    return answer(c, await receiveSms(deps, { gateways: signedBy, ...event.sms }), "json");
  });

  app.post("/webhooks/sms/twilio", async (c) => {
    const type = (c.req.header("content-type") ?? "").toLowerCase();
    if (!type.startsWith("application/x-www-form-urlencoded")) {
      throw new ApiError(415, "invalid_request", "Expected a form-encoded body");
    }
    const params = [...new URLSearchParams(await c.req.text())];
    const field = (name: string) => params.find(([key]) => key === name)?.[1];
    const to = normalizePhoneNumber(field("To") ?? "");
    const gateways = to === null ? [] : await findSmsGatewaysByNumber(deps.db, "twilio", to);
    // Twilio signs the URL it requested: ours as the public ORIGIN names it.
    const requested = new URL(c.req.url);
    const url = new URL(requested.pathname + requested.search, deps.urls.origin).href;
    const signature = c.req.header("x-twilio-signature");
    const signedBy = gateways.filter(
      (g: SmsGateway) =>
        field("AccountSid") === g.apiUsername &&
        checkTwilioSignature(g.webhookSecret, url, params, signature),
    );
    // An unknown `To` has no gateway whose token could have signed it: the
    // same answer as a bad signature, so numbers cannot be probed.
    if (signedBy.length === 0) {
      throw new ApiError(403, "forbidden", "X-Twilio-Signature does not match the request");
    }
    const messageId = field("MessageSid") ?? field("SmsSid");
    const from = field("From");
    const text = field("Body");
    if (messageId === undefined || from === undefined || text === undefined) {
      throw new ApiError(400, "invalid_request", "MessageSid, From and Body are required");
    }
    // Twilio signs the URL and the parameters but no time, so a captured
    // request stays valid forever: no time window can be checked. Its
    // MessageSid is signed and unique, so each is taken once. A text that
    // made a request answers as the duplicate it is (receiveSms, nothing
    // new); one refused before (rate limit, empty, unknown keyword) is
    // refused as a replay without counting against its sender again.
    const ids = signedBy.map((g) => g.id);
    if (await wasSmsRefusedBefore(deps.db, ids, messageId)) {
      throw new ApiError(409, "conflict", "This MessageSid was already received; replay refused");
    }
    const result = await receiveSms(deps, { gateways: signedBy, messageId, from, text });
    if (!result.ok) await rememberRefusedSms(deps.db, ids[0]!, messageId, deps.clock());
    return answer(c, result, "twiml");
  });
}

function badAndroidSignature(): ApiError {
  return new ApiError(401, "unauthorized", "X-Signature does not match the body");
}

function parseAndroidEvent(raw: string): {
  event: string;
  sms: { messageId: string; from: string; text: string };
} {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new ApiError(400, "invalid_json", "The request body is not valid JSON");
  }
  const record = (value: unknown) =>
    typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const envelope = record(body);
  const payload = record(envelope.payload);
  const event = typeof envelope.event === "string" ? envelope.event : "";
  // The event's id is unique per event and kept across retries; the
  // payload's messageId is derived from the content (two equal texts share it).
  const messageId = typeof envelope.id === "string" ? envelope.id : payload.messageId;
  const { message, phoneNumber } = payload;
  if (event !== "sms:received") return { event, sms: { messageId: "", from: "", text: "" } };
  if (
    typeof messageId !== "string" ||
    messageId === "" ||
    messageId.length > 200 ||
    typeof message !== "string" ||
    typeof phoneNumber !== "string"
  ) {
    throw new ApiError(
      400,
      "invalid_request",
      "An sms:received event needs id, payload.message and payload.phoneNumber",
    );
  }
  return { event, sms: { messageId, from: phoneNumber, text: message } };
}

function answer(c: Context, result: SmsIntakeResult, format: "json" | "twiml"): Response {
  if (result.ok) {
    if (format === "twiml") {
      // An empty TwiML response: the reply goes out through the outbox, not here.
      return c.body('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', 200, {
        "content-type": "text/xml; charset=utf-8",
      });
    }
    return c.json({ status: "accepted", duplicate: result.duplicate }, 200);
  }
  switch (result.reason) {
    case "too-long":
      throw new ApiError(413, "payload_too_large", `A text is at most ${MAX_SMS_TEXT} characters`);
    case "empty":
      throw new ApiError(422, "unprocessable", "The text is empty");
    case "bad-sender":
      throw new ApiError(400, "invalid_request", "The sender is not a phone number");
    case "unknown-keyword":
      throw new ApiError(404, "not_found", "No collective receives texts with this keyword here");
    case "rate-limited":
      c.header("Retry-After", String(result.retryAfterSeconds));
      throw new ApiError(429, "too_many_requests", "Too many texts from this number; try later");
  }
}
