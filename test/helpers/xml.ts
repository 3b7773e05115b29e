/**
 * A strict reader for the XML our feeds emit (Node has no XML parser): one
 * root element, matching tags, quoted attributes without duplicates, only
 * the five predefined entities and character references, no raw `<` or
 * stray `&` in text or attributes, no character XML 1.0 forbids. Throws on
 * anything else, so a test that parses a feed proves it well-formed.
 */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly (XmlElement | string)[];
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function parseXml(input: string): XmlElement {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`Invalid XML at offset ${i}: ${why}`);
  };
  for (const char of input) {
    const code = char.codePointAt(0)!;
    const ok =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      code >= 0x10000;
    if (!ok) fail(`character U+${code.toString(16)} is not allowed in XML`);
  }

  const skipSpace = () => {
    while (i < input.length && /\s/.test(input[i]!)) i++;
  };

  // Line-end handling (XML 1.0 §2.11) comes before references are read, as in real readers.
  const decode = (raw: string): string =>
    raw.replace(/\r\n?/g, "\n").replace(/&([^;]*);|&/g, (match, ref: string | undefined) => {
      if (ref === undefined) fail(`stray & in ${JSON.stringify(raw.slice(0, 40))}`);
      if (ref!.startsWith("#x")) return String.fromCodePoint(Number.parseInt(ref!.slice(2), 16));
      if (ref!.startsWith("#")) return String.fromCodePoint(Number.parseInt(ref!.slice(1), 10));
      const value = PREDEFINED[ref!];
      if (value === undefined) fail(`unknown entity ${match}`);
      return value!;
    });

  const readName = (): string => {
    const m = NAME.exec(input.slice(i));
    if (m === null) fail("expected a name");
    i += m![0].length;
    return m![0];
  };

  const readElement = (): XmlElement => {
    if (input[i] !== "<") fail("expected <");
    i++;
    const name = readName();
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = i;
      skipSpace();
      if (input.startsWith("/>", i)) {
        i += 2;
        return { name, attributes, children: [] };
      }
      if (input[i] === ">") {
        i++;
        break;
      }
      if (i === before) fail("expected whitespace before an attribute");
      const attr = readName();
      skipSpace();
      if (input[i] !== "=") fail(`attribute ${attr} without =`);
      i++;
      skipSpace();
      const quote = input[i];
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} is not quoted`);
      const end = input.indexOf(quote!, i + 1);
      if (end < 0) fail("unterminated attribute");
      const raw = input.slice(i + 1, end);
      if (raw.includes("<")) fail(`raw < in attribute ${attr}`);
      if (attr in attributes) fail(`duplicate attribute ${attr}`);
      attributes[attr] = decode(raw);
      i = end + 1;
    }
    const children: (XmlElement | string)[] = [];
    for (;;) {
      if (i >= input.length) fail(`unclosed <${name}>`);
      if (input.startsWith("</", i)) {
        i += 2;
        const closing = readName();
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        skipSpace();
        if (input[i] !== ">") fail("expected >");
        i++;
        return { name, attributes, children };
      }
      if (input.startsWith("<!--", i)) {
        const end = input.indexOf("-->", i);
        if (end < 0) fail("unterminated comment");
        i = end + 3;
        continue;
      }
      if (input.startsWith("<![CDATA[", i)) {
        const end = input.indexOf("]]>", i);
        if (end < 0) fail("unterminated CDATA");
        children.push(input.slice(i + 9, end));
        i = end + 3;
        continue;
      }
      if (input[i] === "<") {
        children.push(readElement());
        continue;
      }
      const next = input.indexOf("<", i);
      const raw = input.slice(i, next < 0 ? input.length : next);
      if (raw.includes("]]>")) fail("]]> in text");
      children.push(decode(raw));
      i += raw.length;
    }
  };

  if (input.startsWith("<?xml")) {
    const end = input.indexOf("?>");
    if (end < 0) fail("unterminated XML declaration");
    i = end + 2;
  }
  skipSpace();
  const root = readElement();
  skipSpace();
  if (i !== input.length) fail("content after the root element");
  return root;
}

/** The child elements named `name`. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c): c is XmlElement => typeof c !== "string" && c.name === name);
}

/** The one child element named `name`; throws when there is not exactly one. */
export function child(element: XmlElement, name: string): XmlElement {
  const found = childrenNamed(element, name);
  if (found.length !== 1) throw new Error(`<${element.name}> has ${found.length} <${name}>`);
  return found[0]!;
}

/** All text inside an element. */
export function textOf(element: XmlElement): string {
  return element.children.map((c) => (typeof c === "string" ? c : textOf(c))).join("");
}
