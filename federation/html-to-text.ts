import { decodeHTMLStrict } from "entities";

/**
 * Remote HTML to plain text, for storing what other servers send: tags are
 * dropped (with the contents of script/style-like elements), entities are
 * decoded, whitespace is collapsed, control and bidi-override characters are
 * removed, and the result is clamped to `maxChars` code points ("…" marks a
 * cut). It never produces markup: whatever looks like a tag in the result came
 * from an escaped entity and is text, to be escaped again by whoever shows it.
 *
 * One pass, linear in the input even for hostile input (unclosed tags,
 * megabytes of markup), and it stops reading once the output is full.
 */
export function htmlToText(
  html: string,
  maxChars: number,
  options: { singleLine?: boolean } = {},
): string {
  const out = new TextSink(maxChars + 1, options.singleLine === true);
  const n = html.length;
  let i = 0;
  while (i < n && !out.full) {
    const c = html.charCodeAt(i);
    if (c === LT && startsTag(html, i + 1)) {
      if (html.startsWith("<!--", i)) {
        const end = html.indexOf("-->", i + 4);
        i = end < 0 ? n : end + 3;
        continue;
      }
      const end = tagEnd(html, i + 1);
      if (end < 0) break; // An unclosed tag: the rest is inside it.
      const tag = TAG_NAME.exec(html.slice(i + 1, Math.min(end, i + 40)));
      i = end + 1;
      if (tag === null) continue; // <!doctype>, <?xml?>, </ >
      const closing = tag[1] === "/";
      const name = tag[2]!.toLowerCase();
      if (!closing && SKIPPED_ELEMENTS.has(name)) {
        i = skipElement(html, i, name);
        continue;
      }
      if (name === "br") out.lineBreak(1);
      else if (PARAGRAPH_ELEMENTS.has(name)) out.lineBreak(2);
      else if (LINE_ELEMENTS.has(name)) out.lineBreak(1);
      continue;
    }
    if (c === AMP) {
      ENTITY.lastIndex = i;
      const entity = ENTITY.exec(html);
      const decoded = entity === null ? null : decodeEntity(entity);
      if (entity !== null && decoded !== null) {
        for (const ch of decoded) out.char(ch);
        i += entity[0].length;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = html.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        out.char(html.slice(i, i + 2));
        i += 2;
        continue;
      }
    }
    out.char(html[i]!);
    i++;
  }
  return out.finish(maxChars);
}

const LT = 0x3c;
const AMP = 0x26;

/** `<` opens a tag only before a letter, `/`, `!` or `?` (as in HTML); otherwise it is text. */
function startsTag(html: string, at: number): boolean {
  const c = html.charCodeAt(at);
  return (
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2f || c === 0x21 || c === 0x3f
  );
}

const TAG_NAME = /^(\/?)\s*([a-zA-Z][a-zA-Z0-9-]*)/;

/** The index of the `>` closing a tag, skipping quoted attribute values; -1 if unclosed. */
function tagEnd(html: string, from: number): number {
  let quote = 0;
  let afterEquals = false;
  for (let i = from; i < html.length; i++) {
    const c = html.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
      continue;
    }
    if (c === 0x3e) return i;
    if ((c === 0x22 || c === 0x27) && afterEquals) {
      quote = c;
      afterEquals = false;
      continue;
    }
    if (c === 0x3d) afterEquals = true;
    else if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c)
      afterEquals = false;
  }
  return -1;
}

/** Elements whose contents are never text for a reader. */
const SKIPPED_ELEMENTS = new Set([
  "script",
  "style",
  "template",
  "noscript",
  "iframe",
  "object",
  "svg",
  "math",
  "textarea",
  "title",
  "head",
]);

/** Skips to after `</name…>`; the rest of the input if it is never closed. */
function skipElement(html: string, from: number, name: string): number {
  const close = new RegExp(`</${name}(?=[\\s/>])`, "gi");
  close.lastIndex = from;
  const match = close.exec(html);
  if (match === null) return html.length;
  const end = tagEnd(html, match.index + 1);
  return end < 0 ? html.length : end + 1;
}

const PARAGRAPH_ELEMENTS = new Set([
  "p",
  "div",
  "blockquote",
  "pre",
  "ul",
  "ol",
  "table",
  "section",
  "article",
  "header",
  "footer",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "hr",
]);
const LINE_ELEMENTS = new Set(["li", "tr", "dt", "dd", "figcaption"]);

const ENTITY = /&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([a-zA-Z][a-zA-Z0-9]{1,31}));?/y;

function decodeEntity(match: RegExpExecArray): string | null {
  const [text, decimal, hex, name] = match;
  if (name !== undefined) {
    // Named references need their semicolon (HTML's full list, all 2,231 of
    // them: `&ntilde;` as much as `&amp;`); unknown ones stay as text.
    if (!text.endsWith(";")) return null;
    const decoded = decodeHTMLStrict(text);
    return decoded === text ? null : decoded;
  }
  const code = decimal !== undefined ? Number.parseInt(decimal, 10) : Number.parseInt(hex!, 16);
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\uFFFD";
  return String.fromCodePoint(code);
}

/** Characters removed from text: C0/C1 controls (whitespace aside), bidi overrides, non-characters. */
function isInvisibleControl(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff ||
    code === 0xfffe ||
    code === 0xffff
  );
}

function isSpace(code: number): boolean {
  return (
    code === 0x20 ||
    code === 0x09 ||
    code === 0x0a ||
    code === 0x0c ||
    code === 0x0d ||
    code === 0xa0 ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x3000
  );
}

/** Collects normalized text: one space between words, at most one blank line between paragraphs. */
class TextSink {
  readonly #parts: string[] = [];
  readonly #capacity: number;
  readonly #singleLine: boolean;
  #count = 0;
  #pendingSpace = false;
  #pendingBreaks = 0;

  constructor(capacity: number, singleLine: boolean) {
    this.#capacity = capacity;
    this.#singleLine = singleLine;
  }

  get full(): boolean {
    return this.#count >= this.#capacity;
  }

  lineBreak(lines: 1 | 2): void {
    if (this.#count === 0) return;
    this.#pendingBreaks = Math.max(this.#pendingBreaks, lines);
  }

  /** One code point (a lone surrogate becomes U+FFFD). */
  char(ch: string): void {
    let code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff) {
      code = 0xfffd;
      ch = "\uFFFD";
    }
    // Source newlines are spaces in HTML; only <br> and block elements break lines.
    if (isSpace(code)) {
      if (this.#count > 0) this.#pendingSpace = true;
      return;
    }
    if (isInvisibleControl(code)) return;
    if (this.#count > 0) {
      if (this.#pendingBreaks > 0 && !this.#singleLine) {
        this.#push(this.#pendingBreaks === 2 ? "\n\n" : "\n", this.#pendingBreaks);
      } else if (this.#pendingBreaks > 0 || this.#pendingSpace) {
        this.#push(" ", 1);
      }
    }
    this.#pendingBreaks = 0;
    this.#pendingSpace = false;
    this.#push(ch, 1);
  }

  #push(text: string, codePoints: number): void {
    this.#parts.push(text);
    this.#count += codePoints;
  }

  finish(maxChars: number): string {
    const text = this.#parts.join("");
    if (this.#count <= maxChars) return text;
    // Over the limit: cut at a code point boundary and mark the cut.
    const codePoints = Array.from(text);
    return `${codePoints
      .slice(0, Math.max(0, maxChars - 1))
      .join("")
      .trimEnd()}…`;
  }
}
