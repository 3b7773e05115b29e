/**
 * Cheap pre-checks run in front of Fedify's inbox handler.
 *
 * Fedify 2.3.6 reads and JSON-LD-expands the whole body before it looks at
 * any signature, with no size limit (fedify-notes.md, "Security gaps" 2): an
 * unsigned 470 KB POST cost 0.58 s of CPU to refuse, and a 2,000-deep object
 * escaped as a RangeError (500). This module refuses every request that
 * Fedify would refuse anyway or that cannot be a well-formed signed activity:
 * too large, no or malformed signature, a signature that does not cover what
 * both Mastodon and Fedify require, a stale signature time, a body that does
 * not match its digest, or a body that is not a reasonably shallow JSON
 * object. Refusals on headers cost tens of microseconds; a digest mismatch
 * costs reading and hashing the body (SHA-256 runs at roughly 0.65 ms per MB
 * on a server core), which is as cheap as a digest check can be.
 *
 * It never verifies a signature cryptographically: Fedify does that after us.
 * Wherever Fedify's own parsing is looser than the standards (for example it
 * splits the draft-cavage header on every comma), this module is stricter, so
 * that any header we let through is read the same way by both of us; the key
 * ids we return are then exactly those Fedify will try.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { findUnstorableText, mayHoldUnstorableEscape } from "../../src/domain/storable-text.ts";
import type { ParsedSignature } from "./signature-check.ts";
import {
  type DictionaryMember,
  type Parameters,
  parseDictionary,
  StructuredFieldError,
} from "./structured-fields.ts";

export interface InboxScreenOptions {
  /** Largest accepted body, in bytes (Mastodon uses 1 MiB). */
  maxBodyBytes: number;
  /** How far the signature time may be from now, in either direction. */
  signatureWindow: Temporal.Duration;
  now?: () => Temporal.Instant;
  /**
   * Deepest accepted nesting of JSON objects and arrays. Default 64: real
   * activities stay under 10, and Fedify's recursive JSON-LD processing
   * overflows the stack somewhere below 2,000.
   */
  maxJsonDepth?: number;
  /**
   * Runs once the headers have passed, with the key ids the signature
   * claims: a refusal it returns is the answer. It runs before a large body
   * is read (after a small one has matched its digest) and before any body is
   * parsed, so judging the signer here (policy, a forged signature under a
   * cached key) spares a refused request the dearer work. `signature` is the
   * screen's parse of the signature headers, so that nobody reads them again.
   */
  judgeSigner?: (keyIds: URL[], signature: ParsedSignature) => Promise<InboxScreenFailure | null>;
  /**
   * This instance's host (`host[:port]` of its origin). A request whose URL
   * (built from its Host header) names another host was meant for another
   * server: a signed request captured there and replayed here, Host and all,
   * would otherwise verify, since the host it signs is the one it carries.
   */
  authority?: string;
}

export type InboxScreenFailure = {
  ok: false;
  status: 400 | 401 | 403 | 413 | 415 | 421;
  /** A stable machine-readable code, e.g. "payload_too_large". */
  error: string;
  /** An English explanation, safe to send back to the peer. */
  message: string;
};

export type InboxScreenResult =
  | {
      ok: true;
      /**
       * A fresh request carrying the same method, URL, headers and body bytes,
       * for Fedify; built when first read, and the same object every time.
       */
      readonly request: Request;
      body: Uint8Array;
      /** The parsed body; always a JSON object. */
      json: unknown;
      /** Every key id the HTTP signature headers claim (one per signature). */
      keyIds: URL[];
    }
  | InboxScreenFailure;

const DEFAULT_MAX_JSON_DEPTH = 64;
/**
 * Bodies declared at most this large are read and checked against their
 * digest before the signer is judged: hashing 64 KiB costs about 40 µs,
 * less than one RSA verification. Real activities are a few kilobytes.
 */
const SMALL_BODY_BYTES = 64 * 1024;
/** Real signature headers are a few hundred bytes; this bounds parsing work. */
const MAX_SIGNATURE_HEADER_LENGTH = 8192;
/** Mastodon sends one signature; Fedify one per Accept-Signature challenge. */
const MAX_RFC9421_SIGNATURES = 4;

const ACCEPTED_MEDIA_TYPES = new Set([
  "application/activity+json",
  "application/ld+json",
  "application/json",
]);

