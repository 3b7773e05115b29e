import { describe, expect, it } from "vitest";
import { en } from "./en.ts";
import { es } from "./es.ts";
import { fromAcceptLanguage, negotiateLocale } from "./locale.ts";

describe("language negotiation", () => {
  it("prefers the switch, then the cookie, then Accept-Language, then English", () => {
    expect(negotiateLocale({ query: "es", cookie: "en", acceptLanguage: "en" })).toBe("es");
    expect(negotiateLocale({ query: "xx", cookie: "es", acceptLanguage: "en" })).toBe("es");
    expect(negotiateLocale({ cookie: "fr", acceptLanguage: "es-MX,es;q=0.9" })).toBe("es");
    expect(negotiateLocale({ acceptLanguage: "de, fr;q=0.8" })).toBe("en");
    expect(negotiateLocale({})).toBe("en");
  });

  it("chooses Filipino for fil and for Tagalog", () => {
    expect(fromAcceptLanguage("fil-PH,fil;q=0.9,en;q=0.8")).toBe("fil");
    expect(fromAcceptLanguage("tl-PH, es-419;q=0.5, en;q=0.4")).toBe("fil");
    expect(fromAcceptLanguage("tl")).toBe("fil");
    expect(negotiateLocale({ query: "tl", acceptLanguage: "en" })).toBe("fil");
    expect(negotiateLocale({ cookie: "fil", acceptLanguage: "es" })).toBe("fil");
  });

  it("orders Accept-Language by weight and skips q=0", () => {
    expect(fromAcceptLanguage("en;q=0.2, es;q=0.8")).toBe("es");
    expect(fromAcceptLanguage("es;q=0, en")).toBe("en");
    expect(fromAcceptLanguage("de-DE, es-419;q=0.5, en;q=0.4")).toBe("es");
    expect(fromAcceptLanguage("garbage;;;")).toBeNull();
  });

  it("has a translation for every message", () => {
    // tsc enforces the shape; this guards against empty or untranslated strings.
    const leaves = (m: object): unknown[] =>
      Object.values(m).flatMap((v) => (typeof v === "object" ? leaves(v) : [v]));
    const esLeaves = leaves(es);
    expect(esLeaves).toHaveLength(leaves(en).length);
    for (const value of esLeaves) {
      const text = typeof value === "function" ? value("x") : value;
      expect(typeof text === "string" && text.length > 0).toBe(true);
    }
    expect(es.askForHelp).not.toBe(en.askForHelp);
  });
});
