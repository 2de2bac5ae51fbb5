import type { Category, LmsEvent } from '../events/envelope.ts';
import type { Metric } from './aggregates.ts';
import type { ColumnType, Row, Value } from './columns.ts';
import type { LocalCalendar } from './time.ts';

/** What key and metric functions may use besides the input: the analytics calendar. */
export interface ViewContext {
  calendar: LocalCalendar;
}

/** A grain column: its type and how to read it from an input. Inputs whose key is null are not counted. */
export interface Key<In> {
  type: ColumnType;
  value: (input: In, context: ViewContext) => Value | undefined;
  doc?: string;
}

/**
 * A column computed from the finished row (ratios, units, buckets). `lookups` holds, for each lookup the
 * view declares, the matching row of the other view (or undefined), e.g. the course row of a student-course row.
 */
export interface Derived {
  type: ColumnType;
  value: (row: Row, lookups: Record<string, Row | undefined>) => Value;
  doc?: string;
}

/** A row of another view of the same job that derived columns may read, found by keys built from this row. */
export interface Lookup {
  view: string;
  key: (row: Row) => Row;
}

export const batchJobs = [
  'auth',
  'assessment',
  'video',
  'course',
  'profile_notification',
  'student_course_analytics',
] as const;
export type BatchJob = (typeof batchJobs)[number];

/** An exact view recomputed from the lake by a batch job. */
export interface BatchViewDefinition<In = LmsEvent> {
  name: string;
  layer: 'batch';
  job: BatchJob;
  doc: string;
  /** Categories whose raw events feed the view (or, with `from`, of the view it reads). */
  sources: readonly Category[];
  /** Reads the rows of another (intermediate) view instead of raw events. */
  from?: string;
  where?: (input: In) => boolean;
  /** `day`: one row set per local date, with a leading `date` key; `all`: all-time rows. */
  period: 'day' | 'all';
  /**
   * Daily views only: the row of date D aggregates the inputs of the `trailingDays` local days ending at D
   * (a recent-period measure, e.g. 7 for "last 7 days"), instead of D alone.
   */
  trailingDays?: number;
  keys: Record<string, Key<In>>;
  partitionKey: readonly string[];
  clustering?: readonly { name: string; order: 'ASC' | 'DESC' }[];
  metrics: Record<string, Metric<In>>;
  derived?: Record<string, Derived>;
  /** Intermediate views feed other views and are not stored in Cassandra. */
  intermediate?: boolean;
  /**
   * Turns one input into several (e.g. one per element of an array field) before keys are read; each
   * piece then counts on its own (`profile_field_changes` counts every field of `updated_fields`).
   */
  explode?: (input: In) => readonly In[];
  /**
   * Intermediate all-time views: a row for which this holds and that no event touched for longer than the
   * batch state retention no longer changes; it is folded into the views over it and dropped from this
   * view's state, so the state stays bounded (e.g. finished sessions).
   */
  settledWhen?: (row: Row) => boolean;
  /** Rows of other views that `derived` columns read (see `Lookup`). */
  lookups?: Record<string, Lookup>;
  /**
   * Only rows passing this are stored (e.g. student-course pairs with an enrolment). Must stay true once
   * true as events are added (monotone), since rows are upserted, never deleted, in all-time views.
   */
  having?: (row: Row) => boolean;
  /**
   * Set by `defineBatchViewProjection`: the rows are another all-time view's groups (same grain, inputs and
   * filter), finished with some of its metrics (own name → the source's) and this view's own primary key,
   * derived columns, lookups and `having`. Jobs compute the source only; the declaration stays a complete
   * view on its own (its `metrics` are the source's), so computing it directly gives the same rows.
   */
  projectionOf?: { view: string; metrics: Readonly<Record<string, string>> };
}

