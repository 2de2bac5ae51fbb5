/**
 * One batch run: computes the views of one job (or all) for a range of local days from the raw lake,
 * incrementally, and writes them to the view store.
 *
 * - Daily views (`period: 'day'`): each recomputed day's partition is deleted, then rewritten.
 * - All-time views: the partial states of each day within the retention window are saved in the lake
 *   (state/<view>/date=D/); the all-time states are updated by removing the day's previous partial
 *   (invertible aggregates) and merging the new one (older days of a backfill go straight in), and only
 *   the grains touched are rewritten. Raw files of other days are never read again.
 * - Views over another view (`from`) are recomputed in memory from the source's all-time rows, and only
 *   the grains fed by touched source rows are rewritten.
 * - Late events: every day in a look-back window before the range whose raw files changed since the
 *   day was last computed (its manifest) is recomputed too.
 * - Retention (batch/retain.ts): a day reading a UTC partition before the raw horizon is never recomputed
 *   (its files are gone or going); its views stay as last computed.
 * - The run is recorded in batch_runs (running → succeeded/failed) and, on success, each view's watermark
 *   (local midnight after the last complete day of the range) in batch_watermarks.
 */
import type { ObjectStore } from '../adapters/object-store.ts';
import type { ViewStore } from '../adapters/view-store.ts';
import { defaultRiskThresholds, type RiskThresholds } from '../categories/student-course/risk.ts';
import type { Category } from '../events/envelope.ts';
import { batchViewNamed, batchViewsOf } from '../views/batch-catalogue.ts';
import type { Row, TableDefinition } from '../views/columns.ts';
import type { BatchJob, BatchViewDefinition, FinishContext, ViewContext } from '../views/define.ts';
import {
  type Aggregation,
  addInput,
  beginStamp,
  Dictionary,
  dayNumber,
  decodeAggregation,
  encodeAggregation,
  endStamp,
  finishGroup,
  finishRows,
  matchingGroups,
  mergeAggregation,
  newAggregation,
  unmergeAggregation,
} from '../views/engine.ts';
import {
  type BatchRunRecord,
  batchRunRow,
  batchRuns,
  batchWatermarks,
  systemTables,
} from '../views/system-tables.ts';
import { batchTable } from '../views/tables.ts';
import type { LocalCalendar } from '../views/time.ts';
import {
  addDays,
  candidateDays,
  type DayManifest,
  type InputFingerprint,
  inputsChanged,
  isCompleteDay,
  utcPartitionsOfLocalDay,
  watermarkAfter,
} from './plan.ts';
import { type BatchRequest, jobsOf } from './request.ts';
import {
  type BatchEvent,
  DataParsing,
  type DayReadStats,
  type RawInput,
  RawListing,
  readDay,
} from './source.ts';
import {
  type AllTimeHeader,
  allTimeKey,
  dayPartialKey,
  decodeStates,
  encodeStates,
  inputsVersion,
  readManifest,
  readRawHorizon,
  trailingPartialKey,
  writeManifest,
} from './state.ts';

export interface BatchRunOptions {
  request: BatchRequest;
  runId: string;
  lake: ObjectStore;
  views: ViewStore;
  calendar: LocalCalendar;
  /** The clock (UTC ms); days not yet over are skipped. */
  now?: () => number;
  /** Days before `from` checked for late events (default 7). */
  lookbackDays?: number;
  /** Days (before the last day computed) whose partial states are kept (default 2 × lookbackDays). */
  stateRetentionDays?: number;
  /** Wait this long after local midnight before a day counts as complete (ingest lag; default 0). */
  graceMs?: number;
  /** Structured log sink (one object per event of interest). */
  log?: (entry: Record<string, unknown>) => void;
  /** Thresholds of the at-risk rules (student_course_risk; default: `defaultRiskThresholds`). */
  risk?: RiskThresholds;
}

export interface JobReport {
  days: string[];
  events: number;
  rowsWritten: number;
  ms: number;
}

export interface BatchRunReport {
  runId: string;
  job: BatchRequest['job'];
  from: string;
  to: string;
  status: 'succeeded' | 'failed';
  startedAt: number;
  finishedAt: number;
  eventsRead: number;
  duplicates: number;
  rowsWritten: number;
  daysRecomputed: string[];
  /** Requested days that are not over yet (not computed; the speed layer covers them). */
  incompleteDays: string[];
  /** Requested or look-back days left alone: they read raw partitions the retention removed. */
  retiredDays: string[];
  watermark: number | null;
  jobs: Partial<Record<BatchJob, JobReport>>;
  error?: string;
}

