/**
 * Which hosts this server may talk to on its own initiative (document fetches
 * and deliveries). Remote servers choose the URLs we fetch and the inboxes we
 * POST to, so without this check any follower could point us at the cloud
 * metadata endpoint, the database or another internal service (SSRF).
 *
 * `assertPublicUrl` judges a URL ahead of time (the delivery guard drops
 * queued deliveries to private inboxes with it); the check that counts is
 * made when connecting, on the address connected to (fetch-guard.ts), so a
 * DNS server that answers differently the second time (DNS rebinding) does
 * not get through.
 */

import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import { FetchError } from "@fedify/vocab-runtime";

/** Resolves a host name to every address `fetch` might connect to. */
export type HostLookup = (hostname: string) => Promise<string[]>;

export type DisallowedUrlReason =
  | "unsupported-scheme"
  | "local-hostname"
  | "non-public-address"
  | "no-address"
  | "lookup-failed"
  | "refused-host";

/**
 * A `FetchError` so that Fedify treats a refusal like any other failed fetch
 * (e.g. a signed request whose key cannot be fetched becomes unauthenticated
 * instead of a 500).
 */
export class DisallowedUrlError extends FetchError {
  readonly reason: DisallowedUrlReason;

  constructor(url: URL, reason: DisallowedUrlReason, detail: string) {
    super(url, `Disallowed URL (${reason}): ${detail}`);
    this.name = "DisallowedUrlError";
    this.reason = reason;
  }
}

export interface AddressPolicyOptions {
  /** From ALLOW_PRIVATE_ADDRESS: only for several instances on one machine. */
  allowPrivateAddress: boolean;
  lookup?: HostLookup;
}

interface Cidr {
  readonly bytes: readonly number[];
  readonly prefix: number;
}

function cidr4(text: string): Cidr {
  const [address, prefix] = text.split("/");
  return { bytes: parseIPv4(address!)!, prefix: Number(prefix) };
}

function cidr6(text: string): Cidr {
  const [address, prefix] = text.split("/");
  return { bytes: parseIPv6(address!)!, prefix: Number(prefix) };
}

// IANA IPv4 special-purpose registry entries that are not globally reachable,
// plus multicast and the old class E space.
const NON_PUBLIC_IPV4: readonly Cidr[] = [
  "0.0.0.0/8", // "this network"; 0.0.0.0 reaches the local host on Linux
  "10.0.0.0/8", // RFC 1918
  "100.64.0.0/10", // carrier-grade NAT (RFC 6598)
  "127.0.0.0/8", // loopback
  "169.254.0.0/16", // link-local, incl. cloud metadata 169.254.169.254
  "172.16.0.0/12", // RFC 1918
  "192.0.0.0/24", // IETF protocol assignments
  "192.0.2.0/24", // TEST-NET-1
  "192.88.99.0/24", // deprecated 6to4 relay anycast
  "192.168.0.0/16", // RFC 1918
  "198.18.0.0/15", // benchmarking
  "198.51.100.0/24", // TEST-NET-2
  "203.0.113.0/24", // TEST-NET-3
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, incl. broadcast 255.255.255.255
].map(cidr4);

// Only 2000::/3 is allocated as global unicast, so IPv6 is an allow-list;
// these are the non-global blocks inside it.
const GLOBAL_UNICAST_IPV6 = cidr6("2000::/3");
const NON_PUBLIC_IPV6_IN_GLOBAL: readonly Cidr[] = [
  "2001::/23", // IETF protocol assignments, incl. Teredo 2001::/32
  "2001:db8::/32", // documentation
  "2002::/16", // 6to4: tunnels to an arbitrary (maybe private) IPv4
  "3fff::/20", // documentation (RFC 9637)
].map(cidr6);
// Forms that carry an IPv4 address, judged by that address: fetch connects to
// ::ffff:127.0.0.1 as to 127.0.0.1, and NAT64 translates to the embedded one.
const IPV4_MAPPED = cidr6("::ffff:0:0/96");
const NAT64_WELL_KNOWN = cidr6("64:ff9b::/96");

function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const part of parts) {
    // Strict dotted decimal: the URL parser already canonicalises 0x7f.1 and
    // friends, and anything else is not an address we will connect to.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes.push(value);
  }
  return bytes;
}

function parseIPv6(text: string): number[] | null {
  let address = text;
  let tail: number[] = [];
  const lastColon = address.lastIndexOf(":");
  if (address.includes(".")) {
    const v4 = parseIPv4(address.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = v4;
    address = `${address.slice(0, lastColon + 1)}0:0`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return null;
  const toGroups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = toGroups(halves[0]!);
  const rest = halves.length === 2 ? toGroups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  const bytes: number[] = [];
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    const value = Number.parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function inCidr(bytes: readonly number[], { bytes: base, prefix }: Cidr): boolean {
  for (let bit = 0; bit < prefix; bit += 8) {
    const bits = Math.min(8, prefix - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    const index = bit / 8;
    if ((bytes[index]! & mask) !== (base[index]! & mask)) return false;
  }
  return true;
}

function isPublicIPv4Bytes(bytes: readonly number[]): boolean {
  return !NON_PUBLIC_IPV4.some((range) => inCidr(bytes, range));
}

/**
 * Whether `ip` is a globally reachable unicast address. Anything that is not
 * a well-formed IP address, and any scoped address (`fe80::1%eth0`), is not.
 */
export function isPublicAddress(ip: string): boolean {
  const unbracketed = ip.startsWith("[") && ip.endsWith("]") ? ip.slice(1, -1) : ip;
  if (unbracketed.includes("%")) return false;
  const family = isIP(unbracketed);
  if (family === 4) {
    const bytes = parseIPv4(unbracketed);
    return bytes !== null && isPublicIPv4Bytes(bytes);
  }
  if (family !== 6) return false;
  const bytes = parseIPv6(unbracketed);
  if (bytes === null) return false;
  if (inCidr(bytes, IPV4_MAPPED) || inCidr(bytes, NAT64_WELL_KNOWN)) {
    return isPublicIPv4Bytes(bytes.slice(12));
  }
  return (
    inCidr(bytes, GLOBAL_UNICAST_IPV6) &&
    !NON_PUBLIC_IPV6_IN_GLOBAL.some((range) => inCidr(bytes, range))
  );
}

export const systemLookup: HostLookup = async (hostname) => {
  // `all` because fetch may connect to any of the answers.
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
};

/**
 * Throws a `DisallowedUrlError` unless `url` is http(s) and, when private
 * addresses are not allowed, every address its host stands for is public.
 */
export async function assertPublicUrl(url: URL, options: AddressPolicyOptions): Promise<void> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new DisallowedUrlError(url, "unsupported-scheme", url.protocol);
  }
  if (options.allowPrivateAddress) return;
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) !== 0) {
    if (!isPublicAddress(host)) throw new DisallowedUrlError(url, "non-public-address", host);
    return;
  }
  // RFC 6761: resolvers may answer these from /etc/hosts or not at all.
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) {
    throw new DisallowedUrlError(url, "local-hostname", host);
  }
  let addresses: string[];
  try {
    addresses = await (options.lookup ?? systemLookup)(host);
  } catch (error) {
    const refusal = new DisallowedUrlError(url, "lookup-failed", host);
    refusal.cause = error;
    throw refusal;
  }
  if (addresses.length === 0) throw new DisallowedUrlError(url, "no-address", host);
  const offending = addresses.find((address) => !isPublicAddress(address));
  if (offending !== undefined) {
    throw new DisallowedUrlError(url, "non-public-address", `${host} resolves to ${offending}`);
  }
}
