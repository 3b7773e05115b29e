import { describe, expect, it } from "vitest";
import { parseCsvStrict } from "./helpers/csv.ts";
import { parseXml, textOf } from "./helpers/xml.ts";

/** The test readers must refuse what real readers refuse, or the export tests prove nothing. */
describe("the strict CSV reader", () => {
  it("reads quoted fields, doubled quotes and line breaks inside quotes", () => {
    expect(parseCsvStrict('a,"b,c","d""e","f\r\ng"\r\n,,x,\r\n')).toEqual([
      ["a", "b,c", 'd"e', "f\r\ng"],
      ["", "", "x", ""],
    ]);
  });

  it.each([
    ["a bare LF", "a,b\nc,d\r\n"],
    ["a missing final CRLF", "a,b\r\nc,d"],
    ["a quote in an unquoted field", 'a,b"c\r\n'],
    ["text after a closing quote", '"a"b\r\n'],
    ["an unterminated quote", '"a\r\n'],
    ["a ragged record", "a,b\r\nc\r\n"],
  ])("refuses %s", (_, input) => {
    expect(() => parseCsvStrict(input)).toThrow(/Invalid CSV/);
  });
});

describe("the strict XML reader", () => {
  it("reads elements, attributes, entities and character references", () => {
    const root = parseXml('<?xml version="1.0"?>\n<a x="1 &amp; 2"><b>&lt;&#65;&#x42;</b><c/></a>');
    expect(root.attributes.x).toBe("1 & 2");
    expect(textOf(root)).toBe("<AB");
  });

  it.each([
    ["a raw <", "<a>1 < 2</a>"],
    ["a stray &", "<a>fish & chips</a>"],
    ["an unknown entity", "<a>&nbsp;</a>"],
    ["mismatched tags", "<a><b></a></b>"],
    ["an unquoted attribute", "<a x=1></a>"],
    ["a duplicate attribute", '<a x="1" x="2"></a>'],
    ["two roots", "<a></a><b></b>"],
    ["a control character", "<a>\u0001</a>"],
    ["an unclosed element", "<a><b></b>"],
  ])("refuses %s", (_, input) => {
    expect(() => parseXml(input)).toThrow(/Invalid XML/);
  });
});
