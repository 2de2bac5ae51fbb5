/**
 * Serving, the lists scenario (issue 21): 30,000 students and 300 courses in the view store (Cassandra on
 * the local stack, in a scratch keyspace, else SQLite), 4 enrolments per student with risk rows, a week of
 * daily rows. The serving function runs bundled under the faas-js-runtime CLI in its own process with the
 * answer cache off (ULA_API_CACHE_MS=0: every request reads the store), and each page's API call is
 * measured on its own, with varied prefixes, courses and cursors, under two readings of "50 concurrent
 * users": a closed loop of 50 keep-alive connections (each sends its next request when the answer is in:
 * the harsh one, a saturation test) and 50 users with about a second of think time (an open loop of 50
 * requests/s). Target: p99 < 100 ms on each store (`--stores cassandra,sqlite`, both by default).
 * Runs with `npm run bench -- serving` (beside serving.bench.ts).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  listingBucket,
  riskRank,
  riskRankBucket,
} from '../../functions/core/src/categories/student-course/risk.ts';
import { allTables, localCalendar, openViewStore, type Row } from '../../functions/core/src/index.ts';
import { tableNamed } from '../../functions/core/src/views/catalogue.ts';
import { batchWatermarks } from '../../functions/core/src/views/system-tables.ts';
import { addDays } from '../../functions/core/src/views/time.ts';
import { recreateKeyspace } from '../e2e/stack-run.ts';
import { closedLoop } from './closed-loop.ts';
import { openLoop } from './open-loop.ts';
import type { Bench, BenchResult } from './result.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const keyspace = 'ula_serving_lists_bench';
export const calendar = localCalendar('Asia/Ho_Chi_Minh');
export const studentCount = 30_000;
export const courseCount = 300;
export const perStudent = 4;
export const users = 50;
export const seconds = 8;
/** Seconds of the think-time run (50 users, one request each per second). */
export const thinkSeconds = 8;
export const targetP99 = 100;

export const studentId = (i: number) => `SV${String(i).padStart(6, '0')}`;
export const courseId = (i: number) => `CS${String(i).padStart(4, '0')}`;

/** Deterministic PRNG (mulberry32): the same university every run. */
export function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The rows the batch would write for this university (the columns the routes read). */
function university(lastDate: string) {
  const random = prng(21);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const rows = new Map<string, Row[]>();
  const add = (table: string, row: Row) => {
    const list = rows.get(table) ?? [];
    list.push(row);
    rows.set(table, list);
  };
  for (let c = 1; c <= courseCount; c++) {
    const course: Row = {
      course_id: courseId(c),
      total_enrolled_students: 0,
      total_videos_watched: int(0, 5000),
      avg_quiz_percentage: int(300, 1000) / 10,
      total_interactions: int(0, 20_000),
    };
    add('course_overview', course);
    add('course_directory', { ...course, bucket: listingBucket(courseId(c)) });
  }
  for (let s = 1; s <= studentCount; s++) {
    const id = studentId(s);
    const student: Row = {
      student_id: id,
      total_courses_enrolled: perStudent,
      total_videos_watched: int(0, 300),
      total_logins: int(0, 100),
      avg_quiz_percentage: int(200, 1000) / 10,
    };
    add('student_overview', student);
    add('student_directory', { ...student, bucket: listingBucket(id) });
    for (let k = 0; k < perStudent; k++) {
      const course = courseId(((s * 7 + k * 79) % courseCount) + 1);
      const score = [0, 0, 15, 25, 30, 45, 55, 70][int(0, 7)]!;
      const risk: Row = {
        student_id: id,
        course_id: course,
        videos_watched: int(0, 40),
        quizzes_completed: int(0, 12),
        avg_quiz_percentage: int(200, 1000) / 10,
        video_coverage_percentage: int(0, 1000) / 10,
        days_inactive: int(0, 20),
        risk_score: score,
        risk_level: score >= 50 ? 'high' : score >= 25 ? 'medium' : score > 0 ? 'low' : 'none',
        risk_reasons: score > 0 ? 'inactive:9, low_video_coverage:12.5' : '',
      };
      add('course_student_risk', risk);
      const rank = riskRank(score, id, course);
      add('risk_ranking', { ...risk, bucket: riskRankBucket(rank), risk_rank: rank });
      const enrolment: Row = {
        course_id: course,
        student_id: id,
        enrollment_date: Date.parse('2026-09-01T02:00:00Z'),
        videos_watched: risk['videos_watched']!,
        quizzes_completed: risk['quizzes_completed']!,
        dropped: false,
      };
      add('course_student_enrollment', enrolment);
      add('course_risk_ranking', {
        ...enrolment,
        video_coverage_percentage: risk['video_coverage_percentage']!,
        days_inactive: risk['days_inactive']!,
        risk_score: score,
        risk_level: risk['risk_level']!,
        risk_reasons: risk['risk_reasons']!,
        risk_rank: rank,
      });
    }
  }
  add('known_student_count', { scope: 'all', student_count: studentCount });
  for (let d = 0; d < 7; d++) {
    const date = addDays(lastDate, -d);
    for (const [level, count] of [
      ['highly_active', 2000],
      ['moderately_active', 9000],
      ['low_activity', 12_000],
    ] as const)
      add('student_engagement_distribution', { date, engagement_level: level, student_count: count });
    for (let c = 1; c <= courseCount; c++) {
      add('video_daily_engagement', {
        date,
        course_id: courseId(c),
        total_watch_events: int(0, 200),
        total_watch_seconds: int(0, 90_000),
        active_video_watchers: int(0, 80),
      });
      add('course_daily_engagement', {
        date,
        course_id: courseId(c),
        event_type: 'DOWNLOAD_MATERIAL',
        event_count: int(0, 60),
        unique_users: int(0, 40),
      });
    }
  }
  return rows;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const port = (probe.address() as { port: number }).port;
      probe.close(() => resolve(port));
    });
  });
}

