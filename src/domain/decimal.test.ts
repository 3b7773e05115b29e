import { describe, expect, test } from "vitest";
import {
  add,
  compare,
  type Decimal,
  formatDecimal,
  isMultipleOf,
  max,
  min,
  parseDecimal,
  subtract,
  sum,
  ZERO,
} from "./decimal.ts";

function d(text: string): Decimal {
  const value = parseDecimal(text);
  if (value === null) throw new Error(`not a decimal: ${text}`);
  return value;
}

describe("decimal", () => {
  test("parses and formats without losing digits", () => {
    for (const text of ["0", "1", "20", "2.5", "0.000001", "123456789012345.123456"]) {
      expect(formatDecimal(d(text))).toBe(text);
    }
    expect(formatDecimal(d("2.50"))).toBe("2.5");
    expect(formatDecimal(d(" 7 "))).toBe("7");
  });

  test("refuses what is not a plain non-negative decimal", () => {
    for (const text of ["", "-1", "1e3", "abc", "1.", ".5", "1.0000001", "NaN", "1,5", "0x10"]) {
      expect(parseDecimal(text), text).toBeNull();
    }
  });

  test("adds exactly where floating point would not", () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(formatDecimal(add(d("0.1"), d("0.2")))).toBe("0.3");
    expect(formatDecimal(sum([d("5"), d("10"), d("2.25")]))).toBe("17.25");
    expect(sum([])).toBe(ZERO);
  });

  test("subtracts, and formats negative results", () => {
    expect(formatDecimal(subtract(d("20"), d("15")))).toBe("5");
    expect(formatDecimal(subtract(d("1"), d("2.5")))).toBe("-1.5");
  });

  test("compares, min and max", () => {
    expect(compare(d("2"), d("10"))).toBe(-1);
    expect(compare(d("10"), d("2"))).toBe(1);
    expect(compare(d("2.0"), d("2"))).toBe(0);
    expect(formatDecimal(min(d("3"), d("2.9")))).toBe("2.9");
    expect(formatDecimal(max(d("3"), d("2.9")))).toBe("3");
  });

  test("multiples for unit-based quantities", () => {
    expect(isMultipleOf(d("6"), d("2"))).toBe(true);
    expect(isMultipleOf(d("7"), d("2"))).toBe(false);
    expect(isMultipleOf(d("0.75"), d("0.25"))).toBe(true);
    expect(isMultipleOf(d("1"), ZERO)).toBe(false);
  });
});
