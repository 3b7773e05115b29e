import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import { STYLESHEET_PATH, stylesheetResponse } from "./assets.ts";
import type { WebDeps } from "./deps.ts";
import { registerIntakePages } from "./routes/intake.ts";
import { registerPublicPages } from "./routes/public.ts";
import { registerWorkspacePages } from "./routes/workspace.ts";

export type { WebDeps } from "./deps.ts";
export { securityHeaders } from "./security-headers.ts";

/** Mounts the server-rendered pages and their stylesheet. */
export function registerWebPages(app: Hono, deps: WebDeps): void {
  app.get(STYLESHEET_PATH, () => stylesheetResponse());
  registerPublicPages(app, deps);
  registerIntakePages(app, deps);
  registerWorkspacePages(app, deps);
}