/** A batch run failed; the message says what to do. The run is recorded as failed when the store allows. */
export class BatchRunError extends Error {}

const rawCategories = (views: readonly BatchViewDefinition<never>[]): Category[] => [
  ...new Set(views.filter((v) => v.from === undefined).flatMap((v) => v.sources)),
];

/** Memoizes the local date of the last instant: every view asks for it on the same event in a row. */
function memoCalendar(calendar: LocalCalendar): LocalCalendar {
  let lastInstant: number | string | undefined;
  let lastDate = '';
  return {
    timeZone: calendar.timeZone,
    date: (instant) => {
      if (instant !== lastInstant) {
        lastDate = calendar.date(instant);
        lastInstant = instant;
      }
      return lastDate;
    },
    hour: (instant) => calendar.hour(instant),
    startOfDate: (date) => calendar.startOfDate(date),
  };
}

export async function runBatch(options: BatchRunOptions): Promise<BatchRunReport> {
  const { request, runId, views: store } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const lookbackDays = options.lookbackDays ?? 7;
  const startedAt = now();
  const jobs = jobsOf(request);
  const report: BatchRunReport = {
    runId,
    job: request.job,
    from: request.from,
    to: request.to,
    status: 'failed',
    startedAt,
    finishedAt: startedAt,
    eventsRead: 0,
    duplicates: 0,
    rowsWritten: 0,
    daysRecomputed: [],
    incompleteDays: [],
    retiredDays: [],
    watermark: null,
    jobs: {},
  };
  const runRow = (status: BatchRunRecord['status'], error: string | null = null): Row =>
    batchRunRow({
      runId,
      job: request.job,
      from: request.from,
      to: request.to,
      status,
      startedAt,
      finishedAt: report.finishedAt,
      eventsRead: report.eventsRead,
      rowsWritten: report.rowsWritten,
      daysRecomputed: report.daysRecomputed,
      watermark: report.watermark,
      error,
    });

  const viewsOfJobs = jobs.flatMap((j) => batchViewsOf(j));
  const stored = viewsOfJobs.filter((v) => !v.intermediate);
  try {
    await withContext('view store', () => store.ensureTables([...stored.map(batchTable), ...systemTables]));
    await withContext('view store', () => store.upsert(batchRuns, [runRow('running')]));
  } catch (error) {
    report.error = messageOf(error);
    log({ event: 'batch_run_failed', runId, error: report.error });
    throw new BatchRunError(report.error);
  }
  log({ event: 'batch_run_started', runId, job: request.job, from: request.from, to: request.to });

  try {
    await new JobsRun(options, jobs, report, now(), lookbackDays, log).run();
    report.status = 'succeeded';
    report.finishedAt = now();
    await withContext('view store', () => store.upsert(batchRuns, [runRow('succeeded')]));
    if (report.watermark !== null) {
      const watermark = report.watermark;
      const rows: Row[] = [];
      for (const view of stored) {
        const [previous] = await withContext('view store', () =>
          store.readPartition(batchWatermarks, { view_name: view.name }),
        );
        const before = (previous?.['watermark'] as number | null | undefined) ?? null;
        rows.push({
          view_name: view.name,
          watermark: before !== null && before > watermark ? before : watermark,
          run_id: runId,
          updated_at: report.finishedAt,
        });
      }
      await withContext('view store', () => store.upsert(batchWatermarks, rows));
    }
    log({
      event: 'batch_run_succeeded',
      runId,
      events: report.eventsRead,
      rows: report.rowsWritten,
      days: report.daysRecomputed,
      ms: report.finishedAt - startedAt,
    });
    return report;
  } catch (error) {
    report.status = 'failed';
    report.finishedAt = now();
    report.error = messageOf(error);
    log({ event: 'batch_run_failed', runId, error: report.error });
    try {
      await store.upsert(batchRuns, [runRow('failed', report.error)]);
    } catch (recordError) {
      log({ event: 'batch_run_not_recorded', runId, error: messageOf(recordError) });
    }
    throw new BatchRunError(report.error);
  }
}

/** The first line of an error's message (drivers append multi-line details and stacks). */
const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();

/** Runs an I/O step, prefixing its error with the system that failed and what to do. */
async function withContext<T>(system: 'lake' | 'view store', step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof BatchRunError) throw error;
    const hint =
      system === 'lake'
        ? 'check the object store (ULA_S3_ENDPOINT / bucket) is up, then rerun: the run is idempotent'
        : 'check the view store (Cassandra at ULA_CASSANDRA_CONTACT_POINTS) is up and the schema applied, then rerun: the run is idempotent';
    throw new BatchRunError(`${system} error: ${messageOf(error)} (${hint})`);
  }
}

