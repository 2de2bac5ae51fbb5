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

/** The semester an instant falls in, in the reference's spelling (`Fall 2025`, `Spring 2026`, `Summer 2026`). */
export function semesterOf(ms: number): string {
  const d = new Date(ms);
  const month = d.getUTCMonth();
  const year = d.getUTCFullYear();
  if (month >= 7) return `Fall ${year}`;
  if (month <= 4) return `Spring ${year}`;
  return `Summer ${year}`;
}

let cachedMinute = Number.NaN;
let cachedPrefix = '';

/** RFC 3339 UTC with milliseconds (the `YYYY-MM-DDTHH:MM:` prefix is cached per minute). */
export function isoTime(ms: number): string {
  const minute = Math.floor(ms / MINUTE);
  if (minute !== cachedMinute) {
    if (!(ms >= 0 && ms < 253402300800000)) return new Date(ms).toISOString();
    cachedMinute = minute;
    cachedPrefix = new Date(minute * MINUTE).toISOString().slice(0, 17);
  }
  const rest = ms - minute * MINUTE;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  // The short suffix first: it stays a flat string, so the result is one rope node, not five.
  return (
    cachedPrefix +
    ((seconds < 10 ? '0' : '') + seconds + (millis < 10 ? '.00' : millis < 100 ? '.0' : '.') + millis + 'Z')
  );
}
