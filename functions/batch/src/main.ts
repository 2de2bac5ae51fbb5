/**
 * The batch job's command line: reads the batch request from the JobSink event file
 * (`$K_EVENT_PATH/event`, default /etc/jobsink-event/event) or from `--job <name|all|compact|retain> --from D --to D`
 * or `--job erase --user ID [--events] [--request ID]` (one user's erasure, @ula/core/batch/erase),
 * runs it against the configured lake and view store (the view jobs, the lake's compaction or retention), logs JSON
 * lines, and returns the exit code (0 succeeded, 1 run failed, 2 invalid request or configuration).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lakeStore } from '@ula/core/adapters/object-stores';
import { openViewStore } from '@ula/core/adapters/view-stores';
import { runCompaction } from '@ula/core/batch/compact';
import { runErasureJob } from '@ula/core/batch/erase';
import { runBatch } from '@ula/core/batch/job';
import {
  compactJob,
  describeRequest,
  InvalidBatchRequest,
  isErasure,
  type JobRequest,
  parseBatchArgs,
  parseBatchRequestEvent,
  retainJob,
  runIdOf,
} from '@ula/core/batch/request';
import { runRetention } from '@ula/core/batch/retain';
import { userIdPseudonymizer } from '@ula/core/privacy/pseudonym';
import { localCalendar } from '@ula/core/views/time';
import {
  batchMetrics,
  pushRun,
  type RunStatus,
  recordBatchReport,
  recordCompaction,
  recordRetention,
  recordRun,
} from './metrics.ts';
import { type BatchSettings, loadBatchSettings } from './settings.ts';

const log = (entry: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: 'batch', ...entry })}\n`);

/** The request and run id, from CLI arguments if any, else from the JobSink event file. */
export async function readRequest(
  argv: readonly string[],
  settings: Pick<BatchSettings, 'eventPath' | 'runId'>,
): Promise<{ request: JobRequest; runId: string }> {
  if (argv.length > 0) {
    const { request, runId } = parseBatchArgs(argv);
    return { request, runId: runId ?? settings.runId ?? `batch-cli-${Date.now().toString(36)}` };
  }
  const path = join(settings.eventPath, 'event');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InvalidBatchRequest(
      `no arguments and no JobSink event file at ${path}: pass --job <name|all|compact|retain> --from YYYY-MM-DD --to YYYY-MM-DD`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidBatchRequest(`${path} is not a structured JSON CloudEvent`);
  }
  const { event, request } = parseBatchRequestEvent(json);
  return { request, runId: settings.runId ?? runIdOf(event.source, event.id) };
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const metrics = batchMetrics();
  const started = Date.now();
  let job = 'unknown';
  let settings: BatchSettings | undefined;
  try {
    settings = loadBatchSettings(env);
  } catch (error) {
    log({ level: 'error', event: 'batch_settings_invalid', error: (error as Error).message });
    process.stderr.write(`batch: ${(error as Error).message}\n`);
  }
  const code = settings
    ? await run(argv, settings, metrics, env, (name) => {
        job = name;
      })
    : 2;
  const status: RunStatus = code === 0 ? 'succeeded' : code === 2 ? 'invalid' : 'failed';
  const ended = Date.now();
  recordRun(metrics, job, status, (ended - started) / 1000, ended);
  const gateway = settings?.pushgatewayUrl;
  if (gateway) {
    const problem = await pushRun(metrics, gateway, job, status);
    if (problem) log({ level: 'warn', event: 'metrics_push_failed', error: problem });
  }
  return code;
}

async function run(
  argv: readonly string[],
  settings: BatchSettings,
  metrics: ReturnType<typeof batchMetrics>,
  env: NodeJS.ProcessEnv,
  jobIs: (job: string) => void,
): Promise<number> {
  let request: JobRequest;
  let runId: string;
  try {
    ({ request, runId } = await readRequest(argv, settings));
  } catch (error) {
    log({ level: 'error', event: 'batch_request_invalid', error: (error as Error).message });
    return 2;
  }
  jobIs(request.job);
  const { config } = settings;
  const views = openViewStore(config, { attempts: settings.writeAttempts });
  try {
    if (isErasure(request)) {
      // Logs name the request, never the user (describeRequest drops the id).
      log({ level: 'info', event: 'erasure_started', runId, request: describeRequest(request) });
      const report = await runErasureJob({
        request,
        runId,
        lake: lakeStore(config),
        views,
        calendar: localCalendar(config.timeZone),
        pseudonymize: userIdPseudonymizer(env),
        lookbackDays: settings.lookbackDays,
        stateRetentionDays: settings.stateRetentionDays,
        graceMs: settings.graceMinutes * 60_000,
        risk: settings.risk,
        log: (entry) => log({ level: 'info', ...entry }),
      });
      const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      log({ level: 'info', event: 'erasure_report', report, maxRssMb });
      return 0;
    }
    if (request.job === compactJob) {
      const report = await runCompaction({
        request,
        runId,
        lake: lakeStore(config),
        views,
        latenessMs: settings.compactionLatenessMinutes * 60_000,
        log: (entry) => log({ level: 'info', ...entry }),
      });
      recordCompaction(metrics, request.job, report);
      const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      log({ level: 'info', event: 'compaction_report', report, maxRssMb });
      return 0;
    }
    if (request.job === retainJob) {
      const report = await runRetention({
        request,
        runId,
        lake: lakeStore(config),
        views,
        limits: { rawDays: settings.retentionRawDays, personalDays: settings.retentionPiiDays },
        log: (entry) => log({ level: 'info', ...entry }),
      });
      recordRetention(metrics, report);
      const { partitions, ...summary } = report;
      log({ level: 'info', event: 'retention_report', ...summary, partitions: partitions.length });
      return 0;
    }
    const report = await runBatch({
      request,
      runId,
      lake: lakeStore(config),
      views,
      calendar: localCalendar(config.timeZone),
      lookbackDays: settings.lookbackDays,
      stateRetentionDays: settings.stateRetentionDays,
      graceMs: settings.graceMinutes * 60_000,
      risk: settings.risk,
      log: (entry) => log({ level: 'info', ...entry }),
    });
    recordBatchReport(metrics, report);
    const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    log({ level: 'info', event: 'batch_report', report, maxRssMb });
    return 0;
  } catch (error) {
    log({ level: 'error', event: 'batch_failed', runId, error: (error as Error).message });
    process.stderr.write(`batch run ${runId} failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await views.close().catch(() => {});
  }
}
