/**
 * Exact decimal arithmetic for quantities. Amounts travel as decimal strings
 * (FEP-0837's `hasNumericalValue`), and pledges are summed and compared with
 * what is still needed: 0.1 + 0.2 must equal 0.3, so no floating point.
 * A value is a BigInt scaled by 10^SCALE; more fractional digits than SCALE
 * are refused rather than rounded.
 */

const SCALE = 6;
const FACTOR = 10n ** BigInt(SCALE);
const DECIMAL = /^(\d{1,15})(?:\.(\d{1,6}))?$/;

export type Decimal = bigint & { readonly __decimal: unique symbol };

/** Parses a non-negative decimal string ("20", "2.5"); null when it is not one. */
export function parseDecimal(text: string): Decimal | null {
  const match = DECIMAL.exec(text.trim());
  if (match === null) return null;
  const [, whole, fraction = ""] = match;
  return (BigInt(whole as string) * FACTOR + BigInt(fraction.padEnd(SCALE, "0"))) as Decimal;
}

/** The shortest decimal string for a value: "20", "2.5", "0.000001". */
export function formatDecimal(value: Decimal): string {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const whole = magnitude / FACTOR;
  const fraction = (magnitude % FACTOR).toString().padStart(SCALE, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`;
}

export const ZERO = 0n as Decimal;

export function add(a: Decimal, b: Decimal): Decimal {
  return (a + b) as Decimal;
}

export function subtract(a: Decimal, b: Decimal): Decimal {
  return (a - b) as Decimal;
}

/** Negative, zero or positive, as Array.prototype.sort wants. */
export function compare(a: Decimal, b: Decimal): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function min(a: Decimal, b: Decimal): Decimal {
  return a < b ? a : b;
}

export function max(a: Decimal, b: Decimal): Decimal {
  return a > b ? a : b;
}

/** True when `value` is a whole multiple of `step` (FEP-0837 `unitBased`). */
export function isMultipleOf(value: Decimal, step: Decimal): boolean {
  return step > 0n && value % step === 0n;
}

export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO;
  for (const value of values) total = add(total, value);
  return total;
}