interface Computation {
  /** All-time states of raw-event views, loaded on first use. */
  allTime: Map<string, { aggregation: Aggregation; header: AllTimeHeader; changed: boolean }>;
  /** Per all-time view, the groups of its all-time states this run changed (the rows to rewrite). */
  touched: Map<string, Set<number>>;
  /** Day partials of trailing-window views (this run's and loaded ones), and the dates to rewrite. */
  trailing: Map<string, Map<string, Aggregation | undefined>>;
  dirtyDates: Map<string, Set<string>>;
  /** Rows written per daily view and date in this run (inputs of daily views over them). */
  dayRows: Map<string, Map<string, Row[]>>;
  /** Superseded day partial objects, deleted once the all-time states naming their successors are saved. */
  obsolete: string[];
  /**
   * Lake writes in flight: day partials while days are computed, then in turn the all-time states, the
   * deletes and the manifests; each group is awaited before the next step that relies on it.
   */
  writes: Promise<void>[];
  /** The ids of key values and members for every aggregation of this run (dropped with the run). */
  dictionary: Dictionary;
  /** When the run parses events' data (lazily, or as read for categories whose events all need it). */
  parsing: DataParsing;
}

/**
 * Starts a lake write without waiting for it, so computing goes on while it is flushed (a local-dir lake
 * fsyncs every object: waiting for each left runs idle a tenth of their time). `settleWrites` fails the
 * run with the first error.
 */
function startWrite(state: Computation, write: () => Promise<void>): void {
  const pending = withContext('lake', write);
  pending.catch(() => {}); // observed by settleWrites
  state.writes.push(pending);
}
const settleWrites = async (state: Computation): Promise<void> => {
  await Promise.all(state.writes);
  state.writes = [];
};

/** What one day computes: its jobs, their raw-event views and files, and the aggregation each view fills. */
interface DayWork {
  date: string;
  jobs: BatchJob[];
  views: BatchViewDefinition<never>[];
  files: RawInput[];
  /** Per view: a new day aggregation, or (a backfill day never merged) the all-time one, stamped. */
  aggregations: Map<string, Aggregation>;
  /** Per all-time view computed this day: the version (fingerprint) of its inputs. */
  versions: Map<string, string>;
}

/**
 * One run over some jobs, in named steps: `planDays` (which days each job recomputes, from the requested
 * days and the late data of the look-back window), then per day `startDay` (the aggregations to fill),
 * `readDayInto` (one pass over the day's raw events), `settleDay` (daily rows written, all-time states
 * merged) and `recordDay` (the day's report and manifests), then `writeResults` (rows, states, manifests).
 */
class JobsRun {
  private readonly calendar: LocalCalendar;
  private readonly context: ViewContext;
  /** Which days each job computes, and the files of each. */
  private readonly plan = new Map<BatchJob, Map<string, RawInput[]>>();
  private readonly manifests: DayManifest[] = [];
  private readonly state: Computation = {
    allTime: new Map(),
    touched: new Map(),
    trailing: new Map(),
    dirtyDates: new Map(),
    dayRows: new Map(),
    obsolete: [],
    writes: [],
    dictionary: new Dictionary(),
    parsing: new DataParsing(),
  };
  /** The complete requested days (not over yet: skipped), and every day some job recomputes. */
  private complete: string[] = [];
  private allDays: string[] = [];
  /** Day partials are kept from this date on (the days a late event can still change). */
  private keepFrom = '';

