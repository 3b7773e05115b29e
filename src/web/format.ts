import type { Unit } from "../domain/units.ts";
import type { Locale } from "./i18n/locale.ts";

/**
 * Dates and numbers in the reader's language. Instants are shown in UTC with
 * the zone named: the server does not know the reader's time zone, and a
 * deadline shown in the wrong zone without saying so is worse than UTC.
 */
export function formatInstant(instant: Temporal.Instant, locale: Locale): string {
  const text = instant
    .toZonedDateTimeISO("UTC")
    .toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
  return `${text} UTC`;
}

export function formatDate(instant: Temporal.Instant, locale: Locale): string {
  return instant
    .toZonedDateTimeISO("UTC")
    .toPlainDate()
    .toLocaleString(locale, { dateStyle: "long" });
}

export function formatNumber(value: number | string, locale: Locale): string {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 6 }).format(Number(value));
}

/** A distance in km as people read it: "2.2 km", "14 km". */
export function formatKm(km: number, locale: Locale): string {
  return new Intl.NumberFormat(locale, {
    style: "unit",
    unit: "kilometer",
    maximumFractionDigits: 1,
  }).format(km);
}

/** Our unit names → Intl's sanctioned unit identifiers, where one exists. */
const INTL_UNITS: Partial<Record<Unit, string>> = {
  gram: "gram",
  kilogram: "kilogram",
  millilitre: "milliliter",
  litre: "liter",
  metre: "meter",
  kilometre: "kilometer",
  minute: "minute",
  hour: "hour",
  day: "day",
  week: "week",
  month: "month",
};

/** Symbols that read the same in every language we speak, for units Intl lacks. */
const SYMBOLS: Partial<Record<Unit, string>> = { tonne: "t", cubicMetre: "m³", squareMetre: "m²" };

export function formatQuantity(amount: string, unit: Unit, locale: Locale): string {
  const intlUnit = INTL_UNITS[unit];
  if (intlUnit !== undefined) {
    return new Intl.NumberFormat(locale, {
      style: "unit",
      unit: intlUnit,
      unitDisplay: "long",
      maximumFractionDigits: 6,
    }).format(Number(amount));
  }
  const number = formatNumber(amount, locale);
  const symbol = SYMBOLS[unit];
  return symbol === undefined ? number : `${number} ${symbol}`;
}

/**
 * A point as people paste it back into a map: decimal points in every
 * language (a decimal comma would read as the separator), four decimals
 * (about 10 m), trailing zeros dropped.
 */
export function formatCoordinates(latitude: number, longitude: number): string {
  const plain = (x: number) => String(Number(x.toFixed(4)));
  return `${plain(latitude)}, ${plain(longitude)}`;
}
