import type { MiddlewareHandler } from "hono";

/**
 * Pages load nothing but our own stylesheet and run no script at all, so the
 * policy can forbid everything else. `form-action` allows https targets
 * because the remote-follow form ends in a redirect to the visitor's own
 * server, and browsers apply `form-action` to redirects after a submission.
 * Images come from us only, unless the operator configured a map tile
 * server: then from its origin too, and from nowhere else.
 */
export function contentSecurityPolicy(imageOrigins: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "style-src 'self'",
    ["img-src 'self'", ...imageOrigins].join(" "),
    "form-action 'self' https:",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** The origin a tile URL template loads from (its placeholders sit after the host). */
export function tileOrigin(template: string): string {
  return new URL(template.replaceAll(/\{[zxy]\}/g, "0")).origin;
}

/** Sets the page security headers on every HTML answer (ActivityPub and API answers are JSON). */
export function securityHeaders(options: {
  readonly mapTiles: { readonly template: string } | null;
}): MiddlewareHandler {
  const policy = contentSecurityPolicy(
    options.mapTiles === null ? [] : [tileOrigin(options.mapTiles.template)],
  );
  return async (c, next) => {
    await next();
    if (!(c.res.headers.get("content-type") ?? "").startsWith("text/html")) return;
    c.res.headers.set("Content-Security-Policy", policy);
    c.res.headers.set("X-Content-Type-Options", "nosniff");
    // Private status links (/requests/{token}) must never leak to another site
    // through Referer. Not `no-referrer`: with it, browsers send `Origin: null`
    // on our own form posts, and the same-origin form check needs the origin.
    c.res.headers.set("Referrer-Policy", "same-origin");
  };
}
