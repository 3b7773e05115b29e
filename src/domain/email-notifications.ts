/**
 * What coordinators may be emailed about and how often: the kinds, the
 * frequencies, their defaults, the check of an address, and when a digest
 * period ends. Pure: no database, no HTTP.
 */

export const EMAIL_KINDS = [
  "new-request",
  "reply-or-pledge",
  "follow-request",
  "delivery-problem",
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

export const FREQUENCIES = ["immediately", "hourly", "daily", "never"] as const;
export type Frequency = (typeof FREQUENCIES)[number];
export type DigestFrequency = "hourly" | "daily";

/**
 * A coordinator who gave an address hears at once about what someone is
 * waiting on; delivery problems are rarely urgent and come in groups, so a
 * daily digest.
 */
export const DEFAULT_FREQUENCIES: Readonly<Record<EmailKind, Frequency>> = {
  "new-request": "immediately",
  "reply-or-pledge": "immediately",
  "follow-request": "immediately",
  "delivery-problem": "daily",
};

export type Preferences = Readonly<Record<EmailKind, Frequency>>;

export function isEmailKind(value: unknown): value is EmailKind {
  return typeof value === "string" && (EMAIL_KINDS as readonly string[]).includes(value);
}

export function isFrequency(value: unknown): value is Frequency {
  return typeof value === "string" && (FREQUENCIES as readonly string[]).includes(value);
}

/** The stored choices over the defaults. */
export function preferencesOf(
  stored: readonly { kind: EmailKind; frequency: Frequency }[],
): Preferences {
  const preferences: Record<EmailKind, Frequency> = { ...DEFAULT_FREQUENCIES };
  for (const row of stored) preferences[row.kind] = row.frequency;
  return preferences;
}

/** RFC 5321's limit of a forward path. */
export const EMAIL_MAX_LENGTH = 254;
/**
 * A deliverable-looking address: one @, a local part without spaces, quotes
 * or angle brackets (nothing a header could be split on), a domain of
 * dot-separated labels with a dot in it. Not every address RFC 5322 allows,
 * but every one a person types.
 */
const EMAIL_PATTERN =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}$/;

/** The address as stored (domain lowercased), or null when it is not one. */
export function normaliseEmailAddress(raw: string): string | null {
  const address = raw.trim();
  if (address.length > EMAIL_MAX_LENGTH || !EMAIL_PATTERN.test(address)) return null;
  const at = address.lastIndexOf("@");
  const local = address.slice(0, at);
  if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) return null;
  return `${local}@${address.slice(at + 1).toLowerCase()}`;
}

/** The hour a daily digest goes out, in the instance's zone: before the day's work. */
export const DAILY_DIGEST_HOUR = 7;

/**
 * The end of the last complete digest period at `now`: entries recorded
 * before it belong in the digest sent now. Hourly periods end on the hour,
 * daily ones at DAILY_DIGEST_HOUR in `zone`.
 */
export function digestCutoff(
  now: Temporal.Instant,
  frequency: DigestFrequency,
  zone: string,
): Temporal.Instant {
  const local = now.toZonedDateTimeISO(zone);
  if (frequency === "hourly") {
    return local.round({ smallestUnit: "hour", roundingMode: "floor" }).toInstant();
  }
  const today = local.with({
    hour: DAILY_DIGEST_HOUR,
    minute: 0,
    second: 0,
    millisecond: 0,
    microsecond: 0,
    nanosecond: 0,
  });
  return (
    Temporal.ZonedDateTime.compare(today, local) <= 0 ? today : today.subtract({ days: 1 })
  ).toInstant();
}
