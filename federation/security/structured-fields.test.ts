import { describe, expect, it } from "vitest";
import { parseDictionary, StructuredFieldError } from "./structured-fields.ts";

describe("parseDictionary", () => {
  it("reads an RFC 9421 Signature-Input member as Fedify writes it", () => {
    const dict = parseDictionary(
      'sig1=("@method" "@target-uri" "content-digest");alg="rsa-v1_5-sha256";keyid="https://r.example/u#k";created=1764331200',
    );
    const sig1 = dict.get("sig1");
    expect(sig1?.kind).toBe("inner-list");
    if (sig1?.kind !== "inner-list") return;
    expect(sig1.items.map((item) => item.item)).toEqual([
      { kind: "string", value: "@method" },
      { kind: "string", value: "@target-uri" },
      { kind: "string", value: "content-digest" },
    ]);
    expect(Object.fromEntries(sig1.params)).toEqual({
      alg: { kind: "string", value: "rsa-v1_5-sha256" },
      keyid: { kind: "string", value: "https://r.example/u#k" },
      created: { kind: "integer", value: 1764331200 },
    });
  });

  it("reads byte sequences, tokens, booleans, escapes and several members", () => {
    const dict = parseDictionary('a=:YWJj:, b=tok/en:x, c, d=?0, e="q\\"uote\\\\", f=-1.5');
    expect(
      Object.fromEntries(
        [...dict].map(([key, member]) => [key, member.kind === "item" && member.item]),
      ),
    ).toEqual({
      a: { kind: "bytes", value: "YWJj" },
      b: { kind: "token", value: "tok/en:x" },
      c: { kind: "boolean", value: true },
      d: { kind: "boolean", value: false },
      e: { kind: "string", value: 'q"uote\\' },
      f: { kind: "decimal", value: -1.5 },
    });
  });

  it.each([
    ["a repeated key (parsers disagree on which wins)", "a=1, a=2"],
    ["a repeated parameter", 'a=1;keyid="x";keyid="y"'],
    ["a trailing comma", "a=1,"],
    ["an unterminated string", 'a="abc'],
    ["an unterminated inner list", 'a=("x" "y"'],
    ["an unterminated byte sequence", "a=:YWJj"],
    ["a bad escape", 'a="\\n"'],
    ["a control character in a string", 'a="x\ty"'],
    ["a character beyond ASCII in a string", 'a="caf\u00e9"'],
    ["an escape at the very end", 'a="x\\'],
    ["an uppercase key", "A=1"],
    ["junk between members", "a=1 b=2"],
  ])("rejects %s", (_, text) => {
    expect(() => parseDictionary(text)).toThrow(StructuredFieldError);
  });
});
