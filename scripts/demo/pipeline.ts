/**
 * The embedded pipeline of `npm start`: the production function modules (ingest, speed, serving) called
 * in-process through their exported init/handle/shutdown, the in-process CloudEvents dispatcher in place
 * of Kafka + Knative Eventing, the batch job's `runBatch` in-process with a built-in daily trigger (and
 * the lake's compaction, `runCompaction`, after the backfill and hourly), and the adapters chosen by
 * configuration (defaults: local-directory lake and SQLite under the data folder). With `--xapi` the
 * generated activity is POSTed as xAPI statements to the xapi function's LRS in-process (xapi.ts), whose
 * derived events take the dispatcher to ingest and speed like the native ones.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  type CloudEventRequest,
  type DeadLetterRecord,
  type FunctionHandle,
  InProcessDispatcher,
} from '@ula/tools/dispatch/in-process';
import { createUniversity, type GeneratedItem, live, type University } from '@ula/tools/generator/index';
import { xapiHomePage, xapiStatementsOf } from '@ula/tools/generator/xapi';
import { lakeStore } from '../../functions/core/src/adapters/object-stores.ts';
import type { ViewStore } from '../../functions/core/src/adapters/view-store.ts';
import { openViewStore } from '../../functions/core/src/adapters/view-stores.ts';
import { runCompaction } from '../../functions/core/src/batch/compact.ts';
import { type BatchRunReport, runBatch } from '../../functions/core/src/batch/job.ts';
import {
  type RetentionLimits,
  type RetentionReport,
  runRetention,
} from '../../functions/core/src/batch/retain.ts';
import type { RiskThresholds } from '../../functions/core/src/categories/student-course/risk.ts';
import { type Config, loadConfig } from '../../functions/core/src/config.ts';
import type { LmsEvent } from '../../functions/core/src/events/envelope.ts';
import { type CompactionReport, compactionRange } from '../../functions/core/src/lake/compaction.ts';
import { batch, readSettings, readTogether, risk } from '../../functions/core/src/settings.ts';
import { addDays, type LocalCalendar, localCalendar, utcDate } from '../../functions/core/src/views/time.ts';
import type { DemoArgs } from './args.ts';
import { requestOf } from './events.ts';
import type { GenerateDone, GeneratedBatch, GenerateJob } from './generate-worker.ts';
import { serveFunctionApi } from './http.ts';
import { KafkaBus } from './kafka.ts';
import { Progress } from './progress.ts';
import { EmbeddedLrs, type XapiCounts } from './xapi.ts';

const DAY = 86_400_000;
/** The hourly compaction runs at this minute of each UTC hour (Airflow's lake_compaction: `15 * * * *`). */
const COMPACTION_MINUTE = 15;

/** What the data folder remembers between runs (so a rerun does not backfill history twice). */
export interface DemoState {
  seed: string;
  students: number;
  timeZone: string;
  /** Start of the simulated history (UTC ms, a local midnight). */
  start: number;
  /** History up to here (exclusive) is in the lake: the backfill's end of the last completed run. */
  backfilledUntil: number;
  /** Generated items (events + malformed) of the history up to backfilledUntil, in generation order. */
  items: number;
  /** The last local day the batch has computed (YYYY-MM-DD). */
  batchedThrough?: string;
}

export interface StageTiming {
  stage: string;
  seconds: number;
  /** CPU time of this process (user + system) during the stage: the machine may be shared. */
  cpuSeconds: number;
  note?: string;
}

export interface DemoSummary {
  url: string;
  dataDir: string;
  timings: StageTiming[];
  eventsGenerated: number;
  eventsIngested: number;
  rejected: number;
  speedEvents: number;
  deadLetterFile: string;
  batch: BatchRunReport | undefined;
  /** With --xapi: the LMS requests the LRS answered. */
  xapi: XapiCounts | undefined;
  totalSeconds: number;
  totalCpuSeconds: number;
}

type FunctionModule = {
  init(): unknown;
  handle: (...args: never[]) => unknown;
  shutdown(): Promise<void>;
};

