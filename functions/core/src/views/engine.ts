import type { LmsEvent } from '../events/envelope.ts';
import type { Metric } from './aggregates.ts';
import type { Row, Value } from './columns.ts';
import type { BatchViewDefinition, Derived, Key, SpeedViewDefinition, ViewContext } from './define.ts';

/** One grain of a view: its key columns and a partial state per metric. */
export interface Group {
  keys: Row;
  states: unknown[];
  /** The last local day whose partial touched the group (kept by the batch layer's all-time states). */
  day?: string;
}

/** Partial aggregate states of a batch view, by grain: mergeable across days and files. */
export interface Aggregation {
  view: BatchViewDefinition<never>;
  groups: Map<string, Group>;
  /**
   * Set while the inputs of one local day are added straight into all-time states: each group an input
   * reaches gets `day` (the latest) and its id in `ids` (the grains to rewrite).
   */
  stamp?: { day: string; ids: Set<string> };
  /**
   * Groups by key values, one Map level per key, built as inputs are added: each value's string hash is
   * computed once and cached, where a joined id would be built and hashed per input and view. Valid
   * while groups are only added or updated in place (never deleted or replaced) between inputs.
   */
  index?: Map<unknown, unknown>;
}

interface IndexLeaf {
  id: string;
  group: Group;
}

const separator = '\u0001';

export function newAggregation(view: BatchViewDefinition<never>): Aggregation {
  return { view, groups: new Map() };
}

/** The parts of a declaration the hot loop needs, computed once per view. */
interface Plan {
  keys: [string, Key<unknown>][];
  metrics: Metric<unknown>[];
  metricNames: string[];
  derived: [string, Derived][];
  /** Scratch for one input's key values (`addOne` is never re-entered). */
  values: Value[];
}
const plans = new WeakMap<object, Plan>();
const planOf = (view: BatchViewDefinition<never>): Plan => {
  let plan = plans.get(view);
  if (!plan) {
    plan = {
      keys: Object.entries(view.keys) as [string, Key<unknown>][],
      metrics: Object.values(view.metrics) as Metric<unknown>[],
      metricNames: Object.keys(view.metrics),
      derived: Object.entries(view.derived ?? {}),
      values: [],
    };
    plans.set(view, plan);
  }
  return plan;
};

/** The identity of a group (grain) of a view, from its key columns (`date` first for daily views). */
export function groupId(view: BatchViewDefinition<never>, keys: Row): string {
  const parts: string[] = view.period === 'day' ? [String(keys['date'])] : [];
  for (const name of Object.keys(view.keys)) parts.push(String(keys[name]));
  return parts.join(separator);
}

/** Local date of an input: a row of another view carries its own `date`; an event has a time. */
const dateOf = (input: unknown, view: BatchViewDefinition<never>, context: ViewContext): string => {
  if (view.from !== undefined) {
    const date = (input as Row)['date'];
    if (typeof date === 'string') return date;
  }
  const e = input as LmsEvent & { ms?: number };
  return context.calendar.date(e.ms ?? e.time);
};

/**
 * Adds one input (a raw event, or a row of the view named in `from`) to the aggregation.
 * Inputs outside the view's filter, or with a null grain key, do not count.
 */
export function addInput<In>(aggregation: Aggregation, input: In, context: ViewContext): void {
  const view = aggregation.view as unknown as BatchViewDefinition<In>;
  if (view.where && !view.where(input)) return;
  if (view.explode) {
    for (const piece of view.explode(input)) addOne(aggregation, piece, context);
    return;
  }
  addOne(aggregation, input, context);
}

