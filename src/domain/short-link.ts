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

/**
 * Where a short link to a received item may send a visitor: the `url` its
 * object names only when that page is on the object's own origin (the host
 * of its id), else the object's id itself. A remote server chooses `url`
 * freely; followed blindly, /go/ would redirect to any site it likes.
 */
export function remoteLinkTarget(objectId: string, url: string | null): string | null {
  const id = URL.canParse(objectId) ? new URL(objectId) : null;
  if (id === null || (id.protocol !== "https:" && id.protocol !== "http:")) return null;
  if (url !== null && URL.canParse(url) && new URL(url).origin === id.origin) return url;
  return id.href;
}