const originalStdoutWrite = process.stdout.write.bind(process.stdout) as (text: string) => boolean;
const log = (message: string) => process.stderr.write(`${message}\n`);

export class EmbeddedDemo {
  readonly timings: StageTiming[] = [];
  readonly config: Config;
  /** The at-risk rules' thresholds (ULA_RISK_*), read as the batch entry point reads them. */
  readonly risk: RiskThresholds;
  /** The lake's retention (ULA_RETENTION_RAW_DAYS, ULA_RETENTION_PII_DAYS), run after each daily batch. */
  readonly retention: RetentionLimits;
  readonly calendar: LocalCalendar;
  readonly dataDir: string;
  private ingest!: FunctionModule;
  private speed!: FunctionModule;
  private serving!: FunctionModule;
  private server: Server | undefined;
  private dispatcher!: InProcessDispatcher;
  private kafka: KafkaBus | undefined;
  private lrs: EmbeddedLrs | undefined;
  private deadLetters: WriteStream | undefined;
  private functionLog: WriteStream | undefined;
  private deadLetterWrites = 0;
  private university!: University;
  private batchViews: ViewStore | undefined;
  private readonly abort = new AbortController();
  private dailyTimer: NodeJS.Timeout | undefined;
  /** The batch runs and compactions, one at a time (the tail of their queue). */
  private batchRunning: Promise<unknown> = Promise.resolve();
  private liveDone: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private state: DemoState | undefined;
  eventsGenerated = 0;
  liveEvents = 0;
  lastBatch: BatchRunReport | undefined;
  url = '';

  constructor(readonly args: DemoArgs) {
    // The adapters are chosen by the same environment variables as in production (README configuration).
    if (args.dataDir !== undefined) process.env['ULA_DATA_DIR'] = args.dataDir;
    if (args.s3 !== undefined) process.env['ULA_S3_ENDPOINT'] = args.s3;
    if (args.cassandra !== undefined) process.env['ULA_CASSANDRA_CONTACT_POINTS'] = args.cassandra;
    if (args.kafka !== undefined) process.env['ULA_KAFKA_BROKERS'] = args.kafka;
    [this.config, this.risk, this.retention] = readTogether(
      () => loadConfig(),
      () => readSettings(process.env, risk),
      () =>
        readSettings(process.env, { rawDays: batch.retentionRawDays, personalDays: batch.retentionPiiDays }),
    );
    this.dataDir = resolve(this.config.dataDir);
    this.calendar = localCalendar(this.config.timeZone);
  }

  get deadLetterFile(): string {
    return join(this.dataDir, 'dead-letter.ndjson');
  }

  private get stateFile(): string {
    return join(this.dataDir, 'demo-state.json');
  }

