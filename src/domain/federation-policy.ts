/**
 * The instance's federation policy: whom it federates with.
 *
 * - `open` mode federates with everyone except `block`ed domains;
 * - `allowlist` mode federates only with `allow`ed domains (a `block` entry
 *   still wins, though an entry is either one or the other).
 *
 * A domain entry is a host name or an IP address; the port is ignored. A
 * `block` entry for a name covers the name and every subdomain
 * (`evil.example` blocks `a.b.evil.example`), as in Mastodon: a blocked
 * server can otherwise come back under any name of its own. An `allow`
 * entry matches its exact host only, and IP literals match exactly. Hosts are compared in
 * one canonical form, the one WHATWG URL parsing gives (lower case, IDNA
 * A-labels, IPv4 in dotted decimal, IPv6 compressed), without IPv6 brackets,
 * without a trailing dot, and with IPv4-mapped IPv6 addresses as IPv4, so
 * that `EVIL.example.`, `evil.example:8443` and `evil.example` are one host.
 */

export type FederationMode = "open" | "allowlist";
export type DomainPolicy = "allow" | "block";

export const FEDERATION_MODES: readonly FederationMode[] = ["open", "allowlist"];
export const DOMAIN_POLICIES: readonly DomainPolicy[] = ["allow", "block"];

export interface DomainPolicyEntry {
  /** Canonical host name or IP address (see normalizeDomain). */
  readonly domain: string;
  readonly policy: DomainPolicy;
  readonly reason: string | null;
  readonly createdAt: Temporal.Instant;
}

/** Everything a decision needs; `entries` maps canonical domains to their policy. */
export interface FederationPolicy {
  readonly mode: FederationMode;
  readonly entries: ReadonlyMap<string, DomainPolicy>;
}

export type NormalizedDomain =
  | { readonly ok: true; readonly domain: string }
  | { readonly ok: false; readonly reason: string };

/** DNS's limit on a name's length, in its presentation form without the final dot. */
const MAX_DOMAIN_LENGTH = 253;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

export function policyOf(
  mode: FederationMode,
  entries: Iterable<{ readonly domain: string; readonly policy: DomainPolicy }>,
): FederationPolicy {
  const map = new Map<string, DomainPolicy>();
  for (const entry of entries) map.set(entry.domain, entry.policy);
  return { mode, entries: map };
}

/**
 * The canonical form of a host as `URL.hostname` gives it (lower case,
 * punycode, brackets around IPv6). Lenient: it is used on remote URLs, whose
 * hosts need only be matched, not judged.
 */
export function canonicalHost(hostname: string): string {
  let host = hostname.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) {
    host = host.slice(1, -1);
    const mapped = MAPPED_IPV4.exec(host);
    if (mapped !== null) {
      const high = Number.parseInt(mapped[1]!, 16);
      const low = Number.parseInt(mapped[2]!, 16);
      return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
    }
    return host;
  }
  return host.endsWith(".") ? host.slice(0, -1) : host;
}

/** The canonical host of an http(s) URL, or null if it has none. */
export function hostOf(target: URL | string): string | null {
  let url: URL;
  try {
    url = typeof target === "string" ? new URL(target) : target;
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  const host = canonicalHost(url.hostname);
  return host === "" ? null : host;
}

/**
 * Reads a domain as an admin types it: a host name (Unicode or punycode) or
 * an IP address, optionally with a port (ignored). Anything else — a URL,
 * a path, a wildcard, an invalid name — is refused with a reason meant for
 * the person who typed it.
 */
export function normalizeDomain(input: string): NormalizedDomain {
  const text = input.trim();
  const fail = (reason: string): NormalizedDomain => ({ ok: false, reason });
  if (text === "") return fail("The domain is empty.");
  if (text.length > 300) return fail("The domain is too long.");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const host = hostOf(text);
    const example = host === null ? "its host name" : `"${host}"`;
    return fail(`Give a host name, not a URL: for "${text}", use ${example}.`);
  }
  if (text.includes("*")) {
    return fail(
      "Wildcards are not needed: a block covers every subdomain; an allow entry matches one exact host name.",
    );
  }
  if (/[\s/?#@\\]/.test(text)) {
    return fail(
      "A domain is a host name or an IP address, optionally with a port, and nothing else.",
    );
  }
  // A bare IPv6 address (two or more colons) needs brackets to be read as a host.
  const authority = !text.startsWith("[") && /:.*:/.test(text) ? `[${text}]` : text;
  let url: URL;
  try {
    url = new URL(`http://${authority}/`);
  } catch {
    return fail(`"${text}" is not a valid host name or IP address.`);
  }
  if (url.username !== "" || url.password !== "") return fail("A domain has no user name.");
  const domain = canonicalHost(url.hostname);
  if (url.hostname.startsWith("[") || IPV4.test(domain)) return { ok: true, domain };
  if (domain === "" || domain.length > MAX_DOMAIN_LENGTH) {
    return fail(`"${text}" is not a valid host name.`);
  }
  for (const label of domain.split(".")) {
    if (!LABEL.test(label)) {
      return fail(
        `"${text}" is not a valid host name: each dot-separated part must be 1–63 letters, digits or hyphens, not starting or ending with a hyphen.`,
      );
    }
  }
  return { ok: true, domain };
}

/**
 * Whether the instance federates with `host` (a host name, an IP address or
 * a `host:port`; use hostOf for URLs). A host that cannot be read is refused.
 */
export function isAllowed(host: string, policy: FederationPolicy): boolean {
  const normalized = normalizeHostForMatch(host);
  if (normalized === null) return false;
  if (isBlockedHost(normalized, policy)) return false;
  if (policy.mode === "allowlist") return policy.entries.get(normalized) === "allow";
  return true;
}

/**
 * Whether a block entry covers the canonical `host`: the host itself or, for
 * a name, one of its parent domains. One map lookup per label (a name has at
 * most 127), whatever the number of entries.
 */
export function isBlockedHost(host: string, policy: FederationPolicy): boolean {
  if (policy.entries.get(host) === "block") return true;
  // IP literals match exactly: 1.2.3.4 is no subdomain of 2.3.4.
  if (host.includes(":") || IPV4.test(host)) return false;
  for (let dot = host.indexOf("."); dot !== -1; dot = host.indexOf(".", dot + 1)) {
    if (policy.entries.get(host.slice(dot + 1)) === "block") return true;
  }
  return false;
}

/**
 * Whether the canonical `host` is `domain` or one of its subdomains, as a
 * block entry for `domain` covers it (exact for IP literals).
 */
export function isHostWithin(host: string, domain: string): boolean {
  if (host === domain) return true;
  if (domain.includes(":") || IPV4.test(domain)) return false;
  return host.endsWith(`.${domain}`);
}

/** Whether the instance federates with the host of `target` (an http(s) URL). */
export function isUrlAllowed(target: URL | string, policy: FederationPolicy): boolean {
  const host = hostOf(target);
  return host !== null && isAllowed(host, policy);
}

function normalizeHostForMatch(host: string): string | null {
  if (host === "") return null;
  const authority = !host.startsWith("[") && /:.*:/.test(host) ? `[${host}]` : host;
  try {
    const canonical = canonicalHost(new URL(`http://${authority}/`).hostname);
    return canonical === "" ? null : canonical;
  } catch {
    return null;
  }
}
