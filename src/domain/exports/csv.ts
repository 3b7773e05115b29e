/**
 * CSV as RFC 4180 writes it: fields separated by commas, records ended by
 * CRLF (the last one too), a field quoted when it holds a comma, a double
 * quote, CR or LF, and double quotes inside a quoted field doubled.
 *
 * Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula
 * (and some strip a leading tab or CR first), so a need titled
 * `=HYPERLINK(…)` could act on the machine of whoever opens the export. Text
 * cells starting with one of those get a leading `'`, which spreadsheets
 * hide and treat as "this is text". Number cells are ours (coordinates,
 * quantities: digits, one dot, a leading minus) and are checked, not
 * prefixed, so a longitude of -58.38 stays a number.
 */

export type CsvCell = { readonly text: string } | { readonly number: string };

const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

/** A text cell as it is written: formula-guarded, then quoted if it must be. */
export function csvField(cell: CsvCell): string {
  if ("number" in cell) {
    // A number cell is never user text; anything else is a bug upstream.
    if (!NUMBER.test(cell.number)) throw new Error(`Not a number cell: ${cell.number}`);
    return cell.number;
  }
  const guarded = FORMULA_START.test(cell.text) ? `'${cell.text}` : cell.text;
  return NEEDS_QUOTES.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

export function csvRecord(cells: readonly CsvCell[]): string {
  return `${cells.map(csvField).join(",")}\r\n`;
}

export function toCsv(rows: readonly (readonly CsvCell[])[]): string {
  return rows.map(csvRecord).join("");
}

export const text = (value: string | null | undefined): CsvCell => ({ text: value ?? "" });

/** An empty cell for a missing number; numbers never in exponent form (1e-7). */
export const num = (value: string | number | null | undefined): CsvCell =>
  value === null || value === undefined
    ? { text: "" }
    : { number: typeof value === "number" ? plainNumber(value) : value };

export function plainNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`Not a finite number: ${value}`);
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(10).replace(/0+$/, "").replace(/\.$/, "");
}
