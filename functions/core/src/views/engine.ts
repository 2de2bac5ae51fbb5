import type { LmsEvent } from '../events/envelope.ts';
import type { Metric } from './aggregates.ts';
import {
  Dictionary,
  finalize,
  grown,
  MetricCells,
  type MetricColumn,
  metricColumn,
  mix,
} from './columnar.ts';
import type { Row, Value } from './columns.ts';
import type {
  BatchViewDefinition,
  Derived,
  FinishContext,
  Key,
  SpeedViewDefinition,
  ViewContext,
} from './define.ts';

/**
 * A key's dictionary id for the last input it read (-1: null key). Views of a job share key declarations
 * (the student, the course), so each is read and looked up once per input, not once per view.
 */
interface KeyMemo {
  key: Key<unknown>;
  input: unknown;
  context: ViewContext | undefined;
  dictionary: Dictionary | undefined;
  id: number;
}
const memos = new WeakMap<object, KeyMemo>();
const memoOf = (key: Key<unknown>): KeyMemo => {
  let memo = memos.get(key);
  if (!memo) {
    memo = { key, input: undefined, context: undefined, dictionary: undefined, id: -1 };
    memos.set(key, memo);
  }
  return memo;
};

/** The parts of a declaration the hot loop needs, computed once per view. */
interface Plan {
  /** Grain columns in group key order: `date` first for daily views, then the declared keys. */
  keyNames: string[];
  metrics: Metric<unknown>[];
  metricNames: string[];
  add: AddOne;
}
const plans = new WeakMap<object, Plan>();
const planOf = (view: BatchViewDefinition<never>): Plan => {
  let plan = plans.get(view);
  if (!plan) {
    const keys = Object.entries(view.keys) as [string, Key<unknown>][];
    const memos = keys.map(([, key]) => memoOf(key));
    const metrics = Object.values(view.metrics) as Metric<unknown>[];
    plan = {
      keyNames: [...(view.period === 'day' ? ['date'] : []), ...keys.map(([name]) => name)],
      metrics,
      add: compileAdd(view, memos, metrics),
      metricNames: Object.keys(view.metrics),
    };
    plans.set(view, plan);
  }
  return plan;
};

/** Local days as integers (days since 1970-01-01), for the last day that touched a group. */
export const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / 86_400_000;

/**
 * Partial aggregate states of a batch view, by grain: mergeable across days and files. Groups are numbered
 * densely; their key values (as dictionary ids) and each metric's states are columns indexed by group.
 */
export class Aggregation {
  readonly plan: Plan;
  readonly arity: number;
  /** Groups allocated, removed ones included. */
  size = 0;
  live = 0;
  private capacity = 0;
  /** Key ids, `arity` per group. */
  keys = new Int32Array(0);
  /** Per group: 1 + the last local day whose inputs touched it (0: none recorded). */
  lastDays = new Int32Array(0);
  removed = new Uint8Array(0);
  readonly columns: MetricColumn[];
  /** The metric columns' states, row by row (see `MetricCells`). */
  readonly cells = new MetricCells();
  /** Open-addressing index from key ids to group (-1: empty slot). */
  private slots = new Int32Array(16).fill(-1);
  /** Scratch for the key ids of one input (`addInput` is never re-entered). */
  readonly tuple: Int32Array;
  /**
   * Set while the inputs of one local day are added straight into all-time states: each group an input
   * reaches gets the day as its last day, and its number in `ids` (the grains to rewrite).
   */
  stamp?: { day: number; ids: Set<number> };

  /** `dictionary`: the ids of key values and members; aggregations merged together should share one. */
  constructor(
    readonly view: BatchViewDefinition<never>,
    readonly dictionary: Dictionary,
  ) {
    this.plan = planOf(view);
    this.arity = this.plan.keyNames.length;
    this.tuple = new Int32Array(this.arity);
    this.columns = this.plan.metrics.map((m) => metricColumn(m.aggregate.kind, dictionary, this.cells));
    this.reserve(16);
  }

