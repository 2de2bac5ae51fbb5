/**
 * The lake compaction as a run of the batch entry point (`--job compact`, or a JobSink event): compacts
 * the closed hours of the request's UTC dates (lake/compaction.ts) and records the run in `batch_runs`
 * like a view job, so the trigger service and Airflow's sensor read its status the same way.
 */
import type { ObjectStore } from '../adapters/object-store.ts';
import type { ViewStore } from '../adapters/view-store.ts';
import { type CompactionReport, compactLake } from '../lake/compaction.ts';
import { recordedRun } from './recorded-run.ts';
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

export function runCompaction(options: CompactionRunOptions): Promise<CompactionReport> {
  const { request, runId, views } = options;
  const now = options.now ?? Date.now;
  return recordedRun(
    {
      views,
      run: { runId, job: request.job, from: request.from, to: request.to },
      now,
      counts: (report) => ({
        eventsRead: report.compacted.reduce((n, p) => n + p.events, 0),
        rowsWritten: report.compacted.reduce((n, p) => n + p.filesAfter, 0),
      }),
      failure: (message) =>
        `lake compaction ${request.from}..${request.to} failed: ${message} (rerun: compaction is idempotent)`,
    },
    () =>
      compactLake({
        lake: options.lake,
        from: request.from,
        to: request.to,
        now,
        ...(options.latenessMs !== undefined ? { latenessMs: options.latenessMs } : {}),
        ...(options.log ? { log: options.log } : {}),
      }),
  );
}