  private time<T>(stage: string, fn: () => Promise<T>, note?: (value: T) => string): Promise<T> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    return fn().then((value) => {
      const cpu = process.cpuUsage(cpu0);
      const timing: StageTiming = {
        stage,
        seconds: (performance.now() - t0) / 1000,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      };
      const n = note?.(value);
      if (n !== undefined) timing.note = n;
      this.timings.push(timing);
      return value;
    });
  }

  /** Data folder, function modules (init), API + dashboard listening. */
  async start(): Promise<void> {
    await this.time('start functions', async () => {
      if (this.args.reset) {
        await rm(this.dataDir, { recursive: true, force: true });
        log(`reset: removed ${this.dataDir}`);
      }
      await mkdir(this.dataDir, { recursive: true });
      this.captureFunctionLogs();
      this.state = await this.readState();
      // serving first: its init creates every table; its HTTP server is ours (no faas-js-runtime server,
      // so the functions' runtime hooks never apply to it).
      this.serving = (await import('../../functions/serving/src/index.ts')) as unknown as FunctionModule;
      this.ingest = (await import('../../functions/ingest/src/index.ts')) as unknown as FunctionModule;
      this.speed = (await import('../../functions/speed/src/index.ts')) as unknown as FunctionModule;
      await this.serving.init();
      await this.ingest.init();
      await this.speed.init();
      this.deadLetters = createWriteStream(this.deadLetterFile, { flags: 'a' });
      const speedHorizonMs = Number(process.env['ULA_SPEED_ALLOWED_LATENESS_SECONDS'] ?? 600) * 1000 - 60_000;
      this.dispatcher = new InProcessDispatcher({
        sinks: [
          { name: 'ingest', handle: this.ingest.handle as unknown as FunctionHandle },
          {
            name: 'speed',
            handle: this.speed.handle as unknown as FunctionHandle,
            // The history the speed layer would have seen live and still keeps: events inside its
            // allowed-lateness horizon, and today's (the day windows are still open).
            accepts: (request) => this.speedAccepts(request, speedHorizonMs),
          },
        ],
        policy: { retry: 5, backoffDelayMs: 100, timeoutMs: 30_000 },
        deadLetter: (record) => this.writeDeadLetter(record),
      });
      if (this.args.xapi) {
        if (this.config.kafka)
          throw new Error('--xapi feeds the in-process bus: run it without --kafka / ULA_KAFKA_BROKERS');
        this.lrs = await EmbeddedLrs.start(this.config, xapiHomePage, (events) =>
          this.dispatchEvents(events),
        );
      }
      if (this.config.kafka) {
        this.kafka = await KafkaBus.start(
          this.config.kafka.brokers,
          [
            { name: 'ingest', handle: this.ingest.handle as unknown as FunctionHandle },
            { name: 'speed', handle: this.speed.handle as unknown as FunctionHandle },
          ],
          'ula-demo',
        );
      }
      this.server = await serveFunctionApi(
        this.serving.handle as unknown as Parameters<typeof serveFunctionApi>[0],
        this.args.port,
        this.args.host,
      );
      this.url = `http://${this.args.host}:${this.args.port}/`;
    });
  }

  /**
   * The functions log JSON lines to stdout (one per too-late speed event, batch steps, ...): in the demo
   * they go to <data>/functions.log so the terminal keeps the progress bars and the summary.
   */
  private captureFunctionLogs(): void {
    if (this.functionLog) return;
    const file = createWriteStream(join(this.dataDir, 'functions.log'), { flags: 'a' });
    this.functionLog = file;
    const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const cb = typeof encoding === 'function' ? encoding : callback;
      return file.write(chunk as string, cb as () => void);
    };
    process.stdout.write = write as typeof process.stdout.write;
  }

  /** Writes to the real stdout (the summary). */
  print(text: string): void {
    originalStdoutWrite(text);
  }

  /** The xapi function's derived events onto the bus (its EventSink): resolves once each was answered. */
  private async dispatchEvents(events: readonly LmsEvent[]): Promise<void> {
    await Promise.all(events.map((event) => this.dispatcher.dispatch(requestOf({ kind: 'event', event }))));
  }

  private speedAccepts(request: CloudEventRequest, horizonMs: number): boolean {
    const time = Date.parse(request.headers['ce-time'] ?? '');
    if (Number.isNaN(time)) return true; // malformed: let speed reject it too (as a Trigger without filter would)
    const now = Date.now();
    return time >= now - horizonMs || this.calendar.date(time) === this.calendar.date(now);
  }

  private writeDeadLetter(record: DeadLetterRecord): Promise<void> {
    this.deadLetterWrites++;
    const stream = this.deadLetters;
    if (!stream) return Promise.resolve();
    return new Promise((ok, fail) =>
      stream.write(`${JSON.stringify(record)}\n`, (e) => (e ? fail(e) : ok())),
    );
  }

  private async readState(): Promise<DemoState | undefined> {
    try {
      return JSON.parse(await readFile(this.stateFile, 'utf8')) as DemoState;
    } catch {
      return undefined;
    }
  }

  private async writeState(state: DemoState): Promise<void> {
    this.state = state;
    await writeFile(this.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  }

  /**
   * Backfills the history: from local midnight `days` days ago until now, through the dispatcher. A rerun
   * continues the same deterministic simulation (same seed and start) and delivers only the items after
   * those already delivered; a different university needs --reset.
   */
  async backfillHistory(): Promise<void> {
    const { args } = this;
    const now = Date.now();
    const today = this.calendar.date(now);
    this.university = createUniversity({ seed: args.seed, students: args.students });
    let state = this.state;
    if (state && (state.seed !== args.seed || state.students !== args.students)) {
      throw new Error(
        `${this.dataDir} holds a university of seed "${state.seed}" with ${state.students} students; ` +
          'run with --reset to start over with other settings',
      );
    }
    if (!state) {
      const start = this.calendar.startOfDate(addDays(today, -args.days));
      state = {
        seed: args.seed,
        students: args.students,
        timeZone: this.config.timeZone,
        start,
        backfilledUntil: start,
        items: 0,
      };
    }
    const skip = state.items;
    const backfillFrom = state.backfilledUntil;
    const historyDays = (now - state.start) / DAY;
    const estimate = Math.max(1, Math.round(args.students * 19 * historyDays) - skip);
    const progress = new Progress('backfill → ingest', estimate);
    const finalState = state;
    await this.time(
      'backfill (generate + ingest + speed)',
      async () => {
        const generated = await this.deliverGenerated(
          {
            seed: args.seed,
            students: args.students,
            start: finalState.start,
            end: now,
            timeZone: this.config.timeZone,
            malformedRate: args.malformedRate,
            skip,
            batchSize: 1000,
            window: 4,
            xapi: this.args.xapi,
          },
          (delivered) => progress.set(delivered, Math.max(estimate, delivered)),
        );
        progress.set(this.eventsGenerated, this.eventsGenerated);
        progress.finish(skip > 0 ? `(${skip.toLocaleString('en-US')} already in the lake, skipped)` : '');
        await this.writeState({ ...finalState, backfilledUntil: now, items: generated });
      },
      () =>
        `${this.eventsGenerated.toLocaleString('en-US')} items${skip > 0 ? `, ${skip.toLocaleString('en-US')} skipped (already ingested)` : ''}`,
    );
    await this.compactHistory(backfillFrom, now);
  }

  /**
   * Compacts the lake's closed hours of the UTC dates the backfill wrote (from its start, or where the last
   * run's backfill ended, until now), once, so the batch of the history reads one file per hour as it
   * would in production after the hourly compactions. The hours still open are left to the hourly trigger.
   */
  private async compactHistory(from: number, to: number): Promise<void> {
    if (this.abort.signal.aborted) return;
    const range = { from: utcDate(from), to: utcDate(to) };
    await this.time(
      'compaction (lake, closed hours)',
      () => this.compactFor(range.from, range.to),
      (r) => `${range.from}..${range.to} UTC: ${compactionNote(r)}`,
    );
  }

  /**
   * The lake compaction (the batch entry point's `compact` job) of the UTC dates [from, to], queued with
   * the batch runs.
   */
  compactFor(from: string, to: string): Promise<CompactionReport> {
    return this.exclusive(() => {
      this.batchViews ??= openViewStore(this.config, { attempts: 5 });
      return runCompaction({
        request: { job: 'compact', from, to },
        runId: `demo-compact-${from}-${to}-${Date.now().toString(36)}`,
        lake: lakeStore(this.config),
        views: this.batchViews,
      });
    });
  }

  /** The lake's retention (the batch entry point's `retain` job) counted back from a UTC date, queued likewise. */
  retainAsOf(reference: string): Promise<RetentionReport> {
    return this.exclusive(() => {
      this.batchViews ??= openViewStore(this.config, { attempts: 5 });
      return runRetention({
        request: { job: 'retain', from: reference, to: reference },
        runId: `demo-retain-${reference}-${Date.now().toString(36)}`,
        lake: lakeStore(this.config),
        views: this.batchViews,
        limits: this.retention,
      });
    });
  }

  /**
   * Runs batch runs and compactions one at a time, in the order asked: a compaction deleting the files a
   * batch run has just listed would only make a later run recompute the day, but there is no point.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.batchRunning.then(fn);
    this.batchRunning = run.catch(() => {});
    return run;
  }

  /**
   * Runs the generator in a worker thread (the second core) and delivers its items through the
   * dispatcher, at most `limit` in flight. Resolves with the number of items the simulation produced
   * (skipped ones included) once every delivery is answered.
   */
  private deliverGenerated(job: GenerateJob, onProgress: (delivered: number) => void): Promise<number> {
    const limit = Number(process.env['ULA_DEMO_IN_FLIGHT'] ?? 4096);
    let inFlight = 0;
    let delivered = 0;
    const queue: GeneratedBatch[] = [];
    let done: number | undefined;
    let failure: unknown;
    // The worker loads TypeScript through tsx's API (workers do not inherit tsx's loader hooks).
    const entry = new URL('./generate-worker.ts', import.meta.url).href;
    const worker = new Worker(
      `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`,
      { eval: true, workerData: job },
    );
    this.abort.signal.addEventListener('abort', () => void worker.terminate(), { once: true });
    return new Promise<number>((resolveAll, rejectAll) => {
      const finishIfDone = () => {
        if (failure !== undefined) return;
        if (done !== undefined && queue.length === 0 && inFlight === 0) resolveAll(done);
      };
      const kafka = this.kafka;
      let producing = false;
      const produce = async () => {
        if (!kafka || producing) return;
        producing = true;
        try {
          while (queue.length > 0 && !this.abort.signal.aborted) {
            const batch = queue.shift()!;
            worker.postMessage('credit');
            await kafka.send(
              batch.headers.map((h, i) => ({ headers: h, body: Buffer.from(batch.bodies[i]!) })),
            );
            this.eventsGenerated += batch.headers.length;
            onProgress(kafka.produced);
          }
        } catch (error) {
          failure = error;
          void worker.terminate();
          rejectAll(error);
        } finally {
          producing = false;
        }
        if (done !== undefined && queue.length === 0 && failure === undefined) {
          kafka.waitDelivered(onProgress).then(() => resolveAll(done!), rejectAll);
        }
      };
      const pump = () => {
        if (kafka) {
          void produce();
          return;
        }
        while (queue.length > 0 && inFlight < limit && !this.abort.signal.aborted) {
          const batch = queue.shift()!;
          worker.postMessage('credit');
          for (let i = 0; i < batch.headers.length; i++) {
            inFlight++;
            this.eventsGenerated++;
            const delivery: Promise<unknown> = this.lrs
              ? this.lrs.post(batch.bodies[i]!)
              : this.dispatcher.dispatch({ headers: batch.headers[i]!, body: Buffer.from(batch.bodies[i]!) });
            delivery.then(
              () => {
                inFlight--;
                delivered++;
                if ((delivered & 1023) === 0) onProgress(delivered);
                if (inFlight < limit / 2) pump();
                finishIfDone();
              },
              (error) => {
                failure = error;
                void worker.terminate();
                rejectAll(error);
              },
            );
          }
        }
      };
      worker.on('message', (message: GeneratedBatch | GenerateDone) => {
        if (message.type === 'done') {
          done = message.generated;
          if (this.kafka) void produce();
          else finishIfDone();
          return;
        }
        queue.push(message);
        pump();
      });
      worker.on('error', (error) => {
        failure = error;
        rejectAll(error);
      });
      worker.on('exit', (code) => {
        if (done === undefined && failure === undefined) {
          failure = new Error(`generator worker exited with code ${code}`);
          rejectAll(failure);
        }
      });
    });
  }

  /**
   * Batch over the complete days of the history not batched yet (a rerun requests only the new days; the
   * batch's look-back still recomputes an earlier day whose raw files changed).
   */
  async batchHistory(): Promise<BatchRunReport | undefined> {
    const state = this.state;
    if (!state) return undefined;
    const from = state.batchedThrough ? addDays(state.batchedThrough, 1) : this.calendar.date(state.start);
    const to = addDays(this.calendar.date(Date.now()), -1);
    if (from > to) {
      this.timings.push({
        stage: 'batch (all jobs)',
        seconds: 0,
        cpuSeconds: 0,
        note: `up to date (through ${to})`,
      });
      return undefined;
    }
    return this.time(
      'batch (all jobs)',
      () => this.runBatchFor(from, to, true),
      (r) =>
        `${r.daysRecomputed.length} days recomputed, ${r.eventsRead.toLocaleString('en-US')} events read, ${r.rowsWritten.toLocaleString('en-US')} rows written`,
    );
  }

  runBatchFor(from: string, to: string, showProgress = false): Promise<BatchRunReport> {
    return this.exclusive(() => this.batch(from, to, showProgress));
  }

  private async batch(from: string, to: string, showProgress: boolean): Promise<BatchRunReport> {
    this.batchViews ??= openViewStore(this.config, { attempts: 5 });
    const views = this.batchViews;
    const progress = showProgress ? new Progress('batch views', 0, 'steps') : undefined;
    let steps = 0;
    const run = runBatch({
      request: { job: 'all', from, to },
      runId: `demo-${from}-${to}-${Date.now().toString(36)}`,
      lake: lakeStore(this.config),
      views,
      calendar: this.calendar,
      lookbackDays: 7,
      risk: this.risk,
      log: () => {
        steps++;
        progress?.set(steps, Math.max(steps, 60));
      },
    });
    const report = await run;
    progress?.finish(`${report.rowsWritten.toLocaleString('en-US')} rows`);
    this.lastBatch = report;
    if (report.status === 'succeeded' && this.state && (this.state.batchedThrough ?? '') < to) {
      await this.writeState({ ...this.state, batchedThrough: to });
    }
    return report;
  }

  /**
   * The triggers (Airflow's role): at 01:00 local, batch the day that just ended, then the lake's retention
   * counted back from it (batch_layer_pipeline);
   * at minute 15 of each UTC hour, compact the lake's closed hours of the last week (lake_compaction).
   * The compaction of the day's last hour (e.g. 17:15 UTC for UTC+7) comes before the 01:00 local batch.
   */
  startDailyTrigger(): void {
    let lastDay = this.calendar.date(Date.now());
    // The compaction after the backfill covered the hours closed before the current hour's minute 15.
    let lastHour = compactionHour(Date.now());
    this.dailyTimer = setInterval(() => {
      const now = Date.now();
      const hour = compactionHour(now);
      if (hour !== lastHour) {
        lastHour = hour;
        const { from, to } = compactionRange(now);
        log(`hourly trigger: compaction for ${from}..${to} UTC`);
        this.compactFor(from, to).then(
          (r) => log(`hourly compaction ${from}..${to}: ${compactionNote(r)}`),
          (e) => log(`hourly compaction ${from}..${to} failed: ${(e as Error).message}`),
        );
      }
      const today = this.calendar.date(now);
      if (today === lastDay || this.calendar.hour(now) < 1) return;
      const yesterday = addDays(today, -1);
      lastDay = today;
      log(`daily trigger: batch for ${yesterday}`);
      this.runBatchFor(yesterday, yesterday)
        .then(async (r) => {
          log(`daily batch ${yesterday}: ${r.status}, ${r.rowsWritten} rows`);
          // As in the DAG: only after a good batch (the next one catches up).
          const retained = await this.retainAsOf(yesterday);
          log(`daily retention as of ${yesterday}: ${retained.partitions.length} partitions removed`);
        })
        .catch((e) => log(`daily batch or retention ${yesterday} failed: ${(e as Error).message}`));
    }, 30_000);
    this.dailyTimer.unref();
  }

  /** Live traffic at `rate` events/s to ingest and speed, until stopped (or `seconds`). */
  startLive(rate: number, seconds?: number): void {
    const signal = seconds
      ? AbortSignal.any([this.abort.signal, AbortSignal.timeout(seconds * 1000)])
      : this.abort.signal;
    const items = live(this.university, {
      rate,
      seed: `${this.args.seed}-live-${Date.now()}`,
      malformedRate: this.args.malformedRate,
      timeZone: this.config.timeZone,
      signal,
    });
    const pending = new Set<Promise<unknown>>();
    this.liveDone = (async () => {
      for await (const item of items as AsyncIterable<GeneratedItem>) {
        if (signal.aborted) break;
        this.liveEvents++;
        const p: Promise<unknown> = this.lrs
          ? this.lrs.post(JSON.stringify(xapiStatementsOf(item)))
          : this.kafka
            ? this.kafka.send([requestOf(item)])
            : this.dispatcher.dispatch(requestOf(item));
        pending.add(p);
        p.finally(() => pending.delete(p));
      }
      await Promise.allSettled([...pending]);
    })();
  }

  waitLive(): Promise<void> {
    return this.liveDone;
  }

  counts() {
    const counts = this.kafka?.counts ?? this.dispatcher.counts;
    const ingest = counts['ingest'] ?? { delivered: 0, deadLettered: 0 };
    const speed = counts['speed'] ?? { delivered: 0, deadLettered: 0 };
    return { ingest, speed, deadLetters: this.deadLetterWrites };
  }

  summary(): DemoSummary {
    const c = this.counts();
    return {
      url: this.url,
      dataDir: this.dataDir,
      timings: this.timings,
      eventsGenerated: this.eventsGenerated,
      eventsIngested: c.ingest.delivered,
      rejected: c.ingest.deadLettered,
      speedEvents: c.speed.delivered,
      deadLetterFile: this.deadLetterFile,
      batch: this.lastBatch,
      xapi: this.lrs ? { ...this.lrs.counts } : undefined,
      // From process start (module loading included), as the user sees it.
      totalSeconds: performance.now() / 1000,
      totalCpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    };
  }

  /**
   * Clean stop: live traffic first, then every in-flight delivery is answered, then ingest and speed
   * flush what they hold (their shutdown), the batch in progress ends, the stores close.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      if (this.dailyTimer) clearInterval(this.dailyTimer);
      await this.liveDone.catch(() => {});
      // The LRS flushes its pending statements (their events onto the bus) before the bus drains.
      await this.lrs?.close();
      await this.dispatcher?.drain();
      await this.kafka?.stop();
      await this.ingest?.shutdown();
      await this.speed?.shutdown();
      // The batch run or compaction in progress ends (and any queued behind it).
      for (let tail: Promise<unknown> | undefined; tail !== this.batchRunning; ) {
        tail = this.batchRunning;
        await tail;
      }
      await this.batchViews?.close().catch(() => {});
      if (this.server) {
        const server = this.server;
        await new Promise<void>((ok) => {
          server.close(() => ok());
          server.closeAllConnections();
        });
      }
      await this.serving?.shutdown();
      await new Promise<void>((ok) => (this.deadLetters ? this.deadLetters.end(() => ok()) : ok()));
      const functionLog = this.functionLog;
      if (functionLog) {
        process.stdout.write = originalStdoutWrite as typeof process.stdout.write;
        await new Promise<void>((ok) => functionLog.end(() => ok()));
      }
    })();
    return this.stopping;
  }
}

/** The UTC hour (YYYY-MM-DDTHH) whose minute-15 compaction is the last one due at `ms`. */
const compactionHour = (ms: number): string =>
  new Date(ms - COMPACTION_MINUTE * 60_000).toISOString().slice(0, 13);

function compactionNote(r: CompactionReport): string {
  const before = r.compacted.reduce((n, p) => n + p.filesBefore, 0);
  const after = r.compacted.reduce((n, p) => n + p.filesAfter, 0);
  return `${r.compacted.length.toLocaleString('en-US')} of ${r.partitionsClosed.toLocaleString('en-US')} closed partitions compacted (${before.toLocaleString('en-US')} → ${after.toLocaleString('en-US')} files)`;
}

export { addDays };
