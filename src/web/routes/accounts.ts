import type { OpenAPIHono as Hono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { findGroupById } from "../../db/groups.repo.ts";
import { countUnreadNotifications } from "../../db/notifications.repo.ts";
import type { Group } from "../../domain/group.ts";
import { addressBucket } from "../../domain/rate-limit.ts";
import {
  acceptInvitation,
  changePassword,
  findInvitation,
  findPasswordReset,
  login,
  logout,
  resetPassword,
} from "../../services/accounts.ts";
import { pageContext } from "../context.ts";
import type { WebDeps } from "../deps.ts";
import { renderDocument } from "../layout.ts";
import {
  InvitationPage,
  LoginPage,
  OwnAccountPage,
  PasswordResetPage,
} from "../pages/account-forms.ts";
import { WorkspaceHomePage } from "../pages/workspace.ts";
import { clientAddress } from "../request-guards.ts";
import { clearSessionCookie, requireSignIn, sessionId, setSessionCookie } from "../session.ts";
import {
  doneNotice,
  formField,
  formGuards,
  messagePage,
  workspaceHtml,
  workspaceMenu,
} from "./shared.ts";

/** Only our own paths: `next` must not send a coordinator to another site after sign-in. */
function safeNext(next: string): string {
  return /^\/workspace(\/[A-Za-z0-9_\-/]*)?$/.test(next) ? next : "/workspace";
}

/** Invitations, sign-in and sign-out, and the workspace's start page. */
export function registerAccountPages(app: Hono, deps: WebDeps): void {
  const { db, urls } = deps;
  const guards = formGuards(urls);
  const message = (c: Context, title: string, text: string, status: 403 | 404 | 409 | 410) =>
    messagePage(c, urls, title, text, status);
  const signedIn = [requireSignIn(deps), workspaceMenu(deps)] as const;
  app.get("/invitations/:token", async (c) => {
    const page = pageContext(c, urls);
    c.header("Cache-Control", "no-store");
    const token = c.req.param("token");
    const invitation = await findInvitation(deps, token);
    if (invitation.state !== "open") {
      if (invitation.state === "missing") {
        return message(c, page.t.notFound, page.t.notFoundText, 404);
      }
      const text = invitation.state === "used" ? page.t.invitationUsed : page.t.invitationExpired;
      return message(c, text, text, 410);
    }
    return c.html(
      renderDocument(
        InvitationPage({ page, group: invitation.group, token, username: "", problems: {} }),
      ),
    );
  });

  app.post("/invitations/:token", ...guards, async (c) => {
    const page = pageContext(c, urls);
    const token = c.req.param("token");
    const form = await c.req.parseBody();
    const input = {
      username: formField(form, "username").slice(0, 100),
      password: formField(form, "password"),
      passwordAgain: formField(form, "passwordAgain"),
    };
    const result = await acceptInvitation(deps, token, input);
    if (result.ok) {
      setSessionCookie(c, urls, result.session);
      return c.redirect("/workspace", 303);
    }
    if ("state" in result) {
      if (result.state === "missing") return message(c, page.t.notFound, page.t.notFoundText, 404);
      const text = result.state === "used" ? page.t.invitationUsed : page.t.invitationExpired;
      return message(c, text, text, 410);
    }
    const invitation = await findInvitation(deps, token);
    if (invitation.state !== "open") return message(c, page.t.notFound, page.t.notFoundText, 404);
    const problems = Object.fromEntries(
      Object.entries(result.problems).map(([k, v]) => [k, page.t.accountProblems[v]]),
    );
    return c.html(
      renderDocument(
        InvitationPage({
          page,
          group: invitation.group,
          token,
          username: input.username,
          problems,
        }),
      ),
      422,
    );
  });

  app.get("/login", (c) => {
    const page = pageContext(c, urls);
    const next = safeNext(c.req.query("next") ?? "/workspace");
    return c.html(renderDocument(LoginPage({ page, username: "", next })));
  });

  app.post("/login", ...guards, async (c) => {
    const page = pageContext(c, urls);
    const form = await c.req.parseBody();
    const username = formField(form, "username").slice(0, 100);
    const next = safeNext(formField(form, "next"));
    const result = await login(
      deps,
      { username, password: formField(form, "password") },
      addressBucket(clientAddress(c, deps.trustProxy)),
    );
    if (result.ok) {
      setSessionCookie(c, urls, result.session);
      return c.redirect(next, 303);
    }
    if (result.reason === "rate-limited") {
      c.header("Retry-After", String(result.retryAfterSeconds));
      const minutes = Math.ceil(result.retryAfterSeconds / 60);
      return c.html(
        renderDocument(
          LoginPage({ page, username, next, error: page.t.loginRateLimited(minutes) }),
        ),
        429,
      );
    }
    return c.html(
      renderDocument(LoginPage({ page, username, next, error: page.t.loginFailed })),
      401,
    );
  });

  app.post("/logout", ...guards, ...signedIn, async (c) => {
    const id = sessionId(c, urls);
    if (id !== undefined) await logout(deps, id);
    clearSessionCookie(c, urls);
    return c.redirect("/", 303);
  });

  app.get("/workspace/account", ...signedIn, (c) => {
    const notice = doneNotice(c, { "password-changed": pageContext(c, urls).t.passwordChanged });
    return workspaceHtml(c, urls, OwnAccountPage, { problems: {}, notice });
  });

  app.post("/workspace/account/password", ...guards, ...signedIn, async (c) => {
    const page = pageContext(c, urls);
    const form = await c.req.parseBody();
    const result = await changePassword(deps, c.get("signedIn").account, sessionId(c, urls) ?? "", {
      current: formField(form, "current"),
      password: formField(form, "password"),
      passwordAgain: formField(form, "passwordAgain"),
    });
    if (result.ok) return c.redirect("/workspace/account?done=password-changed", 303);
    const problems = Object.fromEntries(
      Object.entries(result.problems).map(([k, v]) => [
        k,
        v === "current-wrong" ? page.t.currentPasswordWrong : page.t.accountProblems[v],
      ]),
    );
    return workspaceHtml(c, urls, OwnAccountPage, { problems }, 422);
  });

  /** The answer to a reset link that cannot be used (any more). */
  const resetRefused = (c: Context, state: "used" | "expired" | "missing") => {
    const { t } = pageContext(c, urls);
    if (state === "missing") return message(c, t.notFound, t.notFoundText, 404);
    const text = state === "used" ? t.resetUsed : t.resetExpired;
    return message(c, text, text, 410);
  };

  app.get("/password-reset/:token", async (c) => {
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    const token = c.req.param("token");
    const reset = await findPasswordReset(deps, token);
    if (reset.state !== "open") return resetRefused(c, reset.state);
    const page = pageContext(c, urls);
    return c.html(
      renderDocument(PasswordResetPage({ page, token, username: reset.username, problems: {} })),
    );
  });

  app.post("/password-reset/:token", ...guards, async (c) => {
    c.header("Cache-Control", "no-store");
    const page = pageContext(c, urls);
    const token = c.req.param("token");
    const form = await c.req.parseBody();
    const result = await resetPassword(deps, token, {
      password: formField(form, "password"),
      passwordAgain: formField(form, "passwordAgain"),
    });
    if (result.ok) {
      setSessionCookie(c, urls, result.session);
      return c.redirect("/workspace/account?done=password-changed", 303);
    }
    if ("state" in result) return resetRefused(c, result.state);
    const reset = await findPasswordReset(deps, token);
    if (reset.state !== "open") return resetRefused(c, reset.state);
    const problems = Object.fromEntries(
      Object.entries(result.problems).map(([k, v]) => [k, page.t.accountProblems[v]]),
    );
    return c.html(
      renderDocument(PasswordResetPage({ page, token, username: reset.username, problems })),
      422,
    );
  });

  app.get("/workspace", ...signedIn, async (c) => {
    const { groupIds } = c.get("signedIn");
    const groups = (await Promise.all(groupIds.map((id) => findGroupById(db, id)))).filter(
      (g): g is Group => g !== null,
    );
    const unread = new Map(
      await Promise.all(
        groups.map(async (g) => [g.id, await countUnreadNotifications(db, g.id)] as const),
      ),
    );
    return workspaceHtml(c, urls, WorkspaceHomePage, { groups, unread });
  });
}
