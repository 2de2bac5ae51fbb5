/**
 * The batch-request contract: a CloudEvent of type `edu.lms.batch.request` whose data is
 * `{ job, from, to }`: a job name or `all` with local dates YYYY-MM-DD inclusive, `compact` (the raw
 * lake's hourly compaction, lake/compaction.ts) with UTC dates, or `retain` (the lake's retention,
 * batch/retain.ts: `to` is the UTC day the limits count back from; `dryRun: true` deletes nothing). Airflow posts it to the
 * JobSink (or the local trigger service); the job reads it from the JobSink event file or from CLI args.
 */
import { createHash } from 'node:crypto';
import { type BatchJob, batchJobs } from '../views/define.ts';
import { isDate } from './plan.ts';

export const batchRequestType = 'edu.lms.batch.request';

/** The lake compaction, run by the same entry point as the view jobs. */
export const compactJob = 'compact';
/** The lake's retention (batch/retain.ts), run by the same entry point. */
export const retainJob = 'retain';

export interface BatchRequest {
  job: BatchJob | 'all' | typeof compactJob | typeof retainJob;
  from: string;
  to: string;
  /** `retain` only: list what would be deleted, delete nothing. */
  dryRun?: boolean;
}

const lakeJobs: readonly string[] = [compactJob, retainJob];

export class InvalidBatchRequest extends Error {}

/** The erasure job (batch/erase.ts): one user's personal data, and with `events` their events. */
export const eraseJob = 'erase';

export interface ErasureRequest {
  job: typeof eraseJob;
  /** The user id as the LMS knows it, or its pseudonym. */
  user: string;
  /** Also erase the user's events (lake, xAPI statements, views, speed facts). */
  events: boolean;
  /** The caller's id of the request (the link to the audit record); default: the run id. */
  requestId?: string;
}

/** Any request the batch entry point runs. */
export type JobRequest = BatchRequest | ErasureRequest;

export const isErasure = (request: JobRequest): request is ErasureRequest => request.job === eraseJob;

/** A request as logs and status pages may show it: an erasure without its user id. */
export const describeRequest = (request: JobRequest): Record<string, unknown> =>
  isErasure(request)
    ? { job: request.job, events: request.events, requestId: request.requestId ?? null }
    : { ...request };

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Validates the data of an erasure request. */
export function parseErasureRequest(data: Record<string, unknown>): ErasureRequest {
  const { user, events, request } = data;
  const problems: string[] = [];
  if (typeof user !== 'string' || user.trim().length === 0 || user.length > 256)
    problems.push('user must be a non-empty user id');
  if (events !== undefined && typeof events !== 'boolean') problems.push('events must be true or false');
  if (request !== undefined && (typeof request !== 'string' || !requestIdPattern.test(request)))
    problems.push('request must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  if (problems.length > 0) throw new InvalidBatchRequest(`invalid erasure request: ${problems.join('; ')}`);
  return {
    job: eraseJob,
    user: user as string,
    events: events === true,
    ...(request !== undefined ? { requestId: request as string } : {}),
  };
}

/** Validates the data of any request: an erasure, or a view or compaction job over dates. */
export function parseJobRequest(data: unknown): JobRequest {
  if (
    typeof data === 'object' &&
    data !== null &&
    !Array.isArray(data) &&
    (data as Record<string, unknown>)['job'] === eraseJob
  )
    return parseErasureRequest(data as Record<string, unknown>);
  return parseBatchRequest(data);
}

/** Validates the data of a batch request; throws InvalidBatchRequest with every problem listed. */
export function parseBatchRequest(data: unknown): BatchRequest {
  const problems: string[] = [];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidBatchRequest('batch request data must be a JSON object {job, from, to}');
  }
  const { job, from, to, dryRun } = data as Record<string, unknown>;
  if (job !== 'all' && !lakeJobs.includes(job as string) && !batchJobs.includes(job as BatchJob)) {
    problems.push(
      `job must be one of all, ${batchJobs.join(', ')}, ${lakeJobs.join(', ')} (got ${JSON.stringify(job)})`,
    );
  }
  if (dryRun !== undefined && typeof dryRun !== 'boolean')
    problems.push(`dryRun must be true or false (got ${JSON.stringify(dryRun)})`);
  if (dryRun !== undefined && job !== retainJob) problems.push(`dryRun applies to ${retainJob} only`);
  if (!isDate(from)) problems.push(`from must be a date YYYY-MM-DD (got ${JSON.stringify(from)})`);
  if (!isDate(to)) problems.push(`to must be a date YYYY-MM-DD (got ${JSON.stringify(to)})`);
  if (isDate(from) && isDate(to) && from > to) problems.push(`from (${from}) is after to (${to})`);
  if (problems.length > 0) throw new InvalidBatchRequest(`invalid batch request: ${problems.join('; ')}`);
  const request: BatchRequest = { job: job as BatchRequest['job'], from: from as string, to: to as string };
  return dryRun === true ? { ...request, dryRun } : request;
}

/** The view jobs a request runs, in the older system's order (docs/architecture.md#the-older-system; none for a compaction). */
export const jobsOf = (request: BatchRequest): BatchJob[] =>
  request.job === 'all' ? [...batchJobs] : lakeJobs.includes(request.job) ? [] : [request.job as BatchJob];

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
export function parseBatchRequestEvent(event: unknown): { event: BatchRequestEvent; request: JobRequest } {
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
  return { event: e as BatchRequestEvent, request: parseJobRequest(data) };
}

/**
 * Parses `--job <name|all|compact|retain> --from YYYY-MM-DD --to YYYY-MM-DD [--run-id ID] [--dry-run]` or
 * `--job erase --user ID [--events] [--request ID] [--run-id ID]` style arguments.
 */
export function parseBatchArgs(argv: readonly string[]): { request: JobRequest; runId?: string } {
  const values: Record<string, string> = {};
  let dryRun: boolean | undefined;
  let events = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new InvalidBatchRequest(`unexpected argument ${arg}`);
    if (arg === '--dry-run') {
      dryRun = true;
      continue;
    }
    if (arg === '--events') {
      events = true;
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new InvalidBatchRequest(`--${name} needs a value`);
    values[name] = value;
  }
  const request: JobRequest =
    values['job'] === eraseJob
      ? parseErasureRequest({
          user: values['user'],
          events,
          ...(values['request'] !== undefined ? { request: values['request'] } : {}),
        })
      : parseBatchRequest({ job: values['job'], from: values['from'], to: values['to'], dryRun });
  return values['run-id'] !== undefined ? { request, runId: values['run-id'] } : { request };
}
