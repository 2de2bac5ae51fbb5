/**
 * The lake's retention as a run of the batch entry point (`--job retain`, or a JobSink event): deletes the
 * whole UTC date partitions older than the configured limits, counted back from the request's `to` (a UTC
 * date, at most today; `from` is not used):
 *
 * | Limit | Tables |
 * |---|---|
 * | `ULA_RETENTION_RAW_DAYS` (raw) | `raw/<category>/`, `xapi/statements/` |
 * | `ULA_RETENTION_PII_DAYS` (personal) | `personal/profile/`; `dead-letter/` (rejected bodies: JSON ones have their personal fields redacted, any other text is kept as received) |
 *
 * A partition of date D goes when D < `to` − days: the oldest date kept is exactly `to` − days; 0 keeps
 * forever. Views are aggregates and stay. Before the first raw file is deleted, the raw horizon is saved
 * in the lake (state.ts `writeRawHorizon`, never moved back), and the batch does not recompute a local day
 * any of whose UTC partitions is before it (job.ts), so a day whose files are (being) removed keeps the
 * views it was computed with instead of being recomputed from nothing. Safe to rerun (a crash mid-partition
 * leaves files the rerun deletes); a dry run lists and records nothing in the lake. The run is recorded in
 * `batch_runs` like a view job.
 */
import type { ObjectStore } from '../adapters/object-store.ts';
import type { ViewStore } from '../adapters/view-store.ts';
import { categories } from '../events/envelope.ts';
import { deadLetterPrefix, rawPrefix } from '../lake/paths.ts';
import { personalDataPrefix } from '../lake/personal-data.ts';
import { xapiStatementsPrefix, xapiStatementsTable } from '../lake/xapi-statements.ts';
import { addDays, utcDate } from '../views/time.ts';
import { isDate } from './plan.ts';
import { recordedRun } from './recorded-run.ts';
import type { BatchRequest } from './request.ts';
import { readRawHorizon, writeRawHorizon } from './state.ts';

/** Days kept per limit; 0 keeps forever. */
export interface RetentionLimits {
  rawDays: number;
  personalDays: number;
}

/** A lake table retention deletes from: files `<prefix>date=YYYY-MM-DD/…`. */
export interface RetainedTable {
  name: string;
  prefix: string;
  limit: 'raw' | 'personal';
}

export const retainedTables: readonly RetainedTable[] = [
  ...categories.map((c): RetainedTable => ({ name: c, prefix: `${rawPrefix}${c}/`, limit: 'raw' })),
  { name: xapiStatementsTable, prefix: xapiStatementsPrefix, limit: 'raw' },
  { name: 'personal_profile', prefix: personalDataPrefix, limit: 'personal' },
  { name: 'dead_letter', prefix: deadLetterPrefix, limit: 'personal' },
];

/** The first UTC date a limit keeps, counted back from `reference`; null when it keeps forever. */
export const keepFromOf = (reference: string, days: number): string | null =>
  days === 0 ? null : addDays(reference, -days);

/**
 * Key prefixes that together cover exactly the keys `<base>D…` with a date D before `horizon`: for each
 * digit of the horizon, the same leading characters then a smaller digit. Listing them touches only the
 * partitions to delete (a whole-table listing would read five years of keys every day).
 */
export function prefixesBelow(base: string, horizon: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < horizon.length; i++) {
    const digit = horizon.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) continue;
    for (let d = 0; d < digit; d++) out.push(`${base}${horizon.slice(0, i)}${d}`);
  }
  return out;
}

/** One date partition of a table, removed (or, in a dry run, due for removal). */
export interface ExpiredPartition {
  table: string;
  date: string;
  files: number;
  bytes: number;
}

export interface RetentionReport {
  reference: string;
  dryRun: boolean;
  /** The first date kept per limit (null: kept forever). */
  keepFrom: { raw: string | null; personal: string | null };
  partitions: ExpiredPartition[];
}

export class RetentionError extends Error {}

