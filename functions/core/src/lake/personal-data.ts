/**
 * The restricted personal-data table (`ULA_PII=store`; Trino `lake.personal.profile`, readable by the
 * privacy role only): the personal fields ingest keeps out of the raw lake, one row per event that carried
 * any, keyed by user id. Its own prefix, so storage policies and erasure can treat it apart:
 * `personal/profile/date=YYYY-MM-DD/hour=HH/<hash of the event ids>.parquet` (UTC hour of the event), so a
 * retried flush overwrites its file. This file is the one place that defines its columns (writer, reader,
 * Trino DDL).
 */
import { parquetReadObjects } from 'hyparquet';
import { ByteWriter, parquetWrite } from 'hyparquet-writer';
import type { ObjectStore } from '../adapters/object-store.ts';
import type { PersonalRecord } from '../privacy/personal.ts';
import { batchName, type UtcHour, utcHourOf } from './paths.ts';
import { parquetContentType } from './raw-lake.ts';
import { type ColumnSpec, rawParquetSchema } from './raw-schema.ts';

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

const parquetSchema = rawParquetSchema(personalDataColumns);

export const toPersonalDataRow = (record: PersonalRecord, ingestTime: Date): PersonalDataRow => ({
  user_id: record.userId,
  original_user_id: record.originalUserId,
  event_id: record.event.id,
  event_type: record.event.eventType,
  event_time: new Date(record.event.time),
  ingest_time: ingestTime,
  fields: JSON.stringify(record.fields),
});

export function encodePersonalData(rows: readonly PersonalDataRow[]): Uint8Array {
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    schema: parquetSchema,
    columnData: personalDataColumns.map((c) => ({ name: c.name, data: rows.map((r) => r[c.name]) })),
    rowGroupSize: Math.max(rows.length, 1),
    statistics: true,
    createdBy: 'ula-ingest (hyparquet-writer)',
  });
  return new Uint8Array(writer.getBuffer());
}

const toDate = (value: unknown): Date =>
  value instanceof Date ? value : new Date(typeof value === 'bigint' ? Number(value) : (value as number));

export async function decodePersonalData(bytes: Uint8Array): Promise<PersonalDataRow[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  return rows.map((r) => ({
    user_id: String(r['user_id']),
    original_user_id:
      r['original_user_id'] === null || r['original_user_id'] === undefined
        ? null
        : String(r['original_user_id']),
    event_id: String(r['event_id']),
    event_type: String(r['event_type']),
    event_time: toDate(r['event_time']),
    ingest_time: toDate(r['ingest_time']),
    fields: String(r['fields']),
  }));
}

export const personalDataPartitionPrefix = (p: UtcHour): string =>
  `${personalDataPrefix}date=${p.date}/hour=${p.hour}/`;

/** Writes the rows as one file per UTC hour of the event; resolves once every file is durable. */
export async function writePersonalData(
  store: ObjectStore,
  rows: readonly PersonalDataRow[],
): Promise<{ key: string; bytes: number; rows: number }[]> {
  const byHour = new Map<string, PersonalDataRow[]>();
  for (const row of rows) {
    const prefix = personalDataPartitionPrefix(utcHourOf(row.event_time));
    const group = byHour.get(prefix) ?? [];
    if (group.length === 0) byHour.set(prefix, group);
    group.push(row);
  }
  return Promise.all(
    [...byHour].map(async ([prefix, group]) => {
      const key = `${prefix}${batchName(group.map((r) => r.event_id))}.parquet`;
      const body = encodePersonalData(group);
      await store.put(key, body, parquetContentType);
      return { key, bytes: body.byteLength, rows: group.length };
    }),
  );
}

/** Every row under the table's prefix (tests, erasure and tools; analysts read it through Trino). */
export async function readPersonalData(
  store: ObjectStore,
  prefix = personalDataPrefix,
): Promise<PersonalDataRow[]> {
  const files = await store.list(prefix);
  const rows = await Promise.all(
    files.map(async (f) => {
      const bytes = await store.get(f.key);
      return bytes ? decodePersonalData(bytes) : [];
    }),
  );
  return rows.flat();
}
