import type { LmsEvent } from '../events/envelope.ts';
import type { Row, Value } from './columns.ts';
import type { BatchViewDefinition, SpeedViewDefinition, ViewContext } from './define.ts';

/** Partial aggregate states of a batch view, by grain: mergeable across days and files. */
export interface Aggregation {
  view: BatchViewDefinition<never>;
  groups: Map<string, { keys: Row; states: unknown[] }>;
}

const separator = '\u0001';

export function newAggregation(view: BatchViewDefinition<never>): Aggregation {
  return { view, groups: new Map() };
}

/**
 * Adds one input (a raw event, or a row of the view named in `from`) to the aggregation.
 * Inputs outside the view's filter, or with a null grain key, do not count.
 */
export function addInput<In>(aggregation: Aggregation, input: In, context: ViewContext): void {
  const view = aggregation.view as unknown as BatchViewDefinition<In>;
  if (view.where && !view.where(input)) return;
  const keys: Row = {};
  const parts: string[] = [];
  if (view.period === 'day') {
    const date = context.calendar.date((input as LmsEvent).time);
    keys['date'] = date;
    parts.push(date);
  }
  for (const [name, key] of Object.entries(view.keys)) {
    const value = key.value(input, context);
    if (value === null || value === undefined) return;
    keys[name] = value;
    parts.push(String(value));
  }
  const id = parts.join(separator);
  let group = aggregation.groups.get(id);
  const metrics = Object.values(view.metrics);
  if (!group) {
    group = { keys, states: metrics.map((m) => m.aggregate.init()) };
    aggregation.groups.set(id, group);
  }
  for (let i = 0; i < metrics.length; i++) {
    const metric = metrics[i]!;
    if (metric.where && !metric.where(input)) continue;
    group.states[i] = metric.aggregate.add(group.states[i], metric.value(input));
  }
}

/** Merges `from` into `into` (e.g. one day's partial into the all-time aggregation). */
export function mergeAggregation(into: Aggregation, from: Aggregation): void {
  const metrics = Object.values(into.view.metrics);
  for (const [id, group] of from.groups) {
    const existing = into.groups.get(id);
    if (!existing) {
      into.groups.set(id, { keys: group.keys, states: [...group.states] });
      continue;
    }
    for (let i = 0; i < metrics.length; i++) {
      existing.states[i] = metrics[i]!.aggregate.merge(existing.states[i], group.states[i]);
    }
  }
}

/** The view's rows: grain keys, metric results, then derived columns. */
export function finishRows(aggregation: Aggregation): Row[] {
  const metrics = Object.entries(aggregation.view.metrics);
  const derived = Object.entries(aggregation.view.derived ?? {});
  const rows: Row[] = [];
  for (const group of aggregation.groups.values()) {
    const row: Row = { ...group.keys };
    for (let i = 0; i < metrics.length; i++) {
      const [name, metric] = metrics[i]!;
      row[name] = metric.aggregate.result(group.states[i]);
    }
    for (const [name, column] of derived) row[name] = column.value(row);
    rows.push(row);
  }
  return rows;
}

/** A JSON-safe form of the partial states, for storing per-day partials. */
export function saveAggregation(aggregation: Aggregation): { keys: Row; states: unknown[] }[] {
  const metrics = Object.values(aggregation.view.metrics);
  return [...aggregation.groups.values()].map((g) => ({
    keys: g.keys,
    states: g.states.map((s, i) => metrics[i]!.aggregate.save(s)),
  }));
}

export function loadAggregation(
  view: BatchViewDefinition<never>,
  saved: { keys: Row; states: unknown[] }[],
): Aggregation {
  const metrics = Object.values(view.metrics);
  const aggregation = newAggregation(view);
  for (const group of saved) {
    const id = [
      ...(view.period === 'day' ? [group.keys['date']] : []),
      ...Object.keys(view.keys).map((k) => group.keys[k]),
    ]
      .map(String)
      .join(separator);
    aggregation.groups.set(id, {
      keys: group.keys,
      states: group.states.map((s, i) => metrics[i]!.aggregate.load(s)),
    });
  }
  return aggregation;
}

/** Window start instants (epoch ms) of every window an instant falls into. */
export function windowsOf(view: SpeedViewDefinition, ms: number, context: ViewContext): number[] {
  const { size, slide } = view.window;
  if (size === 'day' || slide === 'day') return [context.calendar.startOfDate(context.calendar.date(ms))];
  const sizeMs = size * 1000;
  const slideMs = slide * 1000;
  const starts: number[] = [];
  for (let start = Math.floor(ms / slideMs) * slideMs; start > ms - sizeMs; start -= slideMs)
    starts.unshift(start);
  return starts;
}

/**
 * The fact rows one event contributes to a speed view (see `speedTable`): per window and metric, a member
 * (event id for counts and sums, the counted value for distinct counts) and a value.
 */
export function speedFacts(view: SpeedViewDefinition, event: LmsEvent, context: ViewContext): Row[] {
  if (view.where && !view.where(event)) return [];
  const keys: Row = {};
  for (const [name, key] of Object.entries(view.keys)) {
    const value = key.value(event, context);
    if (value === null || value === undefined) return [];
    keys[name] = value;
  }
  const rows: Row[] = [];
  const ms = Date.parse(event.time);
  for (const [metric, m] of Object.entries(view.metrics)) {
    if (m.where && !m.where(event)) continue;
    const raw = m.value(event);
    if (raw === null || raw === undefined) continue;
    const distinct = m.aggregate.kind === 'count_distinct';
    const member = distinct ? String(raw) : event.id;
    const value: Value = m.aggregate.kind === 'sum' ? Number(raw) : 1;
    for (const windowStart of windowsOf(view, ms, context)) {
      rows.push({ window_start: windowStart, ...keys, metric, member, value });
    }
  }
  return rows;
}

/** One grain's totals per metric as a store returns them: fact rows counted and values summed. */
export interface SpeedGroup {
  windowStart: number;
  keys: Row;
  metric: string;
  facts: number;
  total: number;
}

/** Speed view rows from grouped facts: counts and distinct counts are fact counts, sums are value totals. */
export function speedRows(view: SpeedViewDefinition, groups: Iterable<SpeedGroup>): Row[] {
  const rows = new Map<string, Row>();
  for (const g of groups) {
    const id = [g.windowStart, ...Object.keys(view.keys).map((k) => g.keys[k])].join(separator);
    let row = rows.get(id);
    if (!row) {
      row = { window_start: g.windowStart, ...g.keys };
      for (const name of Object.keys(view.metrics)) row[name] = 0;
      rows.set(id, row);
    }
    const metric = view.metrics[g.metric];
    if (metric) row[g.metric] = metric.aggregate.kind === 'sum' ? g.total : g.facts;
  }
  return [...rows.values()];
}
