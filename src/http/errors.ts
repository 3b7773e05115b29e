import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

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

/** The one error body of the API: a stable code, a sentence for people, optional details. */
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

  constructor(status: ContentfulStatusCode, code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function errorResponse(c: Context, error: ApiError): Response {
  const body: ErrorBody = { error: error.code, message: error.message };
  if (error.details !== undefined) body.details = error.details;
  return c.json(body, error.status);
}

export const notFound = (what: string) => new ApiError(404, "not_found", `${what} not found`);
