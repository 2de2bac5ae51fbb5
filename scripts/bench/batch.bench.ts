/**
 * Batch layer benchmark (`npm run bench -- batch [--scale N]`): a generated lake of 10 million events × scale
 * (cached under .cache/bench-lake/<events>-<seed>/ so reruns reuse it), then the real job entry point
 * (functions/batch/build/index.js, embedded mode: local-dir lake + SQLite views), one process per run:
 *
 * 1. every job on its own over the first half of the history (backfill), then a daily run of the next day;
 * 2. every job over the rest but the last day, then a daily run of the last day.
 *
 * The backfill phases run the jobs as a pool of one process per core (`ULA_BENCH_LANES`, default the CPU
 * count; heaviest job first), as JobSink runs them side by side in the cluster, so the wall time compares with
 * DuckDB's on the same cores; the sum of the jobs' times is reported too.
 *
 * It reports events/s and peak RSS per job, the daily runs' time and RSS at half and full history (they
 * must not grow with history), and DuckDB (@duckdb/node-api) computing the same aggregations over the
 * same Parquet files in the same run, with the ratio.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { simulate } from '@ula/tools/generator/index';
import { createUniversity } from '@ula/tools/generator/university';
import type { LmsEvent } from '../../functions/core/src/events/envelope.ts';
import { encodeRawParquet } from '../../functions/core/src/lake/parquet.ts';
import { rawFileKey, utcHourOf } from '../../functions/core/src/lake/paths.ts';
import { toRawRow } from '../../functions/core/src/lake/raw-schema.ts';
import { batchJobs } from '../../functions/core/src/views/define.ts';
import { addDays, utcDate } from '../../functions/core/src/views/time.ts';
import type { Bench, BenchResult } from './result.ts';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const seed = 20260105;
export const zoneHours = 7; // Asia/Ho_Chi_Minh, the analytics zone of the bench
export const localDate = (ms: number) => utcDate(ms + zoneHours * 3_600_000);
export { addDays };

interface LakeInfo {
  events: number;
  files: number;
  bytes: number;
  firstDay: string;
  lastDay: string;
}

/** Generates (once) a lake of `target` events: one Parquet file per category and UTC hour. */
async function ensureLake(dir: string, target: number, log: (s: string) => void): Promise<LakeInfo> {
  const marker = join(dir, 'lake.json');
  if (existsSync(marker))
    return JSON.parse((await import('node:fs')).readFileSync(marker, 'utf8')) as LakeInfo;
  rmSync(dir, { recursive: true, force: true });
  const lakeDir = join(dir, 'lake');
  // ~100k events per simulated day: 10M events ≈ 100 days of history.
  const university = createUniversity({ seed, students: 4500, teachers: 90, courses: 180 });
  const start = Date.parse('2026-01-05T00:00:00+07:00');
  const groups = new Map<string, LmsEvent[]>();
  let files = 0;
  let bytes = 0;
  let events = 0;
  let currentHour = -1;
  const ingestTime = new Date('2026-06-01T00:00:00Z');
  const flush = () => {
    for (const [, list] of groups) {
      const first = list[0]!;
      const key = rawFileKey(
        first.category,
        utcHourOf(first.time),
        list.map((e) => e.id),
      );
      const body = encodeRawParquet(list.map((e) => toRawRow(e, ingestTime)));
      const path = join(lakeDir, ...key.split('/'));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, body);
      files++;
      bytes += body.byteLength;
    }
    groups.clear();
  };
  const started = Date.now();
  let last = 0;
  for (const event of simulate(university, { start, end: start + 3650 * 86_400_000, seed })) {
    const ms = Date.parse(event.time);
    const hour = Math.floor(ms / 3_600_000);
    if (hour !== currentHour) {
      // Stop at a local-day boundary once the target is reached, so every day is complete.
      if (events >= target && localDate(ms) !== localDate(last)) break;
      flush();
      currentHour = hour;
    }
    const key = event.category;
    let list = groups.get(key);
    if (!list) {
      list = [];
      groups.set(key, list);
    }
    list.push(event);
    events++;
    last = ms;
    if (events % 1_000_000 === 0)
      log(`generated ${events} events (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  flush();
  const info: LakeInfo = {
    events,
    files,
    bytes,
    firstDay: localDate(start),
    lastDay: localDate(last),
  };
  writeFileSync(marker, JSON.stringify(info));
  return info;
}

export interface JobRun {
  /** Wall time of the process, start-up included. */
  ms: number;
  /** The run itself, as the job reports it (startedAt to finishedAt). */
  runMs: number;
  events: number;
  rows: number;
  maxRssMb: number;
}

export interface JobOptions {
  /** Node arguments that start the entry point (default the esbuild bundle, as in the image). */
  entry?: readonly string[];
  /** Kill the process and fail after this long. */
  timeoutMs?: number;
}

/** The built bundle, as the image runs it (`node build/index.js`). */
export const bundleEntry = ['functions/batch/build/index.js'] as const;

/** Runs the job entry point once, in its own process, and returns its report. */
export function runJob(
  dataDir: string,
  job: string,
  from: string,
  to: string,
  { entry = bundleEntry, timeoutMs }: JobOptions = {},
): Promise<JobRun> {
  const started = Date.now();
  // Embedded mode: no S3 endpoint, no Cassandra contact points.
  const { ULA_S3_ENDPOINT: _s3, ULA_CASSANDRA_CONTACT_POINTS: _cassandra, ...env } = process.env;
  const child = spawn(process.execPath, [...entry, '--job', job, '--from', from, '--to', to], {
    cwd: root,
    // NODE_OPTIONS as the JobSink Job sets it (eventing/jobsink-batch.yaml), so the bench measures that.
    env: {
      ...env,
      ULA_DATA_DIR: dataDir,
      ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
      NODE_OPTIONS: '--max-semi-space-size=16',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr = `killed after ${Math.round(timeoutMs / 1000)} s\n${stderr}`;
            child.kill('SIGKILL');
          }, timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      if (status !== 0) return reject(new Error(`batch job ${job} failed: ${stderr || stdout.slice(-2000)}`));
      const line = stdout.split('\n').find((l) => l.includes('"batch_report"'));
      if (!line) return reject(new Error(`batch job ${job} printed no report`));
      const { report, maxRssMb } = JSON.parse(line) as {
        report: { eventsRead: number; rowsWritten: number; startedAt: number; finishedAt: number };
        maxRssMb: number;
      };
      resolve({
        ms: Date.now() - started,
        runMs: report.finishedAt - report.startedAt,
        events: report.eventsRead,
        rows: report.rowsWritten,
        maxRssMb,
      });
    });
  });
}

/** Heaviest first (time per job in the 10 M lake, measured), so the lanes finish close together. */
const heaviestFirst: readonly string[] = [
  'student_course_analytics',
  'video',
  'assessment',
  'auth',
  'course',
  'profile_notification',
];
/** A job's place in the pool's queue; a job not listed above runs last. */
const rank = (job: string) => {
  const i = heaviestFirst.indexOf(job);
  return i < 0 ? heaviestFirst.length : i;
};

/** Job processes run side by side: `ULA_BENCH_LANES`, default one per core, at most one per job. */
function laneCount(): number {
  const raw = process.env['ULA_BENCH_LANES'];
  const lanes = raw === undefined ? cpus().length : Number(raw);
  if (!Number.isInteger(lanes) || lanes < 1)
    throw new Error(`ULA_BENCH_LANES must be a positive integer, got "${raw}"`);
  return Math.min(lanes, batchJobs.length);
}

/**
 * DuckDB: per job, the raw files of its categories read once into a deduplicated temporary table with
 * the JSON fields extracted, then one aggregation query per view (the same grains and metrics).
 */
const duckJobs: Record<string, { categories: string[]; fields: string[]; queries: string[] }> = {
  auth: {
    categories: ['auth'],
    fields: ['session_id', 'registration_source'],
    queries: [
      `SELECT d, count(DISTINCT user_id), count(DISTINCT session_id), count(*) FILTER (role='student') FROM t WHERE event_type='LOGIN' GROUP BY d`,
      `SELECT d, h, count(*), count(DISTINCT user_id) FROM t WHERE event_type='LOGIN' GROUP BY d, h`,
      `WITH s AS (SELECT session_id, user_id, min(ms) FILTER (event_type='LOGIN') li, max(ms) FILTER (event_type='LOGOUT') lo FROM t WHERE event_type IN ('LOGIN','LOGOUT') GROUP BY ALL)
       SELECT user_id, count(*), avg((lo-li)/60000), min((lo-li)/60000), max((lo-li)/60000), sum((lo-li)/60000) FROM s WHERE lo >= li GROUP BY user_id`,
      `SELECT user_id, role, count(*) FILTER (event_type='LOGIN'), count(*) FILTER (event_type='LOGOUT'), min(ms), max(ms), count(DISTINCT session_id) FROM t GROUP BY ALL`,
      `SELECT d, registration_source, role, count(*) FROM t WHERE event_type='SIGNUP' GROUP BY ALL`,
    ],
  },
  assessment: {
    categories: ['assessment'],
    fields: [
      'course_id',
      'assignment_id',
      'assignment_type',
      'student_id',
      'score',
      'max_score',
      'correct_answers',
    ],
    queries: [
      `SELECT user_id, course_id, count(DISTINCT assignment_id), count(*), min(ms), max(ms) FROM t WHERE event_type='SUBMIT_ASSIGNMENT' AND role='student' GROUP BY ALL`,
      `WITH p AS (SELECT user_id, course_id, assignment_id, min(ms) FILTER (event_type='VIEW_ASSIGNMENT_FIRST_TIME') v, min(ms) FILTER (event_type='SUBMIT_ASSIGNMENT') s FROM t WHERE event_type IN ('VIEW_ASSIGNMENT_FIRST_TIME','SUBMIT_ASSIGNMENT') AND role='student' GROUP BY ALL)
       SELECT user_id, course_id, count(*) FILTER (s >= v), avg((s-v)/3600000) FILTER (s >= v), min((s-v)/3600000) FILTER (s >= v), max((s-v)/3600000) FILTER (s >= v), count(*) FILTER (v IS NULL OR s < v) FROM p WHERE s IS NOT NULL GROUP BY ALL`,
      `SELECT user_id, course_id, count(*), avg(correct_answers::DOUBLE), sum(correct_answers::DOUBLE), min(correct_answers::DOUBLE), max(correct_answers::DOUBLE), avg(score::DOUBLE/max_score::DOUBLE*100) FROM t WHERE event_type='QUIZ_COMPLETED' AND role='student' GROUP BY ALL`,
      `SELECT student_id, course_id, count(*), avg(score::DOUBLE), min(score::DOUBLE), max(score::DOUBLE), sum(score::DOUBLE), avg(score::DOUBLE/max_score::DOUBLE*100) FROM t WHERE event_type='GRADE_ASSIGNMENT' GROUP BY ALL`,
      `SELECT user_id, course_id, count(*) FILTER (event_type='VIEW_STUDENT_WORK'), count(*) FILTER (event_type='GRADE_ASSIGNMENT'), avg(score::DOUBLE) FILTER (event_type='GRADE_ASSIGNMENT') FROM t WHERE role='teacher' AND event_type IN ('VIEW_STUDENT_WORK','GRADE_ASSIGNMENT') GROUP BY ALL`,
      `SELECT d, course_id, assignment_type, count(*), count(DISTINCT user_id) FROM t WHERE event_type='SUBMIT_ASSIGNMENT' AND role='student' GROUP BY ALL`,
      `SELECT CASE WHEN event_type='QUIZ_COMPLETED' THEN user_id ELSE student_id END u, course_id, count(*) FILTER (event_type='QUIZ_COMPLETED'), avg(correct_answers::DOUBLE), avg(score::DOUBLE/max_score::DOUBLE*100) FILTER (event_type='QUIZ_COMPLETED'), count(*) FILTER (event_type='GRADE_ASSIGNMENT'), avg(score::DOUBLE) FILTER (event_type='GRADE_ASSIGNMENT'), avg(score::DOUBLE/max_score::DOUBLE*100) FILTER (event_type='GRADE_ASSIGNMENT') FROM t WHERE (event_type='QUIZ_COMPLETED' AND role='student') OR event_type='GRADE_ASSIGNMENT' GROUP BY ALL`,
    ],
  },
  video: {
    categories: ['video'],
    fields: ['course_id', 'video_id', 'watch_duration_seconds', 'video_duration_seconds'],
    queries: [
      `SELECT user_id, course_id, video_id, sum(w), count(*), avg(w), max(w), min(w), max(v), max(least(100, w/v*100)) FROM (SELECT *, watch_duration_seconds::DOUBLE w, video_duration_seconds::DOUBLE v FROM t) GROUP BY ALL`,
      `SELECT user_id, course_id, count(DISTINCT video_id), sum(watch_duration_seconds::DOUBLE), count(*), avg(watch_duration_seconds::DOUBLE), count(DISTINCT video_id) FILTER (watch_duration_seconds::DOUBLE >= 0.8*video_duration_seconds::DOUBLE), avg(least(100, watch_duration_seconds::DOUBLE/video_duration_seconds::DOUBLE*100)) FROM t GROUP BY ALL`,
      `SELECT video_id, course_id, count(DISTINCT user_id), sum(watch_duration_seconds::DOUBLE), count(*), avg(watch_duration_seconds::DOUBLE), count(*) FILTER (watch_duration_seconds::DOUBLE >= 0.8*video_duration_seconds::DOUBLE) FROM t GROUP BY ALL`,
      `SELECT d, course_id, count(DISTINCT user_id), count(DISTINCT video_id), sum(watch_duration_seconds::DOUBLE), count(*) FROM t GROUP BY ALL`,
      `SELECT course_id, count(DISTINCT user_id), count(DISTINCT video_id), sum(watch_duration_seconds::DOUBLE), avg(least(100, watch_duration_seconds::DOUBLE/video_duration_seconds::DOUBLE*100)) FROM t GROUP BY ALL`,
      `WITH c AS (SELECT course_id, count(DISTINCT video_id) n FROM t GROUP BY ALL) SELECT user_id, t.course_id, count(DISTINCT video_id), sum(watch_duration_seconds::DOUBLE), count(*), any_value(c.n) FROM t JOIN c USING (course_id) GROUP BY ALL`,
      `SELECT video_id, course_id, count(*), avg(watch_duration_seconds::DOUBLE), min(watch_duration_seconds::DOUBLE), count(DISTINCT user_id), avg(least(100, watch_duration_seconds::DOUBLE/video_duration_seconds::DOUBLE*100)) FROM t GROUP BY ALL`,
      `SELECT d, video_id, count(*), sum(watch_duration_seconds::DOUBLE) FROM t WHERE event_type='VIDEO_WATCHED' GROUP BY ALL`,
    ],
  },
  course: {
    categories: ['course'],
    fields: ['course_id', 'material_id', 'material_type'],
    queries: [
      `SELECT d, course_id, count(*) FILTER (event_type='COURSE_ENROLLED'), count(DISTINCT user_id) FILTER (event_type='COURSE_ENROLLED'), count(*) FILTER (event_type='COURSE_DROPPED') FROM t WHERE role='student' AND event_type IN ('COURSE_ENROLLED','COURSE_DROPPED') GROUP BY ALL`,
      `SELECT user_id, course_id, count(*), count(DISTINCT material_id), min(ms), max(ms) FROM t WHERE event_type='DOWNLOAD_MATERIAL' AND role='student' GROUP BY ALL`,
      `SELECT course_id, material_id, material_type, count(DISTINCT user_id), count(*) FROM t WHERE event_type='DOWNLOAD_MATERIAL' AND role='student' GROUP BY ALL`,
      `SELECT user_id, course_id, count(*), count(DISTINCT material_id) FROM t WHERE event_type='DOWNLOAD_MATERIAL' AND role='student' GROUP BY ALL`,
      `SELECT course_id, material_id, count(DISTINCT user_id), count(*) FROM t WHERE event_type='DOWNLOAD_MATERIAL' AND role='student' GROUP BY ALL`,
      `SELECT user_id, count(DISTINCT course_id) FILTER (event_type='COURSE_ENROLLED'), count(*) FILTER (event_type='DOWNLOAD_MATERIAL'), count(DISTINCT course_id) FILTER (event_type='DOWNLOAD_MATERIAL'), count(*) FILTER (event_type='ITEM_CLICK') FROM t WHERE role='student' GROUP BY ALL`,
      `SELECT d, course_id, event_type, count(DISTINCT user_id), count(DISTINCT user_id) FILTER (role='student'), count(*) FROM t GROUP BY ALL`,
      `SELECT course_id, count(*) FILTER (event_type='COURSE_ENROLLED'), count(*) FILTER (event_type='COURSE_DROPPED'), count(*) FILTER (event_type='COURSE_VIEW'), count(*) FILTER (event_type='DOWNLOAD_MATERIAL' AND role='student'), count(DISTINCT user_id) FILTER (role='student') FROM t GROUP BY ALL`,
    ],
  },
  profile_notification: {
    categories: ['profile', 'notification'],
    fields: ['notification_type', 'notification_id', 'updated_fields'],
    queries: [
      `SELECT user_id, count(*), min(ms), max(ms) FROM t WHERE event_type='UPDATE_PROFILE' GROUP BY ALL`,
      `SELECT f, count(*), count(DISTINCT user_id) FROM (SELECT user_id, unnest(from_json(updated_fields, '["VARCHAR"]')) f FROM t WHERE event_type='UPDATE_PROFILE') GROUP BY ALL`,
      `SELECT user_id, count(*), min(ms), max(ms) FROM t WHERE event_type='PROFILE_PICTURE_UPDATED' GROUP BY ALL`,
      `SELECT d, event_type, count(DISTINCT user_id), count(*) FROM t WHERE category='profile' GROUP BY ALL`,
      `SELECT notification_type, count(*), count(DISTINCT user_id) FROM t WHERE event_type='NOTIFICATION_SENT' GROUP BY ALL`,
      `SELECT user_id, notification_type, count(*) FROM t WHERE event_type='NOTIFICATION_CLICKED' GROUP BY ALL`,
      `SELECT notification_type, count(*) FILTER (event_type='NOTIFICATION_SENT'), count(*) FILTER (event_type='NOTIFICATION_OPENED'), count(*) FILTER (event_type='NOTIFICATION_CLICKED') FROM t WHERE category='notification' GROUP BY ALL`,
      `SELECT user_id, notification_type, count(*) FILTER (event_type='NOTIFICATION_SENT'), count(*) FILTER (event_type='NOTIFICATION_CLICKED') FROM t WHERE event_type IN ('NOTIFICATION_SENT','NOTIFICATION_CLICKED') GROUP BY ALL`,
      `SELECT d, event_type, notification_type, count(DISTINCT user_id), count(*), count(DISTINCT notification_id) FROM t WHERE category='notification' GROUP BY ALL`,
      `SELECT user_id, count(*) FILTER (event_type='NOTIFICATION_SENT'), count(*) FILTER (event_type='NOTIFICATION_OPENED'), count(*) FILTER (event_type='NOTIFICATION_CLICKED') FROM t WHERE category='notification' GROUP BY ALL`,
    ],
  },
  student_course_analytics: {
    categories: ['course', 'video', 'assessment', 'auth'],
    fields: ['course_id', 'student_id', 'score', 'max_score', 'watch_duration_seconds'],
    queries: [
      `WITH s AS (SELECT *, CASE WHEN role='student' THEN user_id WHEN event_type='GRADE_ASSIGNMENT' THEN student_id END sid FROM t)
       SELECT course_id, count(DISTINCT sid) FILTER (event_type='COURSE_ENROLLED'), count(*) FILTER (event_type='VIDEO_WATCHED'), count(*) FILTER (event_type='DOWNLOAD_MATERIAL'), count(*) FILTER (event_type='SUBMIT_ASSIGNMENT'), count(*) FILTER (event_type='QUIZ_COMPLETED'), avg(score::DOUBLE) FILTER (event_type='GRADE_ASSIGNMENT'), avg(score::DOUBLE/max_score::DOUBLE*100) FILTER (event_type='QUIZ_COMPLETED'), count(*) FILTER (role='student'), count(DISTINCT sid) FILTER (role='student'), max(ms) FILTER (role='student') FROM s WHERE sid IS NOT NULL AND course_id IS NOT NULL GROUP BY ALL`,
      `WITH s AS (SELECT *, CASE WHEN role='student' THEN user_id WHEN event_type='GRADE_ASSIGNMENT' THEN student_id END sid FROM t)
       SELECT sid, count(DISTINCT course_id) FILTER (event_type='COURSE_ENROLLED'), count(*) FILTER (event_type='VIDEO_WATCHED'), count(*) FILTER (event_type='SUBMIT_ASSIGNMENT'), count(*) FILTER (event_type='QUIZ_COMPLETED'), count(*) FILTER (event_type='LOGIN'), count(*) FILTER (event_type='DOWNLOAD_MATERIAL'), avg(score::DOUBLE) FILTER (event_type='GRADE_ASSIGNMENT'), sum(watch_duration_seconds::DOUBLE) FILTER (event_type='VIDEO_WATCHED'), max(ms) FILTER (event_type='LOGIN'), max(ms) FILTER (role='student') FROM s WHERE sid IS NOT NULL GROUP BY ALL`,
      `WITH s AS (SELECT *, CASE WHEN role='student' THEN user_id WHEN event_type='GRADE_ASSIGNMENT' THEN student_id END sid FROM t)
       SELECT sid, course_id, min(ms) FILTER (event_type='COURSE_ENROLLED') e, max(ms) FILTER (event_type='COURSE_ENROLLED'), max(ms) FILTER (event_type='COURSE_DROPPED'), count(*) FILTER (event_type='VIDEO_WATCHED'), count(*) FILTER (event_type='SUBMIT_ASSIGNMENT'), count(*) FILTER (event_type='QUIZ_COMPLETED'), count(*) FILTER (event_type='DOWNLOAD_MATERIAL'), avg(score::DOUBLE) FILTER (event_type='GRADE_ASSIGNMENT'), max(ms) FILTER (role='student') FROM s WHERE sid IS NOT NULL AND course_id IS NOT NULL GROUP BY ALL HAVING e IS NOT NULL`,
      `WITH s AS (SELECT *, CASE WHEN role='student' THEN user_id WHEN event_type='GRADE_ASSIGNMENT' THEN student_id END sid FROM t)
       SELECT sid, course_id, count(*) FILTER (event_type='VIDEO_WATCHED'), sum(watch_duration_seconds::DOUBLE) FILTER (event_type='VIDEO_WATCHED'), count(*) FILTER (event_type='DOWNLOAD_MATERIAL'), count(*) FILTER (event_type='SUBMIT_ASSIGNMENT'), count(*) FILTER (event_type='QUIZ_COMPLETED'), avg(score::DOUBLE) FILTER (event_type='GRADE_ASSIGNMENT'), avg(score::DOUBLE/max_score::DOUBLE*100) FILTER (event_type='QUIZ_COMPLETED'), max(ms) FILTER (role='student') FROM s WHERE sid IS NOT NULL AND course_id IS NOT NULL GROUP BY ALL`,
      `WITH a AS (SELECT d, user_id, count(*) n FROM t WHERE role='student' AND event_type IN ('VIDEO_WATCHED','SUBMIT_ASSIGNMENT','LOGIN') GROUP BY ALL),
            w AS (SELECT x.d, a.user_id, sum(a.n) n FROM (SELECT DISTINCT d FROM a) x JOIN a ON a.d BETWEEN x.d - 6 AND x.d GROUP BY ALL)
       SELECT d, CASE WHEN n > 50 THEN 'highly_active' WHEN n >= 10 THEN 'moderately_active' ELSE 'low_activity' END, count(*) FROM w GROUP BY ALL`,
      `SELECT d, course_id, count(*) FROM t WHERE category IN ('course','video','assessment') AND course_id IS NOT NULL GROUP BY ALL`,
    ],
  },
};

async function duckdbJob(lakeDir: string, job: string): Promise<number> {
  const spec = duckJobs[job]!;
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const connection = await instance.connect();
  const started = Date.now();
  const globs = spec.categories.map((c) => `'${lakeDir}/raw/${c}/*/*/*.parquet'`).join(', ');
  const extracted = spec.fields.map((f) => `json_extract_string(data, '$.${f}') AS ${f}`).join(', ');
  await connection.run(
    `CREATE TEMP TABLE t AS SELECT event_type, category, user_id, role, epoch_ms(event_time) AS ms,
       CAST(event_time + INTERVAL ${zoneHours} HOUR AS DATE) AS d, hour(event_time + INTERVAL ${zoneHours} HOUR) AS h, ${extracted}
     FROM (SELECT DISTINCT ON (event_id) * FROM read_parquet([${globs}]))`,
  );
  for (const query of spec.queries) await connection.runAndReadAll(query);
  const ms = Date.now() - started;
  connection.closeSync();
  instance.closeSync();
  return ms;
}

const bench: Bench = {
  name: 'batch',
  async run({ scale }): Promise<BenchResult> {
    const log = (s: string) => process.stdout.write(`  ${s}\n`);
    const target = Math.round(10_000_000 * scale);
    const dir = join(root, '.cache', 'bench-lake', `${target}-${seed}`);
    const lakeStarted = Date.now();
    const lake = await ensureLake(dir, target, log);
    log(
      `lake: ${lake.events} events, ${lake.files} files, ${(lake.bytes / 1e6).toFixed(0)} MB, ${lake.firstDay}..${lake.lastDay} (${((Date.now() - lakeStarted) / 1000).toFixed(1)} s)`,
    );
    spawnSync(process.execPath, ['scripts/build-functions.mjs', 'batch'], { cwd: root, stdio: 'inherit' });
    // A fresh state and view store per bench run; the raw files are reused.
    rmSync(join(dir, 'lake', 'state'), { recursive: true, force: true });
    for (const f of readdirSync(dir)) if (f.startsWith('views.sqlite')) rmSync(join(dir, f));

    const days = (Date.parse(lake.lastDay) - Date.parse(lake.firstDay)) / 86_400_000 + 1;
    const mid = addDays(lake.firstDay, Math.floor(days / 2) - 1);
    const figures: BenchResult['figures'] = {
      events: lake.events,
      'lake MB': Math.round(lake.bytes / 1e6),
      days,
    };
    const perJob: Record<string, JobRun> = {};
    const lanes = laneCount();
    let backfillWallMs = 0;
    /** Every job over the range, `lanes` processes at a time. */
    const phase = async (from: string, to: string) => {
      const started = Date.now();
      const queue = [...batchJobs].sort((a, b) => rank(a) - rank(b));
      const lane = async () => {
        for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
          const run = await runJob(dir, job, from, to);
          const total = perJob[job] ?? { ms: 0, runMs: 0, events: 0, rows: 0, maxRssMb: 0 };
          perJob[job] = total;
          total.ms += run.ms;
          total.runMs += run.runMs;
          total.events += run.events;
          total.rows += run.rows;
          total.maxRssMb = Math.max(total.maxRssMb, run.maxRssMb);
          log(
            `${job} ${from}..${to}: ${run.events} events in ${(run.ms / 1000).toFixed(1)} s, ${run.rows} rows, ${run.maxRssMb} MB`,
          );
        }
      };
      await Promise.all(Array.from({ length: lanes }, lane));
      backfillWallMs += Date.now() - started;
    };
    await phase(lake.firstDay, mid);
    const dailyHalf = await runJob(dir, 'all', addDays(mid, 1), addDays(mid, 1));
    log(
      `daily run (all jobs) at half history: ${(dailyHalf.ms / 1000).toFixed(1)} s, ${dailyHalf.maxRssMb} MB`,
    );
    await phase(addDays(mid, 2), addDays(lake.lastDay, -1));
    const dailyFull = await runJob(dir, 'all', lake.lastDay, lake.lastDay);
    log(
      `daily run (all jobs) at full history: ${(dailyFull.ms / 1000).toFixed(1)} s, ${dailyFull.maxRssMb} MB`,
    );

    let oursMs = 0;
    let duckMs = 0;
    const ratios: Record<string, number> = {};
    for (const job of batchJobs) {
      const run = perJob[job]!;
      oursMs += run.ms;
      const duck = await duckdbJob(join(dir, 'lake'), job);
      duckMs += duck;
      figures[`${job} events/s`] = Math.round(run.events / (run.ms / 1000));
      figures[`${job} s`] = +(run.ms / 1000).toFixed(1);
      figures[`${job} peak RSS MB`] = run.maxRssMb;
      figures[`${job} DuckDB s`] = +(duck / 1000).toFixed(1);
      ratios[`${job} ours / DuckDB`] = run.ms / duck;
      log(`DuckDB ${job}: ${(duck / 1000).toFixed(1)} s`);
    }
    figures[`all jobs s (backfill wall, ${lanes} lanes)`] = +(backfillWallMs / 1000).toFixed(1);
    figures['all jobs s (sum of the job processes)'] = +(oursMs / 1000).toFixed(1);
    figures['all jobs DuckDB s'] = +(duckMs / 1000).toFixed(1);
    figures['daily run at half history s'] = +(dailyHalf.ms / 1000).toFixed(1);
    figures['daily run at half history RSS MB'] = dailyHalf.maxRssMb;
    figures['daily run at full history s'] = +(dailyFull.ms / 1000).toFixed(1);
    figures['daily run at full history RSS MB'] = dailyFull.maxRssMb;
    ratios['all jobs ours (wall) / DuckDB'] = backfillWallMs / duckMs;
    ratios['all jobs ours (sum of processes) / DuckDB'] = oursMs / duckMs;
    const stateBytes = dirBytes(join(dir, 'lake', 'state'));
    figures['batch state MB'] = Math.round(stateBytes / 1e6);
    return {
      name: 'batch',
      figures,
      ratios,
      notes: [
        `ours: the real job entry point, one process per job, ${lanes} at a time, embedded mode (local-dir lake, SQLite views), rows written included; per-job times are measured beside the other lanes`,
        'DuckDB: 2 threads, dedup + JSON extraction into a temp table per job, then one query per view, results not written anywhere',
        `target: all jobs over 10M events < 60 s and within 4x of DuckDB (scale ${scale})`,
      ],
    };
  },
};

export function dirBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, f) => n + dirBytes(join(path, f)), 0);
}

export default bench;
