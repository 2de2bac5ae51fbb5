/**
 * The lake compaction as a run of the batch entry point (`--job compact`, or a JobSink event): compacts
 * the closed hours of the request's UTC dates (lake/compaction.ts) and records the run in `batch_runs`
 * like a view job, so the trigger service and Airflow's sensor read its status the same way.
 */
import type { ObjectStore } from '../adapters/object-store.ts';
import type { ViewStore } from '../adapters/view-store.ts';
import { type CompactionReport, compactLake } from '../lake/compaction.ts';
import type { Row } from '../views/columns.ts';
import { type BatchRunRecord, batchRunRow, batchRuns } from '../views/system-tables.ts';
import type { BatchRequest } from './request.ts';

export interface CompactionRunOptions {
  request: BatchRequest;
  runId: string;
  lake: ObjectStore;
  views: ViewStore;
  now?: () => number;
  latenessMs?: number;
  log?: (entry: Record<string, unknown>) => void;
}

export async function runCompaction(options: CompactionRunOptions): Promise<CompactionReport> {
  const { request, runId, views } = options;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const row = (
    status: BatchRunRecord['status'],
    report?: CompactionReport,
    error: string | null = null,
  ): Row =>
    batchRunRow({
      runId,
      job: request.job,
      from: request.from,
      to: request.to,
      status,
      startedAt,
      finishedAt: now(),
      eventsRead: report ? report.compacted.reduce((n, p) => n + p.events, 0) : 0,
      rowsWritten: report ? report.compacted.reduce((n, p) => n + p.filesAfter, 0) : 0,
      error,
    });
  await views.ensureTables([batchRuns]);
  await views.upsert(batchRuns, [row('running')]);
  let report: CompactionReport;
  try {
    report = await compactLake({
      lake: options.lake,
      from: request.from,
      to: request.to,
      now,
      ...(options.latenessMs !== undefined ? { latenessMs: options.latenessMs } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    await views.upsert(batchRuns, [row('failed', undefined, message.split('\n')[0]!)]);
    throw new Error(
      `lake compaction ${request.from}..${request.to} failed: ${message} (rerun: compaction is idempotent)`,
    );
  }
  await views.upsert(batchRuns, [row('succeeded', report)]);
  return report;
}
