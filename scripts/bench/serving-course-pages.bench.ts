/**
 * Serving, the dashboard's course and student pages (issue 21): every API call those pages make, on the
 * lists scenario's university (30,000 students, 300 courses, 4 enrolments each: `seedUniversity` of
 * serving-lists.bench.ts) plus the rows these pages read: per course 28 days of enrolments, timeliness and
 * active learners, 20 videos, 10 materials, score bands; per student enrolments, 14 days of 7-day activity,
 * performance, risk and session rows. The serving function runs bundled under faas-js-runtime with the
 * answer cache off; each call is measured as the lists are: a closed loop of 50 keep-alive connections, then
 * 50 users with about a second of think time (an open loop of 50 requests/s). Target: p99 < 100 ms.
 * Runs with `npm run bench -- serving` (`--stores cassandra,sqlite`, both by default).
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from '../../functions/core/src/index.ts';
import { addDays } from '../../functions/core/src/views/time.ts';
import type { Bench, BenchResult } from './result.ts';
import {
  courseCount,
  courseId,
  measureRoutes,
  prng,
  seconds,
  seedUniversity,
  startServing,
  stopServing,
  storeReady,
  storesOf,
  studentCount,
  studentId,
  targetP99,
  thinkSeconds,
  users,
} from './serving-lists.bench.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const keyspace = 'ula_serving_pages_bench';
/** Days the course page charts and the student page's activity chart read. */
const courseDays = 28;
const activityDays = 14;

/** The rows the course and student pages read beyond the lists scenario's, from its enrolments. */
function pageRows(lastDate: string, university: Map<string, Row[]>): Map<string, Row[]> {
  const random = prng(22);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const rows = new Map<string, Row[]>();
  const add = (table: string, row: Row) => {
    const list = rows.get(table) ?? [];
    list.push(row);
    rows.set(table, list);
  };
  for (let c = 1; c <= courseCount; c++) {
    const course_id = courseId(c);
    for (let d = 0; d < courseDays; d++) {
      const date = addDays(lastDate, -d);
      add('course_enrollment_stats', {
        date,
        course_id,
        new_enrollments: int(0, 20),
        unique_new_students: int(0, 20),
        drops: int(0, 3),
      });
      const late = int(0, 10);
      const onTime = int(0, 40);
      add('assessment_course_timeliness', {
        date,
        course_id,
        submissions: late + onTime,
        on_time_submissions: onTime,
        late_submissions: late,
        no_due_date_submissions: 0,
        unique_students: onTime,
      });
      add('course_daily_active_students', {
        date,
        course_id,
        active_students: int(0, 400),
        student_events: int(0, 4000),
      });
    }
    for (let v = 1; v <= 20; v++) {
      const completion = int(100, 1000) / 10;
      add('video_course_drop_off', {
        course_id,
        video_id: `${course_id}-V${v}`,
        total_views: int(0, 2000),
        avg_watch_duration: int(60, 1200),
        min_watch_duration: int(1, 60),
        unique_viewers: int(0, 400),
        avg_completion_percentage: completion,
        potential_drop_off:
          completion < 50 ? 'High Risk' : completion < 80 ? 'Medium Risk' : 'Good Engagement',
      });
    }
    for (let m = 1; m <= 10; m++)
      add('course_material_popularity', {
        course_id,
        material_id: `${course_id}-M${m}`,
        material_type: 'pdf',
        unique_accessors: int(0, 400),
        total_accesses: int(0, 2000),
      });
    for (const assessment of ['quiz', 'assignment'])
      for (let band = 0; band <= 100; band += 10)
        add('assessment_score_distribution', {
          course_id,
          assessment,
          score_band: band,
          results: int(0, 300),
          students: int(0, 200),
        });
  }
  // Per student: the lists scenario's enrolments and risk rows under the student as partition.
  for (const row of university.get('course_student_enrollment') ?? []) add('student_course_enrollment', row);
  for (const row of university.get('course_student_risk') ?? []) {
    add('student_course_risk', row);
    add('assessment_student_overall_performance', {
      user_id: row['student_id']!,
      course_id: row['course_id']!,
      quizzes_completed: row['quizzes_completed']!,
      avg_quiz_percentage: row['avg_quiz_percentage']!,
      assignments_graded: int(0, 8),
      avg_assignment_percentage: int(200, 1000) / 10,
    });
  }
  for (let s = 1; s <= studentCount; s++) {
    const user_id = studentId(s);
    add('auth_user_session_metrics', {
      user_id,
      total_sessions: int(0, 100),
      avg_session_duration_minutes: int(1, 90),
    });
    add('auth_user_activity_summary', {
      user_id,
      role: 'student',
      total_logins: int(0, 100),
      unique_sessions: int(0, 100),
    });
    for (let d = 0; d < activityDays; d++) {
      const day: Row = {
        date: addDays(lastDate, -d),
        student_id: user_id,
        interactions: int(0, 80),
        videos_watched: int(0, 30),
        assignments_submitted: int(0, 5),
        logins: int(0, 20),
      };
      add('student_activity_7d', day);
      add('student_activity_history', day);
    }
  }
  return rows;
}