export async function waitReady(url: string, child: ChildProcess) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`serving function exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health/readiness`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serving function did not become ready');
}

const encodeGet = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`);

/** The serving function, bundled, under the faas-js-runtime CLI on a free port with `env`; resolves once ready. */
export async function startServing(env: Record<string, string>) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules/faas-js-runtime/bin/cli.js'), './build/index.js', '--port', String(port)],
    { cwd: join(root, 'functions/serving'), env, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  try {
    await waitReady(url, child);
  } catch (error) {
    child.kill('SIGTERM'); // not left running when it never became ready
    throw error;
  }
  return { port, url, child };
}

/** Stops the function started by startServing and removes the seeded SQLite folder. */
export async function stopServing(child: ChildProcess, dataDir: string) {
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dataDir, { recursive: true, force: true });
}

/**
 * Each route (a name and the next path to ask) under both loads: a closed loop of `users` keep-alive
 * connections, then `users` users with about a second of think time; its figures and any answer not 200
 * go to `figures` and `notes`. Returns the worst p99 of each load. `only`: the routes whose name holds it
 * (or one of its `|`-separated parts).
 */
export async function measureRoutes(
  kind: 'cassandra' | 'sqlite',
  port: number,
  url: string,
  routes: readonly [string, () => string][],
  figures: Record<string, number | string>,
  notes: string[],
  only?: string,
) {
  let worst = { harsh: 0, thinking: 0 };
  for (const [name, next] of routes) {
    if (only !== undefined && !only.split('|').some((part) => name.includes(part))) continue;
    const requests = Array.from({ length: 200_000 }, () => encodeGet(next()));
    await closedLoop([{ port, requests: requests.slice(0, 500) }], users, 2); // warm-up
    const r = await closedLoop([{ port, requests }], users, seconds);
    const ok = r.statuses.get(200) ?? 0;
    if (ok !== r.answered)
      notes.push(`${kind} ${name}: ${r.answered - ok} answers not 200 (${JSON.stringify([...r.statuses])})`);
    // 50 users who read an answer for about a second before the next click: 50 requests/s, open loop.
    const paths = Array.from({ length: users * thinkSeconds }, () => next());
    const t = await openLoop(url, paths, users, thinkSeconds);
    if (t.failures > 0) notes.push(`${kind} ${name}: ${t.failures} failures with think time`);
    figures[`${kind} ${name}: closed loop p50 / p99 ms, req/s; 1 s think time p50 / p99 ms`] =
      `${r.latencyMs.p50.toFixed(1)} / ${r.latencyMs.p99.toFixed(1)}, ${Math.round(r.answered / r.seconds)}; ${t.p50} / ${t.p99}`;
    worst = { harsh: Math.max(worst.harsh, r.latencyMs.p99), thinking: Math.max(worst.thinking, t.p99) };
  }
  return worst;
}

/**
 * The university seeded into a store of `kind` (Cassandra keyspace `space`, recreated by the caller, or
 * SQLite in a fresh folder), with `extra` rows of other scenarios and their views' watermarks; the env the
 * serving function needs to read it (answer cache off). Shared with serving-course-pages.bench.ts.
 */
export async function seedUniversity(
  kind: 'cassandra' | 'sqlite',
  space = keyspace,
  extra: (lastDate: string, university: Map<string, Row[]>) => Map<string, Row[]> = () => new Map(),
) {
  const contactPoints = (process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1').split(',');
  const dataDir = mkdtempSync(join(tmpdir(), 'ula-serving-lists-bench-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
    ULA_API_CACHE_MS: '0',
  };
  delete env['ULA_API_TOKEN'];
  if (kind === 'cassandra')
    Object.assign(env, {
      ULA_CASSANDRA_CONTACT_POINTS: contactPoints.join(','),
      ULA_CASSANDRA_KEYSPACE: space,
    });
  else {
    delete env['ULA_CASSANDRA_CONTACT_POINTS'];
    env['ULA_DATA_DIR'] = dataDir;
  }
  const store = openViewStore(
    kind === 'cassandra'
      ? { cassandra: { contactPoints, localDataCenter: 'datacenter1', keyspace: space }, dataDir }
      : { cassandra: undefined, dataDir },
  );
  if (kind === 'sqlite') await store.ensureTables(allTables);
  const lastDate = addDays(calendar.date(Date.now()), -1);
  const rows = university(lastDate);
  const extraRows = extra(lastDate, rows);
  for (const [table, list] of extraRows) rows.set(table, [...(rows.get(table) ?? []), ...list]);
  const seedStarted = Date.now();
  let seeded = 0;
  for (const [table, list] of rows) {
    for (let i = 0; i < list.length; i += 5000)
      await store.upsert(tableNamed(table), list.slice(i, i + 5000));
    seeded += list.length;
  }
  const watermark = calendar.startOfDate(addDays(lastDate, 1));
  await store.upsert(
    batchWatermarks,
    ['student_engagement_distribution', 'video_daily_engagement', ...extraRows.keys()].map((view_name) => ({
      view_name,
      watermark,
      run_id: 'bench',
      updated_at: Date.now(),
    })),
  );
  await store.close();
  process.stdout.write(
    `  ${kind}: seeded ${seeded.toLocaleString('en-US')} rows in ${Math.round((Date.now() - seedStarted) / 1000)} s\n`,
  );
  return { env, dataDir, lastDate };
}

/** One store's figures: the university seeded, the function started on it, every route under both loads. */
async function measure(
  kind: 'cassandra' | 'sqlite',
  only: string | undefined,
  figures: Record<string, number | string>,
  notes: string[],
) {
  const { env, dataDir } = await seedUniversity(kind);
  const { port, url, child } = await startServing(env);
  let worst = { harsh: 0, thinking: 0 };
  try {
    // Cursors of real pages (students beyond the first 500 included), and varied prefixes and courses.
    const cursorsOf = async (path: string, pages: number) => {
      const found: string[] = [];
      let cursor: string | null = null;
      for (let n = 0; n < pages; n++) {
        const page = (await (await fetch(`${url}${path}${cursor ? `&cursor=${cursor}` : ''}`)).json()) as {
          next_cursor: string | null;
        };
        cursor = page.next_cursor;
        if (!cursor) break;
        found.push(cursor);
      }
      return found;
    };
    const cursors = await cursorsOf('/api/v1/students?limit=50', 60);
    const riskCursors = await cursorsOf('/api/v1/risk?limit=50', 20);
    const highCursors = await cursorsOf('/api/v1/risk?limit=50&level=high', 20);
    const random = prng(7);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const prefix = () => `SV0${String(Math.floor(random() * 300)).padStart(3, '0')}`;
    const course = () => courseId(1 + Math.floor(random() * courseCount));
    const routes: [string, () => string][] = [
      ['students (search by prefix)', () => `/api/v1/students?q=${prefix()}&limit=50`],
      ['students (next page, cursor)', () => `/api/v1/students?limit=50&cursor=${pick(cursors)}`],
      ['students (desc)', () => '/api/v1/students?limit=50&order=desc'],
      ['courses (by id)', () => '/api/v1/courses?limit=50'],
      ['courses (sort by a column)', () => '/api/v1/courses?limit=50&sort=avg_quiz_percentage&order=desc'],
      ['course students (sort=risk)', () => `/api/v1/courses/${course()}/students?limit=50&sort=risk`],
      ['risk (institution-wide, cursor)', () => `/api/v1/risk?limit=50&cursor=${pick(riskCursors)}`],
      ['risk (one course)', () => `/api/v1/risk?limit=50&course_id=${course()}`],
      ['risk (level=high)', () => '/api/v1/risk?limit=50&level=high'],
      ['risk (level=high, cursor)', () => `/api/v1/risk?limit=50&level=high&cursor=${pick(highCursors)}`],
      ['engagement-distribution (7 days)', () => '/api/v1/engagement-distribution'],
      ['batch/recent-activity', () => '/api/v1/batch/recent-activity?days=7'],
      ['students CSV', () => `/api/v1/students?q=${prefix()}&limit=200&format=csv`],
    ];
    worst = await measureRoutes(kind, port, url, routes, figures, notes, only);
  } finally {
    await stopServing(child, dataDir);
  }
  figures[`${kind}: worst p99 ms, closed loop / think time`] =
    `${Math.round(worst.harsh * 10) / 10} / ${Math.round(worst.thinking * 10) / 10}`;
  return worst;
}

/** The stores `--stores` names (both by default); any other name is refused. */
export function storesOf(flags: Record<string, string | boolean | undefined>): ('cassandra' | 'sqlite')[] {
  const stores = String(flags['stores'] ?? 'cassandra,sqlite')
    .split(',')
    .map((s) => s.trim());
  for (const s of stores)
    if (s !== 'cassandra' && s !== 'sqlite') throw new Error(`--stores: cassandra and/or sqlite, not ${s}`);
  return stores as ('cassandra' | 'sqlite')[];
}

/**
 * Readies a store for a run: Cassandra gets a fresh keyspace `space` (false, noted as skipped, when it is
 * not reachable); SQLite needs nothing (seedUniversity makes a fresh folder).
 */
export async function storeReady(kind: 'cassandra' | 'sqlite', space: string, notes: string[]) {
  if (kind !== 'cassandra') return true;
  try {
    await recreateKeyspace(process.env['ULA_CASSANDRA_CONTACT_POINTS'] ?? '127.0.0.1', space);
    return true;
  } catch (error) {
    notes.push(`Cassandra not reachable (${(error as Error).message.split('\n')[0]}): skipped`);
    return false;
  }
}

const bench: Bench = {
  name: 'serving',
  async run({ flags }): Promise<BenchResult> {
    const stores = storesOf(flags);
    const figures: Record<string, number | string> = {};
    const notes: string[] = [];
    const ratios: Record<string, number> = {};
    execFileSync('node', [join(root, 'scripts/build-functions.mjs'), 'serving'], { stdio: 'inherit' });
    for (const kind of stores) {
      if (!(await storeReady(kind, keyspace, notes))) continue;
      const only = typeof flags['routes'] === 'string' ? flags['routes'] : undefined;
      const worst = await measure(kind, only, figures, notes);
      ratios[`${kind} worst p99 / target, closed loop`] = worst.harsh / targetP99;
      ratios[`${kind} worst p99 / target, 1 s think time`] = worst.thinking / targetP99;
      if (worst.harsh >= targetP99 || worst.thinking >= targetP99)
        notes.push(`${kind}: p99 target (${targetP99} ms) NOT met on every route under every load`);
    }
    figures['target p99 ms'] = targetP99;
    figures['machine'] = `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} at the end`;
    notes.push(
      `${studentCount} students, ${courseCount} courses, ${perStudent} enrolments each; answer cache off. Per route: ${users} connections in a closed loop for ${seconds} s (each user sends its next request when the answer is in; latency from write to complete answer), then ${users} users with about 1 s think time: an open loop of ${users} requests/s for ${thinkSeconds} s (latency from the due time)`,
    );
    return { name: 'serving', figures, ratios, notes };
  },
};

export default bench;
