/**
 * The batch-request contract: a CloudEvent of type `edu.lms.batch.request` whose data is
 * `{ job, from, to }`: a job name or `all` with local dates YYYY-MM-DD inclusive, or `compact` (the raw
 * lake's hourly compaction, lake/compaction.ts) with UTC dates. Airflow posts it to the
 * JobSink (or the local trigger service); the job reads it from the JobSink event file or from CLI args.
 */
import { createHash } from 'node:crypto';
import { type BatchJob, batchJobs } from '../views/define.ts';
import { isDate } from './plan.ts';

export const batchRequestType = 'edu.lms.batch.request';

/** The lake compaction, run by the same entry point as the view jobs. */
export const compactJob = 'compact';

export interface BatchRequest {
  job: BatchJob | 'all' | typeof compactJob;
  from: string;
  to: string;
}

export class InvalidBatchRequest extends Error {}

/** Validates the data of a batch request; throws InvalidBatchRequest with every problem listed. */
export function parseBatchRequest(data: unknown): BatchRequest {
  const problems: string[] = [];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidBatchRequest('batch request data must be a JSON object {job, from, to}');
  }
  const { job, from, to } = data as Record<string, unknown>;
  if (job !== 'all' && job !== compactJob && !batchJobs.includes(job as BatchJob)) {
    problems.push(
      `job must be one of all, ${batchJobs.join(', ')}, ${compactJob} (got ${JSON.stringify(job)})`,
    );
  }
  if (!isDate(from)) problems.push(`from must be a date YYYY-MM-DD (got ${JSON.stringify(from)})`);
  if (!isDate(to)) problems.push(`to must be a date YYYY-MM-DD (got ${JSON.stringify(to)})`);
  if (isDate(from) && isDate(to) && from > to) problems.push(`from (${from}) is after to (${to})`);
  if (problems.length > 0) throw new InvalidBatchRequest(`invalid batch request: ${problems.join('; ')}`);
  return { job: job as BatchRequest['job'], from: from as string, to: to as string };
}

/** The view jobs a request runs, in the older system's order (docs/architecture.md#the-older-system; none for a compaction). */
export const jobsOf = (request: BatchRequest): BatchJob[] =>
  request.job === 'all' ? [...batchJobs] : request.job === compactJob ? [] : [request.job];

/**
 * The run id of a request event: deterministic in the CloudEvent's source and id, as JobSink names its
 * Job after the event, so a redelivered event maps to the same run instead of starting another.
 */
export const runIdOf = (source: string, id: string): string =>
  `batch-${createHash('sha256').update(source).update('\u0000').update(id).digest('hex').slice(0, 24)}`;

/** A CloudEvent in structured JSON form, as JobSink writes it to the Job's event file. */
export interface BatchRequestEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  data: unknown;
  [attribute: string]: unknown;
}

/** Validates a structured CloudEvent carrying a batch request. */
export function parseBatchRequestEvent(event: unknown): { event: BatchRequestEvent; request: BatchRequest } {
  if (typeof event !== 'object' || event === null) throw new InvalidBatchRequest('not a CloudEvent object');
  const e = event as Record<string, unknown>;
  const problems: string[] = [];
  if (e['specversion'] !== '1.0') problems.push('specversion must be "1.0"');
  for (const attribute of ['id', 'source', 'type'] as const) {
    if (typeof e[attribute] !== 'string' || (e[attribute] as string).length === 0)
      problems.push(`${attribute} is required`);
  }
  if (typeof e['type'] === 'string' && e['type'] !== batchRequestType)
    problems.push(`type must be ${batchRequestType} (got ${e['type']})`);
  if (problems.length > 0) throw new InvalidBatchRequest(`invalid CloudEvent: ${problems.join('; ')}`);
  let data = e['data'];
  if (data === undefined && typeof e['data_base64'] === 'string')
    data = JSON.parse(Buffer.from(e['data_base64'], 'base64').toString('utf8'));
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      throw new InvalidBatchRequest('data is not JSON');
    }
  }
  return { event: e as BatchRequestEvent, request: parseBatchRequest(data) };
}

/** Parses `--job <name|all|compact> --from YYYY-MM-DD --to YYYY-MM-DD [--run-id ID]` style arguments. */
export function parseBatchArgs(argv: readonly string[]): { request: BatchRequest; runId?: string } {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new InvalidBatchRequest(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new InvalidBatchRequest(`--${name} needs a value`);
    values[name] = value;
  }
  const request = parseBatchRequest({ job: values['job'], from: values['from'], to: values['to'] });
  return values['run-id'] !== undefined ? { request, runId: values['run-id'] } : { request };
}