/** A real-time view kept by the speed function: event-time windows, exact and redelivery-safe. */
export interface SpeedViewDefinition {
  name: string;
  layer: 'speed';
  doc: string;
  sources: readonly Category[];
  where?: (event: LmsEvent) => boolean;
  /** Window length and slide in seconds; `day` windows follow the local calendar day. */
  window: { size: number | 'day'; slide: number | 'day' };
  keys: Record<string, Key<LmsEvent>>;
  /** Only count, countDistinct and sum: they are stored as facts (one row per event or member). */
  metrics: Record<string, Metric<LmsEvent>>;
}

export type ViewDefinition = BatchViewDefinition<never> | SpeedViewDefinition;

/** Declares a batch view over raw events. */
export const defineBatchView = (
  view: Omit<BatchViewDefinition<LmsEvent>, 'layer'>,
): BatchViewDefinition<never> => ({ layer: 'batch', ...view }) as BatchViewDefinition<never>;

/** Declares a batch view over the rows of another view (`from`), e.g. sessions built from LOGIN/LOGOUT pairs. */
export const defineBatchViewOver =
  <In>() =>
  (view: Omit<BatchViewDefinition<In>, 'layer'> & { from: string }): BatchViewDefinition<never> =>
    ({ layer: 'batch', ...view }) as unknown as BatchViewDefinition<never>;

/**
 * Declares a view computed with another stored all-time view of the job (`projectionOf`): the same groups,
 * with the source metrics named in `metrics` (own name → source metric; default: all of them, i.e. a copy
 * under another primary key, as Cassandra reverse lookups need). `derived`, `lookups` and `having` are the
 * source's unless given.
 */
export const defineBatchViewProjection = (
  source: BatchViewDefinition<never>,
  projection: Pick<
    BatchViewDefinition<never>,
    'name' | 'doc' | 'partitionKey' | 'clustering' | 'derived' | 'lookups' | 'having'
  > & { metrics?: Record<string, string> },
): BatchViewDefinition<never> => {
  if (source.period !== 'all' || source.intermediate || source.projectionOf !== undefined)
    throw new Error(
      `${projection.name}: only a stored all-time view can be projected (${source.name} cannot)`,
    );
  const { metrics: names, ...own } = projection;
  const renamed = names ?? Object.fromEntries(Object.keys(source.metrics).map((name) => [name, name]));
  const metrics: Record<string, Metric<never>> = {};
  for (const [name, from] of Object.entries(renamed)) {
    const metric = source.metrics[from];
    if (!metric) throw new Error(`${projection.name}: ${source.name} has no metric ${from}`);
    metrics[name] = metric;
  }
  return { ...source, ...own, metrics, projectionOf: { view: source.name, metrics: renamed } };
};

export const defineSpeedView = (view: Omit<SpeedViewDefinition, 'layer'>): SpeedViewDefinition => ({
  layer: 'speed',
  ...view,
});

/** Event time in epoch ms; batch readers attach it as `ms` so it is not re-parsed per view. */
export const eventMs = (e: LmsEvent): number => (e as LmsEvent & { ms?: number }).ms ?? Date.parse(e.time);

/** `part / whole × 100` rounded to 2 decimals (the older system's decimal(5,2)); null when whole is 0 or absent. */
export const percent = (part: Value | undefined, whole: Value | undefined): number | null =>
  typeof part === 'number' && typeof whole === 'number' && whole > 0
    ? Math.round((part / whole) * 10_000) / 100
    : null;

/** Shorthands for common keys. */
export const key = {
  text: <In>(value: (input: In) => Value | undefined, doc?: string): Key<In> => ({
    type: 'text',
    value,
    ...(doc ? { doc } : {}),
  }),
  int: <In>(value: (input: In, context: ViewContext) => Value | undefined, doc?: string): Key<In> => ({
    type: 'int',
    value,
    ...(doc ? { doc } : {}),
  }),
  /** Local hour of day (0-23) of the event time. */
  hour: (): Key<LmsEvent> => ({
    type: 'int',
    value: (e, c) => c.calendar.hour(eventMs(e)),
    doc: 'local hour of day',
  }),
};