/** Mastodon accepts these; Fedify ignores the parameter and always verifies RSA. */
const DRAFT_ALGORITHMS = new Set(["rsa-sha256", "hs2019"]);
/**
 * Fedify 2.3.6 refuses a draft-cavage signature unless it covers
 * `(request-target)`, `date` and `digest` (Mastodon would accept `(created)`
 * instead of `date`, or omit `(request-target)`, but such a request could
 * never pass Fedify, so it is cheaper to refuse it here, before Fedify parses
 * the body). `host` is ours: a signature that does not cover it is as valid
 * on any other instance with the same path (`/inbox`), so a request captured
 * on its way to one could be replayed to another. Mastodon signs
 * `(request-target) host date digest`; Fedify signs every header it sends,
 * `host` among them.
 */
const DRAFT_REQUIRED_HEADERS = ["(request-target)", "host", "date", "digest"];
const DRAFT_PSEUDO_HEADERS = new Set(["(request-target)", "(created)", "(expires)"]);
/** Algorithms Fedify's RFC 9421 verifier knows; any other `alg` makes it fail. */
const RFC9421_ALGORITHMS = new Set([
  "rsa-v1_5-sha256",
  "rsa-v1_5-sha512",
  "rsa-pss-sha512",
  "ecdsa-p256-sha256",
  "ecdsa-p384-sha384",
  "ed25519",
]);
/** Derived components Fedify can rebuild; any other makes its verifier fail. */
const RFC9421_DERIVED_COMPONENTS = new Set([
  "@method",
  "@target-uri",
  "@authority",
  "@scheme",
  "@request-target",
  "@path",
  "@query",
]);
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
// The exact pair syntax Fedify accepts; anything else it silently drops.
const DRAFT_PARAM = /^\s*([A-Za-z]+)=(?:"([^"]*)"|(\d+))\s*$/;

/** Digest algorithms Fedify checks; each one present must match the body. */
const DIGEST_ALGORITHMS: Record<string, string> = {
  sha: "sha1",
  "sha-256": "sha256",
  "sha-512": "sha512",
};

interface SignatureClaims {
  keyIds: URL[];
  /** Whether the `Date` header is covered, so its value matters. */
  dateCovered: boolean;
  /** Unix seconds. */
  created: number[];
  expires: number[];
  digestHeader: "digest" | "content-digest";
  /** The signature headers as parsed here. */
  parsed: ParsedSignature;
}

function refuse(
  status: InboxScreenFailure["status"],
  error: string,
  message: string,
): InboxScreenFailure {
  return { ok: false, status, error, message };
}

function isFailure(value: SignatureClaims | InboxScreenFailure): value is InboxScreenFailure {
  return "ok" in value;
}

/**
 * Screens an inbox POST before Fedify sees it. On success the original
 * request's body has been consumed: hand the returned `request` to Fedify.
 *
 * The checks run from the cheapest to the dearest, so that a request is
 * refused before its body is read whenever its headers already condemn it.
 */
