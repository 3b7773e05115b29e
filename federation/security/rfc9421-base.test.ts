import { decodeDict, encodeItem, Item } from "structured-field-values";
import { describe, expect, it } from "vitest";
import { readRfc9421Signatures, rfc9421SignatureBase } from "./rfc9421-base.ts";

const SIGNATURE = "sig1=:AAAA:, sig2=:AQID:";

/**
 * The signature base exactly as Fedify 2.3.6 builds it: `decodeDict` from
 * `structured-field-values`, component ids and parameters serialised again
 * with its `encodeItem` (parseRfc9421SignatureInput and
 * createRfc9421SignatureBase in Fedify's http module, not exported).
 */
function fedifyBases(head: { method: string; url: string; headers: Headers }): string[] {
  const dict = decodeDict(head.headers.get("signature-input")!) as Record<
    string,
    { value: unknown; params: Record<string, unknown> }
  >;
  const url = new URL(head.url);
  const bases: string[] = [];
  for (const item of Object.values(dict)) {
    if (
      !Array.isArray(item.value) ||
      typeof item.params.keyid !== "string" ||
      typeof item.params.created !== "number"
    ) {
      continue;
    }
    const components = (item.value as { value: unknown; params?: Record<string, unknown> }[])
      .filter((sub) => typeof sub.value === "string")
      .map((sub) => ({ value: sub.value as string, params: sub.params ?? {} }));
    const params = encodeItem(new Item(0, item.params));
    const parameters = params.slice(params.indexOf(";") + 1);
    const id = (c: { value: string; params: Record<string, unknown> }) =>
      encodeItem(new Item(c.value, c.params));
    const derived: Record<string, () => string> = {
      "@method": () => head.method.toUpperCase(),
      "@target-uri": () => url.href,
      "@authority": () => url.host,
      "@path": () => url.pathname,
    };
    const lines = components.map(
      (c) => `${id(c)}: ${derived[c.value]?.() ?? head.headers.get(c.value)}`,
    );
    lines.push(`"@signature-params": (${components.map(id).join(" ")});${parameters}`);
    bases.push(lines.join("\n"));
  }
  return bases;
}

function headWith(signatureInput: string) {
  return {
    method: "POST",
    url: "https://local.example/inbox",
    headers: new Headers({
      "signature-input": signatureInput,
      signature: SIGNATURE,
      host: "local.example",
      date: "Mon, 07 Dec 2026 20:00:00 GMT",
      "content-digest": "sha-256=:AAAA:",
      "x-list": "a, b",
    }),
  };
}

describe("the RFC 9421 signature base", () => {
  // Each written differently from how the library would write it back, where
  // the grammar leaves room: spaces, escapes, flags, several labels.
  const inputs = [
    'sig1=("@method" "@target-uri" "@authority" "host" "date" "content-digest");alg="rsa-v1_5-sha256";keyid="https://r.example/u#k";created=1796673600',
    'sig1=(  "@method"   "@target-uri" "content-digest"  );keyid="https://r.example/u#k";created=01796673600;expires=1796677200',
    'sig1=("@method" "@path" "x-list";sf "content-digest";req);keyid="https://r.example/u#\\"k\\\\";created=1796673600;tag="a b"',
    'sig1=("@method" "@target-uri");created=1796673600;keyid="https://r.example/u#k";nonce="n";flag, sig2=("date" "@authority");keyid="https://r.example/v#k";created=-0',
    'sig1=();keyid="https://r.example/u#k";created=1796673600',
    'sig1=("@method" 42 ?1 "@target-uri");keyid="https://r.example/u#k";created=1796673600',
    'sig1=("@method");keyid="https://r.example/u#k";created=1796673600, other="not a list", none=("@method");created=1',
  ];

  it.each(inputs)("is Fedify's for %s", (input) => {
    const head = headWith(input);
    const read = readRfc9421Signatures(head);
    expect(read).not.toBeNull();
    expect(read!.map((signature) => rfc9421SignatureBase(head, signature))).toEqual(
      fedifyBases(head),
    );
  });

  // Kinds the screen's parse does not serialise alike: read with the library.
  it.each([
    'sig1=("@method" "x-list";key=tok);keyid="https://r.example/u#k";created=1796673600',
    'sig1=("@method");keyid="https://r.example/u#k";created=1796673600;weight=1.50',
    'sig1=("@method");keyid="https://r.example/u#k";created=1796673600;salt=:AQID:;off=?0',
  ])("is Fedify's for parameters of other kinds: %s", (input) => {
    const head = headWith(input);
    const read = readRfc9421Signatures(head);
    expect(read).not.toBeNull();
    expect(read!.map((signature) => rfc9421SignatureBase(head, signature))).toEqual(
      fedifyBases(head),
    );
  });

  it("reads the signature bytes by label, and none for a label without any", () => {
    const head = headWith(
      'sig2=("@method");keyid="https://r.example/u#k";created=1, sig3=("@method");keyid="https://r.example/u#k";created=1',
    );
    const read = readRfc9421Signatures(head)!;
    expect(read.map((s) => [s.label, s.signature && [...s.signature]])).toEqual([
      ["sig2", [1, 2, 3]],
      ["sig3", null],
    ]);
  });

  it("is unreadable when a header does not parse", () => {
    expect(readRfc9421Signatures(headWith('sig1=("@method"'))).toBeNull();
  });
});
