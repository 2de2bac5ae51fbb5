/**
 * Scale projection of the daily batch run (`npm run bench -- batch-scale [--multipliers 1,10,30] [--days 4]`):
 * where does one batch process stop being enough?
 *
 * Per multiplier M (default 1, 10 and 30: 3,000, 30,000 and 90,000 students; teachers and courses scaled
 * with them, so a course keeps its size):
 *
 * 1. `--days` local days (default 4) of the generator's activity, streamed one UTC hour at a time into a
 *    local-directory lake in the shape live operation leaves after hourly compaction: one Parquet file per
 *    (category, UTC date, UTC hour) partition (`writeRawGroup`, sorted by event time like
 *    `compactPartition`), named by its ids' hash. Cached under .cache/bench-lake/scale-<students>-<days>-<seed>/;
 * 2. the real entry point as a child process, as JobSink runs it, but through tsx:
 *    `node --import tsx functions/batch/src/index.ts --job all --from D --to D` (embedded mode: local-dir lake,
 *    SQLite views, fresh state): once over the earlier days (the history, not measured), then the daily
 *    run of the last day, measured: wall time of the process, the run's own time, peak RSS (`maxRssMb` of
 *    its `batch_report`), the day's events and the bytes of the day's partitions (what it reads);
 * 3. a table, the time per event of each multiplier against 1× (linear scaling = 1.0), and a projection
 *    from the two largest runs (time as a power of the students, peak RSS linear) to the JobSink pod's
 *    limits (2 GiB, activeDeadlineSeconds 3,600);
 * 4. the largest multiplier's day again as one process per `--job` (as the Airflow DAG posts them), each
 *    alone: how far splitting the jobs takes one university.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createUniversity, simulate, universityDefaults } from '@ula/tools/generator/index';
import { LocalDirStore } from '../../functions/core/src/adapters/local-dir.ts';
import type { Category, LmsEvent } from '../../functions/core/src/events/envelope.ts';
import { utcHourOf } from '../../functions/core/src/lake/paths.ts';
import { writeRawGroup } from '../../functions/core/src/lake/raw-lake.ts';
import { batchJobs } from '../../functions/core/src/views/define.ts';
import { addDays, dirBytes, type JobRun, localDate, root, runJob } from './batch.bench.ts';
import type { Bench, BenchResult } from './result.ts';

const seed = 'bench-scale';
/** A Monday: the measured day of 4 is a Thursday. */
const firstDay = '2026-01-05';
const hourMs = 3_600_000;
/** The entry point from its TypeScript sources through tsx (as the trigger service runs it before a build). */
const tsxEntry = ['--import', 'tsx', 'functions/batch/src/index.ts'];
/** A daily run slower than this is stopped and reported as such. */
const dailyTimeoutMs = 15 * 60_000;
const historyTimeoutMs = 60 * 60_000;
/** The JobSink pod (eventing/jobsink-batch.yaml): memory limit and activeDeadlineSeconds. */
const podMemoryMb = 2048;
const podDeadlineS = 3600;

interface DayInfo {
  events: number;
  files: number;
  bytes: number;
}

export interface ScaleLake {
  students: number;
  teachers: number;
  courses: number;
  days: string[];
  events: number;
  files: number;
  bytes: number;
  /** Per local day: its events, and the files and bytes of the UTC-hour partitions that make it up. */
  perDay: Record<string, DayInfo>;
  generateMs: number;
}

