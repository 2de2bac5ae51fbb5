/**
 * The lake table of xAPI statements (`lake.raw.xapi_statements` in Trino): every statement the LRS accepted,
 * mapped or not, in its redacted stored form (no mbox, no names: xapi/identity.ts redactStatement), with the
 * columns analysts filter on. One Parquet file per group commit and UTC hour of `stored`:
 * `xapi/statements/date=YYYY-MM-DD/hour=HH/<hash of the statement ids>.parquet`, so a retried flush of the
 * same statements overwrites its file. A statement resent after a crash between its lake write and its
 * registry row can sit in two files: readers keep one row per statement_id (the earliest stored).
 *
 * This file is the one place that defines the table's columns (writer, reader, Trino DDL).
 */
import type { ObjectStore } from '../adapters/object-store.ts';
import {
  decodeLakeRows,
  encodeLakeRows,
  type HourlyTable,
  hourlyPartitionPrefix,
  readLakeRows,
  writeHourly,
} from './lake-table.ts';
import type { UtcHour } from './paths.ts';
import type { ColumnSpec } from './raw-schema.ts';

export const xapiStatementsPrefix = 'xapi/statements/';
/** The table's name in Trino's raw schema (`lake.raw.xapi_statements`). */
export const xapiStatementsTable = 'xapi_statements';

export interface XapiStatementRow {
  statement_id: string;
  /** Verb IRI. */
  verb: string;
  /** `object.definition.type`, '' when absent. */
  activity_type: string;
  /** The object's id (activity IRI, statement id), null for an Agent or Group object. */
  object_id: string | null;
  /** The mapped (hashed unless an LMS account) user id of the actor; null for an anonymous group. */
  user_id: string | null;
  registration: string | null;
  /** The mapping rule that matched; null: unmapped. */
  rule: string | null;
  /** Ids of the derived catalogue events, comma-separated ('' when none). */
  event_ids: string;
  /** Their event types, comma-separated, same order. */
  event_types: string;
  /** The statement's `timestamp` (UTC). */
  statement_time: Date;
  /** When the LRS stored it (UTC); the partition. */
  stored: Date;
  /** The xAPI version of the request (1.0.3 or 2.0.0). */
  version: string;
  /** The stored statement as JSON, redacted. */
  statement: string;
}

export const xapiStatementColumns: readonly ColumnSpec<XapiStatementRow>[] = [
  { name: 'statement_id', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'statement id (UUID)' },
  { name: 'verb', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'verb IRI' },
  {
    name: 'activity_type',
    parquet: 'STRING',
    nullable: false,
    trino: 'varchar',
    doc: "object.definition.type, '' if none",
  },
  {
    name: 'object_id',
    parquet: 'STRING',
    nullable: true,
    trino: 'varchar',
    doc: 'activity IRI or statement id',
  },
  { name: 'user_id', parquet: 'STRING', nullable: true, trino: 'varchar', doc: 'mapped user id (hashed)' },
  { name: 'registration', parquet: 'STRING', nullable: true, trino: 'varchar', doc: 'context.registration' },
  { name: 'rule', parquet: 'STRING', nullable: true, trino: 'varchar', doc: 'mapping rule; null = unmapped' },
  {
    name: 'event_ids',
    parquet: 'STRING',
    nullable: false,
    trino: 'varchar',
    doc: 'derived event ids, comma-separated',
  },
  { name: 'event_types', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'derived event types' },
  {
    name: 'statement_time',
    parquet: 'TIMESTAMP_MILLIS_UTC',
    nullable: false,
    trino: 'timestamp(3)',
    doc: 'statement timestamp, UTC',
  },
  {
    name: 'stored',
    parquet: 'TIMESTAMP_MILLIS_UTC',
    nullable: false,
    trino: 'timestamp(3)',
    doc: 'stored at, UTC',
  },
  {
    name: 'version',
    parquet: 'STRING',
    nullable: false,
    trino: 'varchar',
    doc: 'xAPI version of the request',
  },
  { name: 'statement', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'redacted statement JSON' },
];

/** The table's files: one per UTC hour of `stored`, named by the statement ids. */
export const xapiStatementFiles: HourlyTable<XapiStatementRow> = {
  prefix: xapiStatementsPrefix,
  columns: xapiStatementColumns,
  timeOf: (row) => row.stored,
  idOf: (row) => row.statement_id,
  createdBy: 'ula-xapi (hyparquet-writer)',
};

export const encodeXapiStatements = (rows: readonly XapiStatementRow[]): Uint8Array =>
  encodeLakeRows(xapiStatementColumns, rows, xapiStatementFiles.createdBy);

export const decodeXapiStatements = (bytes: Uint8Array): Promise<XapiStatementRow[]> =>
  decodeLakeRows(xapiStatementColumns, bytes);

export const xapiStatementsPartitionPrefix = (p: UtcHour): string =>
  hourlyPartitionPrefix(xapiStatementsPrefix, p);

/**
 * Writes the rows as one file per UTC hour of `stored`; resolves once every file is durable. Returns the
 * keys and bytes written.
 */
export const writeXapiStatements = (store: ObjectStore, rows: readonly XapiStatementRow[]) =>
  writeHourly(store, xapiStatementFiles, rows);

/** Every row under the table's prefix (tests and tools; a production reader is Trino). */
export const readXapiStatements = (
  store: ObjectStore,
  prefix = xapiStatementsPrefix,
): Promise<XapiStatementRow[]> => readLakeRows(store, xapiStatementColumns, prefix);