export async function screenInboxRequest(
  request: Request,
  options: InboxScreenOptions,
): Promise<InboxScreenResult> {
  if (request.method !== "POST") {
    return refuse(400, "method_not_post", "Only POST requests can be delivered to an inbox.");
  }
  if (request.bodyUsed) {
    throw new TypeError("screenInboxRequest needs a request whose body has not been read.");
  }

  const declaredLength = parseContentLength(request.headers.get("content-length"));
  if (declaredLength === "invalid") {
    return refuse(400, "content_length_invalid", "The Content-Length header is not a number.");
  }
  if (declaredLength !== null && declaredLength > options.maxBodyBytes) {
    return tooLarge(options.maxBodyBytes);
  }

  if (options.authority !== undefined && new URL(request.url).host !== options.authority) {
    return refuse(
      421,
      "misdirected_request",
      `This server is ${options.authority}; the request was addressed to another host.`,
    );
  }

  const contentType = request.headers.get("content-type") ?? "";
  const mediaType = contentType.split(";", 1)[0]!.trim().toLowerCase();
  if (!ACCEPTED_MEDIA_TYPES.has(mediaType)) {
    return refuse(
      415,
      "unsupported_media_type",
      "An activity must be sent as application/activity+json or application/ld+json.",
    );
  }

  const claims = readSignatureHeaders(request.headers);
  if (isFailure(claims)) return claims;

  const timeProblem = checkSignatureTime(request.headers, claims, options);
  if (timeProblem !== null) return timeProblem;

  // Which comes first, the signer (an RSA verification, ~70 µs for a
  // 4096-bit key) or the digest (reading and hashing the body): whichever is
  // cheaper for this request. A small body declared up front costs a few
  // microseconds to hash, so a body that does not match its digest is
  // refused before any verification; a large or undeclared one is read only
  // once the signer has passed.
  const bodyFirst = declaredLength !== null && declaredLength <= SMALL_BODY_BYTES;
  let body: Uint8Array<ArrayBuffer> | null = null;
  if (bodyFirst) {
    body = await readBodyUpTo(request, options.maxBodyBytes, declaredLength);
    if (body === null) return tooLarge(options.maxBodyBytes);
    const digestProblem = checkBodyDigest(request.headers, claims, body);
    if (digestProblem !== null) return digestProblem;
  }

  const early = await options.judgeSigner?.(claims.keyIds, claims.parsed);
  if (early != null) return early;

  if (body === null) {
    body = await readBodyUpTo(request, options.maxBodyBytes, declaredLength);
    if (body === null) return tooLarge(options.maxBodyBytes);
    const digestProblem = checkBodyDigest(request.headers, claims, body);
    if (digestProblem !== null) return digestProblem;
  }

  const parsed = parseJsonBody(body, options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
  if (!parsed.ok) return parsed;

  // Built on first use: a request refused after the screen (a forged
  // signature) never needs one, and building it costs a copy of the headers.
  let forFedify: Request | undefined;
  return {
    ok: true,
    get request() {
      forFedify ??= new Request(request.url, {
        method: request.method,
        headers: request.headers,
        body,
        signal: request.signal,
      });
      return forFedify;
    },
    body,
    json: parsed.json,
    keyIds: claims.keyIds,
  };
}

function checkBodyDigest(
  headers: Headers,
  claims: SignatureClaims,
  body: Uint8Array,
): InboxScreenFailure | null {
  return claims.digestHeader === "digest"
    ? checkDigest(headers.get("digest")!, body)
    : checkContentDigest(headers.get("content-digest")!, body);
}

function tooLarge(limit: number): InboxScreenFailure {
  return refuse(413, "payload_too_large", `The body is larger than the limit of ${limit} bytes.`);
}

function parseContentLength(value: string | null): number | null | "invalid" {
  if (value === null) return null;
  // Several Content-Length fields arrive joined by commas; they must agree.
  const parts = value.split(",").map((part) => part.trim());
  if (!parts.every((part) => /^\d{1,15}$/.test(part) && part === parts[0])) return "invalid";
  return Number(parts[0]);
}

function readSignatureHeaders(headers: Headers): SignatureClaims | InboxScreenFailure {
  const signatureInput = headers.get("signature-input");
  const signature = headers.get("signature");
  // Like Fedify and Mastodon: the presence of Signature-Input means RFC 9421.
  if (signatureInput !== null) {
    if (signature === null) {
      return malformed("The Signature-Input header has no matching Signature header.");
    }
    return readRfc9421Signature(headers, signatureInput, signature);
  }
  if (signature !== null) return readDraftSignature(headers, signature);
  return refuse(
    401,
    "signature_missing",
    "The request carries no HTTP signature (neither Signature nor Signature-Input).",
  );
}

function malformed(message: string): InboxScreenFailure {
  return refuse(400, "signature_malformed", message);
}

function insufficient(message: string): InboxScreenFailure {
  return refuse(401, "signature_insufficient", message);
}

function parseKeyId(value: string): URL | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  return url.protocol === "https:" || url.protocol === "http:" ? url : null;
}

