/**
 * Pure planning of a batch run: which local days to compute, which raw partitions (UTC hours) hold a local
 * day, whether a day's inputs changed since it was computed, and the watermark a run makes exact.
 */
import { addDays, type LocalCalendar, utcDate } from '../views/time.ts';

export { addDays };

const hourMs = 3_600_000;

export const isDate = (value: unknown): value is string =>
  typeof value === 'string' &&
  /^\d{4}-\d{2}-\d{2}$/.test(value) &&
  utcDate(Date.parse(`${value}T00:00:00Z`)) === value;

/** A UTC hour partition of the lake (`date=YYYY-MM-DD/hour=HH`). */
export interface UtcPartition {
  date: string;
  hour: string;
}

/**
 * The UTC hour partitions holding the events of one local day: a local day in UTC+7 spans hours 17-23 of
 * the previous UTC date and 00-16 of its own. Zones with non-whole-hour offsets give partial hours at
 * both ends; readers still filter events by their local date.
 */
export function utcPartitionsOfLocalDay(calendar: LocalCalendar, date: string): UtcPartition[] {
  const start = calendar.startOfDate(date);
  const end = calendar.startOfDate(addDays(date, 1));
  const out: UtcPartition[] = [];
  for (let h = Math.floor(start / hourMs) * hourMs; h < end; h += hourMs) {
    const iso = new Date(h).toISOString();
    out.push({ date: iso.slice(0, 10), hour: iso.slice(11, 13) });
  }
  return out;
}

/** A local day is complete once its last instant has passed (plus a grace period for ingest lag). */
export const isCompleteDay = (calendar: LocalCalendar, date: string, now: number, graceMs = 0): boolean =>
  calendar.startOfDate(addDays(date, 1)) + graceMs <= now;

/** The watermark after computing up to local day `date`: local midnight at the end of that day (UTC ms). */
export const watermarkAfter = (calendar: LocalCalendar, date: string): number =>
  calendar.startOfDate(addDays(date, 1));

/** One raw input file as a day's manifest records it. */
export interface InputFingerprint {
  size: number;
  lastModified: number;
}

/** What a job recorded about a day the last time it computed it. */
export interface DayManifest {
  job: string;
  date: string;
  runId: string;
  /** When the computation started (UTC ms): files modified later arrived after it. */
  computedAt: number;
  events: number;
  inputs: Record<string, InputFingerprint>;
}

/**
 * Whether a day's raw inputs differ from what its last computation read: a file added, removed or
 * rewritten (size or lastModified changed, or lastModified later than the computation). A day never
 * computed changed when it has any input.
 */
export function inputsChanged(
  manifest: DayManifest | undefined,
  inputs: Record<string, InputFingerprint>,
): boolean {
  const keys = Object.keys(inputs);
  if (!manifest) return keys.length > 0;
  if (keys.length !== Object.keys(manifest.inputs).length) return true;
  for (const key of keys) {
    const before = manifest.inputs[key];
    const now = inputs[key]!;
    if (!before || before.size !== now.size || before.lastModified !== now.lastModified) return true;
    if (now.lastModified > manifest.computedAt) return true;
  }
  return false;
}

/** The days a run considers: the requested range, and before it a look-back window for late events. */
export function candidateDays(from: string, to: string, lookbackDays: number) {
  const requested: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) requested.push(d);
  const lookback: string[] = [];
  for (let d = addDays(from, -lookbackDays); d < from; d = addDays(d, 1)) lookback.push(d);
  return { requested, lookback };
}