/** Generates (once) the lake of one university size, one UTC hour at a time. */
export async function ensureScaleLake(
  dir: string,
  students: number,
  days: number,
  log: (s: string) => void,
): Promise<ScaleLake> {
  const marker = join(dir, 'lake.json');
  if (existsSync(marker)) return JSON.parse(readFileSync(marker, 'utf8')) as ScaleLake;
  rmSync(dir, { recursive: true, force: true });
  const store = new LocalDirStore(join(dir, 'lake'));
  const ratio = students / universityDefaults.students;
  const teachers = Math.max(1, Math.round(universityDefaults.teachers * ratio));
  const courses = Math.max(1, Math.round(universityDefaults.courses * ratio));
  const university = createUniversity({ seed, students, teachers, courses });
  const start = Date.parse(`${firstDay}T00:00:00+07:00`);
  const end = start + days * 86_400_000;
  const lake: ScaleLake = {
    students,
    teachers,
    courses,
    days: Array.from({ length: days }, (_, i) => addDays(firstDay, i)),
    events: 0,
    files: 0,
    bytes: 0,
    perDay: {},
    generateMs: 0,
  };
  const dayOf = (day: string): DayInfo => {
    let info = lake.perDay[day];
    if (!info) {
      info = { events: 0, files: 0, bytes: 0 };
      lake.perDay[day] = info;
    }
    return info;
  };
  const started = Date.now();
  let hour = Number.NEGATIVE_INFINITY;
  let groups = new Map<Category, LmsEvent[]>();
  /** Writes the hour's groups: one file per category, sorted like a compacted partition. */
  const flush = async () => {
    const day = dayOf(localDate(hour * hourMs));
    // Accepted a few seconds after the hour, as a compacted partition's rows are.
    const ingestTime = new Date((hour + 1) * hourMs + 5_000);
    for (const [category, events] of groups) {
      const times = new Map(events.map((e) => [e, Date.parse(e.time)]));
      events.sort((a, b) => times.get(a)! - times.get(b)! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const { bytes } = await writeRawGroup(
        store,
        { category, partition: utcHourOf(events[0]!.time), events },
        ingestTime,
      );
      lake.files++;
      lake.bytes += bytes;
      day.files++;
      day.bytes += bytes;
    }
    groups = new Map();
  };
  for (const event of simulate(university, { start, end, seed })) {
    const ms = Date.parse(event.time);
    const eventHour = Math.floor(ms / hourMs);
    if (eventHour !== hour) {
      if (eventHour < hour) throw new Error(`the generator went back in time: ${event.time}`);
      if (groups.size > 0) await flush();
      hour = eventHour;
      if (hour % 24 === 0) log(`  UTC ${utcHourOf(event.time).date}: ${lake.events} events so far`);
    }
    let list = groups.get(event.category);
    if (!list) {
      list = [];
      groups.set(event.category, list);
    }
    list.push(event);
    lake.events++;
    dayOf(localDate(ms)).events++;
  }
  if (groups.size > 0) await flush();
  lake.generateMs = Date.now() - started;
  writeFileSync(marker, JSON.stringify(lake));
  return lake;
}

interface ScaleRun {
  multiplier: number;
  lake: ScaleLake;
  history?: JobRun;
  daily?: JobRun;
  /** The daily run again, one process per job (largest multiplier only). */
  perJob?: Record<string, JobRun>;
  /** Batch state in the lake after the daily run (all-time states, day partials, manifests). */
  stateMb?: number;
  /** 1-minute load average of the machine when the daily run started. */
  load?: number;
  error?: string;
}

/** A fresh state and view store (the raw files are reused), then every day but the last in one run. */
async function history(dir: string, lake: ScaleLake, log: (s: string) => void): Promise<JobRun> {
  rmSync(join(dir, 'lake', 'state'), { recursive: true, force: true });
  for (const f of readdirSync(dir)) if (f.startsWith('views.sqlite')) rmSync(join(dir, f));
  const from = lake.days[0]!;
  const to = lake.days.at(-2)!;
  const run = await runJob(dir, 'all', from, to, { entry: tsxEntry, timeoutMs: historyTimeoutMs });
  log(
    `  history ${from}..${to}: ${thousands(run.events)} events in ${(run.ms / 1000).toFixed(1)} s, ${run.maxRssMb} MB`,
  );
  return run;
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');

const bench: Bench = {
  name: 'batch-scale',
  async run({ flags }): Promise<BenchResult> {
    const log = (s: string) => process.stdout.write(`  ${s}\n`);
    const multipliers = String(flags['multipliers'] ?? '1,10,30')
      .split(',')
      .map(Number);
    const days = Number(flags['days'] ?? 4);
    if (multipliers.some((m) => !(m > 0)) || !Number.isInteger(days) || days < 2)
      throw new Error('batch-scale: --multipliers must be positive numbers, --days an integer ≥ 2');
    const runs: ScaleRun[] = [];
    for (const multiplier of multipliers) {
      const students = Math.round(universityDefaults.students * multiplier);
      const dir = join(root, '.cache', 'bench-lake', `scale-${students}-${days}-${seed}`);
      const lake = await ensureScaleLake(dir, students, days, log);
      const last = lake.days.at(-1)!;
      log(
        `${multiplier}× ${thousands(students)} students, ${lake.teachers} teachers, ${lake.courses} courses: ${thousands(lake.events)} events, ${lake.files} files, ${(lake.bytes / 1e6).toFixed(0)} MB (generated in ${(lake.generateMs / 1000).toFixed(0)} s)`,
      );
      const run: ScaleRun = { multiplier, lake };
      runs.push(run);
      try {
        run.history = await history(dir, lake, log);
        run.load = loadavg()[0]!;
        run.daily = await runJob(dir, 'all', last, last, { entry: tsxEntry, timeoutMs: dailyTimeoutMs });
        run.stateMb = dirBytes(join(dir, 'lake', 'state')) / 1e6;
        log(
          `  daily run ${last}: ${thousands(run.daily.events)} events in ${(run.daily.ms / 1000).toFixed(1)} s (run ${(run.daily.runMs / 1000).toFixed(1)} s), ${run.daily.maxRssMb} MB, ${thousands(run.daily.rows)} rows`,
        );
        if (multiplier === Math.max(...multipliers)) {
          // The same day again, one process per job (as the Airflow DAG posts them), each on its own.
          await history(dir, lake, log);
          run.perJob = {};
          for (const job of batchJobs) {
            const one = await runJob(dir, job, last, last, { entry: tsxEntry, timeoutMs: dailyTimeoutMs });
            run.perJob[job] = one;
            log(
              `  daily run ${last}, --job ${job}: ${thousands(one.events)} events in ${(one.ms / 1000).toFixed(1)} s (run ${(one.runMs / 1000).toFixed(1)} s), ${one.maxRssMb} MB`,
            );
          }
        }
      } catch (error) {
        run.error = (error as Error).message.split('\n').slice(0, 3).join(' ');
        log(`  ${multiplier}× stopped: ${run.error}`);
      }
    }

    const figures: BenchResult['figures'] = {};
    const ratios: Record<string, number> = {};
    const base = runs.find((r) => r.multiplier === 1 && r.daily) ?? runs.find((r) => r.daily);
    const perEvent = (r: JobRun) => r.ms / r.events;
    const perEventInProcess = (r: JobRun) => r.runMs / r.events;
    const table = [
      '| students | events/day | lake MB read | daily run s (process / run) | peak RSS MB | events/s | time per event / 1× (process / run) |',
      '|---|---|---|---|---|---|---|',
    ];
    for (const { multiplier, lake, daily, load, stateMb, error } of runs) {
      const day = lake.perDay[lake.days.at(-1)!]!;
      const label = `${multiplier}× (${thousands(lake.students)} students)`;
      figures[`${label} events/day`] = day.events;
      figures[`${label} lake MB read`] = +(day.bytes / 1e6).toFixed(1);
      if (!daily) {
        figures[`${label} daily run`] = `did not finish: ${error}`;
        table.push(
          `| ${thousands(lake.students)} | ${thousands(day.events)} | ${(day.bytes / 1e6).toFixed(0)} | did not finish | | | |`,
        );
        continue;
      }
      const ratio = base ? perEvent(daily) / perEvent(base.daily!) : Number.NaN;
      const ratioInProcess = base ? perEventInProcess(daily) / perEventInProcess(base.daily!) : Number.NaN;
      figures[`${label} daily run s`] = +(daily.ms / 1000).toFixed(1);
      figures[`${label} daily run s (in process)`] = +(daily.runMs / 1000).toFixed(1);
      figures[`${label} peak RSS MB`] = daily.maxRssMb;
      figures[`${label} events/s`] = Math.round(daily.events / (daily.ms / 1000));
      figures[`${label} rows written`] = daily.rows;
      figures[`${label} batch state MB`] = Math.round(stateMb ?? 0);
      figures[`${label} load average at start`] = +(load ?? 0).toFixed(1);
      if (daily.events !== day.events) figures[`${label} events read (≠ events/day)`] = daily.events;
      ratios[`${label} time per event / 1×`] = ratio;
      ratios[`${label} time per event in process / 1×`] = ratioInProcess;
      table.push(
        `| ${thousands(lake.students)} | ${thousands(day.events)} | ${(day.bytes / 1e6).toFixed(0)} | ${(daily.ms / 1000).toFixed(1)} / ${(daily.runMs / 1000).toFixed(1)} | ${daily.maxRssMb} | ${thousands(daily.events / (daily.ms / 1000))} | ${ratio.toFixed(2)} / ${ratioInProcess.toFixed(2)} |`,
      );
    }
    const done = runs.filter((r) => r.daily).sort((x, y) => x.lake.students - y.lake.students);
    if (done.length >= 2) {
      // From the two largest runs: time as a power of the students (it grows faster than linearly),
      // peak RSS linearly (its marginal MB per student).
      const [small, large] = done.slice(-2) as [ScaleRun, ScaleRun];
      const s1 = small.lake.students;
      const s2 = large.lake.students;
      const t1 = small.daily!.ms / 1000;
      const t2 = large.daily!.ms / 1000;
      const exponent = Math.log(t2 / t1) / Math.log(s2 / s1);
      const mbPerStudent = (large.daily!.maxRssMb - small.daily!.maxRssMb) / (s2 - s1);
      figures['daily run time ∝ students^k, k (two largest runs)'] = +exponent.toFixed(2);
      figures['peak RSS MB per 1,000 more students (two largest runs)'] = +(mbPerStudent * 1000).toFixed(1);
      figures[`students at the pod's ${podMemoryMb} MB limit (projected)`] =
        mbPerStudent > 0 ? Math.round(s2 + (podMemoryMb - large.daily!.maxRssMb) / mbPerStudent) : 'never';
      figures[`students at ${podDeadlineS} s (activeDeadlineSeconds, projected)`] =
        exponent > 0 ? Math.round(s2 * (podDeadlineS / t2) ** (1 / exponent)) : 'never';
    }
    const largest = runs.find((r) => r.perJob);
    if (largest?.perJob) {
      const label = `${largest.multiplier}× --job`;
      const jobs = Object.entries(largest.perJob);
      for (const [job, run] of jobs) {
        figures[`${label} ${job} s`] = +(run.ms / 1000).toFixed(1);
        figures[`${label} ${job} peak RSS MB`] = run.maxRssMb;
      }
      figures[`${label} <each>: sum of the processes s`] = +(
        jobs.reduce((n, [, r]) => n + r.ms, 0) / 1000
      ).toFixed(1);
      figures[`${label} <each>: largest peak RSS MB`] = Math.max(...jobs.map(([, r]) => r.maxRssMb));
      // The Airflow DAG runs the five category jobs side by side, then student_course_analytics.
      const final = largest.perJob['student_course_analytics'];
      const parallel = jobs.filter(([job]) => job !== 'student_course_analytics').map(([, r]) => r.ms);
      if (final && parallel.length > 0)
        figures[`${label} <each>: DAG critical path s (slowest of the five + student_course_analytics)`] = +(
          (Math.max(...parallel) + final.ms) /
          1000
        ).toFixed(1);
      table.push(
        '',
        `| ${thousands(largest.lake.students)} students, one process per job | events read | s (process / run) | peak RSS MB |`,
        '|---|---|---|---|',
        ...jobs.map(
          ([job, r]) =>
            `| ${job} | ${thousands(r.events)} | ${(r.ms / 1000).toFixed(1)} / ${(r.runMs / 1000).toFixed(1)} | ${r.maxRssMb} |`,
        ),
      );
    }
    for (const line of table) log(line);
    return {
      name: 'batch-scale',
      figures,
      ratios,
      notes: [
        `the real entry point through tsx (node --import tsx functions/batch/src/index.ts --job all), one process per run, embedded mode (local-dir lake, SQLite views); history ${days - 1} days in one run (not measured), then the daily run of day ${days}`,
        'lake: one Parquet file per (category, UTC hour), as after hourly compaction; teachers and courses scale with the students',
        'daily run s: wall time of the process (tsx start-up included) / the run as the job reports it',
        `the largest multiplier's day is also run as one process per --job (after a fresh history), one at a time`,
      ],
    };
  },
};

export default bench;
