/**
 * A lake job (compaction, retention, erasure) as a run of the batch entry point: recorded in `batch_runs`
 * (running → succeeded or failed) like a view job, so the trigger service and Airflow's sensor read its
 * status the same way.
 */
import type { ViewStore } from '../adapters/view-store.ts';
import { batchRunRow, batchRuns } from '../views/system-tables.ts';

export interface RunIdentity {
  runId: string;
  job: string;
  from: string;
  to: string;
}

export interface RecordedRun<Report> {
  views: ViewStore;
  run: RunIdentity;
  now: () => number;
  /** What the run's row counts for a finished report. */
  counts(report: Report): { eventsRead: number; rowsWritten: number };
  /** The error thrown for a failed run, from the failure's first line (say how to recover). */
  failure(message: string): string;
}

/** Runs `work` between its `running` and `succeeded`/`failed` rows; a failure is rethrown with `failure`'s words. */
export async function recordedRun<Report>(
  options: RecordedRun<Report>,
  work: () => Promise<Report>,
): Promise<Report> {
  const { views, run, now } = options;
  const startedAt = now();
  const row = (status: 'running' | 'succeeded' | 'failed', report?: Report, error: string | null = null) =>
    batchRunRow({
      ...run,
      status,
      startedAt,
      finishedAt: now(),
      ...(report !== undefined ? options.counts(report) : { eventsRead: 0, rowsWritten: 0 }),
      error,
    });
  await views.ensureTables([batchRuns]);
  await views.upsert(batchRuns, [row('running')]);
  let report: Report;
  try {
    report = await work();
  } catch (error) {
    let message = ((error as Error).message ?? String(error)).split('\n')[0]!;
    // The failure is what the caller must see; a store that cannot take the failed row is said too.
    await views.upsert(batchRuns, [row('failed', undefined, message)]).catch((recordError: unknown) => {
      message += ` (its batch_runs row could not be marked failed: ${(recordError as Error).message})`;
    });
    throw new Error(options.failure(message));
  }
  await views.upsert(batchRuns, [row('succeeded', report)]);
  return report;
}