  private reserve(capacity: number): void {
    if (capacity <= this.capacity) return;
    let next = Math.max(16, this.capacity);
    while (next < capacity) next *= 2;
    this.capacity = next;
    this.keys = grown(this.keys, next * this.arity);
    this.lastDays = grown(this.lastDays, next);
    this.removed = grown(this.removed, next);
    this.cells.grow(next);
  }

  private hash(tuple: Int32Array): number {
    let h = this.arity;
    for (let k = 0; k < this.arity; k++) h = mix(h, tuple[k]!);
    return finalize(h);
  }

  private matches(group: number, tuple: Int32Array): boolean {
    if (this.removed[group] === 1) return false;
    const base = group * this.arity;
    for (let k = 0; k < this.arity; k++) if (this.keys[base + k] !== tuple[k]) return false;
    return true;
  }

  /** The group with these key ids, or -1. */
  find(tuple: Int32Array): number {
    const mask = this.slots.length - 1;
    for (let slot = this.hash(tuple) & mask; ; slot = (slot + 1) & mask) {
      const group = this.slots[slot]!;
      if (group === -1) return -1;
      if (this.matches(group, tuple)) return group;
    }
  }

  /** The group with these key ids, created (with empty states) if there is none. */
  findOrAdd(tuple: Int32Array): number {
    let mask = this.slots.length - 1;
    let slot = this.hash(tuple) & mask;
    for (; ; slot = (slot + 1) & mask) {
      const group = this.slots[slot]!;
      if (group === -1) break;
      if (this.matches(group, tuple)) return group;
    }
    const group = this.size++;
    this.live++;
    this.reserve(this.size);
    this.keys.set(tuple, group * this.arity);
    if (this.size * 2 > this.slots.length) {
      this.rehash(this.slots.length * 2);
      mask = this.slots.length - 1;
      for (slot = this.hash(tuple) & mask; this.slots[slot] !== -1; slot = (slot + 1) & mask);
    }
    this.slots[slot] = group;
    return group;
  }

  private rehash(length: number): void {
    this.slots = new Int32Array(length).fill(-1);
    const mask = length - 1;
    const tuple = new Int32Array(this.arity);
    for (let group = 0; group < this.size - 1; group++) {
      if (this.removed[group] === 1) continue;
      tuple.set(this.keys.subarray(group * this.arity, (group + 1) * this.arity));
      let slot = this.hash(tuple) & mask;
      while (this.slots[slot] !== -1) slot = (slot + 1) & mask;
      this.slots[slot] = group;
    }
  }

  /** Drops a group (e.g. a settled session): it is no longer found, iterated, finished or saved. */
  remove(group: number): void {
    if (this.removed[group] === 1) return;
    this.removed[group] = 1;
    this.live--;
  }

  /** The live groups, in creation order. */
  *groups(): IterableIterator<number> {
    for (let group = 0; group < this.size; group++) if (this.removed[group] === 0) yield group;
  }

  /** A group's grain columns (`date` first for daily views). */
  keysOf(group: number): Row {
    const row: Row = {};
    const names = this.plan.keyNames;
    const base = group * this.arity;
    for (let k = 0; k < names.length; k++) row[names[k]!] = this.dictionary.value(this.keys[base + k]!);
    return row;
  }

  /** The group of a grain (its key columns, `date` included for daily views), or -1. */
  findKeys(keys: Row): number {
    const names = this.plan.keyNames;
    const tuple = new Int32Array(this.arity);
    for (let k = 0; k < names.length; k++) {
      const value = keys[names[k]!];
      const id = value === null || value === undefined ? -1 : this.dictionary.idOf(value);
      if (id === -1) return -1;
      tuple[k] = id;
    }
    return this.find(tuple);
  }

  /** The last local day recorded for a group (see `dayNumber`), or -1 when none is. */
  lastDayOf(group: number): number {
    return this.lastDays[group]! - 1;
  }

  /** Records that the inputs of local day `day` (see `dayNumber`) touched a group (keeps the latest). */
  touchDay(group: number, day: number): void {
    if (day + 1 > this.lastDays[group]!) this.lastDays[group] = day + 1;
  }
}

/** Values interned by aggregations created without a dictionary of their own (tests, one-off readers). */
const sharedDictionary = new Dictionary();

export { Dictionary };

