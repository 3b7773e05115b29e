import type { Context } from "hono";
import { fromAcceptLanguage, type Locale, localeOfTag } from "../web/i18n/locale.ts";

/**
 * The language of the API's words for people (error messages, notification
 * and match sentences): Accept-Language, else English. The feeds also take
 * `?lang=`, since feed readers rarely let a person set the header. The
 * answer varies with the header, so caches are told.
 */
export function apiLocale(c: Context, options: { query?: boolean } = {}): Locale {
  c.header("Vary", "Accept-Language", { append: true });
  if (options.query === true) {
    const chosen = localeOfTag(c.req.query("lang") ?? "");
    if (chosen !== null) return chosen;
  }
  return fromAcceptLanguage(c.req.header("accept-language") ?? "") ?? "en";
}
