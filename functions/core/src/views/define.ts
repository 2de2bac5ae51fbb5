import type { RiskThresholds } from '../categories/student-course/risk.ts';
import type { Category, LmsEvent } from '../events/envelope.ts';
import type { AnyEvent, EventNamed, EventOf, EventTypeName } from '../events/typed.ts';
import type { Metric } from './aggregates.ts';
import type { ColumnType, Row, Value } from './columns.ts';
import type { LocalCalendar } from './time.ts';

/** What key and metric functions may use besides the input: the analytics calendar. */
export interface ViewContext {
  calendar: LocalCalendar;
}

/**
 * What derived columns may read besides the row and its lookups: the instant the view's state is exact up
 * to (`asOf`: local midnight after the newest day it includes; set for views declaring `asOf`), and the
 * configured thresholds of rules such as the at-risk score (defaults when absent).
 */
export interface FinishContext {
  asOf?: number;
  risk?: RiskThresholds;
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
  value: (row: Row, lookups: Record<string, Row | undefined>, finish: FinishContext) => Value;
  doc?: string;
  /**
   * Every value the column can take, for a bounded partition key (listing buckets): a view written whole
   * replaces each of these partitions, so one that all its rows left is emptied, not left stale.
   */
  domain?: readonly Value[];
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

/**
 * An exact view recomputed from the lake by a batch job. `In` is what keys and metrics read (the events, or
 * the rows of `from`, or the pieces of `explode`); `Event` is what `where` and `explode` read.
 */
export interface BatchViewDefinition<In = LmsEvent, Event = In> {
  name: string;
  layer: 'batch';
  job: BatchJob;
  doc: string;
  /** Categories whose raw events feed the view (or, with `from`, of the view it reads). */
  sources: readonly Category[];
  /** Reads the rows of another (intermediate) view instead of raw events. */
  from?: string;
  where?: (input: Event) => boolean;
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
  explode?: (input: Event) => readonly In[];
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
  /**
   * All-time views whose derived columns read `FinishContext.asOf` (e.g. days since the last activity):
   * every row is refinished whenever a run changes the view's state, not only the grains its events
   * touched, since the as-of instant moved for all of them. When the primary key holds a derived column
   * (a ranking), the rows replace their partitions whole, so a row whose key moved leaves no stale copy.
   */
  asOf?: true;
}

/** A real-time view kept by the speed function: event-time windows, exact and redelivery-safe. */
export interface SpeedViewDefinition<In = LmsEvent, Event = In> {
  name: string;
  layer: 'speed';
  doc: string;
  sources: readonly Category[];
  where?: (event: Event) => boolean;
  /** Window length and slide in seconds; `day` windows follow the local calendar day. */
  window: { size: number | 'day'; slide: number | 'day' };
  keys: Record<string, Key<In>>;
  /** Only count, countDistinct and sum: they are stored as facts (one row per event or member). */
  metrics: Record<string, Metric<In>>;
}

export type ViewDefinition = BatchViewDefinition<never> | SpeedViewDefinition;

/** The categories holding some event types. */
type CategoryOf<T extends EventTypeName> = EventNamed<T>['category'];

/**
 * What a view over raw events declares, for the event types `T` it reads (default: any). Keys and metrics
 * read events typed from the catalogue's schemas (`EventNamed<T>`): `e.data.<field>` is typed as the event
 * type declares it, and a misspelt field or a field of another event type fails `tsc`. `where` sees every
 * event of the categories of `T`; when those hold other event types too, it must be a type guard that keeps
 * only `T` (e.g. `isEvent('VIDEO_WATCHED')`, or `(e): e is … => …`), so the types cannot claim more than the filter lets through.
 * With `explode`, keys and metrics read its pieces (`In`).
 */
export type EventViewDeclaration<View, T extends EventTypeName, In> = Omit<
  View,
  'layer' | 'sources' | 'where' | 'explode' | 'from' | 'keys' | 'metrics'
> & {
  sources: readonly CategoryOf<T>[];
  explode?: (event: EventNamed<T>) => readonly In[];
  keys: Record<string, Key<In>>;
  metrics: Record<string, Metric<In>>;
} & (EventOf<CategoryOf<T>> extends EventNamed<T>
    ? { where?: (event: EventOf<CategoryOf<T>>) => boolean }
    : { where: (event: AnyEvent) => event is EventNamed<T> });

/**
 * Declares a batch view over raw events of the event types `T` (see `EventViewDeclaration`), e.g.
 * `defineBatchView<'VIDEO_WATCHED'>({ sources: ['video'], … })`. Without `T`, a view reads any event, i.e.
 * only the fields every event has (`user_id`, `role`). `T` is given, never inferred: inferring it from the
 * declaration would leave the keys' and metrics' callbacks untyped.
 */
export function defineBatchView(
  view: EventViewDeclaration<BatchViewDefinition<AnyEvent>, EventTypeName, AnyEvent>,
): BatchViewDefinition<never>;
export function defineBatchView<T extends EventTypeName, In = EventNamed<T>>(
  view: NoInfer<EventViewDeclaration<BatchViewDefinition<In>, T, In>>,
): BatchViewDefinition<never>;
export function defineBatchView(view: object): BatchViewDefinition<never> {
  return { layer: 'batch', ...view } as BatchViewDefinition<never>;
}

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
    'name' | 'doc' | 'partitionKey' | 'clustering' | 'derived' | 'lookups' | 'having' | 'asOf'
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

/** Declares a speed view over raw events of the event types `T`, typed as batch views are. */
export function defineSpeedView(
  view: EventViewDeclaration<SpeedViewDefinition<AnyEvent>, EventTypeName, AnyEvent>,
): SpeedViewDefinition;
export function defineSpeedView<T extends EventTypeName>(
  view: NoInfer<EventViewDeclaration<SpeedViewDefinition<EventNamed<T>>, T, EventNamed<T>>>,
): SpeedViewDefinition;
export function defineSpeedView(view: object): SpeedViewDefinition {
  return { layer: 'speed', ...view } as SpeedViewDefinition;
}

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
