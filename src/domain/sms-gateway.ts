import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * A collective's SMS gateway and the two protocols it may speak:
 *
 * - "android": SMS Gateway for Android (https://docs.sms-gate.app), a phone
 *   with the collective's own SIM. Its webhooks are signed with a key set in
 *   the app: `X-Signature` is the hex HMAC-SHA256 of the raw body followed
 *   by the `X-Timestamp` header (Unix seconds). It sends with
 *   `POST {api}/message` under basic auth.
 * - "twilio": Twilio's Messaging webhooks
 *   (https://www.twilio.com/docs/usage/webhooks/webhooks-security): form
 *   posts signed in `X-Twilio-Signature`, the base64 HMAC-SHA1, keyed with
 *   the account's auth token, of the full URL followed by every POST
 *   parameter's name and value sorted by name. It sends with the Messages
 *   resource, `POST {api}/2010-04-01/Accounts/{sid}/Messages.json`.
 */
export const SMS_PROTOCOLS = ["android", "twilio"] as const;
export type SmsProtocol = (typeof SMS_PROTOCOLS)[number];

export interface SmsGateway {
  readonly id: string;
  readonly groupId: string;
  readonly protocol: SmsProtocol;
  /** E.164, "+639171234567": the number people text. */
  readonly phoneNumber: string;
  /**
   * "" when the number is the collective's alone; else the first word a text
   * must start with to reach it, when collectives share one number.
   */
  readonly keyword: string;
  /** The Android app's signing key, or the Twilio auth token. */
  readonly webhookSecret: string;
  /** Where to send: the phone's local server, or Twilio's API base. */
  readonly apiUrl: string;
  /** The local server's user, or the Twilio account SID. */
  readonly apiUsername: string;
  /** The local server's password; "" for Twilio (the auth token is the secret). */
  readonly apiPassword: string;
}

/** The longest text accepted: Twilio's limit for a long, concatenated message. */
export const MAX_SMS_TEXT = 1600;

/** How far a signed webhook's timestamp may be from our clock. */
export const SMS_SIGNATURE_WINDOW_SECONDS = 300;

/** Accepted texts per sender number and hour: a person texting again is fine, a flood is not. */
export const DEFAULT_SMS_LIMIT_PER_HOUR = 10;

const E164 = /^\+[1-9]\d{6,14}$/;
const KEYWORD = /^[a-z0-9]{1,20}$/;

/** A phone number as people and gateways write it, in E.164; null when it is not one. */
export function normalizePhoneNumber(value: string): string | null {
  const compact = value.replace(/[\s().-]/g, "");
  const withPlus = compact.startsWith("00") ? `+${compact.slice(2)}` : compact;
  return E164.test(withPlus) ? withPlus : null;
}

export type SmsGatewayInput = {
  readonly protocol: string;
  readonly phoneNumber: string;
  readonly keyword?: string | undefined;
  readonly webhookSecret: string;
  readonly apiUrl?: string | undefined;
  readonly apiUsername: string;
  readonly apiPassword?: string | undefined;
};

export type SmsGatewayField = keyof SmsGatewayInput;

/** Twilio's API, when the configuration names no other (tests point it at loopback). */
export const TWILIO_API_URL = "https://api.twilio.com";

export function validateSmsGateway(
  input: SmsGatewayInput,
):
  | { readonly ok: true; readonly value: Omit<SmsGateway, "id" | "groupId"> }
  | { readonly ok: false; readonly problems: Partial<Record<SmsGatewayField, string>> } {
  const problems: Partial<Record<SmsGatewayField, string>> = {};
  const protocol = (SMS_PROTOCOLS as readonly string[]).includes(input.protocol)
    ? (input.protocol as SmsProtocol)
    : null;
  if (protocol === null) problems.protocol = `one of ${SMS_PROTOCOLS.join(", ")}`;
  const phoneNumber = normalizePhoneNumber(input.phoneNumber);
  if (phoneNumber === null) problems.phoneNumber = "an E.164 number, +639171234567";
  const keyword = (input.keyword ?? "").trim().toLowerCase();
  if (keyword !== "" && !KEYWORD.test(keyword)) problems.keyword = "1-20 letters or digits";
  if (input.webhookSecret.length < 8 || input.webhookSecret.length > 200) {
    problems.webhookSecret = "8-200 characters";
  }
  const apiUrl = (input.apiUrl ?? (protocol === "twilio" ? TWILIO_API_URL : "")).trim();
  const parsed = URL.canParse(apiUrl) ? new URL(apiUrl) : null;
  if (parsed === null || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    problems.apiUrl = "an http(s) URL";
  }
  if (input.apiUsername.trim() === "" || input.apiUsername.length > 200) {
    problems.apiUsername = "required, up to 200 characters";
  }
  const apiPassword = input.apiPassword ?? "";
  if (protocol === "android" && apiPassword === "") problems.apiPassword = "required";
  if (apiPassword.length > 200) problems.apiPassword = "up to 200 characters";
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      protocol: protocol!,
      phoneNumber: phoneNumber!,
      keyword,
      webhookSecret: input.webhookSecret,
      apiUrl: apiUrl.replace(/\/+$/, ""),
      apiUsername: input.apiUsername.trim(),
      apiPassword: protocol === "twilio" ? "" : apiPassword,
    },
  };
}

