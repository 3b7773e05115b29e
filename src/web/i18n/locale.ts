import { en, type Messages } from "./en.ts";
import { es } from "./es.ts";
import { fil } from "./fil.ts";

export const LOCALES = ["en", "es", "fil"] as const;
export type Locale = (typeof LOCALES)[number];

const CATALOGS: Record<Locale, Messages> = { en, es, fil };

/** Each language's own name, for the switch (a person looks for their language in it). */
export const LOCALE_NAMES: Record<Locale, string> = {
  en: "English",
  es: "Español",
  fil: "Filipino",
};

/**
 * Other tags for one of our languages: Tagalog (`tl`) is what many phones
 * and browsers send for Filipino, whose standard form it is.
 */
const ALIASES: Record<string, Locale> = { tl: "fil" };

/** One of our languages for a tag's primary subtag ("es-MX" → es, "tl-PH" → fil), or null. */
export function localeOfTag(tag: string): Locale | null {
  const primary = tag.trim().toLowerCase().split("-")[0] ?? "";
  if (isLocale(primary)) return primary;
  return ALIASES[primary] ?? null;
}

export function isLocale(value: string | undefined | null): value is Locale {
  return value !== undefined && value !== null && (LOCALES as readonly string[]).includes(value);
}

export function messagesFor(locale: Locale): Messages {
  return CATALOGS[locale];
}

/** The language of a catalog, for the wording that Intl does (numbers, units). */
export function localeOfMessages(t: Messages): Locale {
  return LOCALES.find((locale) => CATALOGS[locale] === t) ?? "en";
}

/**
 * The page language: an explicit choice (the switch's `?lang=`, then the
 * `lang` cookie it leaves) wins over the browser's Accept-Language, which
 * is often the phone's factory setting rather than the person's language.
 */
export function negotiateLocale(choice: {
  query?: string | undefined;
  cookie?: string | undefined;
  acceptLanguage?: string | undefined;
}): Locale {
  const query = localeOfTag(choice.query ?? "");
  if (query !== null) return query;
  const cookie = localeOfTag(choice.cookie ?? "");
  if (cookie !== null) return cookie;
  return fromAcceptLanguage(choice.acceptLanguage ?? "") ?? "en";
}

/** The best of our languages by the header's q-values (RFC 9110 §12.5.4); null if none fits. */
export function fromAcceptLanguage(header: string): Locale | null {
  const ranges = header
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      const weight = q === undefined ? 1 : Number(q.slice(2));
      return { tag: tag.trim().toLowerCase(), weight: Number.isFinite(weight) ? weight : 0, index };
    })
    .filter((r) => r.tag !== "" && r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const range of ranges) {
    const locale = localeOfTag(range.tag);
    if (locale !== null) return locale;
  }
  return null;
}
