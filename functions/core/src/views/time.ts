/**
 * Calendar buckets in the analytics time zone. Instants are UTC everywhere; only these functions turn
 * an instant into a local `date` (YYYY-MM-DD) or `hour` (0-23). Offsets are cached per UTC hour, since
 * zone offsets change only on hour boundaries in practice, which keeps this cheap on hot paths.
 * Also the one place that writes and steps YYYY-MM-DD dates (`utcDate`, `addDays`, `datesBetween`).
 */
const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

/** The UTC calendar date (YYYY-MM-DD) of an instant in ms: for a local date, pass the instant shifted by its offset. */
export const utcDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The date `n` days after (or before, n < 0) a YYYY-MM-DD date. */
export const addDays = (date: string, n: number): string =>
  utcDate(Date.parse(`${date}T00:00:00Z`) + n * dayMs);

export interface LocalCalendar {
  timeZone: string;
  /** Local date of an instant (ms since epoch or RFC 3339). */
  date(instant: number | string): string;
  /** Local hour of day, 0-23. */
  hour(instant: number | string): number;
  /** The UTC instant (ms) at which a local date starts. */
  startOfDate(date: string): number;
}

export function localCalendar(timeZone: string): LocalCalendar {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const offsets = new Map<number, number>();
  const offsetAt = (ms: number): number => {
    const bucket = Math.floor(ms / hourMs);
    let offset = offsets.get(bucket);
    if (offset === undefined) {
      const parts = Object.fromEntries(format.formatToParts(bucket * hourMs).map((p) => [p.type, p.value]));
      const asUtc = Date.UTC(
        +parts['year']!,
        +parts['month']! - 1,
        +parts['day']!,
        +parts['hour']!,
        +parts['minute']!,
      );
      offset = asUtc - bucket * hourMs;
      offsets.set(bucket, offset);
    }
    return offset;
  };
  const local = (instant: number | string): Date => {
    const ms = typeof instant === 'number' ? instant : Date.parse(instant);
    return new Date(ms + offsetAt(ms));
  };
  // Date strings by local day number: formatting one per input was a tenth of a batch run.
  const dates = new Map<number, string>();
  return {
    timeZone,
    date(instant) {
      const ms = typeof instant === 'number' ? instant : Date.parse(instant);
      const day = Math.floor((ms + offsetAt(ms)) / dayMs);
      let date = dates.get(day);
      if (date === undefined) {
        date = utcDate(day * dayMs);
        dates.set(day, date);
      }
      return date;
    },
    hour: (instant) => local(instant).getUTCHours(),
    startOfDate(date) {
      const midnightAsUtc = Date.parse(`${date}T00:00:00.000Z`);
      // The offset near local midnight; re-check once for zones whose offset differs across the boundary.
      let start = midnightAsUtc - offsetAt(midnightAsUtc);
      start = midnightAsUtc - offsetAt(start);
      return start;
    },
  };
}

/** Every date from `from` to `to` inclusive (YYYY-MM-DD). */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let ms = Date.parse(`${from}T00:00:00Z`); ms <= Date.parse(`${to}T00:00:00Z`); ms += dayMs) {
    out.push(utcDate(ms));
  }
  return out;
}
