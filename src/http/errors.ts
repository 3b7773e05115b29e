import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { en, type Messages } from "../web/i18n/en.ts";
import { messagesFor } from "../web/i18n/locale.ts";
import { apiLocale } from "./language.ts";

export type ErrorCode =
  | "invalid_request"
  | "invalid_json"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "gone"
  | "conflict"
  | "payload_too_large"
  | "too_many_requests"
  | "unprocessable"
  | "internal_error";

/**
 * The one error body of the API: a stable code (English, for programs), a
 * sentence for people in the language of Accept-Language where the catalogs
 * have it (else English; Content-Language says which), optional details.
 */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
  details?: unknown;
}

/** Thrown by handlers for expected failures; turned into a JSON response by the app's onError. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: ErrorCode;
  readonly details: unknown;
  /** The message in another language, when the catalogs word it; `message` is the English. */
  readonly say: ((t: Messages) => string) | undefined;

  constructor(
    status: ContentfulStatusCode,
    code: ErrorCode,
    message: string,
    details?: unknown,
    say?: (t: Messages) => string,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.say = say;
  }

  /** An error whose message every catalog words. */
  static said(
    status: ContentfulStatusCode,
    code: ErrorCode,
    say: (t: Messages) => string,
    details?: unknown,
  ): ApiError {
    return new ApiError(status, code, say(en), details, say);
  }
}

export function errorResponse(c: Context, error: ApiError): Response {
  const locale = error.say === undefined ? "en" : apiLocale(c);
  const message =
    error.say === undefined || locale === "en" ? error.message : error.say(messagesFor(locale));
  const body: ErrorBody = { error: error.code, message };
  if (error.details !== undefined) body.details = error.details;
  c.header("Content-Language", locale);
  return c.json(body, error.status);
}

export type NotFoundThing = keyof Messages["apiErrors"]["things"];

export const notFound = (thing: NotFoundThing) =>
  ApiError.said(404, "not_found", (t) => t.apiErrors.notFound(t.apiErrors.things[thing]));

/** One we have or have not: its noun by its purpose. */
export const proposalThing = (purpose: "request" | "offer" | null): NotFoundThing =>
  purpose === "offer" ? "offer" : "need";

/** The proposal changed between reading and writing it. */
export const changedMeanwhile = () =>
  ApiError.said(409, "conflict", (t) => t.apiErrors.changedMeanwhile);