export interface RetainLakeOptions {
  lake: ObjectStore;
  /** The UTC date the limits count back from (the request's `to`). */
  reference: string;
  limits: RetentionLimits;
  dryRun?: boolean;
  runId?: string;
  now?: () => number;
  log?: (entry: Record<string, unknown>) => void;
}

/** Deletes concurrently, a few at a time (S3 deletes one object per request). */
const deleteConcurrency = 16;

export async function retainLake(options: RetainLakeOptions): Promise<RetentionReport> {
  const { lake, reference, limits } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const dryRun = options.dryRun === true;
  const today = utcDate(now());
  if (!isDate(reference) || reference > today)
    throw new RetentionError(
      `retention reference ${reference} is not a UTC date up to today (${today}): a later one would delete days still kept`,
    );
  const keepFrom = {
    raw: keepFromOf(reference, limits.rawDays),
    personal: keepFromOf(reference, limits.personalDays),
  };
  log({ event: 'retention_started', reference, dryRun, keepFrom });
  if (keepFrom.raw !== null && !dryRun) {
    // Recorded before any raw file goes, so a batch running meanwhile already leaves those days alone.
    const saved = await readRawHorizon(lake);
    if (!saved || saved.keepFrom < keepFrom.raw)
      await writeRawHorizon(lake, { keepFrom: keepFrom.raw, runId: options.runId ?? '', updatedAt: now() });
  }
  const partitions: ExpiredPartition[] = [];
  for (const table of retainedTables) {
    const horizon = keepFrom[table.limit];
    if (horizon === null) continue;
    const base = `${table.prefix}date=`;
    const byDate = new Map<string, { keys: string[]; bytes: number }>();
    for (const prefix of prefixesBelow(base, horizon)) {
      for (const object of await lake.list(prefix)) {
        const date = object.key.slice(base.length, base.length + 10);
        // Only `date=YYYY-MM-DD/` folders before the horizon: anything else under the prefix is not ours.
        if (object.key[base.length + 10] !== '/' || !isDate(date) || date >= horizon) continue;
        const entry = byDate.get(date) ?? { keys: [], bytes: 0 };
        entry.keys.push(object.key);
        entry.bytes += object.size;
        byDate.set(date, entry);
      }
    }
    for (const date of [...byDate.keys()].sort()) {
      const { keys, bytes } = byDate.get(date)!;
      if (!dryRun) {
        for (let i = 0; i < keys.length; i += deleteConcurrency) {
          await Promise.all(keys.slice(i, i + deleteConcurrency).map((key) => lake.delete(key)));
        }
      }
      const partition = { table: table.name, date, files: keys.length, bytes };
      partitions.push(partition);
      log({ event: dryRun ? 'partition_expired' : 'partition_removed', ...partition, keepFrom: horizon });
    }
  }
  return { reference, dryRun, keepFrom, partitions };
}

export interface RetentionRunOptions {
  request: BatchRequest;
  runId: string;
  lake: ObjectStore;
  views: ViewStore;
  limits: RetentionLimits;
  now?: () => number;
  log?: (entry: Record<string, unknown>) => void;
}

/** `retainLake` for a `retain` request, recorded in `batch_runs` (`rows_written`: files removed). */
export function runRetention(options: RetentionRunOptions): Promise<RetentionReport> {
  const { request, runId, views } = options;
  const now = options.now ?? Date.now;
  return recordedRun(
    {
      views,
      run: { runId, job: request.job, from: request.from, to: request.to },
      now,
      counts: (report) => ({
        eventsRead: 0,
        rowsWritten: report.dryRun ? 0 : report.partitions.reduce((n, p) => n + p.files, 0),
      }),
      failure: (message) =>
        `lake retention as of ${request.to} failed: ${message} (rerun: retention is idempotent)`,
    },
    () =>
      retainLake({
        lake: options.lake,
        reference: request.to,
        limits: options.limits,
        dryRun: request.dryRun === true,
        runId,
        now,
        ...(options.log ? { log: options.log } : {}),
      }),
  );
}
