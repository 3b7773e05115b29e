import { OpenAPIHono } from "@hono/zod-openapi";
import { getLogger } from "@logtape/logtape";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { CATEGORIES } from "../domain/categories.ts";
import { findUnstorableText } from "../domain/storable-text.ts";
import { UNITS } from "../domain/units.ts";
import { en } from "../web/i18n/en.ts";
import { registerWebPages, securityHeaders } from "../web/index.ts";
import { registerAdminFederationRoutes } from "./api/admin-federation.ts";
import { registerBoardExportRoutes } from "./api/board-exports.ts";
import type { ApiDeps } from "./api/deps.ts";
import { registerExportRoutes } from "./api/exports.ts";
import { registerFollowRoutes } from "./api/follows.ts";
import { registerGroupRoutes } from "./api/groups.ts";
import { registerIncidentRoutes } from "./api/incidents.ts";
import { registerInvitationRoutes } from "./api/invitations.ts";
import { registerMatchRoutes } from "./api/matches.ts";
import { registerNetworkRoutes } from "./api/network.ts";
import { registerGroupPlaceRoutes, registerPlaceRoutes } from "./api/places.ts";
import { registerPledgeRoutes } from "./api/pledges.ts";
import { registerProposalRoutes } from "./api/proposals.ts";
import { registerResponseRoutes } from "./api/responses.ts";
import { registerSmsRoutes } from "./api/sms.ts";
import { registerTokenRoutes } from "./api/tokens.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { type HttpMetrics, registerMetricsRoute, requestMetrics } from "./metrics.ts";
import { registerSmsWebhooks } from "./sms-webhooks.ts";

const logger = getLogger(["bayanihan", "http"]);

/** Requests bodies the API accepts; anything larger is refused before it is parsed. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpDeps extends ApiDeps {
  /** Serves ActivityPub (actors, objects, inboxes, WebFinger, NodeInfo) before the HTML routes. */
  readonly federationMiddleware: MiddlewareHandler;
  /** Whether the instance is ready (migrations applied, queue running). */
  readonly isReady: () => boolean;
  /** Whether the database answers now (db/health.ts: a short timeout, one query at a time). */
  readonly databaseAnswers: () => Promise<boolean>;
  /** Whether a reverse proxy's `X-Forwarded-For` names the client (TRUST_PROXY). */
  readonly trustProxy: boolean;
  /** The map tile server pages may load images from (MAP_TILE_URL), or null. */
  readonly mapTiles: { readonly template: string; readonly attribution: string } | null;
  /** Help requests accepted per client address and hour (INTAKE_LIMIT_PER_HOUR). */
  readonly intakeLimitPerHour?: number;
  /** MAIL_FROM when a mail server is configured (SMTP_URL), else null. */
  readonly mailFrom?: string | null;
  /** How long a person's contact is kept after their request ended. */
  readonly contactRetention?: Temporal.Duration;
  /** Request counts and `GET /metrics` (src/metrics.ts); none: nothing is counted. */
  readonly metrics?: HttpMetrics;
  /**
   * The route label of requests the app cannot name by its routes (inbox
   * POSTs the federation middleware answers), or null.
   */
  readonly metricsRouteOf?: (request: Request) => string | null;
}

