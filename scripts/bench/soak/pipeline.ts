/**
 * The soak: the whole pipeline driven through simulated weeks on a simulated clock (core's VirtualClock).
 *
 * - Traffic: the generator's university with its daily rhythm (late events and redeliveries included),
 *   made by a process of its own (soak/traffic.ts, so this process's memory is the pipeline's), each
 *   event delivered at the time it would arrive live, one request per event, to the production
 *   ingest service (its linger and group commit on the simulated clock) and to the speed handler.
 *   Simulated time stands still while a write runs, so ack latencies are not measured here (ingest-live
 *   does that in real time); file counts and sizes are what live traffic makes.
 * - Hourly compaction of the lake at minute 15 of every UTC hour, over the last week's UTC dates (in-process,
 *   as `--job compact` runs it).
 * - The daily batch at 01:00 local: the real batch entry point in a child process (`--job all`) over the
 *   same lake and view store, timed, with its peak RSS; meanwhile the API is polled for the days the run
 *   may replace, and any day seen to vanish or shrink is counted.
 * - The dashboard's API calls polled every simulated hour (the serving app in-process).
 * - Speed rows expire by their TTL on the simulated clock (the SQLite store emulates TTLs).
 * Per simulated day it records the figures the soak reports (see `DaySample`).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setImmediate as tick } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import { LocalDirStore } from '../../../functions/core/src/adapters/local-dir.ts';
import type { ObjectStore } from '../../../functions/core/src/adapters/object-store.ts';
import { lakeStore } from '../../../functions/core/src/adapters/object-stores.ts';
import { SqliteViewStore } from '../../../functions/core/src/adapters/sqlite.ts';
import { openViewStore } from '../../../functions/core/src/adapters/view-stores.ts';
import { VirtualClock } from '../../../functions/core/src/clock.ts';
import { loadConfig } from '../../../functions/core/src/config.ts';
import { categories } from '../../../functions/core/src/events/envelope.ts';
import {
  compactionRange,
  compactLake,
  defaultCompactionLatenessMs,
} from '../../../functions/core/src/lake/compaction.ts';
import { parseRawKey, rawPrefix } from '../../../functions/core/src/lake/paths.ts';
import { readRawRows } from '../../../functions/core/src/lake/raw-lake.ts';
import { healthThresholds } from '../../../functions/core/src/serving/health.ts';
import { ServingReader } from '../../../functions/core/src/serving/reader.ts';
import { allTables } from '../../../functions/core/src/views/catalogue.ts';
import { speedViews } from '../../../functions/core/src/views/speed-catalogue.ts';
import { speedTable } from '../../../functions/core/src/views/tables.ts';
import { addDays, localCalendar, utcDate } from '../../../functions/core/src/views/time.ts';
import { Ingest } from '../../../functions/ingest/src/ingest.ts';
import { ingestMetrics } from '../../../functions/ingest/src/metrics.ts';
import { loadIngestSettings } from '../../../functions/ingest/src/settings.ts';
import { createApp } from '../../../functions/serving/src/app.ts';
import { loadSpeedSettings } from '../../../functions/speed/src/settings.ts';
import { SpeedHandler } from '../../../functions/speed/src/speed-handler.ts';
import { SpeedWriter } from '../../../functions/speed/src/speed-writer.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const hourMs = 3_600_000;
const dayMs = 86_400_000;

export interface SoakOptions {
  days: number;
  students: number;
  dataDir: string;
  /** Run against the real local stack (S3 lake, Cassandra views) configured by the environment. */
  stack: boolean;
  seed?: string;
  /** UTC dates each hourly compaction covers (default: `compactionWindowDays`, as in production). */
  compactionDays?: number;
  /** Progress lines (one per simulated day). */
  progress?: (line: string) => void;
}

/** What one simulated day leaves behind (sampled at 01:00 local, after the day's batch run). */
export interface DaySample {
  day: number;
  date: string;
  eventsSent: number;
  /** Raw files ingest wrote during the day. */
  filesWritten: number;
  /** Files per partition of the last closed UTC date, after compaction. */
  filesPerPartitionMax: number;
  filesPerPartitionMean: number;
  lakeMB: number;
  batchStateMB: number;
  batchRunS: number;
  batchPeakRssMB: number;
  speedRows: number;
  viewStoreMB: number;
  /** RSS of the long-lived process (ingest, speed and serving in one), after a GC. */
  processRssMB: number;
  heapUsedMB: number;
  apiP99Ms: number;
  /** API observations during the day's batch run of a day that vanished or shrank. */
  shrinkObservations: number;
  compactionS: number;
}

