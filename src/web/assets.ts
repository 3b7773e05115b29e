import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * The one stylesheet, read once at startup. Its URL carries a digest of its
 * content, so browsers may keep it for a year: a changed file gets a new URL.
 */
const css = readFileSync(new URL("./assets/style.css", import.meta.url));
const digest = createHash("sha256").update(css).digest("hex").slice(0, 12);

export const STYLESHEET_PATH = `/assets/style.${digest}.css`;

export function stylesheetResponse(): Response {
  return new Response(css, {
    headers: {
      "Content-Type": "text/css; charset=utf-8",
      "Cache-Control": "public, max-age=31536000, immutable",
    },
  });
}
