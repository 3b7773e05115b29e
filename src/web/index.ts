import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import { STYLESHEET_PATH, stylesheetResponse } from "./assets.ts";
import type { WebDeps } from "./deps.ts";
import { registerAccountPages } from "./routes/accounts.ts";
import { registerAdminPages } from "./routes/admin.ts";
import { registerBoardPages } from "./routes/boards.ts";
import { registerContactWaysPages } from "./routes/contact-ways.ts";
import { registerEmailPages } from "./routes/email.ts";
import { registerFollowPages } from "./routes/follows.ts";
import { registerIncidentPages } from "./routes/incidents.ts";
import { registerIntakePages } from "./routes/intake.ts";
import { registerNotificationPages } from "./routes/notifications.ts";
import { registerPartnerLinkPages } from "./routes/partner-links.ts";
import { registerGroupPlacePages } from "./routes/places.ts";
import { registerPledgePages } from "./routes/pledges.ts";
import { registerPostPages } from "./routes/posts.ts";
import { registerPublicPages } from "./routes/public.ts";
import { registerResponsePages } from "./routes/responses.ts";
import { registerSettingsPages } from "./routes/settings.ts";
import { registerTokenPages } from "./routes/tokens.ts";
import { registerTriagePages } from "./routes/triage.ts";

export type { WebDeps } from "./deps.ts";
export { securityHeaders } from "./security-headers.ts";

/** Mounts the server-rendered pages and their stylesheet. */
export function registerWebPages(app: Hono, deps: WebDeps): void {
  app.get(STYLESHEET_PATH, () => stylesheetResponse());
  // Every page reads the instance's zone through its PageContext.
  app.use(async (c, next) => {
    c.set("instanceTimeZone", deps.timeZone);
    await next();
  });
  registerPublicPages(app, deps);
  registerBoardPages(app, deps);
  registerIntakePages(app, deps);
  registerAccountPages(app, deps);
  registerEmailPages(app, deps);
  registerTriagePages(app, deps);
  registerPostPages(app, deps);
  registerGroupPlacePages(app, deps);
  registerContactWaysPages(app, deps);
  registerPartnerLinkPages(app, deps);
  registerResponsePages(app, deps);
  registerNotificationPages(app, deps);
  registerPledgePages(app, deps);
  registerFollowPages(app, deps);
  registerIncidentPages(app, deps);
  registerAdminPages(app, deps);
  registerTokenPages(app, deps);
  registerSettingsPages(app, deps);
}
