/**
 * The batch engine's data structures: key values and distinct members as dense integers (a dictionary per
 * batch run), integer hash tables, and one typed-array column per metric, indexed by group number.
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
  private readonly ids = new Map<Value, number>();
  private readonly values: Value[] = [];

  intern(value: Value): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  /** The id of a value already interned, or -1. */
  idOf(value: Value): number {
    return this.ids.get(value) ?? -1;
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

export const grown = <T extends Float64Array | Int32Array | Uint8Array>(
  array: T,
  length: number,
  fill?: number,
): T => {
  const next = new (array.constructor as new (n: number) => T)(length);
  next.set(array);
  if (fill !== undefined) next.fill(fill, array.length);
  return next;
};

/**
 * The values of `order`'s groups, as 32-bit integers when they all are (counts, seconds, instants are
 * not, but most columns are): half the bytes to serialize and compress.
 */
function packed(values: Float64Array, order: Int32Array): Float64Array | Int32Array {
  const out = new Float64Array(order.length);
  let integral = true;
  for (let i = 0; i < order.length; i++) {
    const v = values[order[i]!]!;
    out[i] = v;
    if (integral && (v | 0) !== v) integral = false;
  }
  return integral ? Int32Array.from(out) : out;
}

/** Loads values `packed` stored: value i is group `groups[i]`'s. */
function unpack(into: Float64Array, saved: unknown, groups: Int32Array): void {
  const values = saved as Float64Array | Int32Array;
  for (let i = 0; i < groups.length; i++) into[groups[i]!] = values[i]!;
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
 * The partial states of one metric for every group of an aggregation. In merges, `map[g]` is the group
 * here of group `g` of the other aggregation (-1: skip it).
 */
export interface MetricColumn {
  grow(capacity: number): void;
  add(group: number, value: unknown): void;
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
  totals = new Float64Array(0);
  /** Counting adds one per input; summing adds the input's value. */
  constructor(private readonly counting: boolean) {}
  grow(capacity: number) {
    this.totals = grown(this.totals, capacity);
  }
  add(group: number, value: unknown) {
    if (this.counting) this.totals[group]!++;
    else if (present(value)) this.totals[group]! += value;
  }
  merge(from: TotalColumn, map: Int32Array) {
    for (let g = 0; g < map.length; g++) if (map[g]! >= 0) this.totals[map[g]!]! += from.totals[g]!;
  }
  unmerge(from: TotalColumn, map: Int32Array) {
    for (let g = 0; g < map.length; g++) if (map[g]! >= 0) this.totals[map[g]!]! -= from.totals[g]!;
  }
  result(group: number): Value {
    return this.totals[group]!;
  }
  encode(order: Int32Array) {
    return packed(this.totals, order);
  }
  decode(saved: unknown, groups: Int32Array) {
    unpack(this.totals, saved, groups);
  }
}

class AvgColumn implements MetricColumn {
  sums = new Float64Array(0);
  counts = new Float64Array(0);
  grow(capacity: number) {
    this.sums = grown(this.sums, capacity);
    this.counts = grown(this.counts, capacity);
  }
  add(group: number, value: unknown) {
    if (!present(value)) return;
    this.sums[group]! += value;
    this.counts[group]!++;
  }
  merge(from: AvgColumn, map: Int32Array) {
    for (let g = 0; g < map.length; g++) {
      const to = map[g]!;
      if (to < 0) continue;
      this.sums[to]! += from.sums[g]!;
      this.counts[to]! += from.counts[g]!;
    }
  }
  unmerge(from: AvgColumn, map: Int32Array) {
    for (let g = 0; g < map.length; g++) {
      const to = map[g]!;
      if (to < 0) continue;
      this.sums[to]! -= from.sums[g]!;
      this.counts[to]! -= from.counts[g]!;
    }
  }
  result(group: number): Value {
    return this.counts[group] === 0 ? null : this.sums[group]! / this.counts[group]!;
  }
  encode(order: Int32Array) {
    return [packed(this.sums, order), packed(this.counts, order)];
  }
  decode(saved: unknown, groups: Int32Array) {
    const [sums, counts] = saved as [unknown, unknown];
    unpack(this.sums, sums, groups);
    unpack(this.counts, counts, groups);
  }
}

/** min, max, earliest, latest: NaN stands for "no input yet" (the result is then null). */
class ExtremeColumn implements MetricColumn {
  values = new Float64Array(0);
  constructor(private readonly smallest: boolean) {}
  grow(capacity: number) {
    this.values = grown(this.values, capacity, Number.NaN);
  }
  private fold(group: number, v: number) {
    const current = this.values[group]!;
    if (Number.isNaN(current) || (this.smallest ? v < current : v > current)) this.values[group] = v;
  }
  add(group: number, value: unknown) {
    if (present(value)) this.fold(group, value);
  }
  merge(from: ExtremeColumn, map: Int32Array) {
    for (let g = 0; g < map.length; g++) {
      const v = from.values[g]!;
      if (map[g]! >= 0 && !Number.isNaN(v)) this.fold(map[g]!, v);
    }
  }
  unmerge() {}
  result(group: number): Value {
    const v = this.values[group]!;
    return Number.isNaN(v) ? null : v;
  }
  encode(order: Int32Array) {
    return packed(this.values, order);
  }
  decode(saved: unknown, groups: Int32Array) {
    unpack(this.values, saved, groups);
  }
}

/** Exact distinct counts: the (group, member) pairs seen, and a count per group. */
class DistinctColumn implements MetricColumn {
  pairs = new PairSet();
  counts = new Int32Array(0);
  constructor(readonly dictionary: Dictionary) {}
  grow(capacity: number) {
    this.counts = grown(this.counts, capacity);
  }
  add(group: number, value: unknown) {
    if (value === null || value === undefined) return;
    if (this.pairs.add(group, this.dictionary.intern(value as Value))) this.counts[group]!++;
  }
  merge(from: DistinctColumn, map: Int32Array) {
    const same = from.dictionary === this.dictionary;
    from.pairs.forEach((g, member) => {
      const to = map[g]!;
      if (to < 0) return;
      const id = same ? member : this.dictionary.intern(from.dictionary.value(member));
      if (this.pairs.add(to, id)) this.counts[to]!++;
    });
  }
  unmerge() {}
  result(group: number): Value {
    return this.counts[group]!;
  }
  encode(order: Int32Array, member: (id: number) => number) {
    // Position in `order` + 1 by group (0: not encoded, e.g. removed).
    const position = new Int32Array(this.counts.length);
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
    for (let i = 0; i < pairs.length; i += 2) {
      const group = groups[pairs[i]!]!;
      if (this.pairs.add(group, member(pairs[i + 1]!))) this.counts[group]!++;
    }
  }
}

export function metricColumn(kind: AggregateKind, dictionary: Dictionary): MetricColumn {
  switch (kind) {
    case 'count':
      return new TotalColumn(true);
    case 'sum':
      return new TotalColumn(false);
    case 'avg':
      return new AvgColumn();
    case 'min':
    case 'earliest':
      return new ExtremeColumn(true);
    case 'max':
    case 'latest':
      return new ExtremeColumn(false);
    case 'count_distinct':
      return new DistinctColumn(dictionary);
  }
}