/** A secret as the admin pages and API show it: enough to recognise, not to use. */
export function maskSecret(secret: string): string {
  return secret.length <= 8 ? "••••" : `••••${secret.slice(-4)}`;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The Android gateway's signature of a raw body sent at `timestamp` (its `X-Timestamp`). */
export function androidSignature(secret: string, rawBody: string, timestamp: string): string {
  return createHmac("sha256", secret)
    .update(rawBody + timestamp)
    .digest("hex");
}

export type SignatureCheck = "valid" | "invalid" | "stale";

/**
 * Checks an Android gateway webhook: the signature first, then that its
 * timestamp is within the window, so a captured request cannot be replayed
 * later (a replay inside the window finds its message id already stored).
 */
export function checkAndroidSignature(
  secret: string,
  rawBody: string,
  headers: { readonly signature: string | undefined; readonly timestamp: string | undefined },
  now: Temporal.Instant,
): SignatureCheck {
  const { signature, timestamp } = headers;
  if (signature === undefined || timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    return "invalid";
  }
  if (!sameText(signature.toLowerCase(), androidSignature(secret, rawBody, timestamp))) {
    return "invalid";
  }
  const skew = Math.abs(now.epochMilliseconds / 1000 - Number(timestamp));
  return skew <= SMS_SIGNATURE_WINDOW_SECONDS ? "valid" : "stale";
}

/** Twilio's signature of a form post to `url` (the URL exactly as Twilio requested it). */
export function twilioSignature(
  authToken: string,
  url: string,
  params: readonly (readonly [string, string])[],
): string {
  const sorted = [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const data = url + sorted.map(([name, value]) => name + value).join("");
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

export function checkTwilioSignature(
  authToken: string,
  url: string,
  params: readonly (readonly [string, string])[],
  signature: string | undefined,
): boolean {
  return signature !== undefined && sameText(signature, twilioSignature(authToken, url, params));
}

/**
 * Which of the gateways sharing a number a text is for: the one whose
 * keyword starts it (the keyword is then cut from the text), else the one
 * without a keyword; null when none (an unknown keyword on a shared number).
 */
export function routeByKeyword<T extends Pick<SmsGateway, "keyword">>(
  gateways: readonly T[],
  text: string,
): { readonly gateway: T; readonly text: string } | null {
  const trimmed = text.trim();
  const space = trimmed.search(/\s/);
  const first = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  const keyed = gateways.find((g) => g.keyword !== "" && g.keyword === first);
  if (keyed !== undefined) {
    return { gateway: keyed, text: space === -1 ? "" : trimmed.slice(space + 1) };
  }
  const plain = gateways.find((g) => g.keyword === "");
  return plain === undefined ? null : { gateway: plain, text: trimmed };
}
