import type { ColumnType } from './columns.ts';

/**
 * The mergeable aggregates a view's metrics use. Each has a partial state that can be built per day,
 * stored, and merged into all-time results without rescanning raw events (the batch engine keeps those
 * states column-wise, see engine.ts). Distinct counts keep their members: exact, and combinable across
 * days and across the batch/speed boundary.
 */
export type AggregateKind =
  | 'count'
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'earliest'
  | 'latest'
  | 'count_distinct';

export interface Aggregate {
  kind: AggregateKind;
  /** The stored column type of the result. */
  type: ColumnType;
}

/** One metric of a view: an aggregate over a value read from each input, optionally on a subset. */
export interface Metric<In> {
  aggregate: Aggregate;
  value: (input: In) => unknown;
  where?: (input: In) => boolean;
  doc?: string;
  /**
   * Batch views: the result is null where this other metric of the row is null, e.g. a sum of a field no
   * input stated (the avg of the same field is null then) is unknown, not 0. The stored state is unchanged.
   */
  nullWith?: string;
}

/** `where` restricts the metric to a subset of the view's inputs; `type` overrides the stored column type. */
// NoInfer: the inputs' type comes from the value read and the view; `where` may take a wider type (a guard).
type Options<In> = {
  where?: (input: NoInfer<In>) => boolean;
  doc?: string;
  type?: ColumnType;
  nullWith?: string;
};

const metric = <In>(
  kind: AggregateKind,
  defaultType: ColumnType,
  value: (input: In) => unknown,
  { type, ...options }: Options<In> = {},
): Metric<In> => ({ aggregate: { kind, type: type ?? defaultType }, value, ...options });
const one = () => 1;

/** Number of inputs (rows), optionally of a subset. */
export const count = <In>(options?: Options<In>): Metric<In> => metric('count', 'bigint', one, options);
export const countDistinct = <In>(value: (input: In) => string | null | undefined, options?: Options<In>) =>
  metric<In>('count_distinct', 'bigint', value, options);
export const sum = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>('sum', 'double', value, options);
export const avg = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>('avg', 'double', value, options);
export const min = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>('min', 'double', value, options);
export const max = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>('max', 'double', value, options);
/** Earliest instant (epoch ms) of the inputs. */
export const earliest = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>('earliest', 'timestamp', value, options);
/** Latest instant (epoch ms) of the inputs. */
export const latest = <In>(value: (input: In) => number | null | undefined, options?: Options<In>) =>
  metric<In>('latest', 'timestamp', value, options);
