import type { Unit } from "../domain/units.ts";
import type { Locale } from "./i18n/locale.ts";

/**
 * Every date, time and number a page shows is written here, one format per
 * language, so pages never disagree.
 *
 * Times are shown in a zone: the collective's for pages that belong to one,
 * the instance's `TIME_ZONE` for the others (see `PageContext.timeZone` and
 * `domain/time-zone.collectiveZone`), always with the zone's abbreviation
 * from Intl ("GMT+8", "CET", "UTC"), so nobody reads a deadline in the
 * wrong zone without being told. Temporal does the arithmetic; Intl writes
 * the names. Formatters are cached per language and zone: building one is
 * what costs, and a board writes hundreds of times.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: Locale, zone: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${locale} ${zone} ${withTime}`;
  let found = formatters.get(key);
  if (found === undefined) {
    found = new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      day: "numeric",
      month: "long",
      year: "numeric",
      ...(withTime ? { hour: "numeric", minute: "2-digit", timeZoneName: "short" } : {}),
    });
    formatters.set(key, found);
  }
  return found;
}

/** An instant in `zone`: "December 9, 2026 at 4:00 PM UTC", "9 de diciembre de 2026 a las 0:00 GMT+8". */
export function formatInstant(instant: Temporal.Instant, locale: Locale, zone: string): string {
  return formatter(locale, zone, true).format(new Date(instant.epochMilliseconds));
}

/**
 * A calendar date, the same in every zone: "December 9, 2026",
 * "9 de diciembre de 2026".
 */
export function formatDate(date: Temporal.PlainDate, locale: Locale): string {
  // Noon UTC of that date, written in UTC: no zone can move it to another day.
  const at = new Date(0);
  at.setUTCFullYear(date.year, date.month - 1, date.day);
  at.setUTCHours(12);
  return formatter(locale, "UTC", false).format(at);
}

/** The date an instant falls on in `zone`, written as `formatDate` writes dates. */
export function formatDay(instant: Temporal.Instant, locale: Locale, zone: string): string {
  return formatDate(instant.toZonedDateTimeISO(zone).toPlainDate(), locale);
}

/**
 * A need's or offer's deadline: the date it was picked as when it was picked
 * as a date (the same date in every zone), else the instant in `zone`.
 */
export function formatDeadline(
  deadline: {
    readonly expiresAt: Temporal.Instant;
    readonly expiresOn?: Temporal.PlainDate | null | undefined;
  },
  locale: Locale,
  zone: string,
): string {
  return deadline.expiresOn != null
    ? formatDate(deadline.expiresOn, locale)
    : formatInstant(deadline.expiresAt, locale, zone);
}

const compactFormatters = new Map<string, Intl.DateTimeFormat>();

function compactFormatter(locale: Locale, zone: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${locale} ${zone} ${withTime}`;
  let found = compactFormatters.get(key);
  if (found === undefined) {
    found = new Intl.DateTimeFormat(
      locale,
      withTime
        ? { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
        : { timeZone: zone, day: "numeric", month: "short" },
    );
    compactFormatters.set(key, found);
  }
  return found;
}

/**
 * The one short form, for the incident's text page only (every byte counts
 * there, and the page names the zone once at the top): "Dec 24 09:00",
 * "24 dic 09:00", 24-hour in every language.
 */
export function formatInstantCompact(
  instant: Temporal.Instant,
  locale: Locale,
  zone: string,
): string {
  const at = new Date(instant.epochMilliseconds);
  const day = compactFormatter(locale, zone, false).format(at).replace(/\.$/, "");
  return `${day} ${compactFormatter(locale, zone, true).format(at)}`;
}

/** A picked date in the text page's short form: "Dec 24", "24 dic". */
export function formatDateCompact(date: Temporal.PlainDate, locale: Locale): string {
  const at = new Date(0);
  at.setUTCFullYear(date.year, date.month - 1, date.day);
  at.setUTCHours(12);
  return compactFormatter(locale, "UTC", false).format(at).replace(/\.$/, "");
}

/** The zone's abbreviation at `instant` ("GMT+8", "CET", "UTC"), as the formats above write it. */
export function zoneAbbreviation(instant: Temporal.Instant, locale: Locale, zone: string): string {
  const part = formatter(locale, zone, true)
    .formatToParts(new Date(instant.epochMilliseconds))
    .find((p) => p.type === "timeZoneName");
  return part?.value ?? zone;
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

/** The same in the fewest characters ("300 L", "25 kg", "40"): the text page's form. */
export function formatQuantityShort(amount: string, unit: Unit, locale: Locale): string {
  const intlUnit = INTL_UNITS[unit];
  if (intlUnit === undefined) return formatQuantity(amount, unit, locale);
  return new Intl.NumberFormat(locale, {
    style: "unit",
    unit: intlUnit,
    unitDisplay: "short",
    maximumFractionDigits: 6,
  }).format(Number(amount));
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