function readDraftSignature(
  headers: Headers,
  header: string,
): SignatureClaims | InboxScreenFailure {
  if (header.length > MAX_SIGNATURE_HEADER_LENGTH) {
    return malformed("The Signature header is too long.");
  }
  const params = new Map<string, string>();
  for (const part of header.split(",")) {
    const match = DRAFT_PARAM.exec(part);
    if (match === null) {
      return malformed(
        'The Signature header must be a list of name="value" pairs without commas inside values.',
      );
    }
    if (params.has(match[1]!)) {
      return malformed(`The Signature header repeats the "${match[1]}" parameter.`);
    }
    params.set(match[1]!, match[2] ?? match[3]!);
  }

  const keyIdText = params.get("keyId");
  if (keyIdText === undefined) return malformed("The Signature header has no keyId.");
  const keyId = parseKeyId(keyIdText);
  if (keyId === null) return malformed("The signature's keyId is not an http(s) URL.");
  const signature = params.get("signature");
  if (signature === undefined || !BASE64.test(signature)) {
    return malformed("The Signature header has no base64 signature value.");
  }
  const algorithm = params.get("algorithm");
  if (algorithm !== undefined && !DRAFT_ALGORITHMS.has(algorithm.toLowerCase())) {
    return refuse(
      401,
      "signature_algorithm_unsupported",
      `The signature algorithm "${algorithm}" is not supported; use rsa-sha256 or hs2019.`,
    );
  }
  const created = params.get("created");
  const expires = params.get("expires");
  if (
    (created !== undefined && !/^\d+$/.test(created)) ||
    (expires !== undefined && !/^\d+$/.test(expires))
  ) {
    return malformed("The signature's created and expires parameters must be Unix times.");
  }
  const headerList = params.get("headers");
  if (headerList === undefined) {
    return malformed("The Signature header has no headers parameter listing what it signs.");
  }

  const covered = headerList.split(/\s+/);
  for (const name of covered) {
    if (DRAFT_PSEUDO_HEADERS.has(name)) continue;
    if (!HEADER_NAME.test(name)) {
      return malformed(`The signed header list contains an invalid name: "${name}".`);
    }
    if (!headers.has(name)) {
      return refuse(
        401,
        "signature_header_missing",
        `The signature covers the ${name} header, which the request does not have.`,
      );
    }
  }
  const missing = DRAFT_REQUIRED_HEADERS.filter((name) => !covered.includes(name));
  if (missing.length > 0) {
    return insufficient(`The signature must cover ${missing.join(", ")}.`);
  }
  if (covered.includes("(created)") && created === undefined) {
    return malformed("The signature covers (created) but has no created parameter.");
  }
  if (covered.includes("(expires)") && expires === undefined) {
    return malformed("The signature covers (expires) but has no expires parameter.");
  }

  return {
    keyIds: [keyId],
    dateCovered: true,
    created: created === undefined ? [] : [Number(created)],
    expires: expires === undefined ? [] : [Number(expires)],
    digestHeader: "digest",
    parsed: { draft: params },
  };
}

function readRfc9421Signature(
  headers: Headers,
  signatureInputHeader: string,
  signatureHeader: string,
): SignatureClaims | InboxScreenFailure {
  if (
    signatureInputHeader.length > MAX_SIGNATURE_HEADER_LENGTH ||
    signatureHeader.length > MAX_SIGNATURE_HEADER_LENGTH
  ) {
    return malformed("The Signature-Input or Signature header is too long.");
  }
  let inputs: Map<string, DictionaryMember>;
  let signatures: Map<string, DictionaryMember>;
  try {
    inputs = parseDictionary(signatureInputHeader);
    signatures = parseDictionary(signatureHeader);
  } catch (error) {
    if (!(error instanceof StructuredFieldError)) throw error;
    return malformed(
      `The Signature-Input or Signature header is not a valid dictionary: ${error.message}.`,
    );
  }
  if (inputs.size === 0) return malformed("The Signature-Input header names no signature.");
  if (inputs.size > MAX_RFC9421_SIGNATURES) {
    return malformed(`The request carries more than ${MAX_RFC9421_SIGNATURES} signatures.`);
  }

  const claims: SignatureClaims = {
    keyIds: [],
    dateCovered: false,
    created: [],
    expires: [],
    digestHeader: "content-digest",
    parsed: { rfc9421: { inputs, signatures } },
  };
  for (const [label, input] of inputs) {
    const value = signatures.get(label);
    if (value?.kind !== "item" || value.item.kind !== "bytes" || value.item.value === "") {
      return malformed(`The Signature header has no byte-sequence value for "${label}".`);
    }
    if (input.kind !== "inner-list") {
      return malformed(`Signature-Input "${label}" is not a list of covered components.`);
    }
    const components: string[] = [];
    for (const component of input.items) {
      if (component.item.kind !== "string") {
        return malformed(`Signature-Input "${label}" lists a component that is not a string.`);
      }
      components.push(component.item.value);
    }

    const keyid = stringParam(input.params, "keyid");
    const keyId = keyid === undefined ? null : parseKeyId(keyid);
    if (keyId === null) {
      return malformed(`Signature-Input "${label}" has no keyid that is an http(s) URL.`);
    }
    const created = integerParam(input.params, "created");
    if (created === undefined || created <= 0) {
      return malformed(`Signature-Input "${label}" has no created time.`);
    }
    const expires = integerParam(input.params, "expires");
    if (input.params.has("expires") && expires === undefined) {
      return malformed(
        `Signature-Input "${label}" has an expires parameter that is not an integer.`,
      );
    }
    const alg = input.params.get("alg");
    if (
      alg !== undefined &&
      (alg.kind !== "string" || !RFC9421_ALGORITHMS.has(alg.value.toLowerCase()))
    ) {
      return refuse(
        401,
        "signature_algorithm_unsupported",
        `Signature-Input "${label}" names an unsupported algorithm.`,
      );
    }

    for (const name of components) {
      if (name.startsWith("@")) {
        if (!RFC9421_DERIVED_COMPONENTS.has(name)) {
          return insufficient(`The signature covers ${name}, which this server cannot verify.`);
        }
      } else if (!HEADER_NAME.test(name)) {
        return malformed(`Signature-Input "${label}" lists an invalid component: "${name}".`);
      } else if (!headers.has(name)) {
        return refuse(
          401,
          "signature_header_missing",
          `The signature covers the ${name} header, which the request does not have.`,
        );
      }
    }
    const missing: string[] = [];
    if (!components.includes("@method")) missing.push("@method");
    if (!components.includes("@target-uri") && !components.includes("@request-target")) {
      missing.push("@target-uri");
    }
    // The host, as `host` is for draft-cavage: without it the signature
    // would be as good on another instance (see DRAFT_REQUIRED_HEADERS).
    if (!components.includes("@target-uri") && !components.includes("@authority")) {
      missing.push("@authority");
    }
    if (!components.includes("content-digest")) missing.push("content-digest");
    if (missing.length > 0) {
      return insufficient(`The signature must cover ${missing.join(", ")}.`);
    }

    claims.keyIds.push(keyId);
    claims.created.push(created);
    if (expires !== undefined) claims.expires.push(expires);
    if (components.includes("date")) claims.dateCovered = true;
  }
  return claims;
}