  constructor(
    private readonly options: BatchRunOptions,
    private readonly jobs: BatchJob[],
    private readonly report: BatchRunReport,
    private readonly computedAt: number,
    private readonly lookbackDays: number,
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {
    this.calendar = memoCalendar(options.calendar);
    this.context = { calendar: this.calendar };
  }

  async run(): Promise<void> {
    await this.planDays();
    for (const date of this.allDays) {
      const day = await this.startDay(date);
      const started = Date.now();
      const stats = await this.readDayInto(day);
      await this.settleDay(day);
      this.recordDay(day, stats, started);
    }
    await this.writeResults();
  }

  /** The complete requested days, the watermark, and per job the days to recompute (requested or late). */
  private async planDays(): Promise<void> {
    const { options, report } = this;
    const { request, runId, lake } = options;
    const listing = new RawListing(lake);
    const { requested, lookback } = candidateDays(request.from, request.to, this.lookbackDays);
    const complete = requested.filter((d) =>
      isCompleteDay(options.calendar, d, this.computedAt, options.graceMs),
    );
    this.complete = complete;
    report.incompleteDays = requested.filter((d) => !complete.includes(d));
    if (complete.length > 0)
      report.watermark = watermarkAfter(options.calendar, complete[complete.length - 1]!);
    // Without this, a day whose files retention removed would count as changed (its manifest names files)
    // and be recomputed from nothing: its daily rows emptied, its all-time contribution unmerged.
    const horizon = (await withContext('lake', () => readRawHorizon(lake)))?.keepFrom;
    const retired = (date: string) =>
      horizon !== undefined && utcPartitionsOfLocalDay(options.calendar, date).some((p) => p.date < horizon);
    report.retiredDays = [...lookback, ...complete].filter(retired);
    if (report.retiredDays.length > 0)
      this.log({ event: 'retired_days_skipped', runId, horizon, days: report.retiredDays });
    const live = [...lookback, ...complete].filter((d) => !retired(d));

    for (const job of this.jobs) {
      const categories = rawCategories(batchViewsOf(job));
      const days = new Map<string, RawInput[]>();
      // The days' listings and manifests are fetched concurrently: one round trip after another left a
      // backfill idle for seconds before its first day.
      const candidates = await Promise.all(
        live.map(async (date) => {
          const files = await withContext('lake', () =>
            listing.files(categories, utcPartitionsOfLocalDay(options.calendar, date)),
          );
          const isRequested = date >= request.from;
          const changed =
            isRequested ||
            inputsChanged(
              await withContext('lake', () => readManifest(lake, job, date)),
              fingerprints(files),
            );
          return { date, files, isRequested, changed };
        }),
      );
      for (const { date, files, isRequested, changed } of candidates) {
        if (!changed) continue;
        days.set(date, files);
        if (!isRequested) this.log({ event: 'late_data_day', runId, job, date, files: files.length });
      }
      this.plan.set(job, days);
      report.jobs[job] = { days: [...days.keys()], events: 0, rowsWritten: 0, ms: 0 };
    }
    this.allDays = [...new Set([...this.plan.values()].flatMap((d) => [...d.keys()]))].sort();
    report.daysRecomputed = this.allDays;
    this.keepFrom = addDays(
      this.allDays.at(-1) ?? request.to,
      -(options.stateRetentionDays ?? 2 * this.lookbackDays),
    );
  }

  /**
   * The aggregations a day fills. All-time views: a day already merged at this version is skipped; a day
   * never merged whose partial is not kept goes straight into the all-time states (no day partial to build
   * and merge); any other day builds its partial for foldDay.
   */
  private async startDay(date: string): Promise<DayWork> {
    const { state } = this;
    const jobs = this.jobs.filter((j) => this.plan.get(j)!.has(date));
    const views = jobs
      .flatMap((j) => batchViewsOf(j))
      .filter((v) => v.from === undefined && v.projectionOf === undefined);
    const files = dedupeFiles(jobs.flatMap((j) => this.plan.get(j)!.get(date)!));
    const aggregations = new Map<string, Aggregation>();
    const versions = new Map<string, string>();
    for (const view of views) {
      if (view.period === 'day') {
        aggregations.set(view.name, newAggregation(view, state.dictionary));
        continue;
      }
      const version = inputsVersion(fingerprints(files.filter((f) => view.sources.includes(f.category))));
      const entry = await loadAllTime(this.options.lake, state, view);
      const previous = entry.header.included[date];
      if (previous === version) continue;
      versions.set(view.name, version);
      if (previous === undefined && date < this.keepFrom) {
        beginStamp(entry.aggregation, date);
        aggregations.set(view.name, entry.aggregation);
      } else {
        aggregations.set(view.name, newAggregation(view, state.dictionary));
      }
    }
    return { date, jobs, views, files, aggregations, versions };
  }

  /** One pass over the day's raw events, each added to the aggregations of the views of its category. */
  private async readDayInto({ date, files, aggregations }: DayWork): Promise<DayReadStats> {
    const byCategory = new Map<Category, Aggregation[]>();
    for (const [name, aggregation] of aggregations) {
      for (const category of batchViewNamed(name).sources) {
        const list = byCategory.get(category) ?? [];
        list.push(aggregation);
        byCategory.set(category, list);
      }
    }
    const context = this.context;
    let category: Category | undefined;
    let targets: Aggregation[] | undefined;
    const stats = await withContext('lake', () =>
      readDay(
        this.options.lake,
        files,
        date,
        this.calendar,
        (event: BatchEvent) => {
          if (event.category !== category) {
            category = event.category;
            targets = byCategory.get(category);
          }
          if (!targets) return;
          for (let i = 0; i < targets.length; i++) addInput(targets[i]!, event, context);
        },
        this.state.parsing,
      ),
    );
    this.report.eventsRead += stats.rows - stats.duplicates - stats.outside;
    this.report.duplicates += stats.duplicates;
    return stats;
  }

  /** Daily rows written (or trailing partials saved); all-time states merged with the day. */
  private async settleDay({ date, views, aggregations, versions }: DayWork): Promise<void> {
    const { options, state, report } = this;
    for (const view of views) {
      const aggregation = aggregations.get(view.name);
      if (!aggregation) continue;
      if (view.period === 'day') {
        if (view.trailingDays !== undefined) {
          await saveTrailingDay(options.lake, state, view, date, aggregation);
          continue;
        }
        await writeDay(options.views, state, report, view, date, finishRows(aggregation));
      } else if (aggregation.stamp) {
        touch(state, view.name, endStamp(aggregation));
        const entry = state.allTime.get(view.name)!;
        entry.header.included[date] = versions.get(view.name)!;
        entry.changed = true;
      } else {
        await foldDay(
          options.lake,
          state,
          view,
          date,
          aggregation,
          versions.get(view.name)!,
          date >= this.keepFrom,
        );
      }
    }
  }

  /** The day's events and time in each job's report, and its manifests (written last). */
  private recordDay({ date, jobs }: DayWork, stats: DayReadStats, started: number): void {
    const { runId } = this.options;
    for (const job of jobs) {
      const categories = rawCategories(batchViewsOf(job));
      const events = categories.reduce((n, c) => n + (stats.events[c] ?? 0), 0);
      const jobReport = this.report.jobs[job]!;
      jobReport.events += events;
      jobReport.ms += (Date.now() - started) / jobs.length;
      this.manifests.push({
        job,
        date,
        runId,
        computedAt: this.computedAt,
        events,
        inputs: fingerprints(this.plan.get(job)!.get(date)!),
      });
    }
    this.log({ event: 'batch_day_computed', runId, date, jobs, ...stats, ms: Date.now() - started });
  }

  /**
   * Trailing-window rows, daily views over daily views, then the all-time rows. Rows are computed first
   * (settling changes states), then written, then the all-time states (they name the days and day
   * partials they include) are saved, then the manifests. Rows go before states: a run that fails between
   * the two leaves the old states, so a rerun merges the days again and rewrites the same rows; states
   * saved first would mark the days included and a rerun would never write their rows.
   */
  private async writeResults(): Promise<void> {
    const { options, jobs, state, report, context } = this;
    const { lake, views: store } = options;
    const writeStarted = Date.now();
    // Trailing-window daily views: rows of every date whose window holds a recomputed day (up to the last
    // day computed), then daily views over daily views.
    const lastDay = [this.complete.at(-1) ?? '', this.allDays.at(-1) ?? ''].sort().at(-1)!;
    await writeTrailing(options, jobs, state, report, lastDay);
    await writeDailyOver(options, jobs, state, report, context);
    prunePartials(state, this.keepFrom);
    const rows = await allTimeRows(options, jobs, state, context, this.keepFrom);
    await settleWrites(state);
    for (const [view, viewRows] of rows) {
      const table = batchTable(view);
      await withContext('view store', () =>
        replacesWhole(view)
          ? store.replacePartitions(table, partitionsToReplace(view, table, viewRows), viewRows)
          : store.upsert(table, viewRows),
      );
      countRows(report, view.job, viewRows.length);
    }
    for (const [name, entry] of state.allTime) {
      if (!entry.changed) continue;
      const bytes = encodeStates(entry.aggregation, entry.header);
      startWrite(state, () => lake.put(allTimeKey(name), bytes, 'application/gzip'));
    }
    await settleWrites(state);
    for (const key of state.obsolete) startWrite(state, () => lake.delete(key));
    await settleWrites(state);
    for (const manifest of this.manifests) startWrite(state, () => writeManifest(lake, manifest));
    await settleWrites(state);
    const writeMs = Date.now() - writeStarted;
    for (const job of jobs) report.jobs[job]!.ms += writeMs / jobs.length;
  }
}

function fingerprints(files: readonly RawInput[]): Record<string, InputFingerprint> {
  const out: Record<string, InputFingerprint> = {};
  for (const f of files) out[f.key] = { size: f.size, lastModified: f.lastModified };
  return out;
}

function dedupeFiles(files: readonly RawInput[]): RawInput[] {
  const byKey = new Map(files.map((f) => [f.key, f]));
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * An as-of view keyed by a derived column (a ranking) is written whole: its key can move between runs, and
 * replacing its partitions removes the row under the old key. A partition all of whose rows moved away
 * (a score band left empty) is replaced too: see `partitionsToReplace`.
 */
export const replacesWhole = (view: BatchViewDefinition<never>): boolean =>
  view.asOf === true &&
  [...view.partitionKey, ...(view.clustering ?? []).map((c) => c.name)].some(
    (name) => view.derived?.[name] !== undefined,
  );

/** The distinct partitions (partition key columns) of some rows. */
function partitionsOf(table: TableDefinition, rows: readonly Row[]): Row[] {
  const out = new Map<string, Row>();
  for (const row of rows) {
    const partition = Object.fromEntries(table.partitionKey.map((k) => [k, row[k] ?? null]));
    out.set(JSON.stringify(partition), partition);
  }
  return [...out.values()];
}

/**
 * The partitions a whole-view write replaces: those of its rows and, when the partition key is one derived
 * column with a declared `domain` (risk_ranking's score bands), every partition it can take, so a
 * partition that all its rows left is emptied rather than keeping them under their old key.
 */
export function partitionsToReplace(
  view: BatchViewDefinition<never>,
  table: TableDefinition,
  rows: readonly Row[],
) {
  const found = partitionsOf(table, rows);
  const [column, ...others] = table.partitionKey;
  const domain = column !== undefined && others.length === 0 ? view.derived?.[column]?.domain : undefined;
  if (!domain) return found;
  const out = new Map(found.map((p) => [JSON.stringify(p), p]));
  for (const value of domain) {
    const partition: Row = { [column!]: value };
    out.set(JSON.stringify(partition), partition);
  }
  return [...out.values()];
}

function countRows(report: BatchRunReport, job: BatchJob, rows: number) {
  report.rowsWritten += rows;
  report.jobs[job]!.rowsWritten += rows;
}

/** Replaces a daily view's partition of one date, and keeps its rows for daily views over it. */
async function writeDay(
  store: ViewStore,
  state: Computation,
  report: BatchRunReport,
  view: BatchViewDefinition<never>,
  date: string,
  rows: Row[],
): Promise<void> {
  let byDate = state.dayRows.get(view.name);
  if (!byDate) {
    byDate = new Map();
    state.dayRows.set(view.name, byDate);
  }
  byDate.set(date, rows);
  if (view.intermediate) return;
  const table = batchTable(view);
  // Replaced, not deleted then upserted: API readers polling meanwhile never see the day vanish. A view
  // partitioned by another key (student_activity_history: date is clustering) upserts the day's rows; a
  // grain that left a recomputed day (only erasure removes events) keeps its row until deleted with it.
  await withContext('view store', () =>
    table.partitionKey.includes('date')
      ? store.replacePartitions(table, [{ date }], rows)
      : store.upsert(table, rows),
  );
  countRows(report, view.job, rows.length);
}

async function saveTrailingDay(
  lake: ObjectStore,
  state: Computation,
  view: BatchViewDefinition<never>,
  date: string,
  day: Aggregation,
): Promise<void> {
  const bytes = encodeStates(day);
  startWrite(state, () => lake.put(trailingPartialKey(view.name, date), bytes, 'application/gzip'));
  let days = state.trailing.get(view.name);
  if (!days) {
    days = new Map();
    state.trailing.set(view.name, days);
  }
  days.set(date, day);
  let dirty = state.dirtyDates.get(view.name);
  if (!dirty) {
    dirty = new Set();
    state.dirtyDates.set(view.name, dirty);
  }
  for (let k = 0; k < view.trailingDays!; k++) dirty.add(addDays(date, k));
}

async function writeTrailing(
  options: BatchRunOptions,
  jobs: BatchJob[],
  state: Computation,
  report: BatchRunReport,
  lastDay: string,
): Promise<void> {
  const { lake, views: store } = options;
  for (const view of jobs.flatMap((j) => batchViewsOf(j)).filter((v) => v.trailingDays !== undefined)) {
    const days = state.trailing.get(view.name) ?? new Map<string, Aggregation | undefined>();
    const dates = [...(state.dirtyDates.get(view.name) ?? [])].filter((d) => d <= lastDay).sort();
    for (const date of dates) {
      const window = newAggregation(view, state.dictionary);
      for (let k = 0; k < view.trailingDays!; k++) {
        const day = addDays(date, -k);
        if (!days.has(day)) {
          const bytes = await withContext('lake', () => lake.get(trailingPartialKey(view.name, day)));
          days.set(day, bytes ? decodeStates(view, bytes, state.dictionary).aggregation : undefined);
        }
        const partial = days.get(day);
        if (partial) mergeAggregation(window, partial, { date });
      }
      await writeDay(store, state, report, view, date, finishRows(window));
    }
  }
}

/** Daily views over another daily view's rows (`from` + `period: 'day'`), for the dates rewritten. */
async function writeDailyOver(
  options: BatchRunOptions,
  jobs: BatchJob[],
  state: Computation,
  report: BatchRunReport,
  context: ViewContext,
): Promise<void> {
  for (const view of jobs.flatMap((j) => batchViewsOf(j)).filter((v) => v.from && v.period === 'day')) {
    for (const [date, rows] of state.dayRows.get(view.from!) ?? []) {
      const aggregation = newAggregation(view, state.dictionary);
      for (const row of rows) addInput(aggregation, row, context);
      await writeDay(options.views, state, report, view, date, finishRows(aggregation));
    }
  }
}

async function loadAllTime(lake: ObjectStore, state: Computation, view: BatchViewDefinition<never>) {
  let entry = state.allTime.get(view.name);
  if (!entry) {
    const bytes = await withContext('lake', () => lake.get(allTimeKey(view.name)));
    entry = bytes
      ? { ...decodeStates(view, bytes, state.dictionary), changed: false }
      : {
          aggregation: newAggregation(view, state.dictionary),
          header: { included: {}, stored: {} },
          changed: false,
        };
    state.allTime.set(view.name, entry);
  }
  return entry;
}

const touch = (state: Computation, view: string, ids: Iterable<number>) => {
  let set = state.touched.get(view);
  if (!set) {
    set = new Set();
    state.touched.set(view, set);
  }
  for (const id of ids) set.add(id);
};

/**
 * Replaces a day's partial in a view's all-time states. `version` fingerprints the day's inputs: the same
 * version is already included (nothing to do); another one is removed first, from its stored partial.
 * The day's partial is stored only when the day is within the retention window (`keep`).
 */
async function foldDay(
  lake: ObjectStore,
  state: Computation,
  view: BatchViewDefinition<never>,
  date: string,
  day: Aggregation,
  version: string,
  keep: boolean,
): Promise<void> {
  const entry = await loadAllTime(lake, state, view);
  const previous = entry.header.included[date];
  if (previous === version) return;
  if (previous !== undefined) {
    const oldKey = dayPartialKey(view.name, date, previous);
    const bytes =
      entry.header.stored[date] === previous ? await withContext('lake', () => lake.get(oldKey)) : undefined;
    if (!bytes)
      throw new BatchRunError(
        `${view.name}: the raw files of ${date} changed, but that day is older than the state retention ` +
          `(its partial ${oldKey} is gone), so it cannot be recomputed incrementally: rebuild the view's state ` +
          `(delete state/${view.name}/ and rerun the whole history) or raise ULA_BATCH_STATE_RETENTION_DAYS`,
      );
    touch(
      state,
      view.name,
      unmergeAggregation(entry.aggregation, decodeStates(view, bytes, state.dictionary).aggregation),
    );
    state.obsolete.push(oldKey);
    delete entry.header.stored[date];
  }
  if (keep) {
    const bytes = encodeStates(day);
    startWrite(state, () => lake.put(dayPartialKey(view.name, date, version), bytes, 'application/gzip'));
    entry.header.stored[date] = version;
  }
  const reached = mergeAggregation(entry.aggregation, day);
  touch(state, view.name, reached);
  const dayOfDate = dayNumber(date);
  for (const group of reached) entry.aggregation.touchDay(group, dayOfDate);
  entry.header.included[date] = version;
  entry.changed = true;
}

/** Drops stored day partials older than the retention window (after the all-time states are saved). */
function prunePartials(state: Computation, keepFrom: string) {
  for (const [name, entry] of state.allTime) {
    for (const [date, version] of Object.entries(entry.header.stored)) {
      if (date >= keepFrom) continue;
      state.obsolete.push(dayPartialKey(name, date, version));
      delete entry.header.stored[date];
      entry.changed = true;
    }
  }
}

/** Rows of all-time views (and views over them) for the grains touched by this run. */
async function allTimeRows(
  options: BatchRunOptions,
  jobs: BatchJob[],
  state: Computation,
  context: ViewContext,
  keepFrom: string,
): Promise<Map<BatchViewDefinition<never>, Row[]>> {
  const { lake } = options;
  const out = new Map<BatchViewDefinition<never>, Row[]>();
  const all = jobs.flatMap((j) => batchViewsOf(j)).filter((v) => v.period === 'all');
  const views = all.filter((v) => v.projectionOf === undefined);
  // As-of views are refinished whole whenever their source's state changed (a new day moves the as-of).
  const asOfChanged = (view: BatchViewDefinition<never>) =>
    view.asOf === true && state.allTime.get(view.projectionOf?.view ?? view.name)?.changed === true;
  if (state.touched.size === 0 && !all.some(asOfChanged)) return out;
  const aggregations = new Map<string, Aggregation>();
  for (const view of views.filter((v) => v.from === undefined)) {
    aggregations.set(view.name, (await loadAllTime(lake, state, view)).aggregation);
  }
  // Views over another view: recomputed from the source's all-time rows; touched where fed by touched rows.
  for (const view of views.filter((v) => v.from !== undefined)) {
    const source = batchViewNamed(view.from!);
    const sourceEntry = await loadAllTime(lake, state, source);
    const sourceAggregation = sourceEntry.aggregation;
    // Settled source rows are folded into this view's settled states and dropped from the source's state.
    const settledGroups = sourceEntry.header.settled ?? {};
    sourceEntry.header.settled = settledGroups;
    const saved = settledGroups[view.name];
    const settled = saved
      ? decodeAggregation(view, saved, state.dictionary)
      : newAggregation(view, state.dictionary);
    if (source.settledWhen) {
      let moved = 0;
      const sourceTouched = state.touched.get(source.name);
      const keepFromDay = dayNumber(keepFrom);
      for (const group of sourceAggregation.groups()) {
        const day = sourceAggregation.lastDayOf(group);
        if (day === -1 || day >= keepFromDay || sourceTouched?.has(group)) continue;
        const row = finishGroup(sourceAggregation, group);
        if (!row || !source.settledWhen(row)) continue;
        addInput(settled, row, context);
        sourceAggregation.remove(group);
        moved++;
      }
      if (moved > 0) {
        settledGroups[view.name] = encodeAggregation(settled);
        sourceEntry.changed = true;
      }
    }
    const full = newAggregation(view, state.dictionary);
    mergeAggregation(full, settled);
    for (const row of finishRows(sourceAggregation)) addInput(full, row, context);
    aggregations.set(view.name, full);
    const sourceTouched = state.touched.get(source.name);
    if (!sourceTouched) continue;
    const fed = newAggregation(view, state.dictionary);
    for (const group of sourceTouched) {
      const row = finishGroup(sourceAggregation, group);
      if (row) addInput(fed, row, context);
    }
    touch(state, view.name, matchingGroups(full, fed));
  }
  /**
   * What a view's derived columns read: the thresholds, and for an as-of view the end of the newest day its
   * source includes (undefined when it includes none: nothing to finish).
   */
  const finishOf = (view: BatchViewDefinition<never>): FinishContext | undefined => {
    const finish: FinishContext = { risk: options.risk ?? defaultRiskThresholds };
    if (!view.asOf) return finish;
    const newest = Object.keys(state.allTime.get(view.projectionOf?.view ?? view.name)?.header.included ?? {})
      .sort()
      .at(-1);
    return newest === undefined
      ? undefined
      : { ...finish, asOf: options.calendar.startOfDate(addDays(newest, 1)) };
  };
  const lookupCache = new Map<string, Row | undefined>();
  // A looked-up row is finished as it is stored (an as-of view's with its as-of instant, its own lookups).
  const lookup = (name: string, key: Row): Row | undefined => {
    const aggregation = aggregations.get(name);
    const group = aggregation ? aggregation.findKeys(key) : -1;
    if (!aggregation || group === -1) return undefined;
    const cacheKey = `${name}\u0002${group}`;
    if (!lookupCache.has(cacheKey)) {
      const finish = finishOf(aggregation.view);
      lookupCache.set(cacheKey, finish && finishGroup(aggregation, group, { finish, lookup }));
    }
    return lookupCache.get(cacheKey);
  };
  // Projections are finished from their source's aggregation, for its touched grains.
  for (const view of all) {
    if (view.intermediate) continue;
    const source = view.projectionOf?.view ?? view.name;
    const aggregation = aggregations.get(source)!;
    const ids = new Set(state.touched.get(source) ?? []);
    // Grains whose looked-up row changed are touched too (e.g. a course's video count).
    for (const l of Object.values(view.lookups ?? {})) {
      const other = state.touched.get(l.view);
      if (!other || other.size === 0) continue;
      const target = aggregations.get(l.view)!;
      for (const group of aggregation.groups()) {
        if (other.has(target.findKeys(l.key(aggregation.keysOf(group))))) ids.add(group);
      }
    }
    const finish = finishOf(view);
    if (finish === undefined) continue;
    if (asOfChanged(view)) for (const group of aggregation.groups()) ids.add(group);
    if (ids.size === 0) continue;
    out.set(view, finishRows(aggregation, { only: ids, lookup, as: view, finish }));
  }
  return out;
}
