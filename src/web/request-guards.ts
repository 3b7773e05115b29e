import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { pickClientAddress } from "../domain/rate-limit.ts";
import { findUnstorableText } from "../domain/storable-text.ts";
import type { InstanceUrls } from "../urls.ts";
import { pageContext } from "./context.ts";
import { renderDocument } from "./layout.ts";
import { MessagePage } from "./pages/message.ts";

/** Forms are small: the largest (ask for help) is under 3 KB when full. */
export const MAX_FORM_BYTES = 16 * 1024;

/**
 * Every form's reading: an oversized form is refused before it is read, and
 * one holding U+0000 or a lone surrogate (which the database cannot store)
 * once it is parsed, each with a page in the reader's language. The parsed
 * form is kept by Hono for the route's own `parseBody()` (hence the same
 * options: Hono keeps the first parse, whatever a later call asks).
 */
export function formBodyLimit(urls: InstanceUrls): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: MAX_FORM_BYTES,
    onError: (c) => {
      c.header("Connection", "close");
      const page = pageContext(c, urls);
      return c.html(
        renderDocument(MessagePage({ page, title: page.t.tooLarge, text: page.t.tooLarge })),
        413,
      );
    },
  });
  return (c, next) =>
    limit(c, async () => {
      const type = (c.req.header("content-type") ?? "").toLowerCase();
      const isForm =
        type.startsWith("application/x-www-form-urlencoded") ||
        type.startsWith("multipart/form-data");
      if (isForm && findUnstorableText(await c.req.parseBody()) !== null) {
        const page = pageContext(c, urls);
        c.res = c.html(
          renderDocument(
            MessagePage({ page, title: page.t.unstorableText, text: page.t.unstorableText }),
          ),
          400,
        );
        return;
      }
      await next();
    });
}

/**
 * Cross-site request forgery protection for forms that people send without a
 * session: browsers say where a form came from (`Origin`, and
 * `Sec-Fetch-Site` in current ones), and a form from another site is refused.
 * A request without either header does not come from a browser form, so it
 * cannot carry a visitor's ambient authority (there is none: no session).
 */
export function sameOriginForms(urls: InstanceUrls): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    // Sec-Fetch-Site is set by the browser and cannot be forged by a page;
    // older browsers only send Origin ("null" from sandboxed or opaque origins).
    const foreign =
      site !== undefined
        ? site !== "same-origin" && site !== "none"
        : origin !== undefined && origin !== urls.origin.origin;
    if (foreign) {
      const page = pageContext(c, urls);
      return c.html(
        renderDocument(MessagePage({ page, title: page.t.crossSite, text: page.t.crossSite })),
        403,
      );
    }
    await next();
  };
}

/** The client's address for rate limits (see pickClientAddress). */
export function clientAddress(c: Context, trustProxy: boolean): string {
  let connection: string | undefined;
  try {
    connection = getConnInfo(c).remote.address;
  } catch {
    // Not served by the Node adapter (an in-process request): one shared bucket.
  }
  return pickClientAddress(connection, c.req.header("x-forwarded-for"), trustProxy);
}
