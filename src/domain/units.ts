/**
 * Quantity units, named as FEP-0837 names them (the OM 2 unit local names,
 * e.g. `kilogram`; `one` for countable items). Only these are accepted so
 * every instance can compare quantities without guessing.
 */
export const UNITS = [
  "one",
  "gram",
  "kilogram",
  "tonne",
  "millilitre",
  "litre",
  "cubicMetre",
  "metre",
  "kilometre",
  "squareMetre",
  "minute",
  "hour",
  "day",
  "week",
  "month",
] as const;

export type Unit = (typeof UNITS)[number];

export function isUnit(value: string): value is Unit {
  return (UNITS as readonly string[]).includes(value);
}

/** Human wording for the Mastodon-visible text. */
export function describeQuantity(amount: string, unit: Unit): string {
  const n = Number(amount);
  if (unit === "one") return amount;
  const singular = n === 1;
  const words: Record<Unit, [string, string]> = {
    one: ["", ""],
    gram: ["g", "g"],
    kilogram: ["kg", "kg"],
    tonne: ["tonne", "tonnes"],
    millilitre: ["ml", "ml"],
    litre: ["litre", "litres"],
    cubicMetre: ["m³", "m³"],
    metre: ["metre", "metres"],
    kilometre: ["km", "km"],
    squareMetre: ["m²", "m²"],
    minute: ["minute", "minutes"],
    hour: ["hour", "hours"],
    day: ["day", "days"],
    week: ["week", "weeks"],
    month: ["month", "months"],
  };
  const [one, many] = words[unit];
  return `${amount} ${singular ? one : many}`;
}
