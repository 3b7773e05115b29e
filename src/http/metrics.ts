import { createHash, timingSafeEqual } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { ApiError } from "./errors.ts";

/** What the HTTP app needs of the instance's metrics (src/metrics.ts). */
export interface HttpMetrics {
  /** METRICS_TOKEN; null: `/metrics` answers 404. */
  readonly token: string | null;
  readonly contentType: string;
  scrape(): Promise<string>;
  observeRequest(route: string, method: string, status: number, seconds: number): void;
}

/**
 * Counts every request the app answers under the route pattern that answered
 * it (`/api/v1/groups/:handle`), never its raw path: a label per id would
 * grow without bound. Requests only a wildcard middleware answered are
 * `federation` (Fedify's documents), or `unmatched` when nothing did (404).
 */
export function requestMetrics(
  metrics: HttpMetrics,
  routeOf: (request: Request) => string | null,
): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      metrics.observeRequest(routeLabel(c, routeOf), c.req.method, c.res.status, seconds);
    }
  };
}

function routeLabel(c: Context, routeOf: (request: Request) => string | null): string {
  const named = routeOf(c.req.raw);
  if (named !== null) return named;
  const answered = routePath(c);
  if (answered !== "" && !answered.endsWith("*")) return answered;
  if (answered === "/api/*") return answered;
  return c.res.status === 404 ? "unmatched" : "federation";
}

/**
 * `GET /metrics`: Prometheus text for a scraper holding METRICS_TOKEN as a
 * bearer token. Without the variable the endpoint does not exist (404).
 */
export function registerMetricsRoute(app: OpenAPIHono, metrics: HttpMetrics): void {
  const { token } = metrics;
  if (token === null) return;
  const expected = digest(token);
  app.get("/metrics", async (c) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    // Digests of equal length: the comparison takes as long whatever the
    // token's length or first wrong character.
    if (match === null || !timingSafeEqual(digest(match[1]!), expected)) {
      c.header("WWW-Authenticate", 'Bearer realm="metrics"');
      throw new ApiError(401, "unauthorized", "A valid metrics token is required");
    }
    c.header("Cache-Control", "no-store");
    return c.body(await metrics.scrape(), 200, { "Content-Type": metrics.contentType });
  });
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
