import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { currentSession, type NewSession, type SignedIn } from "../services/accounts.ts";
import type { InstanceUrls } from "../urls.ts";
import { pageContext } from "./context.ts";
import type { WebDeps } from "./deps.ts";
import { renderDocument } from "./layout.ts";
import { MessagePage } from "./pages/message.ts";

/** The form field every signed-in form carries. */
export const CSRF_FIELD = "_csrf";

/**
 * On https the `__Host-` prefix makes the browser refuse the cookie unless it
 * is Secure, host-only and for path /, so no subdomain can plant one.
 */
function cookieName(urls: InstanceUrls): string {
  return urls.origin.protocol === "https:" ? "__Host-session" : "session";
}

export function setSessionCookie(c: Context, urls: InstanceUrls, session: NewSession): void {
  setCookie(c, cookieName(urls), session.id, {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: urls.origin.protocol === "https:",
    expires: new Date(session.expiresAt.epochMilliseconds),
  });
}

export function clearSessionCookie(c: Context, urls: InstanceUrls): void {
  deleteCookie(c, cookieName(urls), {
    path: "/",
    secure: urls.origin.protocol === "https:",
  });
}

export function sessionId(c: Context, urls: InstanceUrls): string | undefined {
  return getCookie(c, cookieName(urls));
}

declare module "hono" {
  interface ContextVariableMap {
    /** Set by `requireSignIn` on the workspace's routes. */
    signedIn: SignedIn;
  }
}

/**
 * Lets signed-in coordinators through (the session in `c.get("signedIn")`)
 * and sends everyone else to the sign-in page. Every POST must carry the
 * session's CSRF token; SameSite=Lax already keeps the cookie off most
 * cross-site posts, the token covers the rest (and old browsers).
 */
export function requireSignIn(deps: WebDeps): MiddlewareHandler {
  return async (c, next) => {
    const id = sessionId(c, deps.urls);
    const signedIn = id === undefined ? null : await currentSession(deps, id);
    c.header("Cache-Control", "no-store");
    if (signedIn === null) {
      if (c.req.method === "GET") {
        return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
      }
      const page = pageContext(c, deps.urls);
      return c.html(
        renderDocument(
          MessagePage({ page, title: page.t.sessionExpired, text: page.t.sessionExpired }),
        ),
        401,
      );
    }
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      const sent = typeof form[CSRF_FIELD] === "string" ? form[CSRF_FIELD] : "";
      if (!sameSecret(sent, signedIn.csrfToken)) {
        const page = pageContext(c, deps.urls);
        return c.html(
          renderDocument(MessagePage({ page, title: page.t.csrfFailed, text: page.t.csrfFailed })),
          403,
        );
      }
    }
    c.set("signedIn", signedIn);
    await next();
  };
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