export function newAggregation(
  view: BatchViewDefinition<never>,
  dictionary: Dictionary = sharedDictionary,
): Aggregation {
  return new Aggregation(view, dictionary);
}

/** Starts adding one local day's inputs straight into (all-time) states; `endStamp` returns the groups reached. */
export function beginStamp(aggregation: Aggregation, date: string): void {
  aggregation.stamp = { day: dayNumber(date), ids: new Set() };
}
export function endStamp(aggregation: Aggregation): Set<number> {
  const ids = aggregation.stamp?.ids ?? new Set<number>();
  delete aggregation.stamp;
  return ids;
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
  const add = aggregation.plan.add;
  if (view.explode) {
    for (const piece of view.explode(input)) add(aggregation, piece, context);
    return;
  }
  add(aggregation, input, context);
}

type AddOne = (aggregation: Aggregation, input: unknown, context: ViewContext) => void;

/**
 * The per-input step of one view, generated as a function of its own: each key, filter, value and column
 * is called from a call site that sees only it, so V8 can inline them. One shared loop over all views'
 * closures made every such call megamorphic, which was most of the engine's time in `--job all` runs.
 */
function compileAdd(view: BatchViewDefinition<never>, keys: KeyMemo[], metrics: Metric<unknown>[]): AddOne {
  const lines: string[] = ['const tuple = aggregation.tuple;', 'const dictionary = aggregation.dictionary;'];
  let n = 0;
  if (view.period === 'day') lines.push(`tuple[${n++}] = dictionary.intern(dateOf(input, view, context));`);
  keys.forEach((_, k) => {
    lines.push(
      `const m${k} = keys[${k}];`,
      `if (m${k}.input !== input || m${k}.context !== context || m${k}.dictionary !== dictionary) {`,
      `  const value = m${k}.key.value(input, context);`,
      `  m${k}.id = value === null || value === undefined ? -1 : dictionary.intern(value);`,
      `  m${k}.input = input;`,
      `  m${k}.context = context;`,
      `  m${k}.dictionary = dictionary;`,
      '}',
      `if (m${k}.id === -1) return;`,
      `tuple[${n++}] = m${k}.id;`,
    );
  });
  lines.push(
    'const group = aggregation.findOrAdd(tuple);',
    'const stamp = aggregation.stamp;',
    'if (stamp !== undefined && aggregation.lastDays[group] !== stamp.day + 1) {',
    '  stamp.ids.add(group);',
    '  aggregation.touchDay(group, stamp.day);',
    '}',
    'const columns = aggregation.columns;',
    'const cells = aggregation.cells.cells;',
    'const row = group * aggregation.cells.stride;',
  );
  metrics.forEach((metric, i) => {
    const add = `columns[${i}].add(cells, row, group, metrics[${i}].value(input));`;
    lines.push(metric.where ? `if (metrics[${i}].where(input)) ${add}` : add);
  });
  // Generated from the declaration's shape only (indices), never from input data.
  const factory = new Function(
    'view',
    'keys',
    'metrics',
    'dateOf',
    `return function add(aggregation, input, context) {\n${lines.join('\n')}\n};`,
  );
  return factory(view, keys, metrics, dateOf) as AddOne;
}

/**
 * For each group of `from`, the group of `into` with the same keys (`override` replaces some key values,
 * e.g. the date of a trailing window): created when `create`, else -1 when missing. Key ids are translated
 * when the two aggregations have different dictionaries.
 */
function groupMap(into: Aggregation, from: Aggregation, create: boolean, override?: Row): Int32Array {
  const map = new Int32Array(from.size).fill(-1);
  const tuple = new Int32Array(into.arity);
  const dictionary = into.dictionary;
  const same = from.dictionary === dictionary;
  const replaced = override
    ? into.plan.keyNames.map((name) => (name in override ? dictionary.intern(override[name]!) : -1))
    : undefined;
  groups: for (let group = 0; group < from.size; group++) {
    if (from.removed[group] === 1) continue;
    tuple.set(from.keys.subarray(group * from.arity, (group + 1) * from.arity));
    if (!same) {
      for (let k = 0; k < tuple.length; k++) {
        const value = from.dictionary.value(tuple[k]!);
        const id = create ? dictionary.intern(value) : dictionary.idOf(value);
        if (id === -1) continue groups;
        tuple[k] = id;
      }
    }
    if (replaced) for (let k = 0; k < replaced.length; k++) if (replaced[k]! >= 0) tuple[k] = replaced[k]!;
    map[group] = create ? into.findOrAdd(tuple) : into.find(tuple);
  }
  return map;
}

