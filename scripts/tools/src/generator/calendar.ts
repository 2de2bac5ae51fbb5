/**
 * When people use the LMS: a day/night curve and a weekday pattern in the university's time zone
 * (default Asia/Ho_Chi_Minh). Instants stay UTC; only the activity intensity follows local time.
 */

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const MINUTE = 60_000;

/**
 * Relative activity by local hour (students): quiet nights, a morning ramp, a lunch dip, the evening
 * study peak. Interpolated linearly between hours.
 */
export const studentHourCurve: readonly number[] = [
  0.35, 0.18, 0.08, 0.04, 0.03, 0.06, 0.18, 0.4, 0.7, 0.85, 0.9, 0.82, 0.6, 0.65, 0.85, 0.9, 0.85, 0.7, 0.65,
  0.85, 1.0, 1.0, 0.9, 0.65,
];

/** Teachers work office hours, with some evening grading. */
export const teacherHourCurve: readonly number[] = [
  0.05, 0.02, 0.01, 0.01, 0.01, 0.03, 0.15, 0.55, 0.95, 1.0, 1.0, 0.85, 0.5, 0.7, 0.95, 1.0, 0.9, 0.7, 0.4,
  0.4, 0.5, 0.45, 0.3, 0.12,
];

/** Relative activity by local weekday, Sunday = 0. */
export const weekdayFactor: readonly number[] = [0.6, 1.0, 1.0, 1.0, 1.0, 0.9, 0.7];

/** UTC offset (ms) of a time zone at an instant, cached per UTC hour (offsets change on hour boundaries). */
export class ZoneClock {
  private readonly format: Intl.DateTimeFormat;
  /** Offsets by UTC hour: due dates ask for hours all over the semester, each `formatToParts` costs µs. */
  private readonly offsets = new Map<number, number>();
  private cachedHour = Number.NaN;
  private cachedOffset = 0;

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  offsetAt(ms: number): number {
    const hour = Math.floor(ms / HOUR);
    if (hour !== this.cachedHour) {
      let offset = this.offsets.get(hour);
      if (offset === undefined) {
        offset = this.computeOffset(hour);
        // Bounded for runs without end (a year of hours is 8,760).
        if (this.offsets.size >= 100_000) this.offsets.clear();
        this.offsets.set(hour, offset);
      }
      this.cachedHour = hour;
      this.cachedOffset = offset;
    }
    return this.cachedOffset;
  }

  private computeOffset(hour: number): number {
    const parts: Record<string, number> = {};
    for (const p of this.format.formatToParts(new Date(hour * HOUR))) {
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    }
    const local = Date.UTC(
      parts['year']!,
      parts['month']! - 1,
      parts['day']!,
      parts['hour']!,
      parts['minute']!,
    );
    return local - hour * HOUR;
  }

  /** Local wall-clock milliseconds since the epoch (for hour-of-day and weekday arithmetic). */
  local(ms: number): number {
    return ms + this.offsetAt(ms);
  }

  /** Activity intensity at an instant for a role's curve, 0..1. */
  intensity(ms: number, curve: readonly number[]): number {
    const local = this.local(ms);
    const hours = (((local / HOUR) % 24) + 24) % 24;
    const h = Math.floor(hours);
    const f = hours - h;
    const value = curve[h]! * (1 - f) + curve[(h + 1) % 24]! * f;
    const weekday = (Math.floor(local / DAY) + 4) % 7;
    return value * weekdayFactor[weekday]!;
  }

  /** A local date at a given local time of day, as a UTC instant (e.g. due dates at 23:59 local). */
  localDayAt(ms: number, hour: number, minute: number): number {
    const localDay = Math.floor(this.local(ms) / DAY) * DAY;
    const guess = localDay + hour * HOUR + minute * MINUTE;
    return guess - this.offsetAt(guess - this.offsetAt(guess));
  }
}

/** The semester an instant falls in, in the older system's spelling (`Fall 2025`, `Spring 2026`, `Summer 2026`). */
export function semesterOf(ms: number): string {
  const d = new Date(ms);
  const month = d.getUTCMonth();
  const year = d.getUTCFullYear();
  if (month >= 7) return `Fall ${year}`;
  if (month <= 4) return `Spring ${year}`;
  return `Summer ${year}`;
}

let cachedMinute = Number.NaN;
/** Character codes of the cached minute's `YYYY-MM-DDTHH:MM:`. */
const minutePrefix = new Uint8Array(17);
const ZERO = 48;
const DOT = 46;
const Z = 90;

/**
 * RFC 3339 UTC with milliseconds (the `YYYY-MM-DDTHH:MM:` prefix is cached per minute). One
 * `fromCharCode` gives a flat string: a concatenation gives a rope, which each reader (a regexp test,
 * a Buffer write) first flattens, a regexp through a slow runtime call.
 */
export function isoTime(ms: number): string {
  // Whole milliseconds in years 1970..9999; anything else the slow way.
  if (!(Number.isInteger(ms) && ms >= 0 && ms < 253402300800000)) return new Date(ms).toISOString();
  const minute = Math.floor(ms / MINUTE);
  if (minute !== cachedMinute) {
    cachedMinute = minute;
    const text = new Date(minute * MINUTE).toISOString();
    for (let i = 0; i < 17; i++) minutePrefix[i] = text.charCodeAt(i);
  }
  const rest = ms - minute * MINUTE;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  const p = minutePrefix;
  return String.fromCharCode(
    p[0]!,
    p[1]!,
    p[2]!,
    p[3]!,
    p[4]!,
    p[5]!,
    p[6]!,
    p[7]!,
    p[8]!,
    p[9]!,
    p[10]!,
    p[11]!,
    p[12]!,
    p[13]!,
    p[14]!,
    p[15]!,
    p[16]!,
    ZERO + Math.floor(seconds / 10),
    ZERO + (seconds % 10),
    DOT,
    ZERO + Math.floor(millis / 100),
    ZERO + (Math.floor(millis / 10) % 10),
    ZERO + (millis % 10),
    Z,
  );
}
