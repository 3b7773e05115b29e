/**
 * The client's address: behind a reverse proxy we trust (TRUST_PROXY) the
 * last `X-Forwarded-For` entry, the one our proxy added (earlier entries come
 * from the client and can be forged); otherwise the connection's address.
 */
export function pickClientAddress(
  connection: string | undefined,
  forwardedFor: string | undefined,
  trustProxy: boolean,
): string {
  const forwarded = trustProxy ? forwardedFor?.split(",").at(-1)?.trim() : undefined;
  return forwarded || connection || "unknown";
}

/**
 * Rate limits by client address. An IPv6 client usually controls a whole /64,
 * so IPv6 addresses count per /64; IPv4 addresses count one by one (mobile
 * carriers put many people behind one address, so limits stay generous).
 */
export function addressBucket(address: string): string {
  const plain = address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
  if (!plain.includes(":")) return plain;
  const expanded = expandIpv6(plain);
  return expanded === null ? plain : `${expanded.slice(0, 4).join(":")}::/64`;
}

function expandIpv6(address: string): string[] | null {
  const [head = "", tail, ...rest] = address.split("::");
  if (rest.length > 0) return null;
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return null;
  return [...left, ...Array<string>(missing).fill("0"), ...right].map((group) =>
    group.toLowerCase().replace(/^0+(?=.)/, ""),
  );
}

/** The start of the fixed window `at` falls in. */
export function windowStart(at: Temporal.Instant, windowSeconds: number): Temporal.Instant {
  const ms = windowSeconds * 1000;
  return Temporal.Instant.fromEpochMilliseconds(Math.floor(at.epochMilliseconds / ms) * ms);
}