const targets = (map: Int32Array): number[] => {
  const out: number[] = [];
  for (let g = 0; g < map.length; g++) if (map[g]! >= 0) out.push(map[g]!);
  return out;
};

/** The groups of `into` with the keys of `from`'s groups (those it has). */
export const matchingGroups = (into: Aggregation, from: Aggregation): number[] =>
  targets(groupMap(into, from, false));

/**
 * Merges `from` into `into` (e.g. one day's partial into the all-time aggregation); returns the groups of
 * `into` it reached. `override` replaces key values of `from`'s groups (e.g. the date of a trailing window).
 */
export function mergeAggregation(into: Aggregation, from: Aggregation, override?: Row): number[] {
  const map = groupMap(into, from, true, override);
  for (let i = 0; i < into.columns.length; i++) into.columns[i]!.merge(from.columns[i]!, map);
  return targets(map);
}

/**
 * Removes a partial previously merged into `into` (e.g. the old version of a recomputed day), for the
 * invertible aggregates; the others keep their state, which is exact when the new version of that
 * partial, a superset of the old one, is merged next (append-only inputs). Returns the groups reached.
 */
export function unmergeAggregation(into: Aggregation, from: Aggregation): number[] {
  const map = groupMap(into, from, false);
  for (let i = 0; i < into.columns.length; i++) into.columns[i]!.unmerge(from.columns[i]!, map);
  return targets(map);
}

/**
 * How to finish rows: a resolver for the view's `lookups`, optionally only some groups, and optionally as a
 * projection of the aggregation's view (`as`: its metrics, derived columns, lookups and `having`).
 */
export interface FinishOptions {
  lookup?: (view: string, key: Row) => Row | undefined;
  only?: Iterable<number>;
  as?: BatchViewDefinition<never>;
  /** What derived columns read besides the row (the as-of instant, thresholds). */
  finish?: FinishContext;
}

/**
 * What finishing rows of a view reads: its metrics as [column, index of the aggregation's column], derived.
 * A projection finished from its source's aggregation reads the source metrics it names.
 */
interface Output {
  metrics: [string, number][];
  /** Metrics that are null where another metric of the row is (`nullWith`): [metric, the other]. */
  nulledWith: [string, string][];
  derived: [string, Derived][];
}
const outputs = new WeakMap<object, Output>();
const projectedOutputs = new WeakMap<object, Output>();
const outputOf = (aggregation: Aggregation, view: BatchViewDefinition<never>): Output => {
  const projected = view !== aggregation.view;
  const cache = projected ? projectedOutputs : outputs;
  let output = cache.get(view);
  if (!output) {
    const names = aggregation.plan.metricNames;
    const renamed =
      projected && view.projectionOf
        ? view.projectionOf.metrics
        : Object.fromEntries(names.map((n) => [n, n]));
    output = {
      metrics: Object.entries(renamed).map(([name, from]) => [name, names.indexOf(from)]),
      nulledWith: Object.entries(view.metrics).flatMap(([name, m]) =>
        m.nullWith === undefined ? [] : [[name, m.nullWith] as [string, string]],
      ),
      derived: Object.entries(view.derived ?? {}),
    };
    cache.set(view, output);
  }
  return output;
};

