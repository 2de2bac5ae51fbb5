/**
 * The batch engine's data structures: key values and distinct members as dense integers (a dictionary per
 * batch run), integer hash tables, and the metrics' states as cells of one array, a row per group.
 * Strings are looked up once per input; groups, counts and distinct members are then plain integers,
 * which keeps the per-input work free of allocation and the states cheap to store.
 */
import type { AggregateKind } from './aggregates.ts';
import type { Value } from './columns.ts';

/**
 * Key values and distinct members as dense ids. Aggregations that share one merge without translating ids;
 * a batch run makes its own, so a long-lived process (the demo's daily runs) does not keep every value ever
 * seen.
 */
export class Dictionary {
  /**
   * Ids by value, in two tables: long strings (ids of sessions, events: 32 characters and more) apart, so
   * that hundreds of thousands of session ids do not push the users, courses and dates out of the cache.
   */
  private readonly ids = new Map<Value, number>();
  private readonly longIds = new Map<Value, number>();
  private readonly values: Value[] = [];

  private tableOf(value: Value): Map<Value, number> {
    return typeof value === 'string' && value.length >= 32 ? this.longIds : this.ids;
  }

  intern(value: Value): number {
    const table = this.tableOf(value);
    let id = table.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      table.set(value, id);
    }
    return id;
  }

  /** The id of a value already interned, or -1. */
  idOf(value: Value): number {
    return this.tableOf(value).get(value) ?? -1;
  }

  value(id: number): Value {
    return this.values[id]!;
  }

  get size(): number {
    return this.values.length;
  }
}

