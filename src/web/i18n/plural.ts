/**
 * Picks the form of a sentence that agrees with a count, by the language's
 * CLDR plural rules (Intl.PluralRules): English and Spanish say "1 day" but
 * "2 days"; Filipino nouns do not change, yet its rules still tell "one"
 * from "other". Catalogs give the forms; `other` is always required.
 */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { readonly other: string };

const rules = new Map<string, Intl.PluralRules>();

export function plural(locale: string, count: number, forms: PluralForms): string {
  let rule = rules.get(locale);
  if (rule === undefined) {
    rule = new Intl.PluralRules(locale);
    rules.set(locale, rule);
  }
  return forms[rule.select(count)] ?? forms.other;
}
