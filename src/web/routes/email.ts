import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { outboxSummary } from "../../db/outbound-messages.repo.ts";
import {
  type CoordinatorEmailDeps,
  confirmEmailAddress,
  emailSettings,
  readUnsubscribeLink,
  removeEmailAddress,
  requestPasswordResetByEmail,
  saveEmailPreferences,
  sendTestEmail,
  setEmailAddress,
  unsubscribe,
} from "../../services/coordinator-emails.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { renderDocument } from "../layout.ts";
import { AdminMessagingPage } from "../pages/admin-messaging.ts";
import { EmailSettingsPage, ForgotPasswordPage, UnsubscribePage } from "../pages/email-settings.ts";
import { MessagePage } from "../pages/message.ts";
import { CSRF_FIELD, requireSignIn } from "../session.ts";
import {
  doneNotice,
  formField,
  formGuards,
  instanceAdmins,
  workspaceHtml,
  workspaceMenu,
} from "./shared.ts";

/**
 * Whether the client asked for JSON (a script, not a browser form): such a
 * client gets the API's error shape for bad input.
 */
function wantsJson(c: Context): boolean {
  const accept = c.req.header("accept") ?? "";
  return accept.includes("application/json") && !accept.includes("text/html");
}

const invalid = (c: Context, message: string, details: Record<string, string>) =>
  c.json({ error: "invalid_request", message, details }, 400);

/**
 * A coordinator's email: the address and its confirmation link, what to
 * email them and how often, unsubscribing from an email without signing in,
 * and asking for a password reset link by email.
 */
