/**
 * The erasure audit table (`audit/erasure/<hash of the request id>.parquet`, Trino `lake.audit.erasure`): one
 * row per finished erasure request (batch/erase.ts), with what was removed in counts and NO personal data:
 * not the user id; the request id is the link to the request. This file is the one place that defines its
 * columns (writer, reader, Trino DDL).
 */
import { createHash } from 'node:crypto';
import { parquetReadObjects } from 'hyparquet';
import { ByteWriter, parquetWrite, type SchemaElement } from 'hyparquet-writer';

export const erasureAuditPrefix = 'audit/erasure/';
/** Trino schema and table (`lake.audit.erasure`). */
export const auditSchema = 'audit';
export const erasureAuditTable = 'erasure';

const requestHash = (requestId: string) => createHash('sha256').update(requestId).digest('hex').slice(0, 32);
/** One object per request, named by the hash of its id: a request's record is found without a listing. */
export const erasureAuditKey = (requestId: string) =>
  `${erasureAuditPrefix}${requestHash(requestId)}.parquet`;

export interface ErasureAuditRow {
  request_id: string;
  run_id: string;
  started_at: Date;
  finished_at: Date;
  events: boolean;
  personal_rows: number;
  events_removed: number;
  statements_removed: number;
  files_rewritten: number;
  /** JSON: batch view rows removed per view. */
  view_rows: string;
  /** JSON: speed facts removed per view. */
  speed_rows: string;
  days_recomputed: number;
  aggregates_recomputed: boolean;
}

interface AuditColumn {
  name: keyof ErasureAuditRow;
  parquet: 'STRING' | 'TIMESTAMP' | 'INT32' | 'BOOLEAN';
  /** Column type in Trino's Hive connector. */
  trino: string;
  doc: string;
}

export const erasureAuditColumns: readonly AuditColumn[] = [
  {
    name: 'request_id',
    parquet: 'STRING',
    trino: 'varchar',
    doc: 'the request id (the link to the request)',
  },
  { name: 'run_id', parquet: 'STRING', trino: 'varchar', doc: 'the batch run that erased' },
  { name: 'started_at', parquet: 'TIMESTAMP', trino: 'timestamp(3)', doc: 'first attempt started, UTC' },
  { name: 'finished_at', parquet: 'TIMESTAMP', trino: 'timestamp(3)', doc: 'finished, UTC' },
  { name: 'events', parquet: 'BOOLEAN', trino: 'boolean', doc: 'the events were erased too' },
  { name: 'personal_rows', parquet: 'INT32', trino: 'integer', doc: 'personal-data rows removed' },
  { name: 'events_removed', parquet: 'INT32', trino: 'integer', doc: 'raw events removed' },
  { name: 'statements_removed', parquet: 'INT32', trino: 'integer', doc: 'xAPI statements removed' },
  { name: 'files_rewritten', parquet: 'INT32', trino: 'integer', doc: 'lake files that held any' },
  { name: 'view_rows', parquet: 'STRING', trino: 'varchar', doc: 'JSON: batch view rows removed per view' },
  { name: 'speed_rows', parquet: 'STRING', trino: 'varchar', doc: 'JSON: speed facts removed per view' },
  { name: 'days_recomputed', parquet: 'INT32', trino: 'integer', doc: 'local days the batch recomputed' },
  {
    name: 'aggregates_recomputed',
    parquet: 'BOOLEAN',
    trino: 'boolean',
    doc: 'batch rebuilt without the user (false: no events erased, or a retention horizon kept the aggregates)',
  },
];

const parquetSchema: SchemaElement[] = [
  { name: 'root', num_children: erasureAuditColumns.length },
  ...erasureAuditColumns.map(
    (c): SchemaElement =>
      c.parquet === 'STRING'
        ? {
            name: c.name,
            type: 'BYTE_ARRAY',
            converted_type: 'UTF8',
            logical_type: { type: 'STRING' },
            repetition_type: 'REQUIRED',
          }
        : c.parquet === 'TIMESTAMP'
          ? {
              name: c.name,
              type: 'INT64',
              converted_type: 'TIMESTAMP_MILLIS',
              logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
              repetition_type: 'REQUIRED',
            }
          : { name: c.name, type: c.parquet, repetition_type: 'REQUIRED' },
  ),
];

export function encodeErasureAudit(row: ErasureAuditRow): Uint8Array {
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    schema: parquetSchema,
    columnData: erasureAuditColumns.map((c) => ({ name: c.name, data: [row[c.name]] })),
    rowGroupSize: 1,
    createdBy: 'ula-batch erase (hyparquet-writer)',
  });
  return new Uint8Array(writer.getBuffer());
}

export async function decodeErasureAudit(bytes: Uint8Array): Promise<ErasureAuditRow> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const [r] = (await parquetReadObjects({ file })) as Record<string, unknown>[];
  if (!r) throw new Error('empty erasure audit record');
  const time = (v: unknown) => (v instanceof Date ? v : new Date(Number(v)));
  return {
    request_id: String(r['request_id']),
    run_id: String(r['run_id']),
    started_at: time(r['started_at']),
    finished_at: time(r['finished_at']),
    events: Boolean(r['events']),
    personal_rows: Number(r['personal_rows']),
    events_removed: Number(r['events_removed']),
    statements_removed: Number(r['statements_removed']),
    files_rewritten: Number(r['files_rewritten']),
    view_rows: String(r['view_rows']),
    speed_rows: String(r['speed_rows']),
    days_recomputed: Number(r['days_recomputed']),
    aggregates_recomputed: Boolean(r['aggregates_recomputed']),
  };
}
