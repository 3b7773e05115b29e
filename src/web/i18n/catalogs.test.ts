import { describe, expect, it } from "vitest";
import { en } from "./en.ts";
import { LOCALES, messagesFor } from "./locale.ts";
import { plural } from "./plural.ts";

/**
 * Every catalog has the keys English has, and each message shows the same
 * values: a translation that drops a placeholder (a title, a count) or
 * invents one fails here, whoever adds the key next.
 */

type Leaf = { path: string; value: unknown };

function leaves(node: unknown, path = ""): Leaf[] {
  if (typeof node === "object" && node !== null) {
    return Object.entries(node)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .flatMap(([key, value]) => leaves(value, path === "" ? key : `${path}.${key}`));
  }
  return [{ path, value: node }];
}

/** Each argument a marker of its own, so the text shows which ones it uses. */
const marker = (i: number) => `⟦${i}⟧`;

function rendered(value: unknown): { arity: number; text: string } {
  if (typeof value !== "function") return { arity: 0, text: String(value) };
  const args = Array.from({ length: value.length }, (_, i) => marker(i));
  return { arity: value.length, text: String(value(...args)) };
}

function markersIn(text: string): string[] {
  return [...new Set(text.match(/⟦\d+⟧/g) ?? [])].sort();
}

describe("the catalogs", () => {
  const english = leaves(en);

  for (const locale of LOCALES.filter((l) => l !== "en")) {
    describe(locale, () => {
      const catalog = leaves(messagesFor(locale));

      it("has exactly the keys of the English catalog", () => {
        expect(catalog.map((l) => l.path)).toEqual(english.map((l) => l.path));
      });

      it("uses the same placeholders in every message", () => {
        const byPath = new Map(catalog.map((l) => [l.path, l.value]));
        const differing: string[] = [];
        for (const { path, value } of english) {
          const theirs = rendered(byPath.get(path));
          const ours = rendered(value);
          if (
            theirs.arity !== ours.arity ||
            markersIn(theirs.text).join() !== markersIn(ours.text).join()
          ) {
            differing.push(path);
          }
        }
        expect(differing).toEqual([]);
      });

      it("has no empty message", () => {
        const empty = catalog.filter((l) => rendered(l.value).text.trim() === "");
        expect(empty.map((l) => l.path)).toEqual([]);
      });
    });
  }

  it("has a Filipino catalog that is not English", () => {
    const fil = messagesFor("fil");
    expect(fil.askForHelp).not.toBe(en.askForHelp);
    expect(fil.categories.water).not.toBe(en.categories.water);
  });
});

describe("plural", () => {
  it("agrees with the count by each language's rules", () => {
    expect(en.accountSessions(1)).toBe("1 active sign-in");
    expect(en.accountSessions(2)).toBe("2 active sign-ins");
    expect(en.accountSessions(0)).toBe("0 active sign-ins");
    expect(messagesFor("es").loginRateLimited(1)).toContain("1 minuto ");
    expect(messagesFor("es").loginRateLimited(5)).toContain("5 minutos");
    expect(en.matchReasons.expiresIn(1)).toBe("expires in 1 hour");
    expect(en.feed.items("40", 40)).toBe("40 items");
    expect(en.feed.items("1", 1)).toBe("1 item");
    expect(plural("fil", 4, { one: "one", other: "other" })).toBe("other");
    expect(plural("fil", 3, { one: "one", other: "other" })).toBe("one");
  });
});
