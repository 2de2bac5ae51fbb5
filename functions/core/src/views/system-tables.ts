import type { Row, TableDefinition } from './columns.ts';

/** One row per batch run: what the trigger service reports and what Airflow waits on. */
export const batchRuns: TableDefinition = {
  name: 'batch_runs',
  doc: 'Batch job runs: status, range, row counts, timings and the watermark they made exact.',
  columns: [
    { name: 'run_id', type: 'text' },
    { name: 'job', type: 'text' },
    { name: 'range_from', type: 'date' },
    { name: 'range_to', type: 'date' },
    { name: 'status', type: 'text', doc: 'running | succeeded | failed' },
    { name: 'started_at', type: 'timestamp' },
    { name: 'finished_at', type: 'timestamp' },
    { name: 'events_read', type: 'bigint' },
    { name: 'rows_written', type: 'bigint' },
    { name: 'days_recomputed', type: 'text', doc: 'comma-separated local dates' },
    { name: 'watermark', type: 'timestamp', doc: 'instant up to which the job views are exact' },
    { name: 'error', type: 'text' },
  ],
  partitionKey: ['run_id'],
  clustering: [],
};

/** What one run of the batch entry point (a view job or the compaction) records in `batch_runs`. */
export interface BatchRunRecord {
  runId: string;
  job: string;
  from: string;
  to: string;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: number;
  finishedAt: number;
  eventsRead: number;
  rowsWritten: number;
  daysRecomputed?: readonly string[];
  watermark?: number | null;
  error?: string | null;
}

/** The `batch_runs` row of a run (finished_at stays empty while it runs). */
export const batchRunRow = (run: BatchRunRecord): Row => ({
  run_id: run.runId,
  job: run.job,
  range_from: run.from,
  range_to: run.to,
  status: run.status,
  started_at: run.startedAt,
  finished_at: run.status === 'running' ? null : run.finishedAt,
  events_read: run.eventsRead,
  rows_written: run.rowsWritten,
  days_recomputed: (run.daysRecomputed ?? []).join(','),
  watermark: run.watermark ?? null,
  error: run.error ?? null,
});

/** Per view, the instant up to which batch rows are exact: readers take speed rows only after it. */
export const batchWatermarks: TableDefinition = {
  name: 'batch_watermarks',
  doc: 'Per batch view: the watermark of its last successful run (the Lambda merge point).',
  columns: [
    { name: 'view_name', type: 'text' },
    { name: 'watermark', type: 'timestamp' },
    { name: 'run_id', type: 'text' },
    { name: 'updated_at', type: 'timestamp' },
  ],
  partitionKey: ['view_name'],
  clustering: [],
};

/**
 * The xAPI LRS's registry of stored statement ids (functions/xapi): a resent id with the same content is
 * answered without being stored again, one with other content gets 409. Written after the statement's lake
 * file and derived events, so a row means the statement is stored.
 */
export const xapiStatementIds: TableDefinition = {
  name: 'xapi_statement_ids',
  doc: 'xAPI statement ids the LRS stored: content hash (statement comparison rules) and when it was stored.',
  columns: [
    { name: 'statement_id', type: 'text' },
    {
      name: 'content_hash',
      type: 'text',
      doc: 'SHA-256 of the canonical statement content (xapi/validate.ts)',
    },
    { name: 'stored', type: 'timestamp' },
  ],
  partitionKey: ['statement_id'],
  clustering: [],
};

export const systemTables: readonly TableDefinition[] = [batchRuns, batchWatermarks, xapiStatementIds];
