/**
 * Likely duplicates in a collective's triage queue: a request with the
 * same contact, or nearly the same words, as another one sent to the same
 * collective within a day. Only a flag for the coordinator: a family may
 * well ask twice for different things.
 */
export interface DuplicateCandidate {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly contact: string;
  readonly createdAt: Temporal.Instant;
}

export type DuplicateReason = "same-contact" | "similar-text";

export interface DuplicateFlag {
  readonly otherId: string;
  readonly reasons: readonly DuplicateReason[];
}

export const DUPLICATE_WINDOW_HOURS = 24;
/** Word overlap (Jaccard) from which two texts count as nearly the same. */
export const SIMILAR_TEXT_THRESHOLD = 0.8;

/** A contact compared without case, spaces and punctuation: "0917 000-0000" is "09170000000". */
export function contactKey(contact: string): string | null {
  const key = contact
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}@]/gu, "");
  return key.length >= 5 ? key : null;
}

function words(text: string): Set<string> {
  return new Set(
    text
      .normalize("NFKD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter((w) => w.length >= 2),
  );
}

/** Jaccard similarity of the two texts' words (accents and case ignored). */
export function textSimilarity(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (x.size === 0 || y.size === 0) return 0;
  let shared = 0;
  for (const w of x) if (y.has(w)) shared++;
  return shared / (x.size + y.size - shared);
}

/**
 * For each request of `queue`, the other requests of `pool` (the same
 * collective's, any state) sent within the window before or after it with
 * the same contact or nearly the same text.
 */
export function findLikelyDuplicates(
  queue: readonly DuplicateCandidate[],
  pool: readonly DuplicateCandidate[],
): Map<string, DuplicateFlag[]> {
  const windowMs = DUPLICATE_WINDOW_HOURS * 3600_000;
  const flags = new Map<string, DuplicateFlag[]>();
  for (const request of queue) {
    const key = contactKey(request.contact);
    const text = `${request.title} ${request.description}`;
    const found: DuplicateFlag[] = [];
    for (const other of pool) {
      if (other.id === request.id) continue;
      const apart = Math.abs(
        request.createdAt.epochMilliseconds - other.createdAt.epochMilliseconds,
      );
      if (apart > windowMs) continue;
      const reasons: DuplicateReason[] = [];
      if (key !== null && key === contactKey(other.contact)) reasons.push("same-contact");
      if (textSimilarity(text, `${other.title} ${other.description}`) >= SIMILAR_TEXT_THRESHOLD) {
        reasons.push("similar-text");
      }
      if (reasons.length > 0) found.push({ otherId: other.id, reasons });
    }
    if (found.length > 0) flags.set(request.id, found);
  }
  return flags;
}
