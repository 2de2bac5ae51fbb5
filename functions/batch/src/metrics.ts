/**
 * The batch job's Prometheus metrics. A JobSink Job lives seconds to minutes and has no Service, so
 * Prometheus cannot scrape it reliably: at the end of a run the job pushes its registry to a Pushgateway
 * (ULA_PUSHGATEWAY_URL; none set, nothing is pushed), which Prometheus scrapes with honor_labels.
 *
 * The Pushgateway keeps the last push per grouping key and does not add pushes up, so every run pushes
 * (PUT) to the group {job="ula-batch", batch_job, status}: the last run of each job and outcome stays
 * visible. Counters are therefore the run's own (runs_total is 1 in each group); operators chart
 * `ula_batch_last_run_timestamp_seconds` (how many runs: `changes(...)`, how long ago: `time() - ...`)
 * and the last run's `ula_batch_last_run_duration_seconds`, events read and rows written.
 */
import type { BatchRunReport } from '@ula/core/batch/job';
import type { RetentionReport } from '@ula/core/batch/retain';
import { Counter, functionRegistry, Gauge, Histogram, type Registry } from '@ula/core/http/metrics';
import type { CompactionReport } from '@ula/core/lake/compaction';

/** Outcome of a run: succeeded (exit 0), failed (exit 1), invalid (the request; exit 2). */
export type RunStatus = 'succeeded' | 'failed' | 'invalid';

export function batchMetrics(registry: Registry = functionRegistry('batch')) {
  const registers = [registry];
  const labelNames = ['batch_job', 'status'] as const;
  return {
    registry,
    runs: new Counter({
      name: 'ula_batch_runs_total',
      help: 'Batch runs by job (a view job, all, compact, retain) and status (succeeded, failed, invalid).',
      labelNames,
      registers,
    }),
    runSeconds: new Histogram({
      name: 'ula_batch_run_duration_seconds',
      help: 'Duration of a batch run, by job and status.',
      labelNames,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
      registers,
    }),
    lastRun: new Gauge({
      name: 'ula_batch_last_run_timestamp_seconds',
      help: 'When (Unix seconds) the last run of this job with this status finished.',
      labelNames,
      registers,
    }),
    lastDuration: new Gauge({
      name: 'ula_batch_last_run_duration_seconds',
      help: 'Duration of the last run of this job with this status (seconds).',
      labelNames,
      registers,
    }),
    eventsRead: new Counter({
      name: 'ula_batch_events_read_total',
      help: 'Raw events read from the lake by the run (compaction: events rewritten).',
      labelNames: ['batch_job'] as const,
      registers,
    }),
    rowsWritten: new Counter({
      name: 'ula_batch_rows_written_total',
      help: 'View rows written by the run (compaction: files written).',
      labelNames: ['batch_job'] as const,
      registers,
    }),
    daysRecomputed: new Counter({
      name: 'ula_batch_days_recomputed_total',
      help: 'Days whose batch views the run recomputed.',
      labelNames: ['batch_job'] as const,
      registers,
    }),
    compactedPartitions: new Counter({
      name: 'ula_compaction_partitions_total',
      help: 'Closed lake partitions (category, date, hour) the compaction rewrote into one file.',
      registers,
    }),
    compactionFiles: new Counter({
      name: 'ula_compaction_files_total',
      help: 'Lake files of the compacted partitions: stage=before (read) or after (written).',
      labelNames: ['stage'] as const,
      registers,
    }),
    compactionBytes: new Counter({
      name: 'ula_compaction_bytes_total',
      help: 'Bytes of the compacted partitions: stage=before (read) or after (written).',
      labelNames: ['stage'] as const,
      registers,
    }),
    retentionPartitions: new Counter({
      name: 'ula_retention_partitions_total',
      help: 'UTC date partitions the retention deleted, by table (a raw category, xapi_statements, personal_profile, dead_letter).',
      labelNames: ['table'] as const,
      registers,
    }),
    retentionFiles: new Counter({
      name: 'ula_retention_files_total',
      help: 'Files the retention deleted, by table.',
      labelNames: ['table'] as const,
      registers,
    }),
    retentionBytes: new Counter({
      name: 'ula_retention_bytes_total',
      help: 'Bytes the retention deleted, by table.',
      labelNames: ['table'] as const,
      registers,
    }),
  };
}

export type BatchMetrics = ReturnType<typeof batchMetrics>;

/** Records one finished run (any outcome). */
export function recordRun(m: BatchMetrics, job: string, status: RunStatus, seconds: number, endMs: number) {
  const labels = { batch_job: job, status };
  m.runs.inc(labels);
  m.runSeconds.observe(labels, seconds);
  m.lastRun.set(labels, endMs / 1000);
  m.lastDuration.set(labels, seconds);
}

export function recordBatchReport(m: BatchMetrics, report: BatchRunReport) {
  const labels = { batch_job: report.job };
  m.eventsRead.inc(labels, report.eventsRead);
  m.rowsWritten.inc(labels, report.rowsWritten);
  m.daysRecomputed.inc(labels, report.daysRecomputed.length);
}

export function recordCompaction(m: BatchMetrics, job: string, report: CompactionReport) {
  const sum = (f: (p: CompactionReport['compacted'][number]) => number) =>
    report.compacted.reduce((n, p) => n + f(p), 0);
  m.eventsRead.inc(
    { batch_job: job },
    sum((p) => p.events),
  );
  m.rowsWritten.inc(
    { batch_job: job },
    sum((p) => p.filesAfter),
  );
  m.compactedPartitions.inc(report.compacted.length);
  m.compactionFiles.inc(
    { stage: 'before' },
    sum((p) => p.filesBefore),
  );
  m.compactionFiles.inc(
    { stage: 'after' },
    sum((p) => p.filesAfter),
  );
  m.compactionBytes.inc(
    { stage: 'before' },
    sum((p) => p.bytesBefore),
  );
  m.compactionBytes.inc(
    { stage: 'after' },
    sum((p) => p.bytesAfter),
  );
}

/** A dry run deletes nothing, so it counts nothing (its partitions are in the log). */
export function recordRetention(m: BatchMetrics, report: RetentionReport) {
  if (report.dryRun) return;
  for (const p of report.partitions) {
    const labels = { table: p.table };
    m.retentionPartitions.inc(labels);
    m.retentionFiles.inc(labels, p.files);
    m.retentionBytes.inc(labels, p.bytes);
  }
}

/** Pushgateway job name of the batch runs. */
export const pushJobName = 'ula-batch';

/**
 * PUTs the registry to the Pushgateway at `url` (its push API: /metrics/job/<job>/<label>/<value>…),
 * grouped by batch job and status. Never throws: a monitoring outage must not fail a batch run; the
 * returned message says what went wrong.
 */
export async function pushRun(
  m: BatchMetrics,
  url: string,
  job: string,
  status: RunStatus,
  timeoutMs = 5000,
): Promise<string | undefined> {
  const group = [pushJobName, 'batch_job', job, 'status', status].map(encodeURIComponent);
  const target = `${url.replace(/\/+$/, '')}/metrics/job/${group[0]}/${group.slice(1).join('/')}`;
  try {
    const response = await fetch(target, {
      method: 'PUT',
      headers: { 'content-type': m.registry.contentType },
      body: await m.registry.metrics(),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return `${target}: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`;
    return undefined;
  } catch (error) {
    return `${target}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