function stringParam(params: Parameters, name: string): string | undefined {
  const value = params.get(name);
  return value?.kind === "string" ? value.value : undefined;
}

function integerParam(params: Parameters, name: string): number | undefined {
  const value = params.get(name);
  return value?.kind === "integer" ? value.value : undefined;
}

const windowCache = new WeakMap<Temporal.Duration, number>();

/** The polyfill's Duration.total() costs ~8 µs, so it is computed once per Duration. */
function windowMilliseconds(window: Temporal.Duration): number {
  let ms = windowCache.get(window);
  if (ms === undefined) {
    ms = Math.abs(window.total({ unit: "milliseconds" }));
    windowCache.set(window, ms);
  }
  return ms;
}

function checkSignatureTime(
  headers: Headers,
  claims: SignatureClaims,
  options: InboxScreenOptions,
): InboxScreenFailure | null {
  // Date.now() rather than Temporal.Now: the polyfill costs microseconds a call.
  const now = options.now === undefined ? Date.now() : options.now().epochMilliseconds;
  const window = windowMilliseconds(options.signatureWindow);
  const outside = (time: number): boolean => Math.abs(time - now) > window;

  if (claims.dateCovered) {
    const text = headers.get("date")!;
    // Fedify turns Date with `new Date(…).toISOString()`, which throws (a
    // 500) on anything Date.parse cannot read.
    const date = Date.parse(text);
    if (Number.isNaN(date)) {
      return refuse(400, "date_invalid", "The Date header is not an HTTP date.");
    }
    if (outside(date)) {
      return refuse(
        401,
        "date_out_of_window",
        `The Date header (${text}) is more than ${options.signatureWindow.toString()} away from this server's clock.`,
      );
    }
  }
  for (const created of claims.created) {
    if (outside(created * 1000)) {
      return refuse(
        401,
        "date_out_of_window",
        `The signature's created time is more than ${options.signatureWindow.toString()} away from this server's clock.`,
      );
    }
  }
  for (const expires of claims.expires) {
    if (expires * 1000 < now) {
      return refuse(401, "signature_expired", "The signature's expires time has passed.");
    }
  }
  return null;
}

/**
 * Reads the body, giving up as soon as it exceeds `limit` so that a huge or
 * endless upload costs no more than `limit` bytes of buffering. Returns null
 * when the limit is exceeded.
 */
