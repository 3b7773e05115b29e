import type { MiddlewareHandler } from "hono";

/**
 * Pages load nothing but our own stylesheet and run no script at all, so the
 * policy can forbid everything else. `form-action` allows https targets
 * because the remote-follow form ends in a redirect to the visitor's own
 * server, and browsers apply `form-action` to redirects after a submission.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self' https:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Sets the page security headers on every HTML answer (ActivityPub and API answers are JSON). */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  if (!(c.res.headers.get("content-type") ?? "").startsWith("text/html")) return;
  c.res.headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
  c.res.headers.set("X-Content-Type-Options", "nosniff");
  // Private status links (/requests/{token}) must never leak to another site
  // through Referer. Not `no-referrer`: with it, browsers send `Origin: null`
  // on our own form posts, and the same-origin form check needs the origin.
  c.res.headers.set("Referrer-Policy", "same-origin");
};
