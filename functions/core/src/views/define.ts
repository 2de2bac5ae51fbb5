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

/** A column computed from the finished row (ratios, units, buckets). */
export interface Derived {
  type: ColumnType;
  value: (row: Row) => Value;
  doc?: string;
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
  keys: Record<string, Key<In>>;
  partitionKey: readonly string[];
  clustering?: readonly { name: string; order: 'ASC' | 'DESC' }[];
  metrics: Record<string, Metric<In>>;
  derived?: Record<string, Derived>;
  /** Intermediate views feed other views and are not stored in Cassandra. */
  intermediate?: boolean;
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

export const defineSpeedView = (view: Omit<SpeedViewDefinition, 'layer'>): SpeedViewDefinition => ({
  layer: 'speed',
  ...view,
});

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
    value: (e, c) => c.calendar.hour(e.time),
    doc: 'local hour of day',
  }),
};
