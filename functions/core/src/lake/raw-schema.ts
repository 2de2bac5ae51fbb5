/**
 * The raw lake table: one row per accepted event, one Parquet file per group-commit batch and
 * (category, UTC date, UTC hour). This file is the one place that defines its columns; the Parquet writer,
 * the reader and the Trino DDL (`trino/lake/raw_tables.sql`, `trino-tables.ts`) follow from it.
 *
 * Partitions are storage, not calendar buckets: `date`/`hour` are the **UTC** date and hour of the event
 * time, so every file belongs to exactly one immutable UTC hour. Views bucket by the analytics time zone.
 */
import type { SchemaElement } from 'hyparquet-writer';
import type { BaseEventData, Category, LmsEvent } from '../events/envelope.ts';

export interface RawEventRow {
  event_id: string;
  /** Reference event type, upper-case, e.g. `VIDEO_WATCHED`. */
  event_type: string;
  category: string;
  user_id: string;
  role: string;
  course_id: string | null;
  /** Event time (UTC instant, millisecond precision). */
  event_time: Date;
  /** When ingest accepted the event. */
  ingest_time: Date;
  /** The full event data as JSON text (unknown fields preserved). */
  data: string;
}

/** One column of a lake table: its Parquet type, nullability, Trino type and doc (the Trino DDL derives from these). */
export interface ColumnSpec<Row = RawEventRow> {
  name: keyof Row & string;
  /** Parquet physical/logical type. */
  parquet: 'STRING' | 'TIMESTAMP_MILLIS_UTC' | 'INT32' | 'BOOLEAN';
  nullable: boolean;
  /** Column type in Trino's Hive connector. */
  trino: string;
  doc: string;
}

export const rawColumns: readonly ColumnSpec[] = [
  { name: 'event_id', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'CloudEvent id (UUID v7)' },
  { name: 'event_type', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'e.g. VIDEO_WATCHED' },
  { name: 'category', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'auth, video, ...' },
  { name: 'user_id', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'data.user_id' },
  { name: 'role', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'student or teacher' },
  { name: 'course_id', parquet: 'STRING', nullable: true, trino: 'varchar', doc: 'data.course_id if any' },
  {
    name: 'event_time',
    parquet: 'TIMESTAMP_MILLIS_UTC',
    nullable: false,
    trino: 'timestamp(3)',
    doc: 'event time, UTC',
  },
  {
    name: 'ingest_time',
    parquet: 'TIMESTAMP_MILLIS_UTC',
    nullable: false,
    trino: 'timestamp(3)',
    doc: 'accepted at, UTC',
  },
  { name: 'data', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'full data as JSON text' },
];

/** Hive partition columns of every raw table (path segments `date=YYYY-MM-DD/hour=HH`). */
export const rawPartitionColumns = ['date', 'hour'] as const;

/** The Parquet schema of a lake file with these columns (flat, V1-compatible logical types); raw files by default. */
export function rawParquetSchema<Row>(
  columns: readonly ColumnSpec<Row>[] = rawColumns as never,
): SchemaElement[] {
  return [
    { name: 'root', num_children: columns.length },
    ...columns.map((c): SchemaElement => {
      const repetition_type = c.nullable ? 'OPTIONAL' : 'REQUIRED';
      switch (c.parquet) {
        case 'STRING':
          return {
            name: c.name,
            type: 'BYTE_ARRAY',
            converted_type: 'UTF8',
            logical_type: { type: 'STRING' },
            repetition_type,
          };
        case 'TIMESTAMP_MILLIS_UTC':
          return {
            name: c.name,
            type: 'INT64',
            converted_type: 'TIMESTAMP_MILLIS',
            logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
            repetition_type,
          };
        default:
          return { name: c.name, type: c.parquet, repetition_type };
      }
    }),
  ];
}

/** The raw row of a validated event. */
export function toRawRow(event: LmsEvent, ingestTime: Date): RawEventRow {
  const courseId = event.data['course_id'];
  return {
    event_id: event.id,
    event_type: event.eventType,
    category: event.category,
    user_id: event.data.user_id,
    role: event.data.role,
    course_id: typeof courseId === 'string' ? courseId : null,
    event_time: new Date(event.time),
    ingest_time: ingestTime,
    data: JSON.stringify(event.data),
  };
}

/** A raw row read back: the event as it was accepted, plus when. */
export interface RawEvent extends LmsEvent {
  ingestTime: string;
}

export function fromRawRow(row: RawEventRow): RawEvent {
  return {
    id: row.event_id,
    category: row.category as Category,
    eventType: row.event_type,
    time: row.event_time.toISOString(),
    ingestTime: row.ingest_time.toISOString(),
    data: JSON.parse(row.data) as BaseEventData,
  };
}