async function measure(
  kind: 'cassandra' | 'sqlite',
  only: string | undefined,
  figures: Record<string, number | string>,
  notes: string[],
) {
  const { env, dataDir, lastDate } = await seedUniversity(kind, keyspace, pageRows);
  const { port, url, child } = await startServing(env);
  let worst = { harsh: 0, thinking: 0 };
  try {
    const random = prng(8);
    const course = () => courseId(1 + Math.floor(random() * courseCount));
    const student = () => studentId(1 + Math.floor(random() * studentCount));
    const from = addDays(lastDate, 1 - courseDays);
    // The calls of dashboard/src/pages/course.ts and student.ts, as the pages send them.
    const routes: [string, () => string][] = [
      ['course: the course', () => `/api/v1/courses/${course()}`],
      [
        'course: enrolments (view, 28 days)',
        () => `/api/v1/views/course_enrollment_stats?course_id=${course()}&limit=1000&from=${from}`,
      ],
      ['course: active-learners', () => `/api/v1/courses/${course()}/active-learners?days=${courseDays}`],
      ['course: videos', () => `/api/v1/courses/${course()}/videos`],
      [
        'course: materials (view)',
        () => `/api/v1/views/course_material_popularity?course_id=${course()}&limit=1000`,
      ],
      ['course: timeliness', () => `/api/v1/courses/${course()}/timeliness?days=${courseDays}`],
      [
        'course: students (first page)',
        () => `/api/v1/courses/${course()}/students?sort=student_id&limit=50`,
      ],
      ['course: score-distribution', () => `/api/v1/courses/${course()}/score-distribution`],
      ['student: the student', () => `/api/v1/students/${student()}`],
      ['student: activity (14 days)', () => `/api/v1/students/${student()}/activity?days=${activityDays}`],
      ['student: courses', () => `/api/v1/students/${student()}/courses?limit=500`],
      [
        'student: performance (view)',
        () => `/api/v1/views/assessment_student_overall_performance?user_id=${student()}&limit=1000`,
      ],
      ['student: risk (view)', () => `/api/v1/views/student_course_risk?student_id=${student()}&limit=1000`],
      [
        'student: sessions (view)',
        () => `/api/v1/views/auth_user_session_metrics?user_id=${student()}&limit=1000`,
      ],
      [
        'student: activity summary (view)',
        () => `/api/v1/views/auth_user_activity_summary?user_id=${student()}&limit=1000`,
      ],
    ];
    worst = await measureRoutes(kind, port, url, routes, figures, notes, only);
  } finally {
    await stopServing(child, dataDir);
  }
  figures[`${kind} pages: worst p99 ms, closed loop / think time`] =
    `${Math.round(worst.harsh * 10) / 10} / ${Math.round(worst.thinking * 10) / 10}`;
  return worst;
}

const bench: Bench = {
  name: 'serving',
  async run({ flags }): Promise<BenchResult> {
    const stores = storesOf(flags);
    const figures: Record<string, number | string> = {};
    const notes: string[] = [];
    const ratios: Record<string, number> = {};
    execFileSync('node', [join(root, 'scripts/build-functions.mjs'), 'serving'], { stdio: 'inherit' });
    figures['machine at the start'] = `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`;
    for (const kind of stores) {
      if (!(await storeReady(kind, keyspace, notes))) continue;
      const only = typeof flags['routes'] === 'string' ? flags['routes'] : undefined;
      const worst = await measure(kind, only, figures, notes);
      ratios[`${kind} pages worst p99 / target, closed loop`] = worst.harsh / targetP99;
      ratios[`${kind} pages worst p99 / target, 1 s think time`] = worst.thinking / targetP99;
      if (worst.harsh >= targetP99 || worst.thinking >= targetP99)
        notes.push(
          `${kind}: course/student pages p99 target (${targetP99} ms) NOT met on every call under every load`,
        );
    }
    figures['target p99 ms'] = targetP99;
    figures['machine at the end'] = `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`;
    notes.push(
      `course and student pages: ${studentCount} students, ${courseCount} courses; answer cache off. Per call: ${users} connections in a closed loop for ${seconds} s, then ${users} users with about 1 s think time (open loop of ${users} requests/s for ${thinkSeconds} s)`,
    );
    return { name: 'serving', figures, ratios, notes };
  },
};

export default bench;
