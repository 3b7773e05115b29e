/**
 * Short links to board items, for a page read out over the phone or copied
 * by hand: `/go/3f9a2c71be`. The code is the last ten hex digits of our row's
 * id. Our ids are UUIDv7, whose tail is random (the head is the clock), so
 * ten digits — 40 bits — tell items apart: among a million items a given
 * code is shared with another with odds of about one in a million.
 */
export const SHORT_CODE_LENGTH = 10;

export function shortCodeOf(rowId: string): string {
  return rowId.replaceAll("-", "").slice(-SHORT_CODE_LENGTH).toLowerCase();
}

export function isShortCode(value: string): boolean {
  return /^[0-9a-f]{10}$/.test(value);
}
