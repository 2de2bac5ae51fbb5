/**
 * The restricted personal-data table (`ULA_PII=store`; Trino `lake.personal.profile`, readable by the
 * privacy role only): the personal fields ingest keeps out of the raw lake, one row per event that carried
 * any, keyed by user id. Its own prefix, so storage policies and erasure can treat it apart:
 * `personal/profile/date=YYYY-MM-DD/hour=HH/<hash of the event ids>.parquet` (UTC hour of the event), so a
 * retried flush overwrites its file. This file is the one place that defines its columns (writer, reader,
 * Trino DDL).
 */
import type { ObjectStore } from '../adapters/object-store.ts';
import type { PersonalRecord } from '../privacy/personal.ts';
import { decodeLakeRows, encodeLakeRows, type HourlyTable, readLakeRows, writeHourly } from './lake-table.ts';
import type { ColumnSpec } from './raw-schema.ts';

export const personalDataPrefix = 'personal/profile/';
/** Trino schema and table of the restricted table (`lake.personal.profile`). */
export const personalSchema = 'personal';
export const personalDataTable = 'profile';

export interface PersonalDataRow {
  /** The user id as the views know it (a pseudonym when `ULA_PSEUDONYMIZE=hmac`). */
  user_id: string;
  /** The id the LMS sent; null unless pseudonymised. */
  original_user_id: string | null;
  event_id: string;
  event_type: string;
  event_time: Date;
  ingest_time: Date;
  /** The personal fields of the event as JSON text (e-mail, name, birth date, gender, phone...). */
  fields: string;
}

export const personalDataColumns: readonly ColumnSpec<PersonalDataRow>[] = [
  { name: 'user_id', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'user id as in the views' },
  {
    name: 'original_user_id',
    parquet: 'STRING',
    nullable: true,
    trino: 'varchar',
    doc: 'id as sent; null unless pseudonymised',
  },
  { name: 'event_id', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'CloudEvent id' },
  { name: 'event_type', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'e.g. CREATE_PROFILE' },
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
  { name: 'fields', parquet: 'STRING', nullable: false, trino: 'varchar', doc: 'personal fields as JSON' },
];

export const toPersonalDataRow = (record: PersonalRecord, ingestTime: Date): PersonalDataRow => ({
  user_id: record.userId,
  original_user_id: record.originalUserId,
  event_id: record.event.id,
  event_type: record.event.eventType,
  event_time: new Date(record.event.time),
  ingest_time: ingestTime,
  fields: JSON.stringify(record.fields),
});

/** The table's files: one per UTC hour of the event, named by the event ids. */
export const personalDataTableFiles: HourlyTable<PersonalDataRow> = {
  prefix: personalDataPrefix,
  columns: personalDataColumns,
  timeOf: (row) => row.event_time,
  idOf: (row) => row.event_id,
  createdBy: 'ula-ingest (hyparquet-writer)',
};

export const encodePersonalData = (rows: readonly PersonalDataRow[]): Uint8Array =>
  encodeLakeRows(personalDataColumns, rows, personalDataTableFiles.createdBy);

export const decodePersonalData = (bytes: Uint8Array): Promise<PersonalDataRow[]> =>
  decodeLakeRows(personalDataColumns, bytes);

/** Writes the rows as one file per UTC hour of the event; resolves once every file is durable. */
export const writePersonalData = (store: ObjectStore, rows: readonly PersonalDataRow[]) =>
  writeHourly(store, personalDataTableFiles, rows);

/** Every row under the table's prefix (tests, erasure and tools; analysts read it through Trino). */
export const readPersonalData = (
  store: ObjectStore,
  prefix = personalDataPrefix,
): Promise<PersonalDataRow[]> => readLakeRows(store, personalDataColumns, prefix);