export function registerEmailPages(app: Hono, deps: WebDeps): void {
  const { urls } = deps;
  const guards = formGuards(urls);
  const signedIn = [requireSignIn(deps), workspaceMenu(deps)] as const;
  const emailDeps: CoordinatorEmailDeps = {
    db: deps.db,
    clock: deps.clock,
    origin: urls.origin,
    timeZone: deps.timeZone,
  };
  const path = "/workspace/account/email";
  const mailConfigured = (deps.mailFrom ?? null) !== null;

  app.get(path, ...signedIn, async (c) => {
    const { t } = pageContext(c, urls);
    const settings = await emailSettings(emailDeps, c.get("signedIn").account.id);
    const notice = doneNotice(c, {
      saved: t.email.confirmSent,
      removed: t.email.addressRemoved,
      preferences: t.email.preferencesSaved,
    });
    return workspaceHtml(c, urls, EmailSettingsPage, {
      settings,
      address: settings.address ?? "",
      problems: {},
      notice,
      mailConfigured,
    });
  });

  app.post(path, ...guards, ...signedIn, async (c) => {
    const page = pageContext(c, urls);
    const account = c.get("signedIn").account;
    const form = await c.req.parseBody();
    const input = {
      address: formField(form, "address").slice(0, 1000),
      language: formField(form, "language") || page.locale,
    };
    const result = await setEmailAddress(emailDeps, account, input);
    if (result.ok) return c.redirect(`${path}?done=saved`, 303);
    if (wantsJson(c)) {
      return invalid(
        c,
        "The email address or language is not valid",
        Object.fromEntries(
          Object.keys(result.problems).map((k) => [
            k,
            k === "address" ? "not an email address" : "not a language of this instance",
          ]),
        ),
      );
    }
    const settings = await emailSettings(emailDeps, account.id);
    return workspaceHtml(
      c,
      urls,
      EmailSettingsPage,
      {
        settings,
        address: input.address,
        problems: {
          ...(result.problems.address ? { address: page.t.email.addressInvalid } : {}),
          ...(result.problems.language ? { language: page.t.email.addressInvalid } : {}),
        },
        mailConfigured,
      },
      400,
    );
  });

  app.post(`${path}/remove`, ...guards, ...signedIn, async (c) => {
    await removeEmailAddress(emailDeps, c.get("signedIn").account.id);
    return c.redirect(`${path}?done=removed`, 303);
  });

  app.post(`${path}/preferences`, ...guards, ...signedIn, async (c) => {
    const form = await c.req.parseBody();
    const choices = Object.fromEntries(Object.entries(form).filter(([key]) => key !== CSRF_FIELD));
    const result = await saveEmailPreferences(emailDeps, c.get("signedIn").account.id, choices);
    if (result.ok) return c.redirect(`${path}?done=preferences`, 303);
    // The form offers only valid choices: anything else was not sent by it.
    return invalid(c, "Unknown kind or frequency", result.details);
  });

  app.get("/email/confirm/:token", async (c) => {
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    const page = pageContext(c, urls);
    const ok = await confirmEmailAddress(emailDeps, c.req.param("token"));
    const text = ok ? page.t.email.confirmedNotice : page.t.email.confirmInvalid;
    return c.html(
      renderDocument(MessagePage({ page, title: page.t.email.heading, text })),
      ok ? 200 : 404,
    );
  });

  // Opening the link shows a button (mail scanners open links); the button,
  // and mail programs' one-click (RFC 8058), POST.
  app.get("/email/unsubscribe/:token", async (c) => {
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    const page = pageContext(c, urls);
    const token = c.req.param("token");
    const found = await readUnsubscribeLink(emailDeps, token);
    if (found === null) {
      const text = page.t.email.unsubscribeInvalid;
      return c.html(renderDocument(MessagePage({ page, title: text, text })), 404);
    }
    const what =
      found.scope === "all" ? page.t.email.unsubscribeAll : page.t.email.kinds[found.scope];
    return c.html(renderDocument(UnsubscribePage({ page, token, what })));
  });

  app.post("/email/unsubscribe/:token", ...guards, async (c) => {
    c.header("Cache-Control", "no-store");
    const page = pageContext(c, urls);
    const ok = await unsubscribe(emailDeps, c.req.param("token"));
    const text = ok ? page.t.email.unsubscribed : page.t.email.unsubscribeInvalid;
    return c.html(
      renderDocument(MessagePage({ page, title: page.t.email.unsubscribeHeading, text })),
      ok ? 200 : 404,
    );
  });

  app.get("/password-reset", (c) => {
    const page = pageContext(c, urls);
    return c.html(
      renderDocument(ForgotPasswordPage({ page, sent: c.req.query("done") === "sent" })),
    );
  });

  app.post("/password-reset", ...guards, async (c) => {
    const form = await c.req.parseBody();
    await requestPasswordResetByEmail(emailDeps, formField(form, "account"));
    // The same answer whether an account matched or not.
    return c.redirect("/password-reset?done=sent", 303);
  });

  const admins = instanceAdmins(deps);
  const adminPath = "/workspace/admin/messaging";
  app.get(adminPath, ...admins, async (c) => {
    const { t } = pageContext(c, urls);
    return workspaceHtml(c, urls, AdminMessagingPage, {
      mailFrom: deps.mailFrom ?? null,
      summary: await outboxSummary(deps.db, "email"),
      notice: doneNotice(c, { test: t.email.testQueued }),
    });
  });

  app.post(`${adminPath}/test-email`, ...guards, ...admins, async (c) => {
    const page = pageContext(c, urls);
    const address = formField(await c.req.parseBody(), "address").slice(0, 1000);
    if (await sendTestEmail(emailDeps, address, page.locale)) {
      return c.redirect(`${adminPath}?done=test`, 303);
    }
    if (wantsJson(c))
      return invalid(c, "Not an email address", { address: "not an email address" });
    return workspaceHtml(
      c,
      urls,
      AdminMessagingPage,
      {
        mailFrom: deps.mailFrom ?? null,
        summary: await outboxSummary(deps.db, "email"),
        problem: page.t.email.addressInvalid,
      },
      400,
    );
  });
}
