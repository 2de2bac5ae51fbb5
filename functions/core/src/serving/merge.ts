/**
 * The Lambda merge rule, as pure functions. A batch view is exact up to its watermark (an instant the
 * batch layer sets at local midnight after the last complete day it computed). A reader takes:
 *
 * - batch rows for every local day that ends at or before the watermark, and
 * - speed rows for windows that start at or after it,
 *
 * so each event is counted by exactly one layer. Distinct counts are only ever taken per day (from one
 * layer), never added across layers; additive metrics (counts, sums) add batch days and speed windows.
 */
import type { Row } from '../views/columns.ts';
import type { SpeedViewDefinition } from '../views/define.ts';
import { addDays, type LocalCalendar } from '../views/time.ts';

export type Layer = 'batch' | 'speed';

/** One local day of a requested range and the layer that answers for it. */
export interface DayPlan {
  date: string;
  /** UTC instants (ms) at which the local day starts and ends. */
  start: number;
  end: number;
  layer: Layer;
}

/**
 * Which layer answers for each day: batch when the whole day lies before the watermark, speed otherwise
 * (including the day the watermark falls in, were it ever not day-aligned). No watermark: speed only.
 */
export function planDays(dates: readonly string[], watermark: number | undefined, calendar: LocalCalendar) {
  return dates.map((date): DayPlan => {
    const start = calendar.startOfDate(date);
    const end = calendar.startOfDate(addDays(date, 1));
    return { date, start, end, layer: watermark !== undefined && end <= watermark ? 'batch' : 'speed' };
  });
}

/** A merged daily series: for each planned day, the row of its layer (zeros when that layer has none). */
export function mergeDaily(
  plan: readonly DayPlan[],
  batch: ReadonlyMap<string, Row>,
  speed: ReadonlyMap<string, Row>,
  metrics: readonly string[],
): (Row & { date: string; source: Layer })[] {
  return plan.map((day) => {
    const row = (day.layer === 'batch' ? batch : speed).get(day.date);
    const out: Row & { date: string; source: Layer } = { date: day.date, source: day.layer };
    for (const m of metrics) out[m] = typeof row?.[m] === 'number' ? (row[m] as number) : 0;
    return out;
  });
}

/**
 * Window starts of a speed view that lie entirely inside [from, to): aligned on the slide, starting at
 * or after `from`, ending at or before `to` (or, with `partial`, starting before `to`).
 */
export function windowStarts(
  view: Pick<SpeedViewDefinition, 'window'>,
  from: number,
  to: number,
  options: { partial?: boolean } = {},
): number[] {
  const { size, slide } = view.window;
  if (size === 'day' || slide === 'day') throw new Error('day windows follow the calendar: use planDays');
  const slideMs = slide * 1000;
  const sizeMs = size * 1000;
  const out: number[] = [];
  for (let s = Math.ceil(from / slideMs) * slideMs; s < to; s += slideMs) {
    if (!options.partial && s + sizeMs > to) break;
    out.push(s);
  }
  return out;
}

/** Windows whose facts can be added up without counting an event twice: size equals slide. */
export function isTumbling(view: Pick<SpeedViewDefinition, 'window'>): boolean {
  return view.window.size === view.window.slide;
}

/**
 * Every window start of a sliding view that partitions time (one window per `size`), so that unions of
 * distinct members over these windows cover [from, to) once: starts aligned on the window size.
 */
export function disjointWindowStarts(view: Pick<SpeedViewDefinition, 'window'>, from: number, to: number) {
  const { size } = view.window;
  if (size === 'day') throw new Error('day windows follow the calendar: use planDays');
  return windowStarts({ window: { size, slide: size } }, from, to, { partial: true });
}

/** Totals per grain: additive metrics summed over batch days and speed windows. */
export interface Totals {
  keys: Row;
  metrics: Record<string, number>;
  batch: Record<string, number>;
  speed: Record<string, number>;
}

/**
 * Adds rows of one layer to per-grain totals. `metrics` maps the output metric name to the column of
 * this layer's rows (batch and speed views may name the same quantity differently).
 */
export function addTotals(
  totals: Map<string, Totals>,
  rows: Iterable<Row>,
  grain: readonly string[],
  metrics: Readonly<Record<string, string>>,
  layer: Layer,
): Map<string, Totals> {
  for (const row of rows) {
    const keyValues: Row = {};
    for (const k of grain) keyValues[k] = row[k] ?? null;
    if (grain.some((k) => keyValues[k] === null)) continue;
    const id = grain.map((k) => String(keyValues[k])).join('\u0001');
    let t = totals.get(id);
    if (!t) {
      t = { keys: keyValues, metrics: {}, batch: {}, speed: {} };
      for (const name of Object.keys(metrics)) {
        t.metrics[name] = 0;
        t.batch[name] = 0;
        t.speed[name] = 0;
      }
      totals.set(id, t);
    }
    for (const [name, column] of Object.entries(metrics)) {
      const v = row[column];
      const n = typeof v === 'number' && Number.isFinite(v) ? v : 0;
      t.metrics[name] = (t.metrics[name] ?? 0) + n;
      t[layer][name] = (t[layer][name] ?? 0) + n;
    }
  }
  return totals;
}

/** Totals sorted by one metric, descending (ties by grain keys), top `limit`. */
export function topTotals(totals: Iterable<Totals>, by: string, limit: number): Totals[] {
  return [...totals]
    .sort((a, b) => {
      const d = (b.metrics[by] ?? 0) - (a.metrics[by] ?? 0);
      return d !== 0 ? d : JSON.stringify(a.keys).localeCompare(JSON.stringify(b.keys));
    })
    .slice(0, limit);
}

/** Flattens totals for a response: grain keys, merged metrics, and the part each layer contributed. */
export function totalsRow(t: Totals): Row & { batch: Record<string, number>; speed: Record<string, number> } {
  return { ...t.keys, ...t.metrics, batch: { ...t.batch }, speed: { ...t.speed } } as Row & {
    batch: Record<string, number>;
    speed: Record<string, number>;
  };
}
