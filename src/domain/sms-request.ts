import type { CategorySlug } from "./categories.ts";
import { formatDecimal, parseDecimal } from "./decimal.ts";
import type { Purpose, Quantity } from "./proposal.ts";
import type { Unit } from "./units.ts";

/**
 * What a text message asking for (or offering) help says, read with the short
 * grammar people are told to use on a basic phone:
 *
 *     NEED water 20 Cubao        NECESITO agua 20 litros en Cubao
 *     KAILANGAN tubig 20 Cubao   OFFER rice 10 kg Quezon City
 *
 * A keyword (which also tells the language), a thing, an amount with an
 * optional unit, and a place. Each part is filled only when it is there and
 * recognised; whatever the message says, its whole text is kept for the
 * coordinator, who reads every request before anything is published. So the
 * reading is generous: a message that follows no grammar is still a request,
 * of category "other", in no known language.
 */
export interface SmsReading {
  readonly purpose: Purpose;
  /** From the keyword; null when the message has none. */
  readonly language: "en" | "es" | "fil" | null;
  readonly category: CategorySlug;
  readonly quantity: Quantity | null;
  /** The place as written, for the place step to look up; null when none. */
  readonly place: string | null;
  /** The message, whitespace collapsed, control characters removed. */
  readonly text: string;
}

const KEYWORDS: Readonly<Record<string, { purpose: Purpose; language: "en" | "es" | "fil" }>> = {
  need: { purpose: "request", language: "en" },
  needs: { purpose: "request", language: "en" },
  help: { purpose: "request", language: "en" },
  offer: { purpose: "offer", language: "en" },
  have: { purpose: "offer", language: "en" },
  necesito: { purpose: "request", language: "es" },
  necesitamos: { purpose: "request", language: "es" },
  necesita: { purpose: "request", language: "es" },
  ayuda: { purpose: "request", language: "es" },
  ofrezco: { purpose: "offer", language: "es" },
  ofrecemos: { purpose: "offer", language: "es" },
  tengo: { purpose: "offer", language: "es" },
  kailangan: { purpose: "request", language: "fil" },
  tulong: { purpose: "request", language: "fil" },
  alok: { purpose: "offer", language: "fil" },
  meron: { purpose: "offer", language: "fil" },
  mayroon: { purpose: "offer", language: "fil" },
};

/** Words for things, folded (lower case, no accents), in the three languages. */
const THING_WORDS: readonly (readonly [CategorySlug, readonly string[]])[] = [
  ["water", ["water", "agua", "tubig"]],
  ["food", ["food", "rice", "comida", "alimentos", "arroz", "pagkain", "bigas", "ulam"]],
  [
    "medication",
    ["medicine", "insulin", "medicina", "medicinas", "medicamentos", "insulina", "gamot"],
  ],
  ["medical", ["doctor", "nurse", "medico", "medica", "enfermera", "doktor", "nars"]],
  ["shelter", ["shelter", "bed", "refugio", "albergue", "cama", "tirahan", "matutuluyan", "kama"]],
  ["clothing", ["clothes", "clothing", "ropa", "damit"]],
  ["hygiene", ["diapers", "soap", "hygiene", "panales", "jabon", "higiene", "lampin", "sabon"]],
  ["transport", ["ride", "transport", "transporte", "sakay"]],
  ["childcare", ["childcare", "babysitter", "ninera", "guarderia", "yaya"]],
  ["eldercare", ["eldercare", "cuidador"]],
  ["legal", ["lawyer", "legal", "abogado", "abogada"]],
  ["money", ["money", "cash", "dinero", "pera"]],
  ["utilities", ["electricity", "power", "luz", "electricidad", "kuryente"]],
  ["communication", ["phone", "load", "telefono", "saldo", "cellphone"]],
];
const THINGS: ReadonlyMap<string, CategorySlug> = new Map(
  THING_WORDS.flatMap(([category, words]) => words.map((word) => [word, category] as const)),
);

const UNITS: ReadonlyMap<string, Unit> = new Map(
  Object.entries({
    l: "litre",
    lt: "litre",
    liter: "litre",
    liters: "litre",
    litre: "litre",
    litres: "litre",
    litro: "litre",
    litros: "litre",
    litrong: "litre",
    kg: "kilogram",
    kilo: "kilogram",
    kilos: "kilogram",
    kilogram: "kilogram",
    kilograms: "kilogram",
    kilogramos: "kilogram",
    g: "gram",
    grams: "gram",
    gramos: "gram",
    ml: "millilitre",
  } satisfies Record<string, Unit>),
);

/** Words that may stand between the amount and the place: "in Cubao", "en Cubao", "sa Cubao". */
const PLACE_PREPOSITIONS: ReadonlySet<string> = new Set(["in", "at", "en", "sa"]);

/** An amount as people type it: "20", "2.5", "2,5", "20l", "10kg". */
const AMOUNT = /^(\d{1,9}(?:[.,]\d{1,3})?)([a-z]*)$/;

// Own keys only: a message starting "constructor" has no keyword.
function keywordOf(word: string): (typeof KEYWORDS)[string] | undefined {
  const folded = fold(word);
  return Object.hasOwn(KEYWORDS, folded) ? KEYWORDS[folded] : undefined;
}

function fold(word: string): string {
  return word
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase();
}

/** Whitespace collapsed, control and bidi characters dropped: the text a coordinator reads. */
function cleanText(text: string): string {
  return text
    .replace(/[\p{Cc}\p{Cf}]+/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
}

function readAmount(word: string): { quantity: Quantity; unitGiven: boolean } | null {
  const match = AMOUNT.exec(fold(word));
  if (match === null) return null;
  const [, number, suffix] = match;
  const unit = suffix === "" ? "one" : UNITS.get(suffix!);
  if (unit === undefined) return null;
  const amount = parseDecimal(number!.replace(",", "."));
  if (amount === null || amount === 0n) return null;
  return { quantity: { amount: formatDecimal(amount), unit }, unitGiven: suffix !== "" };
}

/** Reads a message: linear in its length (the webhooks that will call it bound the length). */
export function readSmsRequest(message: string): SmsReading {
  const text = cleanText(message);
  const words = text === "" ? [] : text.split(" ");
  let at = 0;
  const keyword = words.length > 0 ? keywordOf(words[0]!) : undefined;
  if (keyword !== undefined) at = 1;

  let category: CategorySlug = "other";
  const thing = words[at] === undefined ? undefined : THINGS.get(fold(words[at]!));
  if (thing !== undefined) {
    category = thing;
    at++;
  }

  let quantity: Quantity | null = null;
  const amount = words[at] === undefined ? null : readAmount(words[at]!);
  if (amount !== null) {
    quantity = amount.quantity;
    at++;
    const unit = words[at] === undefined ? undefined : UNITS.get(fold(words[at]!));
    if (!amount.unitGiven && unit !== undefined) {
      quantity = { amount: quantity.amount, unit };
      at++;
    }
  }

  // A place only after a recognised start: free text is not a place name.
  let place: string | null = null;
  if (keyword !== undefined && (thing !== undefined || quantity !== null)) {
    if (words[at] !== undefined && PLACE_PREPOSITIONS.has(fold(words[at]!))) at++;
    const rest = words.slice(at).join(" ");
    place = rest === "" ? null : rest;
  }

  return {
    purpose: keyword?.purpose ?? "request",
    language: keyword?.language ?? null,
    category,
    quantity,
    place,
    text,
  };
}
