import { randomBytes } from "node:crypto";

let lastMs = -1;
let sequence = 0;

/**
 * UUIDv7 (RFC 9562): time-ordered, so rows inserted later sort later and
 * keyset pagination on (created_at, id) stays stable within one millisecond.
 * Within one process ids are also strictly increasing: the 12 bits after
 * the timestamp count ids made in the same millisecond (RFC 9562's
 * "fixed bit-length dedicated counter"), so answers listed "oldest first"
 * come out in the order they arrived even when many share a millisecond.
 */
export function newId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else if (++sequence > 0xfff) {
    // 4,096 ids in one millisecond: borrow the next one.
    lastMs++;
    sequence = 0;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isId(value: string): boolean {
  return UUID_PATTERN.test(value);
}