async function readBodyUpTo(
  request: Request,
  limit: number,
  declaredLength: number | null,
): Promise<Uint8Array<ArrayBuffer> | null> {
  if (declaredLength !== null && declaredLength <= limit) {
    // The HTTP parser stops at the declared length, so the whole body can be
    // read at once; on the Node server this also skips building a
    // ReadableStream and a WHATWG Request around it. Checked again in case
    // the request came from elsewhere.
    const whole = new Uint8Array(await request.arrayBuffer());
    return whole.byteLength > limit ? null : whole;
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        // Not awaited: a source's cancel may wait on the network.
        reader.cancel().catch(() => {});
        return null;
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function digestMismatch(header: string): InboxScreenFailure {
  return refuse(401, "digest_mismatch", `The ${header} header does not match the body.`);
}

function sameDigest(expectedBase64: string, algorithm: string, body: Uint8Array): boolean {
  const claimed = Buffer.from(expectedBase64, "base64");
  const actual = createHash(algorithm).update(body).digest();
  return claimed.length === actual.length && timingSafeEqual(claimed, actual);
}

/** `Digest: SHA-256=<base64>` (RFC 3230), as Mastodon sends it. */
function checkDigest(header: string, body: Uint8Array): InboxScreenFailure | null {
  let sawSha256 = false;
  for (const entry of header.split(",")) {
    const eq = entry.indexOf("=");
    if (eq < 0) continue;
    const algorithm = DIGEST_ALGORITHMS[entry.slice(0, eq).trim().toLowerCase()];
    if (algorithm === undefined) continue;
    const value = entry.slice(eq + 1).trim();
    if (!BASE64.test(value)) {
      return refuse(400, "digest_malformed", "The Digest header value is not base64.");
    }
    if (!sameDigest(value, algorithm, body)) return digestMismatch("Digest");
    if (algorithm === "sha256") sawSha256 = true;
  }
  if (!sawSha256) {
    return refuse(401, "digest_unsupported", "The Digest header must include a SHA-256 digest.");
  }
  return null;
}

/** `Content-Digest: sha-256=:<base64>:` (RFC 9530). */
function checkContentDigest(header: string, body: Uint8Array): InboxScreenFailure | null {
  let entries: Map<string, DictionaryMember>;
  try {
    entries = parseDictionary(header);
  } catch (error) {
    if (!(error instanceof StructuredFieldError)) throw error;
    return refuse(400, "digest_malformed", "The Content-Digest header is not a valid dictionary.");
  }
  let sawSha256 = false;
  for (const [name, entry] of entries) {
    const algorithm = name === "sha-256" ? "sha256" : name === "sha-512" ? "sha512" : undefined;
    if (algorithm === undefined) continue;
    if (entry.kind !== "item" || entry.item.kind !== "bytes") {
      return refuse(
        400,
        "digest_malformed",
        `The Content-Digest ${name} value is not a byte sequence.`,
      );
    }
    if (!sameDigest(entry.item.value, algorithm, body)) return digestMismatch("Content-Digest");
    if (algorithm === "sha256") sawSha256 = true;
  }
  if (!sawSha256) {
    return refuse(
      401,
      "digest_unsupported",
      "The Content-Digest header must include a sha-256 digest.",
    );
  }
  return null;
}

/**
 * True when the JSON text nests objects/arrays deeper than `limit`. Scans
 * bytes rather than characters: in UTF-8 the bytes of multi-byte characters
 * never look like ASCII, so quotes and brackets are found exactly.
 */
function nestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) {
      inString = true;
    } else if (b === 0x7b || b === 0x5b) {
      if (++depth > limit) return true;
    } else if (b === 0x7d || b === 0x5d) {
      depth--;
    }
  }
  return false;
}

// Strips a leading BOM like the Fetch API's `json()`, which Fedify uses.
const utf8 = new TextDecoder("utf-8", { fatal: true });

function parseJsonBody(
  body: Uint8Array,
  maxDepth: number,
): { ok: true; json: unknown } | InboxScreenFailure {
  if (nestsDeeperThan(body, maxDepth)) {
    return refuse(400, "json_too_deep", `The JSON body nests deeper than ${maxDepth} levels.`);
  }
  let json: unknown;
  let text: string;
  try {
    text = utf8.decode(body);
    json = JSON.parse(text);
  } catch {
    return refuse(400, "invalid_json", "The body is not valid UTF-8 JSON.");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return refuse(400, "invalid_json", "The body must be a JSON object (one activity).");
  }
  // U+0000 or a lone surrogate would fail (500) where the activity is stored.
  const unstorable = mayHoldUnstorableEscape(text) ? findUnstorableText(json) : null;
  if (unstorable !== null) {
    return refuse(
      400,
      "invalid_text",
      `The activity holds U+0000 or a lone surrogate (at "${unstorable}"), which this server cannot store.`,
    );
  }
  return { ok: true, json };
}