function addOne(aggregation: Aggregation, input: unknown, context: ViewContext): void {
  const view = aggregation.view;
  const plan = planOf(view);
  const keyPlan = plan.keys;
  const values = plan.values;
  let n = 0;
  if (view.period === 'day') values[n++] = dateOf(input, view, context);
  for (let k = 0; k < keyPlan.length; k++) {
    const value = keyPlan[k]![1].value(input, context);
    if (value === null || value === undefined) return;
    values[n++] = value;
  }
  let node = aggregation.index;
  if (node === undefined) {
    node = new Map();
    aggregation.index = node;
  }
  for (let k = 0; k < n - 1; k++) {
    let next = node.get(values[k]) as Map<unknown, unknown> | undefined;
    if (next === undefined) {
      next = new Map();
      node.set(values[k], next);
    }
    node = next;
  }
  const last = n === 0 ? '' : values[n - 1];
  let leaf = node.get(last) as IndexLeaf | undefined;
  if (leaf === undefined) {
    const id = values.slice(0, n).join(separator);
    let found = aggregation.groups.get(id);
    if (!found) {
      const keys: Row = {};
      let k = 0;
      if (view.period === 'day') keys['date'] = values[k++]!;
      for (const [name] of keyPlan) keys[name] = values[k++]!;
      found = { keys, states: plan.metrics.map((m) => m.aggregate.init()) };
      aggregation.groups.set(id, found);
    }
    leaf = { id, group: found };
    node.set(last, leaf);
  }
  const { id, group } = leaf;
  const metrics = plan.metrics;
  const stamp = aggregation.stamp;
  // A group already stamped with this day was reached earlier in this run (see `stamp`).
  if (stamp && group.day !== stamp.day) {
    stamp.ids.add(id);
    if (group.day === undefined || group.day < stamp.day) group.day = stamp.day;
  }
  const states = group.states;
  for (let i = 0; i < metrics.length; i++) {
    const metric = metrics[i]!;
    if (metric.where && !metric.where(input)) continue;
    states[i] = metric.aggregate.add(states[i], metric.value(input));
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

/**
 * Removes a partial previously merged into `into` (e.g. the old version of a recomputed day), for the
 * invertible aggregates; the others keep their state, which is exact when the new version of that
 * partial, a superset of the old one, is merged next (append-only inputs). Pass states that are not
 * shared with `into` (e.g. freshly loaded ones).
 */
export function unmergeAggregation(into: Aggregation, from: Aggregation): void {
  const metrics = Object.values(into.view.metrics);
  for (const [id, group] of from.groups) {
    const existing = into.groups.get(id);
    if (!existing) continue;
    for (let i = 0; i < metrics.length; i++) {
      const aggregate = metrics[i]!.aggregate;
      if (aggregate.unmerge) existing.states[i] = aggregate.unmerge(existing.states[i], group.states[i]);
    }
  }
}

/** How to finish rows: a resolver for the view's `lookups`, and optionally only some groups (by id). */
export interface FinishOptions {
  lookup?: (view: string, key: Row) => Row | undefined;
  only?: Iterable<string>;
}

/** One group's row (grain keys, metric results, derived columns), or undefined when `having` rejects it. */
export function finishGroup(
  view: BatchViewDefinition<never>,
  group: { keys: Row; states: unknown[] },
  options: FinishOptions = {},
): Row | undefined {
  const plan = planOf(view);
  const row: Row = { ...group.keys };
  for (let i = 0; i < plan.metrics.length; i++) {
    row[plan.metricNames[i]!] = plan.metrics[i]!.aggregate.result(group.states[i]);
  }
  const derived = plan.derived;
  if (derived.length > 0) {
    const lookups: Record<string, Row | undefined> = {};
    for (const [name, lookup] of Object.entries(view.lookups ?? {})) {
      lookups[name] = options.lookup?.(lookup.view, lookup.key(row));
    }
    for (const [name, column] of derived) row[name] = column.value(row, lookups);
  }
  if (view.having && !view.having(row)) return undefined;
  return row;
}

/** The view's rows: grain keys, metric results, then derived columns. */
export function finishRows(aggregation: Aggregation, options: FinishOptions = {}): Row[] {
  const rows: Row[] = [];
  if (options.only) {
    for (const id of options.only) {
      const group = aggregation.groups.get(id);
      const row = group && finishGroup(aggregation.view, group, options);
      if (row) rows.push(row);
    }
    return rows;
  }
  for (const group of aggregation.groups.values()) {
    const row = finishGroup(aggregation.view, group, options);
    if (row) rows.push(row);
  }
  return rows;
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
