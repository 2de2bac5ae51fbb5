import type { ColumnType, Value } from './columns.ts';

/**
 * Mergeable aggregates: each keeps a partial state that can be built per day, stored, and merged into
 * all-time results without rescanning raw events. Distinct counts keep their members (exact, and
 * combinable across days and across the batch/speed boundary).
 */
export interface Aggregate<In, State> {
  kind: string;
  type: ColumnType;
  init(): State;
  add(state: State, input: In): State;
  merge(a: State, b: State): State;
  /**
   * Removes `b` (a partial previously merged into `a`), for invertible aggregates (count, sum, avg).
   * Absent for the others (min, max, distinct...): merging a superset of `b` again is already exact,
   * which is the case when a day is recomputed from an append-only lake.
   */
  unmerge?(a: State, b: State): State;
  result(state: State): Value;
  /** A JSON-safe form of the state, for per-day partials. */
  save(state: State): unknown;
  load(saved: unknown): State;
}

/** One metric of a view: an aggregate over a value read from each input, optionally on a subset. */
export interface Metric<In> {
  aggregate: Aggregate<unknown, unknown>;
  value: (input: In) => unknown;
  where?: (input: In) => boolean;
  doc?: string;
}

const numeric = (
  kind: string,
  type: ColumnType,
  fold: (a: number, b: number) => number,
  init: number | null,
) =>
  ({
    kind,
    type,
    init: () => init,
    add: (s: number | null, v: number | null) =>
      v === null || v === undefined ? s : s === null ? v : fold(s, v),
    merge: (a: number | null, b: number | null) => (a === null ? b : b === null ? a : fold(a, b)),
    result: (s: number | null) => s,
    save: (s: number | null) => s,
    load: (s: unknown) => s as number | null,
  }) satisfies Aggregate<number | null, number | null>;

const countAggregate = {
  kind: 'count',
  type: 'bigint',
  init: () => 0,
  add: (s: number) => s + 1,
  merge: (a: number, b: number) => a + b,
  unmerge: (a: number, b: number) => a - b,
  result: (s: number) => s,
  save: (s: number) => s,
  load: (s: unknown) => s as number,
} satisfies Aggregate<unknown, number>;

const sumAggregate = {
  kind: 'sum',
  type: 'double',
  init: () => 0,
  add: (s: number, v: number | null) => (v === null || v === undefined ? s : s + v),
  merge: (a: number, b: number) => a + b,
  unmerge: (a: number, b: number) => a - b,
  result: (s: number) => s,
  save: (s: number) => s,
  load: (s: unknown) => s as number,
} satisfies Aggregate<number | null, number>;

type Mean = { sum: number; count: number };
// add and merge update the state in place (like the distinct sets): a fresh object per input was most of
// the batch layer's garbage.
const avgAggregate = {
  kind: 'avg',
  type: 'double',
  init: (): Mean => ({ sum: 0, count: 0 }),
  add: (s: Mean, v: number | null) => {
    if (v === null || v === undefined) return s;
    s.sum += v;
    s.count++;
    return s;
  },
  merge: (a: Mean, b: Mean) => {
    a.sum += b.sum;
    a.count += b.count;
    return a;
  },
  unmerge: (a: Mean, b: Mean) => ({ sum: a.sum - b.sum, count: a.count - b.count }),
  result: (s: Mean) => (s.count === 0 ? null : s.sum / s.count),
  save: (s: Mean) => [s.sum, s.count],
  load: (s: unknown) => ({ sum: (s as number[])[0]!, count: (s as number[])[1]! }),
} satisfies Aggregate<number | null, Mean>;

const distinctAggregate = {
  kind: 'count_distinct',
  type: 'bigint',
  init: () => new Set<string>(),
  add: (s: Set<string>, v: string | null) => (v === null || v === undefined ? s : s.add(v)),
  merge: (a: Set<string>, b: Set<string>) => {
    const [big, small] = a.size >= b.size ? [a, b] : [b, a];
    for (const v of small) big.add(v);
    return big;
  },
  result: (s: Set<string>) => s.size,
  save: (s: Set<string>) => [...s].sort(),
  load: (s: unknown) => new Set(s as string[]),
} satisfies Aggregate<string | null, Set<string>>;

const metric = <In>(
  aggregate: Aggregate<never, unknown>,
  value: (input: In) => unknown,
  { type, ...options }: Options<In> = {},
): Metric<In> => ({
  aggregate: (type === undefined ? aggregate : { ...aggregate, type }) as Aggregate<unknown, unknown>,
  value,
  ...options,
});
/** `where` restricts the metric to a subset of the view's inputs; `type` overrides the stored column type. */
type Options<In> = { where?: (input: In) => boolean; doc?: string; type?: ColumnType };
const one = () => 1;

/** Number of inputs (rows), optionally of a subset. */
export const count = <In>(options?: Options<In>): Metric<In> => metric(countAggregate, one, options);
export const countDistinct = <In>(value: (input: In) => string | null | undefined, options?: Options<In>) =>
  metric<In>(distinctAggregate, value, options);
export const sum = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>(sumAggregate, value, options);
export const avg = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>(avgAggregate, value, options);
export const min = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>(numeric('min', 'double', Math.min, null), value, options);
export const max = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>(numeric('max', 'double', Math.max, null), value, options);
/** Earliest instant (epoch ms) of the inputs. */
export const earliest = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>(numeric('earliest', 'timestamp', Math.min, null), value, options);
/** Latest instant (epoch ms) of the inputs. */
export const latest = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>(numeric('latest', 'timestamp', Math.max, null), value, options);
