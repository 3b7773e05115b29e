/**
 * The instance's federation policy at the HTTP door: which remote hosts a
 * request claims to come from. The decision itself (mode, allow and block
 * entries) is the caller's `isAllowed`; this module only finds the hosts.
 *
 * Refusing on a claim that is not verified yet is safe: a claim can only get
 * its sender refused, never let anyone in, and it spares the key fetch and
 * the signature check. So for signed GETs the key ids are collected
 * liberally, from every `keyId`/`keyid` in either signature header, a
 * superset of whatever Fedify's own parser would pick.
 */
import { parseDictionary, StructuredFieldError } from "./structured-fields.ts";

/** Answers whether the instance federates with the host of a URL. */
export type HostPolicy = (target: URL) => Promise<boolean>;

const MAX_HEADER_LENGTH = 8192;
const MAX_CLAIMS = 16;
const KEY_ID_PARAM = /keyid\s*=\s*"([^"]*)"/gi;

/** Whether the request carries HTTP signature headers (draft-cavage or RFC 9421). */
export function isSignedRequest(headers: Headers): boolean {
  return headers.has("signature") || headers.has("signature-input");
}

/** Every key id a request's signature headers could be read as claiming. */
export function claimedKeyIds(headers: Headers): URL[] {
  const texts: string[] = [];
  for (const name of ["signature", "signature-input"]) {
    const value = headers.get(name);
    if (value !== null) texts.push(value.slice(0, MAX_HEADER_LENGTH));
  }
  const found = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(KEY_ID_PARAM)) found.add(match[1]!);
  }
  const input = headers.get("signature-input");
  if (input !== null && input.length <= MAX_HEADER_LENGTH) {
    try {
      for (const member of parseDictionary(input).values()) {
        const keyid = member.params.get("keyid");
        if (keyid?.kind === "string") found.add(keyid.value);
      }
    } catch (error) {
      if (!(error instanceof StructuredFieldError)) throw error;
    }
  }
  const urls: URL[] = [];
  for (const text of [...found].slice(0, MAX_CLAIMS)) {
    // Only http(s) key ids can be fetched, hence verified; others do not count.
    const url = URL.canParse(text) ? new URL(text) : null;
    if (url !== null && (url.protocol === "https:" || url.protocol === "http:")) urls.push(url);
  }
  return urls;
}

/** The actor ids an activity names (`actor` as a string, an object or an array of them). */
export function claimedActorIds(json: unknown): URL[] {
  if (typeof json !== "object" || json === null) return [];
  const actor = (json as { actor?: unknown }).actor;
  const values = Array.isArray(actor) ? actor.slice(0, MAX_CLAIMS) : [actor];
  const urls: URL[] = [];
  for (const value of values) {
    const id =
      typeof value === "string"
        ? value
        : typeof value === "object" && value !== null
          ? ((value as { id?: unknown; "@id"?: unknown }).id ??
            (value as { "@id"?: unknown })["@id"])
          : undefined;
    if (typeof id === "string" && URL.canParse(id)) urls.push(new URL(id));
  }
  return urls;
}

/** The first of `claims` whose host the policy refuses, or null if it refuses none. */
export async function firstRefused(
  claims: readonly URL[],
  isAllowed: HostPolicy,
): Promise<URL | null> {
  for (const claim of claims) {
    if (!(await isAllowed(claim))) return claim;
  }
  return null;
}