/** One group's row (grain keys, metric results, derived columns), or undefined when `having` rejects it. */
export function finishGroup(
  aggregation: Aggregation,
  group: number,
  options: FinishOptions = {},
): Row | undefined {
  const view = options.as ?? aggregation.view;
  if (view !== aggregation.view && view.projectionOf?.view !== aggregation.view.name)
    throw new Error(`${view.name} is not a projection of ${aggregation.view.name}`);
  const { metrics, nulledWith, derived } = outputOf(aggregation, view);
  const row = aggregation.keysOf(group);
  for (const [name, index] of metrics) row[name] = aggregation.columns[index]!.result(group);
  for (const [name, other] of nulledWith) if (row[other] === null) row[name] = null;
  if (derived.length > 0) {
    const lookups: Record<string, Row | undefined> = {};
    for (const [name, lookup] of Object.entries(view.lookups ?? {})) {
      lookups[name] = options.lookup?.(lookup.view, lookup.key(row));
    }
    const finish = options.finish ?? {};
    for (const [name, column] of derived) row[name] = column.value(row, lookups, finish);
  }
  if (view.having && !view.having(row)) return undefined;
  return row;
}

/** The view's rows: grain keys, metric results, then derived columns. */
export function finishRows(aggregation: Aggregation, options: FinishOptions = {}): Row[] {
  const rows: Row[] = [];
  for (const group of options.only ?? aggregation.groups()) {
    if (aggregation.removed[group] === 1) continue;
    const row = finishGroup(aggregation, group, options);
    if (row) rows.push(row);
  }
  return rows;
}

/** A self-contained form of an aggregation's states (its own dictionary), for storing. */
export interface EncodedAggregation {
  /** The grain columns and metrics (name and kind) the states were built for, checked when loading. */
  shape: string[];
  groups: number;
  values: Value[];
  keys: Int32Array;
  lastDays: Int32Array;
  columns: unknown[];
}

export function encodeAggregation(aggregation: Aggregation): EncodedAggregation {
  const order = Int32Array.from(aggregation.groups());
  // Local ids, 1-based (0: not used yet), by dictionary id.
  const local = new Int32Array(aggregation.dictionary.size);
  const values: Value[] = [];
  const member = (id: number): number => {
    if (local[id] === 0) {
      values.push(aggregation.dictionary.value(id));
      local[id] = values.length;
    }
    return local[id]! - 1;
  };
  const { arity } = aggregation;
  const keys = new Int32Array(order.length * arity);
  const lastDays = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const base = order[i]! * arity;
    for (let k = 0; k < arity; k++) keys[i * arity + k] = member(aggregation.keys[base + k]!);
    lastDays[i] = aggregation.lastDays[order[i]!]!;
  }
  const columns = aggregation.columns.map((c) => c.encode(order, member));
  return { shape: shapeOf(aggregation.plan), groups: order.length, values, keys, lastDays, columns };
}

const shapeOf = (plan: Plan): string[] => [
  ...plan.keyNames,
  ...plan.metricNames.map((name, i) => `${name}:${plan.metrics[i]!.aggregate.kind}`),
];

/** Loads stored states; they must have been built for the view's current grain and metrics. */
export function decodeAggregation(
  view: BatchViewDefinition<never>,
  saved: EncodedAggregation,
  dictionary: Dictionary = sharedDictionary,
): Aggregation {
  const aggregation = new Aggregation(view, dictionary);
  const expected = shapeOf(aggregation.plan).join(', ');
  const found = Array.isArray(saved?.shape) ? saved.shape.join(', ') : undefined;
  if (found !== expected)
    throw new Error(
      `the stored states of ${view.name} were built ${found === undefined ? 'by an older batch engine' : `for other columns (${found})`}, ` +
        `not for its current ones (${expected}): delete state/${view.name}/ (and the states of views over it) ` +
        'and rerun the history to rebuild them',
    );
  const ids = Int32Array.from(saved.values, (v) => dictionary.intern(v));
  const member = (localId: number) => ids[localId]!;
  const { arity } = aggregation;
  const groups = new Int32Array(saved.groups);
  const tuple = aggregation.tuple;
  for (let i = 0; i < saved.groups; i++) {
    for (let k = 0; k < arity; k++) tuple[k] = ids[saved.keys[i * arity + k]!]!;
    const group = aggregation.findOrAdd(tuple);
    groups[i] = group;
    aggregation.lastDays[group] = saved.lastDays[i]!;
  }
  for (let i = 0; i < aggregation.columns.length; i++) {
    aggregation.columns[i]!.decode(saved.columns[i], groups, member);
  }
  return aggregation;
}

const separator = '\u0001';

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
