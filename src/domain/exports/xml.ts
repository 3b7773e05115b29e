/**
 * Text for XML 1.0 documents. Escaping `& < > " '` covers markup; characters
 * XML 1.0 cannot hold at all (C0 controls but tab/LF/CR, lone surrogates,
 * U+FFFE/U+FFFF) are dropped, since one of them in a remote title would make
 * the whole feed unreadable. A carriage return is written as `&#xD;`:
 * XML readers turn a raw one into a line feed.
 */
/** Whether XML 1.0 can hold this code point (its `Char` production). */
function isXmlChar(code: number): boolean {
  if (code === 0x9 || code === 0xa || code === 0xd) return true;
  if (code < 0x20) return false;
  if (code >= 0xd800 && code <= 0xdfff) return false; // a lone surrogate
  return code !== 0xfffe && code !== 0xffff;
}

function dropNonXml(value: string): string {
  let out = "";
  // for…of walks code points: a proper surrogate pair arrives as one.
  for (const char of value) {
    if (isXmlChar(char.codePointAt(0) as number)) out += char;
  }
  return out;
}

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  "\r": "&#xD;",
};

export function xmlText(value: string): string {
  return dropNonXml(value).replace(/[&<>"'\r]/g, (c) => ENTITIES[c] as string);
}

/** `<name attr="…">text</name>`, or nothing when the text is null. */
export function element(
  name: string,
  content: string | null | undefined,
  attributes: Readonly<Record<string, string>> = {},
): string {
  if (content === null || content === undefined) return "";
  return `<${name}${attrs(attributes)}>${xmlText(content)}</${name}>`;
}

/** `<name attr="…"/>`. */
export function emptyElement(name: string, attributes: Readonly<Record<string, string>>): string {
  return `<${name}${attrs(attributes)}/>`;
}

function attrs(attributes: Readonly<Record<string, string>>): string {
  return Object.entries(attributes)
    .map(([k, v]) => ` ${k}="${xmlText(v)}"`)
    .join("");
}
