/**
 * The erasure audit table (`audit/erasure/<hash of the request id>.parquet`, Trino `lake.audit.erasure`): one
 * row per finished erasure request (batch/erase.ts), with what was removed in counts and NO personal data:
 * not the user id; the request id is the link to the request. This file is the one place that defines its
 * columns (writer, reader, Trino DDL).
 */
import { createHash } from 'node:crypto';
import { decodeLakeRows, encodeLakeRows } from './lake-table.ts';
import type { ColumnSpec } from './raw-schema.ts';

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

/** Every column is required (`nullable: false`). */
type AuditColumn = Omit<ColumnSpec<ErasureAuditRow>, 'nullable'>;

const auditColumns: readonly AuditColumn[] = [
  {
    name: 'request_id',
    parquet: 'STRING',
    trino: 'varchar',
    doc: 'the request id (the link to the request)',
  },
  { name: 'run_id', parquet: 'STRING', trino: 'varchar', doc: 'the batch run that erased' },
  {
    name: 'started_at',
    parquet: 'TIMESTAMP_MILLIS_UTC',
    trino: 'timestamp(3)',
    doc: 'first attempt started, UTC',
  },
  { name: 'finished_at', parquet: 'TIMESTAMP_MILLIS_UTC', trino: 'timestamp(3)', doc: 'finished, UTC' },
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

export const erasureAuditColumns: readonly ColumnSpec<ErasureAuditRow>[] = auditColumns.map((c) => ({
  ...c,
  nullable: false,
}));

export const encodeErasureAudit = (row: ErasureAuditRow): Uint8Array =>
  encodeLakeRows(erasureAuditColumns, [row], 'ula-batch erase (hyparquet-writer)');

export async function decodeErasureAudit(bytes: Uint8Array): Promise<ErasureAuditRow> {
  const [row] = await decodeLakeRows(erasureAuditColumns, bytes);
  if (!row) throw new Error('empty erasure audit record');
  return row;
}
