/** Drivers hand timestamptz back as Date; the application speaks Temporal. */
export function toInstant(value: Date | string): Temporal.Instant {
  const date = value instanceof Date ? value : new Date(value);
  return Temporal.Instant.fromEpochMilliseconds(date.getTime());
}

export function toInstantOrNull(value: Date | string | null): Temporal.Instant | null {
  return value === null ? null : toInstant(value);
}

export function toDate(instant: Temporal.Instant): Date {
  return new Date(instant.epochMilliseconds);
}