/** Mixes one more integer into a hash (murmur3's 32-bit step). */
export const mix = (hash: number, k: number): number => {
  let h = Math.imul(k, 0xcc9e2d51);
  h = (h << 15) | (h >>> 17);
  h = hash ^ Math.imul(h, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
};
export const finalize = (hash: number): number => {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
};

export const grown = <T extends Float64Array | Int32Array | Uint8Array>(array: T, length: number): T => {
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  return next;
};

/**
 * The metric states of every group, row by row: group g's cells are `cells[g * stride …]`, so one input's
 * updates to a view's metrics touch one or two cache lines instead of one per metric (tables of 10⁵-10⁶
 * groups do not fit in cache). Each column owns `width` cells at its `offset`.
 */
export class MetricCells {
  cells = new Float64Array(0);
  stride = 0;
  /** The value new cells start at (NaN: no input yet for min/max), per cell of a row. */
  private readonly initial: number[] = [];
  /** Rows allocated. */
  capacity = 0;

  /** Reserves `width` cells per row starting at `initial`; returns their offset. Before any `grow`. */
  allocate(width: number, initial: number): number {
    const offset = this.stride;
    this.stride += width;
    for (let i = 0; i < width; i++) this.initial.push(initial);
    return offset;
  }

  grow(capacity: number): void {
    const next = grown(this.cells, capacity * this.stride);
    for (let g = this.capacity; g < capacity; g++)
      for (let c = 0; c < this.stride; c++)
        if (this.initial[c] !== 0) next[g * this.stride + c] = this.initial[c]!;
    this.cells = next;
    this.capacity = capacity;
  }
}

/**
 * Cell `offset` of `order`'s groups, as 32-bit integers when they all are (counts, seconds, instants are
 * not, but most columns are): half the bytes to serialize and compress.
 */
function packed(store: MetricCells, offset: number, order: Int32Array): Float64Array | Int32Array {
  const { cells, stride } = store;
  const out = new Float64Array(order.length);
  let integral = true;
  for (let i = 0; i < order.length; i++) {
    const v = cells[order[i]! * stride + offset]!;
    out[i] = v;
    if (integral && (v | 0) !== v) integral = false;
  }
  return integral ? Int32Array.from(out) : out;
}

/**
 * Adds (`sign` 1) or takes out (-1) the `width` cells at `offset` of every group `g` of `from` into group
 * `map[g]` of `into` (-1: skip it): the merge of invertible states (counts, sums, averages).
 */
function foldCells(
  into: MetricCells,
  from: MetricCells,
  offset: number,
  width: number,
  map: Int32Array,
  sign: number,
): void {
  const { cells, stride } = into;
  for (let g = 0; g < map.length; g++) {
    if (map[g]! < 0) continue;
    const to = map[g]! * stride + offset;
    const at = g * from.stride + offset;
    for (let c = 0; c < width; c++) cells[to + c]! += sign * from.cells[at + c]!;
  }
}

/** Loads values `packed` stored into cell `offset`: value i is group `groups[i]`'s. */
function unpack(store: MetricCells, offset: number, saved: unknown, groups: Int32Array): void {
  const values = saved as Float64Array | Int32Array;
  const { cells, stride } = store;
  for (let i = 0; i < groups.length; i++) cells[groups[i]! * stride + offset] = values[i]!;
}

/** A set of (group, member) pairs: open addressing, linear probing, at most half full. */
export class PairSet {
  /** Slot i holds its group at 2i (-1: empty) and its member at 2i + 1: one cache line per probe. */
  private slots = new Int32Array(32).fill(-1);
  size = 0;

  add(group: number, member: number): boolean {
    const capacity = this.slots.length >> 1;
    if (this.size * 2 >= capacity) this.rehash(capacity * 2);
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let slot = finalize(mix(group, member)) & mask;
    for (;;) {
      const at = slot << 1;
      const g = slots[at]!;
      if (g === -1) {
        slots[at] = group;
        slots[at + 1] = member;
        this.size++;
        return true;
      }
      if (g === group && slots[at + 1] === member) return false;
      slot = (slot + 1) & mask;
    }
  }

  /** Calls `each` for every pair (in slot order). */
  forEach(each: (group: number, member: number) => void): void {
    const slots = this.slots;
    for (let at = 0; at < slots.length; at += 2) if (slots[at] !== -1) each(slots[at]!, slots[at + 1]!);
  }

  private rehash(capacity: number): void {
    const old = this.slots;
    this.slots = new Int32Array(capacity * 2).fill(-1);
    this.size = 0;
    for (let at = 0; at < old.length; at += 2) if (old[at] !== -1) this.add(old[at]!, old[at + 1]!);
  }
}

/**
 * The partial states of one metric for every group of an aggregation, in its `MetricCells` (distinct
 * members aside). In merges, `map[g]` is the group here of group `g` of the other aggregation (-1: skip
 * it); the other aggregation is of the same view, so its column has the same cells.
 */
export interface MetricColumn {
  /** Adds an input's value to group `group`, whose row of `cells` starts at `row` (group × stride). */
  add(cells: Float64Array, row: number, group: number, value: unknown): void;
  merge(from: MetricColumn, map: Int32Array): void;
  /** Removes a partial merged before (count, sum, avg); the others keep their state (see `unmergeAggregation`). */
  unmerge(from: MetricColumn, map: Int32Array): void;
  result(group: number): Value;
  /** The states of the groups `order` lists, with distinct members mapped through `member`. */
  encode(order: Int32Array, member: (id: number) => number): unknown;
  /** Loads encoded states; group i of the encoding is group `groups[i]` here. */
  decode(saved: unknown, groups: Int32Array, member: (localId: number) => number): void;
}

const present = (v: unknown): v is number => v !== null && v !== undefined;

/** Counts and sums: one total per group (invertible, so a merged partial can be taken out again). */
class TotalColumn implements MetricColumn {
  private readonly offset: number;
  /** Counting adds one per input; summing adds the input's value. */
  constructor(
    readonly store: MetricCells,
    private readonly counting: boolean,
  ) {
    this.offset = store.allocate(1, 0);
  }
  add(cells: Float64Array, row: number, _group: number, value: unknown) {
    if (this.counting) cells[row + this.offset]!++;
    else if (present(value)) cells[row + this.offset]! += value;
  }
  merge(from: TotalColumn, map: Int32Array) {
    foldCells(this.store, from.store, this.offset, 1, map, 1);
  }
  unmerge(from: TotalColumn, map: Int32Array) {
    foldCells(this.store, from.store, this.offset, 1, map, -1);
  }
  result(group: number): Value {
    return this.store.cells[group * this.store.stride + this.offset]!;
  }
  encode(order: Int32Array) {
    return packed(this.store, this.offset, order);
  }
  decode(saved: unknown, groups: Int32Array) {
    unpack(this.store, this.offset, saved, groups);
  }
}

/** Averages: a sum and a count per group, side by side. */
class AvgColumn implements MetricColumn {
  private readonly offset: number;
  constructor(readonly store: MetricCells) {
    this.offset = store.allocate(2, 0);
  }
  add(cells: Float64Array, row: number, _group: number, value: unknown) {
    if (!present(value)) return;
    cells[row + this.offset]! += value;
    cells[row + this.offset + 1]!++;
  }
  merge(from: AvgColumn, map: Int32Array) {
    foldCells(this.store, from.store, this.offset, 2, map, 1);
  }
  unmerge(from: AvgColumn, map: Int32Array) {
    foldCells(this.store, from.store, this.offset, 2, map, -1);
  }
  result(group: number): Value {
    const at = group * this.store.stride + this.offset;
    const count = this.store.cells[at + 1]!;
    return count === 0 ? null : this.store.cells[at]! / count;
  }
  encode(order: Int32Array) {
    return [packed(this.store, this.offset, order), packed(this.store, this.offset + 1, order)];
  }
  decode(saved: unknown, groups: Int32Array) {
    const [sums, counts] = saved as [unknown, unknown];
    unpack(this.store, this.offset, sums, groups);
    unpack(this.store, this.offset + 1, counts, groups);
  }
}

/** min, max, earliest, latest: NaN stands for "no input yet" (the result is then null). */
class ExtremeColumn implements MetricColumn {
  private readonly offset: number;
  constructor(
    readonly store: MetricCells,
    private readonly smallest: boolean,
  ) {
    this.offset = store.allocate(1, Number.NaN);
  }
  private fold(cells: Float64Array, at: number, v: number) {
    const current = cells[at]!;
    if (Number.isNaN(current) || (this.smallest ? v < current : v > current)) cells[at] = v;
  }
  add(cells: Float64Array, row: number, _group: number, value: unknown) {
    if (present(value)) this.fold(cells, row + this.offset, value);
  }
  merge(from: ExtremeColumn, map: Int32Array) {
    const source = from.store;
    const { cells, stride } = this.store;
    for (let g = 0; g < map.length; g++) {
      const v = source.cells[g * source.stride + this.offset]!;
      if (map[g]! >= 0 && !Number.isNaN(v)) this.fold(cells, map[g]! * stride + this.offset, v);
    }
  }
  unmerge() {}
  result(group: number): Value {
    const v = this.store.cells[group * this.store.stride + this.offset]!;
    return Number.isNaN(v) ? null : v;
  }
  encode(order: Int32Array) {
    return packed(this.store, this.offset, order);
  }
  decode(saved: unknown, groups: Int32Array) {
    unpack(this.store, this.offset, saved, groups);
  }
}

/** Exact distinct counts: the (group, member) pairs seen, and a count per group (a cell). */
class DistinctColumn implements MetricColumn {
  pairs = new PairSet();
  private readonly offset: number;
  constructor(
    readonly store: MetricCells,
    readonly dictionary: Dictionary,
  ) {
    this.offset = store.allocate(1, 0);
  }
  add(cells: Float64Array, row: number, group: number, value: unknown) {
    if (value === null || value === undefined) return;
    if (this.pairs.add(group, this.dictionary.intern(value as Value))) cells[row + this.offset]!++;
  }
  merge(from: DistinctColumn, map: Int32Array) {
    const same = from.dictionary === this.dictionary;
    const { cells, stride } = this.store;
    from.pairs.forEach((g, member) => {
      const to = map[g]!;
      if (to < 0) return;
      const id = same ? member : this.dictionary.intern(from.dictionary.value(member));
      if (this.pairs.add(to, id)) cells[to * stride + this.offset]!++;
    });
  }
  unmerge() {}
  result(group: number): Value {
    return this.store.cells[group * this.store.stride + this.offset]!;
  }
  encode(order: Int32Array, member: (id: number) => number) {
    // Position in `order` + 1 by group (0: not encoded, e.g. removed).
    const position = new Int32Array(this.store.capacity);
    for (let i = 0; i < order.length; i++) position[order[i]!] = i + 1;
    const out = new Int32Array(this.pairs.size * 2);
    let n = 0;
    this.pairs.forEach((g, m) => {
      if (position[g] === 0) return;
      out[n++] = position[g]! - 1;
      out[n++] = member(m);
    });
    return out.subarray(0, n);
  }
  decode(saved: unknown, groups: Int32Array, member: (localId: number) => number) {
    const pairs = saved as Int32Array;
    const { cells, stride } = this.store;
    for (let i = 0; i < pairs.length; i += 2) {
      const group = groups[pairs[i]!]!;
      if (this.pairs.add(group, member(pairs[i + 1]!))) cells[group * stride + this.offset]!++;
    }
  }
}

/** A metric's column, its cells allocated in `store` (all columns of an aggregation before it grows). */
export function metricColumn(kind: AggregateKind, dictionary: Dictionary, store: MetricCells): MetricColumn {
  switch (kind) {
    case 'count':
      return new TotalColumn(store, true);
    case 'sum':
      return new TotalColumn(store, false);
    case 'avg':
      return new AvgColumn(store);
    case 'min':
    case 'earliest':
      return new ExtremeColumn(store, true);
    case 'max':
    case 'latest':
      return new ExtremeColumn(store, false);
    case 'count_distinct':
      return new DistinctColumn(store, dictionary);
  }
}