export function createHttpApp(deps: HttpDeps): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) {
        // The validator's own sentences are English; the fields it names
        // are the same in every language, so they lead the message there.
        const issues = result.error.issues;
        const fields = [...new Set(issues.map((i) => i.path.map(String).join(".") || "body"))];
        throw new ApiError(
          400,
          "invalid_request",
          describeIssues(issues),
          { issues: issues.map((i) => ({ path: i.path.join("."), message: i.message })) },
          (t) => t.apiErrors.invalidFields(fields.slice(0, 5).join(", ")),
        );
      }
    },
  });

  app.onError((error, c) => {
    if (error instanceof ApiError) return errorResponse(c, error);
    if (error instanceof HTTPException) {
      // Hono's JSON validator throws this for an unparseable body.
      const status = error.status;
      if (status === 400) {
        return errorResponse(
          c,
          ApiError.said(400, "invalid_json", (t) => t.apiErrors.codes.invalid_json),
        );
      }
      if (status === 413) {
        return errorResponse(
          c,
          ApiError.said(413, "payload_too_large", (t) => t.apiErrors.codes.payload_too_large),
        );
      }
      return error.getResponse();
    }
    logger.error("Unhandled error on {method} {path}: {error}", {
      method: c.req.method,
      path: c.req.path,
      error,
    });
    return errorResponse(
      c,
      ApiError.said(500, "internal_error", (t) => t.apiErrors.codes.internal_error),
    );
  });

  if (deps.metrics !== undefined) {
    app.use(requestMetrics(deps.metrics, deps.metricsRouteOf ?? (() => null)));
  }
  app.use(securityHeaders({ mapTiles: deps.mapTiles }));
  if (deps.metrics !== undefined) registerMetricsRoute(app, deps.metrics);
  app.get("/healthz", async (c) => {
    c.header("Cache-Control", "no-store");
    if (!deps.isReady()) return c.json({ status: "starting" }, 503);
    if (!(await deps.databaseAnswers())) {
      return c.json({ status: "unavailable", reason: "database" }, 503);
    }
    return c.json({ status: "ok" });
  });

  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        // The rest of the body is never read, so the connection cannot be
        // reused: say so, or the client's next request on it fails.
        c.header("Connection", "close");
        throw new ApiError(
          413,
          "payload_too_large",
          `The request body exceeds ${MAX_BODY_BYTES} bytes`,
        );
      },
    }),
  );
  // Parsed once here (Hono keeps the parsed body for the route's validator),
  // so that every route refuses text the database cannot hold, not each one.
  app.use("/api/*", async (c, next) => {
    if (!["POST", "PUT", "PATCH"].includes(c.req.method)) return next();
    if (!(c.req.header("content-type") ?? "").toLowerCase().includes("json")) return next();
    let body: unknown;
    try {
      body = await c.req.json();
    } catch (error) {
      if (error instanceof SyntaxError) return next(); // the validator answers invalid_json
      throw error;
    }
    const at = findUnstorableText(body);
    if (at !== null) {
      throw new ApiError(
        400,
        "invalid_request",
        en.apiErrors.unstorableText,
        { path: at },
        (t) => t.apiErrors.unstorableText,
      );
    }
    return next();
  });
  app.get("/api/v1/categories", (c) =>
    c.json({ items: CATEGORIES.map((cat) => ({ ...cat })), units: [...UNITS] }),
  );
  registerGroupRoutes(app, deps);
  registerTokenRoutes(app, deps);
  registerAdminFederationRoutes(app, deps);
  registerInvitationRoutes(app, deps);
  registerProposalRoutes(app, deps);
  registerNetworkRoutes(app, deps);
  registerMatchRoutes(app, deps);
  registerFollowRoutes(app, deps);
  registerResponseRoutes(app, deps);
  registerPledgeRoutes(app, deps);
  registerExportRoutes(app, deps);
  registerIncidentRoutes(app, deps);
  registerBoardExportRoutes(app, deps);
  registerPlaceRoutes(app, deps);
  registerGroupPlaceRoutes(app, deps);
  registerSmsRoutes(app, deps);
  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Bayanihan API",
      version: "1",
      description:
        "Collectives publish needs and offers; other instances and the fediverse follow them.",
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
  });
  app.all("/api/*", () => {
    throw ApiError.said(404, "not_found", (t) => t.apiErrors.noEndpoint);
  });

  registerSmsWebhooks(app, deps);
  app.use(deps.federationMiddleware);
  registerWebPages(app, deps);
  return app;
}

function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path.length === 0 ? i.message : `${i.path.map(String).join(".")}: ${i.message}`))
    .join("; ");
}
