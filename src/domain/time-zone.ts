/**
 * Time zones and calendar dates as people pick them.
 *
 * A collective shows its times in its own IANA zone (the instance's
 * `TIME_ZONE` when it has none). A deadline picked as a date ("needed until
 * 9 December") is kept as that date: it is shown as the same date in every
 * zone, and it runs out when that day ends in the collective's zone.
 */

/** The latest year a picked date may have: `<input type="date">` and ISO 8601 stop at 9999. */
export const MAX_YEAR = 9999;

/**
 * The canonical IANA name of a zone ("asia/manila" → "Asia/Manila"), or null
 * when there is no such zone. Offsets ("+08:00") are refused: a collective
 * lives in a place whose clocks change, not in a fixed offset.
 */
export function canonicalTimeZone(name: string): string | null {
  const trimmed = name.trim();
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(trimmed)) return null;
  try {
    return new Temporal.ZonedDateTime(0n, trimmed).timeZoneId;
  } catch {
    return null;
  }
}

/**
 * Every zone a person can pick, in alphabetical order, UTC included (some
 * engines leave it out of `Intl.supportedValuesOf`).
 */
export function selectableTimeZones(): readonly string[] {
  if (selectable === null) {
    const names = new Set(Intl.supportedValuesOf("timeZone"));
    names.add("UTC");
    selectable = [...names].sort();
  }
  return selectable;
}
let selectable: readonly string[] | null = null;

/** `YYYY-MM-DD` (what `<input type="date">` sends) as a date, or null when it is none. */
export function parsePickedDate(raw: string): Temporal.PlainDate | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw.trim())) return null;
  try {
    return Temporal.PlainDate.from(raw.trim(), { overflow: "reject" });
  } catch {
    return null;
  }
}

/**
 * When a deadline picked as `date` runs out: the end of that day in the
 * collective's zone, i.e. the first instant of the next day there ("needed
 * by the 9th" is still in time all of the 9th, where the collective is).
 */
export function endOfDay(date: Temporal.PlainDate, zone: string): Temporal.Instant {
  return date.add({ days: 1 }).toZonedDateTime({ timeZone: zone }).toInstant();
}

/** Today's date in `zone`: a date picked before it is in the past. */
export function todayIn(now: Temporal.Instant, zone: string): Temporal.PlainDate {
  return now.toZonedDateTimeISO(zone).toPlainDate();
}

/**
 * The date a form shows for a deadline: the picked date when there is one,
 * else the date of the instant in the collective's zone (a deadline set to a
 * time of day through the API), the day before when it falls exactly at
 * midnight there (the end of the previous day).
 */
export function deadlineDate(
  at: Temporal.Instant,
  pickedDate: Temporal.PlainDate | null,
  zone: string,
): Temporal.PlainDate {
  if (pickedDate !== null) return pickedDate;
  const zoned = at.toZonedDateTimeISO(zone);
  const midnight = zoned.toPlainTime().equals(new Temporal.PlainTime());
  return midnight ? zoned.toPlainDate().subtract({ days: 1 }) : zoned.toPlainDate();
}

/** The zone a collective's times are shown and its picked dates end in. */
export function collectiveZone(
  group: { readonly timeZone?: string | null },
  instanceZone: string | undefined,
): string {
  return group.timeZone ?? instanceZone ?? "UTC";
}