export interface SoakReport {
  samples: DaySample[];
  eventsSent: number;
  eventsAcked: number;
  rejected: number;
  lakeRows: number;
  lakeDistinct: number;
  ackedDistinct: number;
  ackedMissingFromLake: number;
  lakeNotAcked: number;
  maxFilesPerClosedPartition: number;
  /** Closed partitions of the whole lake before the last compaction, as the hourly runs left them. */
  wholeLakeBeforeFinal: { max: number; partitionsOverOne: number; partitions: number };
  finalFilesPerPartitionMax: number;
  seconds: number;
}

/**
 * The embedded lake's layout and keys, its writes synchronous and not fsync'd: simulated weeks write a
 * million small files, and what the soak measures (file counts and sizes, run times) does not depend on
 * the disk's flush latency, which the ingest benchmarks measure. Synchronous writes spare each file five
 * thread-pool round trips while simulated time stands still.
 */
class SoakLakeDir extends LocalDirStore {
  private readonly made = new Set<string>();
  override async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.path(key);
    const dir = dirname(path);
    if (!this.made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.made.add(dir);
    }
    const tmp = join(dir, `.${randomUUID()}.tmp`);
    writeFileSync(tmp, body);
    renameSync(tmp, path);
  }
}

/** The lake as ingest sees it: counts the raw files ingest writes, per local day of the simulated clock. */
class CountingStore implements ObjectStore {
  written = 0;
  constructor(private readonly inner: ObjectStore) {}
  put(key: string, body: Uint8Array, contentType?: string) {
    if (key.startsWith(rawPrefix)) this.written++;
    return this.inner.put(key, body, contentType);
  }
  get(key: string) {
    return this.inner.get(key);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  health() {
    return this.inner.health();
  }
  uri(key: string) {
    return this.inner.uri(key);
  }
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
};
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** A full GC where the runtime allows one (RSS after a GC is what a process keeps). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** The dashboard's overview calls (what its page polls). */
const dashboardCalls = [
  '/api/v1/health',
  '/api/v1/summary',
  '/api/v1/active-users?hours=6',
  '/api/v1/course-popularity?limit=10',
  '/api/v1/recent-activity?hours=1',
  '/api/v1/engagement-distribution',
  '/api/v1/realtime/videos?hours=1&limit=10',
  '/api/v1/daily-active-users',
];

function request(path: string) {
  const [p, q = ''] = path.split('?');
  return { method: 'GET', path: p!, query: Object.fromEntries(new URLSearchParams(q)), headers: {} };
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = performance.now();
  const env = { ...process.env, ULA_DATA_DIR: options.dataDir };
  const config = loadConfig(env);
  const calendar = localCalendar(config.timeZone);
  const today = calendar.date(Date.now());
  // Simulated days end before the real now: the batch child process (real clock) sees them complete.
  const start = calendar.startOfDate(addDays(today, -(options.days + 1)));
  const end = start + options.days * dayMs;
  const clock = new VirtualClock(start);
  const progress = options.progress ?? (() => {});

  const lake = options.stack ? lakeStore(config) : new SoakLakeDir(join(options.dataDir, config.lakeBucket));
  const ingestLake = new CountingStore(lake);
  const views = options.stack ? openViewStore(config) : simulatedSqlite(options.dataDir, clock);
  await views.ensureTables(allTables);
  const ingest = new Ingest(ingestLake, loadIngestSettings(env), ingestMetrics(), clock);
  const speedSettings = loadSpeedSettings(env);
  const quiet = {
    info() {},
    warn() {},
    error(f: Record<string, unknown>) {
      console.error(JSON.stringify(f));
    },
  };
  const speed = new SpeedHandler(new SpeedWriter(views, speedSettings), speedSettings, quiet, () =>
    clock.now(),
  );
  const thresholds = healthThresholds(env);
  const reader = new ServingReader(views, { calendar, thresholds, now: () => clock.now() });
  const app = createApp({ reader, corsOrigins: [], now: () => clock.now() });
  // A reader with no caches, for the polls during a batch run (simulated time stands still meanwhile).
  const probe = new ServingReader(views, {
    calendar,
    thresholds,
    now: () => clock.now(),
    openTtlMs: 0,
    settledTtlMs: 0,
    batchTtlMs: 0,
  });

  const acked = createWriteStream(join(options.dataDir, 'acked-ids.txt'));
  let eventsSent = 0;
  let eventsAcked = 0;
  let rejected = 0;
  let failures = 0;
  let speedOutstanding = 0;
  const apiLatencies: number[] = [];
  let compactionMs = 0;
  let sentAtDayStart = 0;
  const samples: DaySample[] = [];
  let maxFilesPerClosedPartition = 0;

  const settle = async () => {
    await tick();
    while (ingest.flushing > 0) await tick();
  };

  const compact = async (latenessMs?: number) => {
    const t0 = performance.now();
    const now = clock.now();
    const range =
      options.compactionDays === undefined
        ? compactionRange(now)
        : { from: utcDate(now - options.compactionDays * dayMs), to: utcDate(now) };
    await compactLake({
      lake,
      ...range,
      now: () => clock.now(),
      ...(latenessMs !== undefined ? { latenessMs } : {}),
    });
    compactionMs += performance.now() - t0;
  };

  const pollDashboard = async () => {
    for (const call of dashboardCalls) {
      const t0 = performance.now();
      const answer = await app.handle(request(call));
      apiLatencies.push(performance.now() - t0);
      if (answer.statusCode !== 200) throw new Error(`${call} answered ${answer.statusCode}: ${answer.body}`);
    }
  };

  /** Per date, the sum of the numbers the daily-active-users answer holds (0 for a missing day). */
  const dailyActive = async (from: string, to: string): Promise<Map<string, number>> => {
    const result = await probe.dailyActiveUsers(from, to);
    const out = new Map<string, number>();
    for (const day of result.days as Record<string, unknown>[]) {
      let total = 0;
      for (const value of Object.values(day)) if (typeof value === 'number') total += value;
      out.set(String(day['date']), total);
    }
    return out;
  };

  const runDailyBatch = async (date: string) => {
    // The days the run may replace (the look-back window), as served before it starts.
    const from = addDays(date, -7);
    const before = await dailyActive(from, date);
    let shrinks = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const now = await dailyActive(from, date);
        for (const [d, n] of before) if (n > 0 && (now.get(d) ?? 0) < n) shrinks++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const t0 = performance.now();
    const { code, maxRssMb, stderr } = await runBatchChild(date, env);
    const seconds = (performance.now() - t0) / 1000;
    polling = false;
    await poller;
    if (code !== 0) throw new Error(`daily batch for ${date} failed (exit ${code}): ${stderr}`);
    return { seconds, maxRssMb, shrinks };
  };

  const sampleDay = async (date: string, batch: { seconds: number; maxRssMb: number; shrinks: number }) => {
    const closed = utcDate(clock.now() - dayMs);
    let partitions = 0;
    let files = 0;
    let maxFiles = 0;
    for (const category of categories) {
      const perHour = new Map<string, number>();
      for (const o of await lake.list(`${rawPrefix}${category}/date=${closed}/`)) {
        const p = parseRawKey(o.key);
        if (p) perHour.set(p.hour, (perHour.get(p.hour) ?? 0) + 1);
      }
      for (const n of perHour.values()) {
        partitions++;
        files += n;
        maxFiles = Math.max(maxFiles, n);
      }
    }
    maxFilesPerClosedPartition = Math.max(maxFilesPerClosedPartition, maxFiles);
    const sum = async (prefix: string) => (await lake.list(prefix)).reduce((n, o) => n + o.size, 0);
    collectGarbage();
    const memory = process.memoryUsage();
    const sample: DaySample = {
      day: samples.length + 1,
      date,
      eventsSent: eventsSent - sentAtDayStart,
      filesWritten: ingestLake.written,
      filesPerPartitionMax: maxFiles,
      filesPerPartitionMean: Math.round((files / Math.max(1, partitions)) * 100) / 100,
      lakeMB: mb(await sum(rawPrefix)),
      batchStateMB: mb(await sum('state/')),
      batchRunS: Math.round(batch.seconds * 100) / 100,
      batchPeakRssMB: batch.maxRssMb,
      speedRows: options.stack ? Number.NaN : speedRowCount(join(options.dataDir, 'views.sqlite')),
      viewStoreMB: options.stack ? Number.NaN : mb(await sqliteBytes(join(options.dataDir, 'views.sqlite'))),
      processRssMB: mb(memory.rss),
      heapUsedMB: mb(memory.heapUsed),
      apiP99Ms: Math.round(percentile(apiLatencies, 0.99) * 10) / 10,
      shrinkObservations: batch.shrinks,
      compactionS: Math.round(compactionMs / 100) / 10,
    };
    samples.push(sample);
    ingestLake.written = 0;
    sentAtDayStart = eventsSent;
    apiLatencies.length = 0;
    compactionMs = 0;
    progress(
      `day ${sample.day}/${options.days} ${date}: ${sample.eventsSent} events, ${sample.filesWritten} files written, ≤ ${sample.filesPerPartitionMax} per closed partition, batch ${sample.batchRunS} s / ${sample.batchPeakRssMB} MB, RSS ${sample.processRssMB} MB (${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  };

  // Scheduled work, by simulated time.
  let nextCompaction = Math.floor(start / hourMs) * hourMs + hourMs + 15 * 60_000;
  let nextPoll = start + hourMs;
  let nextBatch = calendar.startOfDate(addDays(calendar.date(start), 1)) + hourMs;
  const runDue = async (until: number) => {
    for (;;) {
      const due = Math.min(nextCompaction, nextPoll, nextBatch);
      if (due > until) return;
      await clock.advanceTo(due, settle);
      if (due === nextCompaction) {
        await compact();
        nextCompaction += hourMs;
      }
      if (due === nextPoll) {
        await pollDashboard();
        nextPoll += hourMs;
      }
      if (due === nextBatch) {
        const date = addDays(calendar.date(due), -1);
        const batch = await runDailyBatch(date);
        await sampleDay(date, batch);
        nextBatch = calendar.startOfDate(addDays(calendar.date(due), 1)) + hourMs;
      }
    }
  };

  const traffic = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(root, 'scripts/bench/soak/traffic.ts'),
      options.seed ?? 'soak',
      String(options.students),
      String(start),
      String(end),
      config.timeZone,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const trafficExit = new Promise<number | null>((resolve) => traffic.once('exit', resolve));
  const inFlight = new Set<Promise<void>>();
  for await (const line of createInterface({ input: traffic.stdout })) {
    const request = JSON.parse(line) as { t: number; h: Record<string, string>; b: string };
    const arrival = request.t;
    await runDue(arrival);
    if (arrival > clock.now()) await clock.advanceTo(arrival, settle);
    const headers = request.h;
    const body = Buffer.from(request.b);
    eventsSent++;
    const id = headers['ce-id'];
    const delivery = ingest.handle({ method: 'POST', headers: { ...headers }, body }).then(
      (answer) => {
        if (answer === undefined) {
          eventsAcked++;
          acked.write(`${id}\n`);
        } else if (answer.statusCode >= 400 && answer.statusCode < 500) rejected++;
        else failures++;
      },
      () => {
        failures++;
      },
    );
    inFlight.add(delivery);
    void delivery.finally(() => inFlight.delete(delivery));
    speedOutstanding++;
    const toSpeed = speed
      .handle({ method: 'POST', headers: { ...headers }, body })
      .finally(() => speedOutstanding--);
    toSpeed.catch(() => {});
    // Speed answers in real milliseconds: keep its backlog bounded.
    while (speedOutstanding > 2000) await new Promise((r) => setTimeout(r, 1));
  }
  if ((await trafficExit) !== 0) throw new Error('the traffic generator failed (see its stderr above)');
  // Past the end: the last lingers flush, the last hours close and are compacted, the last day batched.
  await runDue(end + 2 * hourMs);
  await clock.advanceTo(end + 2 * hourMs, settle);
  await Promise.all(inFlight);
  await speed.drain();
  await ingest.close();
  // Before the last compaction: files per closed partition over the whole lake, as the hourly runs left it.
  const closedNow = clock.now() - defaultCompactionLatenessMs - hourMs;
  const beforeFinal = new Map<string, number>();
  for (const o of await lake.list(rawPrefix)) {
    const p = parseRawKey(o.key);
    if (p && Date.parse(`${p.date}T${p.hour}:00:00Z`) <= closedNow) {
      const k = `${p.category}/${p.date}/${p.hour}`;
      beforeFinal.set(k, (beforeFinal.get(k) ?? 0) + 1);
    }
  }
  await compactFinal(lake, utcDate(start), utcDate(end + hourMs), () => clock.now());
  await new Promise<void>((r) => acked.end(() => r()));
  if (failures > 0) throw new Error(`${failures} deliveries to ingest failed (neither acked nor rejected)`);

  const verdict = await verifyLake(lake, join(options.dataDir, 'acked-ids.txt'));
  let finalMax = 0;
  for (const n of verdict.filesPerPartition.values()) finalMax = Math.max(finalMax, n);
  await views.close();
  return {
    samples,
    eventsSent,
    eventsAcked,
    rejected,
    ...verdict.counts,
    maxFilesPerClosedPartition,
    wholeLakeBeforeFinal: {
      max: Math.max(0, ...beforeFinal.values()),
      partitionsOverOne: [...beforeFinal.values()].filter((n) => n > 1).length,
      partitions: beforeFinal.size,
    },
    finalFilesPerPartitionMax: finalMax,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The embedded view store, its TTLs on the simulated clock. */
function simulatedSqlite(dataDir: string, clock: VirtualClock): SqliteViewStore {
  const store = new SqliteViewStore(join(dataDir, 'views.sqlite'));
  store.now = () => clock.now();
  return store;
}

async function compactFinal(lake: ObjectStore, from: string, to: string, now: () => number) {
  await compactLake({ lake, from, to, now, latenessMs: 0 });
}

/** The lake's rows and distinct ids against the acknowledged ids (an independent record: ingest's acks). */
async function verifyLake(lake: ObjectStore, ackedFile: string) {
  const ackedIds = new Set((await readFile(ackedFile, 'utf8')).split('\n').filter(Boolean));
  const lakeIds = new Set<string>();
  let lakeRows = 0;
  const filesPerPartition = new Map<string, number>();
  for (const o of await lake.list(rawPrefix)) {
    const p = parseRawKey(o.key);
    if (!p) continue;
    const partition = `${p.category}/${p.date}/${p.hour}`;
    filesPerPartition.set(partition, (filesPerPartition.get(partition) ?? 0) + 1);
    for (const row of await readRawRows(lake, o.key)) {
      lakeRows++;
      lakeIds.add(row.event_id);
    }
  }
  let ackedMissingFromLake = 0;
  for (const id of ackedIds) if (!lakeIds.has(id)) ackedMissingFromLake++;
  let lakeNotAcked = 0;
  for (const id of lakeIds) if (!ackedIds.has(id)) lakeNotAcked++;
  return {
    counts: {
      lakeRows,
      lakeDistinct: lakeIds.size,
      ackedDistinct: ackedIds.size,
      ackedMissingFromLake,
      lakeNotAcked,
    },
    filesPerPartition,
  };
}

function speedRowCount(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    let n = 0;
    for (const view of speedViews) {
      const { name } = speedTable(view);
      n += Number((db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n);
    }
    return n;
  } finally {
    db.close();
  }
}

async function sqliteBytes(file: string): Promise<number> {
  let bytes = 0;
  for (const f of [file, `${file}-wal`])
    bytes += await stat(f).then(
      (s) => s.size,
      () => 0,
    );
  return bytes;
}

/** The real batch entry point over the soak's lake and view store, as the daily JobSink Job runs it. */
function runBatchChild(
  date: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; maxRssMb: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'functions/batch/src/index.ts'),
        '--job',
        'all',
        '--from',
        date,
        '--to',
        date,
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('exit', (code) => {
      const report = stdout
        .split('\n')
        .filter((l) => l.includes('"batch_report"'))
        .map((l) => JSON.parse(l) as { maxRssMb: number })[0];
      resolve({ code, maxRssMb: report?.maxRssMb ?? Number.NaN, stderr: stderr.slice(-2000) });
    });
  });
}

export { addDays };
