/**
 * An independent, obviously-correct computation of every batch view over a list of events, written as
 * plain loops over the deduplicated events (it never calls the view engine or the declarations), and a
 * small seeded generator of realistic days of events (sessions, first view before submit, enrolments,
 * notifications sent before opened/clicked), with events around local midnight.
 */
import type { LmsEvent } from '../src/events/envelope.ts';
import type { Row } from '../src/views/columns.ts';
import { ev } from './batch-support.ts';

/** Asia/Ho_Chi_Minh is UTC+7 all year (no DST): the oracle's calendar is a fixed offset. */
const offsetMs = 7 * 3_600_000;
const localDate = (ms: number) => new Date(ms + offsetMs).toISOString().slice(0, 10);
const localHour = (ms: number) => new Date(ms + offsetMs).getUTCHours();

// ---------------------------------------------------------------------------------------------- generator

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}

const pad = (n: number) => String(n).padStart(3, '0');
const uuid = (r: ReturnType<typeof prng>) =>
  'xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx'.replace(/x/g, () => r.int(0, 15).toString(16));
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * `days` local days of events starting at `firstDay`, ~`perDay` actions per day, including events in the
 * last and first minutes of each local day. Courses own their videos and assignments.
 */
export function generateDays(seed: number, firstDay: string, days: number, perDay: number): LmsEvent[] {
  const r = prng(seed);
  const students = Array.from({ length: 25 }, (_, i) => `SV${pad(i + 1)}`);
  const teachers = Array.from({ length: 4 }, (_, i) => `GV${pad(i + 1)}`);
  const courses = Array.from({ length: 6 }, (_, i) => `COURSE${pad(i + 1)}`);
  const videoDuration = (v: number) => 300 + (v % 7) * 300;
  const events: LmsEvent[] = [];
  const dayStart = Date.parse(`${firstDay}T00:00:00+07:00`);
  // Every 10th assignment and quiz comes as a plain xAPI statement maps it: without the optional fields
  // (docs/events.md, "Optional fields"). Counted apart from the PRNG, so the random stream is unchanged.
  let assessments = 0;
  const plain = () => assessments++ % 10 === 3;
  for (let d = 0; d < days; d++) {
    const start = dayStart + d * 86_400_000;
    for (let n = 0; n < perDay; n++) {
      // A third of the actions sit within 2 minutes of a local midnight (both sides).
      const t = r.chance(0.15)
        ? start + 86_400_000 - r.int(1, 120_000)
        : r.chance(0.15)
          ? start + r.int(0, 120_000)
          : start + r.int(0, 86_399_999);
      const student = r.pick(students);
      const teacher = r.pick(teachers);
      const c = r.int(1, courses.length);
      const course = courses[c - 1]!;
      const kind = r.int(0, 15);
      const at = (ms: number) => iso(ms);
      switch (kind) {
        case 0: {
          const user = r.chance(0.7) ? student : teacher;
          const session = uuid(r);
          events.push(ev('LOGIN', at(t), user, { session_id: session }));
          if (r.chance(0.8))
            events.push(ev('LOGOUT', at(t + r.int(60_000, 7_200_000)), user, { session_id: session }));
          if (r.chance(0.1)) events.push(ev('LOGOUT', at(t + 1000), user, { session_id: uuid(r) }));
          break;
        }
        case 1:
          events.push(
            ev('SIGNUP', at(t), student, {
              email: `${student.toLowerCase()}@university.edu`,
              registration_source: r.pick(['web', 'mobile', 'admin']),
            }),
          );
          break;
        case 2:
        case 3: {
          const a = `ASM${pad(c * 10 + r.int(0, 4))}`;
          const type = r.pick(['homework', 'project', 'essay', 'lab']);
          const due = at(start + 5 * 86_400_000);
          const viewFirst = r.chance(0.8);
          const submitAt = t + r.int(60_000, 20 * 3_600_000);
          const stated = plain() ? {} : { assignment_type: type, due_date: due };
          const file = 'due_date' in stated ? { file_url: `s3://submissions/${student}_${a}.pdf` } : {};
          if (viewFirst)
            events.push(
              ev('VIEW_ASSIGNMENT_FIRST_TIME', at(t), student, {
                assignment_id: a,
                course_id: course,
                ...stated,
              }),
            );
          if (r.chance(0.7)) {
            events.push(
              ev('SUBMIT_ASSIGNMENT', at(submitAt), student, {
                assignment_id: a,
                course_id: course,
                ...stated,
                ...file,
              }),
            );
            // Sometimes the first-view event arrives with a later time than the submit (clock skew).
            if (!viewFirst && r.chance(0.5))
              events.push(
                ev('VIEW_ASSIGNMENT_FIRST_TIME', at(submitAt + 60_000), student, {
                  assignment_id: a,
                  course_id: course,
                  ...stated,
                }),
              );
            if (r.chance(0.5))
              events.push(
                ev('GRADE_ASSIGNMENT', at(submitAt + 3_600_000), teacher, {
                  student_id: student,
                  assignment_id: a,
                  course_id: course,
                  // Mixed scales, as the generator grades: homework and labs out of 10, the rest of 100.
                  ...(type === 'homework' || type === 'lab'
                    ? { score: r.int(40, 100) / 10, max_score: 10 }
                    : { score: r.int(40, 100), max_score: 100 }),
                }),
              );
            if (r.chance(0.3))
              events.push(
                ev('VIEW_STUDENT_WORK', at(submitAt + 1_800_000), teacher, {
                  student_id: student,
                  assignment_id: a,
                  course_id: course,
                }),
              );
          }
          break;
        }
        case 4: {
          const total = r.int(10, 20);
          const correct = r.int(0, total);
          // A plain xAPI result maps to a fraction of 1 (result.score.scaled); the platform's own out of 10.
          const stated = !plain();
          events.push(
            ev('QUIZ_COMPLETED', at(t), student, {
              quiz_id: `QUIZ${pad(c * 5 + r.int(0, 4))}`,
              course_id: course,
              ...(stated ? { correct_answers: correct, total_questions: total } : {}),
              score: stated ? (correct / total) * 10 : correct / total,
              max_score: stated ? 10 : 1,
            }),
          );
          break;
        }
        case 5:
        case 6:
        case 7:
        case 8: {
          const v = c * 10 + r.int(0, 6);
          const duration = videoDuration(v);
          events.push(
            ev('VIDEO_WATCHED', at(t), student, {
              video_id: `VID${pad(v)}`,
              course_id: course,
              watch_duration_seconds: r.pick([30, 60, 120, 300, 600, 1200, 1800]),
              video_duration_seconds: duration,
              session_id: uuid(r),
            }),
          );
          break;
        }
        case 9:
          events.push(ev('COURSE_ENROLLED', at(t), student, { course_id: course }));
          if (r.chance(0.2))
            events.push(ev('COURSE_DROPPED', at(t + 3_600_000), student, { course_id: course }));
          break;
        case 10: {
          const m = r.int(1, 8);
          events.push(
            ev('DOWNLOAD_MATERIAL', at(t), student, {
              course_id: course,
              material_id: `MAT${c}${m}`,
              material_type: ['slides', 'pdf', 'notes', 'dataset', 'code'][m % 5],
            }),
          );
          break;
        }
        case 11:
          events.push(
            r.chance(0.5)
              ? ev('COURSE_VIEW', at(t), r.chance(0.8) ? student : teacher, { course_id: course })
              : ev('ITEM_CLICK', at(t), student, {
                  course_id: course,
                  item_id: `ITEM${r.int(1, 50)}`,
                  item_type: r.pick(['lesson', 'module', 'quiz', 'assignment', 'discussion']),
                }),
          );
          break;
        case 12: {
          const user = r.chance(0.7) ? student : teacher;
          const kindP = r.int(0, 2);
          if (kindP === 0) {
            const fields = ['phone_number', 'email', 'address', 'emergency_contact'];
            const first = r.pick(fields);
            const second = r.pick(fields);
            events.push(
              ev('UPDATE_PROFILE', at(t), user, {
                updated_fields: first === second ? [first] : [first, second],
              }),
            );
          } else if (kindP === 1) {
            events.push(
              ev('PROFILE_PICTURE_UPDATED', at(t), user, { picture_url: `s3://profiles/${user}.jpg` }),
            );
          } else {
            events.push(ev('PASSWORD_CHANGED', at(t), user, {}));
          }
          break;
        }
        default: {
          const user = r.chance(0.8) ? student : teacher;
          const data = {
            notification_id: `NOTIF${r.int(1, 10_000)}`,
            notification_type: r.pick([
              'assignment_reminder',
              'grade_posted',
              'course_announcement',
              'deadline_approaching',
              'new_message',
            ]),
            channel: r.pick(['email', 'push', 'sms', 'in_app']),
            related_object_id: course,
          };
          events.push(ev('NOTIFICATION_SENT', at(t), user, data));
          if (r.chance(0.6)) {
            events.push(ev('NOTIFICATION_OPENED', at(t + 60_000), user, data));
            if (r.chance(0.5)) events.push(ev('NOTIFICATION_CLICKED', at(t + 120_000), user, data));
          }
        }
      }
    }
  }
  return events;
}

// ---------------------------------------------------------------------------------------------- oracle

type E = LmsEvent;
const ms = (e: E) => Date.parse(e.time);
const d = <T = never>(e: E, field: string): T => e.data[field] as T;
const isStudent = (e: E) => e.data.role === 'student';

/** Groups items by a key tuple (skipping items with a null/undefined key part). */
function groups<T>(
  items: readonly T[],
  keyOf: (item: T) => unknown[] | undefined,
): Map<string, { key: unknown[]; items: T[] }> {
  const out = new Map<string, { key: unknown[]; items: T[] }>();
  for (const item of items) {
    const key = keyOf(item);
    if (!key || key.some((k) => k === null || k === undefined)) continue;
    const id = JSON.stringify(key);
    let g = out.get(id);
    if (!g) {
      g = { key, items: [] };
      out.set(id, g);
    }
    g.items.push(item);
  }
  return out;
}
const distinct = (values: unknown[]) => new Set(values.filter((v) => v !== null && v !== undefined)).size;
const nums = (values: unknown[]) => values.filter((v): v is number => typeof v === 'number');
const sumOf = (values: unknown[]) => nums(values).reduce((a, b) => a + b, 0);
const avgOf = (values: unknown[]) => {
  const n = nums(values);
  return n.length === 0 ? null : n.reduce((a, b) => a + b, 0) / n.length;
};
const minOf = (values: unknown[]) => {
  const n = nums(values);
  return n.length === 0 ? null : Math.min(...n);
};
const maxOf = (values: unknown[]) => {
  const n = nums(values);
  return n.length === 0 ? null : Math.max(...n);
};
const pct = (part: number | null, whole: number | null) =>
  part === null || whole === null || whole === 0 ? null : Math.round((part / whole) * 10_000) / 100;
const completion = (e: E) =>
  Math.min(100, (d(e, 'watch_duration_seconds') / d(e, 'video_duration_seconds')) * 100);
const scorePct = (e: E) => ((d<number>(e, 'score') as number) / (d<number>(e, 'max_score') as number)) * 100;
/** Bands of 10 points: 0 … 90 (a full score in 90), 100 above the maximum; to 6 decimals, as documented. */
const scoreBandOf = (e: E) => {
  const p = Number(scorePct(e).toFixed(6));
  return p > 100 ? 100 : p === 100 ? 90 : 10 * Math.floor(p / 10);
};

function rowsOf<T>(
  items: readonly T[],
  keyNames: string[],
  keyOf: (item: T) => unknown[] | undefined,
  metrics: (items: T[], key: unknown[]) => Row | undefined,
): Row[] {
  const out: Row[] = [];
  for (const { key, items: members } of groups(items, keyOf).values()) {
    const m = metrics(members, key);
    if (!m) continue;
    const row: Row = {};
    keyNames.forEach((name, i) => {
      row[name] = key[i] as Row[string];
    });
    out.push({ ...row, ...m });
  }
  return out;
}

/** Every stored batch view's expected rows over `events` (duplicates by id are dropped first). */
export function oracle(allEvents: readonly LmsEvent[]): Record<string, Row[]> {
  const seen = new Set<string>();
  const events: E[] = [];
  for (const e of allEvents) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    events.push(e);
  }
  const of = (...types: string[]) => events.filter((e) => types.includes(e.eventType));
  const out: Record<string, Row[]> = {};

  // auth
  const logins = of('LOGIN');
  out['auth_daily_active_users'] = rowsOf(
    logins,
    ['date'],
    (e) => [localDate(ms(e))],
    (g) => ({
      daily_active_users: distinct(g.map((e) => e.data.user_id)),
      total_sessions: distinct(g.map((e) => d(e, 'session_id'))),
      student_logins: g.filter(isStudent).length,
    }),
  );
  out['auth_hourly_login_patterns'] = rowsOf(
    logins,
    ['date', 'hour'],
    (e) => [localDate(ms(e)), localHour(ms(e))],
    (g) => ({
      login_count: g.length,
      unique_users: distinct(g.map((e) => e.data.user_id)),
    }),
  );
  const sessions = new Map<string, { user: string; login: number | null; logout: number | null }>();
  for (const e of of('LOGIN', 'LOGOUT')) {
    const id = `${d(e, 'session_id')}|${e.data.user_id}`;
    const s = sessions.get(id) ?? { user: e.data.user_id, login: null, logout: null };
    if (e.eventType === 'LOGIN') s.login = s.login === null ? ms(e) : Math.min(s.login, ms(e));
    else s.logout = s.logout === null ? ms(e) : Math.max(s.logout, ms(e));
    sessions.set(id, s);
  }
  const durations = [...sessions.values()]
    .filter((s) => s.login !== null && s.logout !== null && s.logout >= s.login)
    .map((s) => ({ user: s.user, minutes: (s.logout! - s.login!) / 60_000 }));
  out['auth_user_session_metrics'] = rowsOf(
    durations,
    ['user_id'],
    (s) => [s.user],
    (g) => ({
      total_sessions: g.length,
      avg_session_duration_minutes: avgOf(g.map((s) => s.minutes)),
      min_session_duration_minutes: minOf(g.map((s) => s.minutes)),
      max_session_duration_minutes: maxOf(g.map((s) => s.minutes)),
      total_time_online_minutes: sumOf(g.map((s) => s.minutes)),
    }),
  );
  const auth = events.filter((e) => e.category === 'auth');
  out['auth_user_activity_summary'] = rowsOf(
    auth,
    ['user_id', 'role'],
    (e) => [e.data.user_id, e.data.role],
    (g) => ({
      total_logins: g.filter((e) => e.eventType === 'LOGIN').length,
      total_logouts: g.filter((e) => e.eventType === 'LOGOUT').length,
      first_activity: minOf(g.map(ms)),
      last_activity: maxOf(g.map(ms)),
      unique_sessions: g.filter((e) => e.eventType === 'LOGIN').length,
    }),
  );
  out['auth_registration_analytics'] = rowsOf(
    of('SIGNUP'),
    ['date', 'registration_source', 'role'],
    (e) => [localDate(ms(e)), d(e, 'registration_source'), e.data.role],
    (g) => ({ new_signups: g.length }),
  );

  // assessment
  const submits = of('SUBMIT_ASSIGNMENT').filter(isStudent);
  out['assessment_student_submissions'] = rowsOf(
    submits,
    ['user_id', 'course_id'],
    (e) => [e.data.user_id, d(e, 'course_id')],
    (g) => ({
      total_assignments_submitted: distinct(g.map((e) => d(e, 'assignment_id'))),
      total_submissions: g.length,
      first_submission: minOf(g.map(ms)),
      last_submission: maxOf(g.map(ms)),
    }),
  );
  const pairs = new Map<
    string,
    { user: string; course: string; view: number | null; submit: number | null }
  >();
  for (const e of of('VIEW_ASSIGNMENT_FIRST_TIME', 'SUBMIT_ASSIGNMENT').filter(isStudent)) {
    const id = JSON.stringify([e.data.user_id, d(e, 'course_id'), d(e, 'assignment_id')]);
    const p = pairs.get(id) ?? { user: e.data.user_id, course: d(e, 'course_id'), view: null, submit: null };
    if (e.eventType === 'VIEW_ASSIGNMENT_FIRST_TIME')
      p.view = p.view === null ? ms(e) : Math.min(p.view, ms(e));
    else p.submit = p.submit === null ? ms(e) : Math.min(p.submit, ms(e));
    pairs.set(id, p);
  }
  const submitted = [...pairs.values()].filter((p) => p.submit !== null);
  const hours = (p: { view: number | null; submit: number | null }) =>
    p.view !== null && p.submit! >= p.view ? (p.submit! - p.view) / 3_600_000 : null;
  out['assessment_engagement_timeline'] = rowsOf(
    submitted,
    ['user_id', 'course_id'],
    (p) => [p.user, p.course],
    (g) => ({
      assignments_completed: g.filter((p) => hours(p) !== null).length,
      avg_hours_to_submit: avgOf(g.map(hours)),
      min_hours_to_submit: minOf(g.map(hours)),
      max_hours_to_submit: maxOf(g.map(hours)),
      submitted_without_view: g.filter((p) => hours(p) === null).length,
    }),
  );
  const quizzes = of('QUIZ_COMPLETED').filter(isStudent);
  out['assessment_quiz_performance'] = rowsOf(
    quizzes,
    ['user_id', 'course_id'],
    (e) => [e.data.user_id, d(e, 'course_id')],
    (g) => ({
      total_quizzes_completed: g.length,
      avg_correct_answers: avgOf(g.map((e) => d(e, 'correct_answers'))),
      total_correct_answers: nums(g.map((e) => d(e, 'correct_answers'))).length
        ? sumOf(g.map((e) => d(e, 'correct_answers')))
        : null,
      min_correct_answers: minOf(g.map((e) => d(e, 'correct_answers'))),
      max_correct_answers: maxOf(g.map((e) => d(e, 'correct_answers'))),
      avg_quiz_percentage: avgOf(g.map(scorePct)),
    }),
  );
  const grades = of('GRADE_ASSIGNMENT');
  out['assessment_grading_stats'] = rowsOf(
    grades,
    ['student_id', 'course_id'],
    (e) => [d(e, 'student_id'), d(e, 'course_id')],
    (g) => ({
      total_assignments_graded: g.length,
      avg_assignment_percentage: avgOf(g.map(scorePct)),
      min_assignment_percentage: minOf(g.map(scorePct)),
      max_assignment_percentage: maxOf(g.map(scorePct)),
    }),
  );
  const teacherWork = of('VIEW_STUDENT_WORK', 'GRADE_ASSIGNMENT').filter((e) => e.data.role === 'teacher');
  out['assessment_teacher_workload'] = rowsOf(
    teacherWork,
    ['user_id', 'course_id'],
    (e) => [e.data.user_id, d(e, 'course_id')],
    (g) => ({
      total_works_viewed: g.filter((e) => e.eventType === 'VIEW_STUDENT_WORK').length,
      total_assignments_graded: g.filter((e) => e.eventType === 'GRADE_ASSIGNMENT').length,
      avg_percentage_given: avgOf(g.filter((e) => e.eventType === 'GRADE_ASSIGNMENT').map(scorePct)),
    }),
  );
  out['assessment_submission_distribution'] = rowsOf(
    submits,
    ['date', 'course_id', 'assignment_type'],
    // A submission that does not state its type has the documented key `not_stated`.
    (e) => [localDate(ms(e)), d(e, 'course_id'), d<string | undefined>(e, 'assignment_type') ?? 'not_stated'],
    (g) => ({ submissions_count: g.length, unique_students: distinct(g.map((e) => e.data.user_id)) }),
  );
  out['assessment_course_timeliness'] = rowsOf(
    submits,
    ['date', 'course_id'],
    (e) => [localDate(ms(e)), d(e, 'course_id')],
    (g) => {
      const dueOf = (e: E) => d<string | undefined>(e, 'due_date');
      const withDue = g.filter((e) => dueOf(e) !== undefined);
      const late = withDue.filter((e) => ms(e) > Date.parse(dueOf(e)!)).length;
      return {
        submissions: g.length,
        on_time_submissions: withDue.length - late,
        late_submissions: late,
        no_due_date_submissions: g.length - withDue.length,
        unique_students: distinct(g.map((e) => e.data.user_id)),
      };
    },
  );
  const performance = [...quizzes, ...grades];
  out['assessment_student_overall_performance'] = rowsOf(
    performance,
    ['user_id', 'course_id'],
    (e) => [e.eventType === 'QUIZ_COMPLETED' ? e.data.user_id : d(e, 'student_id'), d(e, 'course_id')],
    (g) => {
      const q = g.filter((e) => e.eventType === 'QUIZ_COMPLETED');
      const gr = g.filter((e) => e.eventType === 'GRADE_ASSIGNMENT');
      return {
        quizzes_completed: q.length,
        avg_quiz_correct: avgOf(q.map((e) => d(e, 'correct_answers'))),
        avg_quiz_percentage: avgOf(q.map(scorePct)),
        assignments_graded: gr.length,
        avg_assignment_percentage: avgOf(gr.map(scorePct)),
      };
    },
  );
  out['assessment_score_distribution'] = rowsOf(
    performance,
    ['course_id', 'assessment', 'score_band'],
    (e) => [d(e, 'course_id'), e.eventType === 'QUIZ_COMPLETED' ? 'quiz' : 'assignment', scoreBandOf(e)],
    (g) => ({
      results: g.length,
      students: distinct(
        g.map((e) => (e.eventType === 'QUIZ_COMPLETED' ? e.data.user_id : d(e, 'student_id'))),
      ),
    }),
  );

  // video
  const videos = of('VIDEO_WATCHED').filter(isStudent);
  const secs = (e: E) => d<number>(e, 'watch_duration_seconds') as number;
  const completes = (e: E) => completion(e) >= 80;
  out['video_total_watch_time'] = rowsOf(
    videos,
    ['user_id', 'course_id', 'video_id'],
    (e) => [e.data.user_id, d(e, 'course_id'), d(e, 'video_id')],
    (g) => {
      const total = sumOf(g.map(secs));
      const best = maxOf(g.map(completion));
      return {
        total_watch_seconds: total,
        total_watch_sessions: g.length,
        avg_watch_duration_seconds: avgOf(g.map(secs)),
        longest_session_seconds: maxOf(g.map(secs)),
        shortest_session_seconds: minOf(g.map(secs)),
        video_duration_seconds: maxOf(g.map((e) => d(e, 'video_duration_seconds'))),
        max_completion_percentage: best,
        total_watch_minutes: total / 60,
        total_watch_hours: total / 3600,
        is_completed: best !== null && best >= 80,
      };
    },
  );
  out['video_student_engagement'] = rowsOf(
    videos,
    ['user_id', 'course_id'],
    (e) => [e.data.user_id, d(e, 'course_id')],
    (g) => ({
      unique_videos_watched: distinct(g.map((e) => d(e, 'video_id'))),
      total_watch_seconds: sumOf(g.map(secs)),
      total_video_events: g.length,
      avg_watch_duration_seconds: avgOf(g.map(secs)),
      videos_completed: distinct(g.filter(completes).map((e) => d(e, 'video_id'))),
      avg_completion_percentage: avgOf(g.map(completion)),
      total_watch_hours: sumOf(g.map(secs)) / 3600,
    }),
  );
  out['video_popularity'] = rowsOf(
    videos,
    ['video_id', 'course_id'],
    (e) => [d(e, 'video_id'), d(e, 'course_id')],
    (g) => ({
      unique_viewers: distinct(g.map((e) => e.data.user_id)),
      total_views_seconds: sumOf(g.map(secs)),
      total_view_events: g.length,
      avg_view_duration_seconds: avgOf(g.map(secs)),
      completed_views: g.filter(completes).length,
      min_view_duration_seconds: minOf(g.map(secs)),
      avg_completion_percentage: avgOf(g.map(completion)),
      total_views_hours: sumOf(g.map(secs)) / 3600,
      completion_rate: pct(g.filter(completes).length, g.length),
    }),
  );
  out['video_daily_views'] = rowsOf(
    of('VIDEO_WATCHED'),
    ['date', 'video_id'],
    (e) => [localDate(ms(e)), d(e, 'video_id')],
    (g) => ({ views: g.length, watch_seconds: sumOf(g.map(secs)) }),
  );
  out['video_daily_engagement'] = rowsOf(
    videos,
    ['date', 'course_id'],
    (e) => [localDate(ms(e)), d(e, 'course_id')],
    (g) => ({
      active_video_watchers: distinct(g.map((e) => e.data.user_id)),
      unique_videos_watched: distinct(g.map((e) => d(e, 'video_id'))),
      total_watch_seconds: sumOf(g.map(secs)),
      total_watch_events: g.length,
      total_watch_hours: sumOf(g.map(secs)) / 3600,
    }),
  );
  const courseVideos = new Map<string, number>();
  out['video_course_metrics'] = rowsOf(
    videos,
    ['course_id'],
    (e) => [d(e, 'course_id')],
    (g, key) => {
      const n = distinct(g.map((e) => d(e, 'video_id')));
      courseVideos.set(key[0] as string, n);
      return {
        total_students_watching: distinct(g.map((e) => e.data.user_id)),
        total_videos_in_course: n,
        total_course_watch_seconds: sumOf(g.map(secs)),
        avg_completion_percentage: avgOf(g.map(completion)),
        total_course_watch_hours: sumOf(g.map(secs)) / 3600,
      };
    },
  );
  out['video_student_course_summary'] = rowsOf(
    videos,
    ['user_id', 'course_id'],
    (e) => [e.data.user_id, d(e, 'course_id')],
    (g, key) => {
      const watchedCount = distinct(g.map((e) => d(e, 'video_id')));
      const inCourse = courseVideos.get(key[1] as string)!;
      return {
        videos_watched_count: watchedCount,
        total_watch_seconds: sumOf(g.map(secs)),
        total_sessions: g.length,
        videos_completed: distinct(g.filter(completes).map((e) => d(e, 'video_id'))),
        total_watch_hours: sumOf(g.map(secs)) / 3600,
        total_videos_in_course: inCourse,
        video_coverage_percentage: pct(watchedCount, inCourse),
      };
    },
  );
  out['video_drop_off_indicators'] = rowsOf(
    videos,
    ['video_id', 'course_id'],
    (e) => [d(e, 'video_id'), d(e, 'course_id')],
    (g) => {
      const meanCompletion = avgOf(g.map(completion))!;
      return {
        total_views: g.length,
        avg_watch_duration: avgOf(g.map(secs)),
        min_watch_duration: minOf(g.map(secs)),
        unique_viewers: distinct(g.map((e) => e.data.user_id)),
        avg_completion_percentage: meanCompletion,
        potential_drop_off:
          meanCompletion < 50 ? 'High Risk' : meanCompletion < 80 ? 'Medium Risk' : 'Good Engagement',
      };
    },
  );

  // The same groups and columns under the course as partition key.
  out['video_course_drop_off'] = out['video_drop_off_indicators']!.map((row) => ({ ...row }));

  // course
  const courseEvents = events.filter((e) => e.category === 'course');
  const enrolDrop = of('COURSE_ENROLLED', 'COURSE_DROPPED').filter(isStudent);
  out['course_enrollment_stats'] = rowsOf(
    enrolDrop,
    ['date', 'course_id'],
    (e) => [localDate(ms(e)), d(e, 'course_id')],
    (g) => {
      const enrol = g.filter((e) => e.eventType === 'COURSE_ENROLLED');
      return {
        new_enrollments: enrol.length,
        unique_new_students: distinct(enrol.map((e) => e.data.user_id)),
        drops: g.filter((e) => e.eventType === 'COURSE_DROPPED').length,
      };
    },
  );
  const downloads = of('DOWNLOAD_MATERIAL').filter(isStudent);
  out['course_material_access'] = rowsOf(
    downloads,
    ['user_id', 'course_id'],
    (e) => [e.data.user_id, d(e, 'course_id')],
    (g) => ({
      total_material_accesses: g.length,
      unique_materials_accessed: distinct(g.map((e) => d(e, 'material_id'))),
      first_access: minOf(g.map(ms)),
      last_access: maxOf(g.map(ms)),
    }),
  );
  out['course_material_popularity'] = rowsOf(
    downloads,
    ['course_id', 'material_id', 'material_type'],
    (e) => [d(e, 'course_id'), d(e, 'material_id'), d(e, 'material_type')],
    (g) => ({ unique_accessors: distinct(g.map((e) => e.data.user_id)), total_accesses: g.length }),
  );
  out['course_download_analytics'] = rowsOf(
    downloads,
    ['user_id', 'course_id'],
    (e) => [e.data.user_id, d(e, 'course_id')],
    (g) => ({
      total_downloads: g.length,
      unique_resources_downloaded: distinct(g.map((e) => d(e, 'material_id'))),
    }),
  );
  out['course_resource_download_stats'] = rowsOf(
    downloads,
    ['course_id', 'resource_id'],
    (e) => [d(e, 'course_id'), d(e, 'material_id')],
    (g) => ({
      unique_downloaders: distinct(g.map((e) => e.data.user_id)),
      total_download_count: g.length,
    }),
  );
  out['course_activity_summary'] = rowsOf(
    courseEvents.filter(isStudent),
    ['user_id'],
    (e) => [e.data.user_id],
    (g) => {
      const dl = g.filter((e) => e.eventType === 'DOWNLOAD_MATERIAL');
      return {
        courses_enrolled: distinct(
          g.filter((e) => e.eventType === 'COURSE_ENROLLED').map((e) => d(e, 'course_id')),
        ),
        total_material_accesses: dl.length,
        courses_with_material_access: distinct(dl.map((e) => d(e, 'course_id'))),
        total_downloads: dl.length,
        total_item_clicks: g.filter((e) => e.eventType === 'ITEM_CLICK').length,
      };
    },
  );
  out['course_daily_engagement'] = rowsOf(
    courseEvents,
    ['date', 'course_id', 'event_type'],
    (e) => [localDate(ms(e)), d(e, 'course_id'), e.eventType],
    (g) => ({
      unique_users: distinct(g.map((e) => e.data.user_id)),
      unique_students: distinct(g.filter(isStudent).map((e) => e.data.user_id)),
      event_count: g.length,
    }),
  );
  out['course_daily_interactions'] = rowsOf(
    events.filter(
      (e) => ['assessment', 'video', 'course'].includes(e.category) && e.data['course_id'] !== undefined,
    ),
    ['date', 'course_id'],
    (e) => [localDate(ms(e)), d(e, 'course_id')],
    (g) => ({ interactions: g.length }),
  );
  out['course_overall_metrics'] = rowsOf(
    courseEvents,
    ['course_id'],
    (e) => [d(e, 'course_id')],
    (g) => {
      const dl = g.filter((e) => e.eventType === 'DOWNLOAD_MATERIAL' && isStudent(e)).length;
      return {
        total_enrollments: g.filter((e) => e.eventType === 'COURSE_ENROLLED').length,
        total_drops: g.filter((e) => e.eventType === 'COURSE_DROPPED').length,
        total_course_views: g.filter((e) => e.eventType === 'COURSE_VIEW').length,
        total_material_accesses: dl,
        total_downloads: dl,
        unique_students_interacting: distinct(g.filter(isStudent).map((e) => e.data.user_id)),
      };
    },
  );

  // profile
  const profile = events.filter((e) => e.category === 'profile');
  const updates = of('UPDATE_PROFILE');
  out['profile_update_frequency'] = rowsOf(
    updates,
    ['user_id'],
    (e) => [e.data.user_id],
    (g) => ({
      total_profile_updates: g.length,
      first_update: minOf(g.map(ms)),
      last_update: maxOf(g.map(ms)),
    }),
  );
  const fieldChanges = updates.flatMap((e) =>
    (d<string[]>(e, 'updated_fields') as string[]).map((f) => ({ f, user: e.data.user_id })),
  );
  out['profile_field_changes'] = rowsOf(
    fieldChanges,
    ['field_name'],
    (x) => [x.f],
    (g) => ({
      total_updates: g.length,
      unique_users_updating: distinct(g.map((x) => x.user)),
    }),
  );
  out['profile_avatar_changes'] = rowsOf(
    of('PROFILE_PICTURE_UPDATED'),
    ['user_id'],
    (e) => [e.data.user_id],
    (g) => ({
      avatar_changes_count: g.length,
      first_change: minOf(g.map(ms)),
      last_change: maxOf(g.map(ms)),
    }),
  );
  out['profile_daily_activity'] = rowsOf(
    profile,
    ['date', 'event_type'],
    (e) => [localDate(ms(e)), e.eventType],
    (g) => ({
      unique_users: distinct(g.map((e) => e.data.user_id)),
      event_count: g.length,
    }),
  );

  // notification
  const notifications = events.filter((e) => e.category === 'notification');
  const sent = of('NOTIFICATION_SENT');
  const count = (g: E[], type: string) => g.filter((e) => e.eventType === type).length;
  out['notification_delivery_stats'] = rowsOf(
    sent,
    ['notification_type'],
    (e) => [d(e, 'notification_type')],
    (g) => ({
      total_sent: g.length,
      unique_recipients: distinct(g.map((e) => e.data.user_id)),
    }),
  );
  out['notification_engagement'] = rowsOf(
    of('NOTIFICATION_CLICKED'),
    ['user_id', 'notification_type'],
    (e) => [e.data.user_id, d(e, 'notification_type')],
    (g) => ({ notifications_clicked: g.length }),
  );
  out['notification_click_through_rate'] = rowsOf(
    notifications,
    ['notification_type'],
    (e) => [d(e, 'notification_type')],
    (g) => ({
      total_sent: count(g, 'NOTIFICATION_SENT'),
      total_opened: count(g, 'NOTIFICATION_OPENED'),
      total_clicked: count(g, 'NOTIFICATION_CLICKED'),
      click_through_rate: pct(count(g, 'NOTIFICATION_CLICKED'), count(g, 'NOTIFICATION_SENT')),
    }),
  );
  out['notification_user_preferences'] = rowsOf(
    of('NOTIFICATION_SENT', 'NOTIFICATION_CLICKED'),
    ['user_id', 'notification_type'],
    (e) => [e.data.user_id, d(e, 'notification_type')],
    (g) => ({
      notifications_received: count(g, 'NOTIFICATION_SENT'),
      notifications_clicked: count(g, 'NOTIFICATION_CLICKED'),
      engagement_rate: pct(count(g, 'NOTIFICATION_CLICKED'), count(g, 'NOTIFICATION_SENT')),
    }),
  );
  out['notification_daily_activity'] = rowsOf(
    notifications,
    ['date', 'event_type', 'notification_type'],
    (e) => [localDate(ms(e)), e.eventType, d(e, 'notification_type')],
    (g) => ({
      unique_users: distinct(g.map((e) => e.data.user_id)),
      event_count: g.length,
      unique_notifications: distinct(g.map((e) => d(e, 'notification_id'))),
    }),
  );
  out['notification_user_summary'] = rowsOf(
    notifications,
    ['user_id'],
    (e) => [e.data.user_id],
    (g) => ({
      total_received: count(g, 'NOTIFICATION_SENT'),
      total_opened: count(g, 'NOTIFICATION_OPENED'),
      total_clicked: count(g, 'NOTIFICATION_CLICKED'),
      overall_engagement_rate: pct(count(g, 'NOTIFICATION_CLICKED'), count(g, 'NOTIFICATION_SENT')),
    }),
  );

  // student_course_analytics: students' own course/video/assessment/auth events, plus grades received.
  const scoped = events.filter(
    (e) =>
      ['course', 'video', 'assessment', 'auth'].includes(e.category) &&
      (isStudent(e) || e.eventType === 'GRADE_ASSIGNMENT'),
  );
  const studentOf = (e: E) => (isStudent(e) ? e.data.user_id : d<string>(e, 'student_id'));
  out['course_daily_active_students'] = rowsOf(
    events.filter(
      (e) =>
        ['course', 'video', 'assessment'].includes(e.category) &&
        isStudent(e) &&
        e.data['course_id'] !== undefined,
    ),
    ['date', 'course_id'],
    (e) => [localDate(ms(e)), d(e, 'course_id')],
    (g) => ({ active_students: distinct(g.map((e) => e.data.user_id)), student_events: g.length }),
  );
  const typed = (g: E[], type: string) => g.filter((e) => e.eventType === type);
  const own = (g: E[]) => g.filter(isStudent);
  out['course_overview'] = rowsOf(
    scoped,
    ['course_id'],
    (e) => [d(e, 'course_id')],
    (g) => ({
      total_enrolled_students: distinct(typed(g, 'COURSE_ENROLLED').map(studentOf)),
      total_videos_watched: typed(g, 'VIDEO_WATCHED').length,
      total_materials_downloaded: typed(g, 'DOWNLOAD_MATERIAL').length,
      total_assignments_submitted: typed(g, 'SUBMIT_ASSIGNMENT').length,
      total_quizzes_completed: typed(g, 'QUIZ_COMPLETED').length,
      avg_assignment_percentage: avgOf(typed(g, 'GRADE_ASSIGNMENT').map(scorePct)),
      avg_quiz_percentage: avgOf(typed(g, 'QUIZ_COMPLETED').map(scorePct)),
      total_interactions: own(g).length,
      active_students: distinct(own(g).map(studentOf)),
      last_activity: maxOf(own(g).map(ms)),
    }),
  );
  out['student_overview'] = rowsOf(
    scoped,
    ['student_id'],
    (e) => [studentOf(e)],
    (g) => {
      const watch = sumOf(typed(g, 'VIDEO_WATCHED').map(secs));
      return {
        total_courses_enrolled: distinct(typed(g, 'COURSE_ENROLLED').map((e) => d(e, 'course_id'))),
        total_videos_watched: typed(g, 'VIDEO_WATCHED').length,
        total_assignments_submitted: typed(g, 'SUBMIT_ASSIGNMENT').length,
        total_quizzes_completed: typed(g, 'QUIZ_COMPLETED').length,
        total_logins: typed(g, 'LOGIN').length,
        total_materials_downloaded: typed(g, 'DOWNLOAD_MATERIAL').length,
        avg_assignment_percentage: avgOf(typed(g, 'GRADE_ASSIGNMENT').map(scorePct)),
        avg_quiz_percentage: avgOf(typed(g, 'QUIZ_COMPLETED').map(scorePct)),
        total_watch_seconds: watch,
        last_login: maxOf(typed(g, 'LOGIN').map(ms)),
        last_activity: maxOf(own(g).map(ms)),
        total_watch_time_minutes: watch / 60,
      };
    },
  );
  const enrolment = (g: E[]): Row | undefined => {
    const enrolments = typed(g, 'COURSE_ENROLLED');
    if (enrolments.length === 0) return undefined;
    const lastEnrol = maxOf(enrolments.map(ms))!;
    const lastDrop = maxOf(typed(g, 'COURSE_DROPPED').map(ms));
    return {
      enrollment_date: minOf(enrolments.map(ms)),
      last_enrollment_date: lastEnrol,
      last_drop_date: lastDrop,
      videos_watched: typed(g, 'VIDEO_WATCHED').length,
      assignments_submitted: typed(g, 'SUBMIT_ASSIGNMENT').length,
      quizzes_completed: typed(g, 'QUIZ_COMPLETED').length,
      materials_downloaded: typed(g, 'DOWNLOAD_MATERIAL').length,
      avg_assignment_percentage: avgOf(typed(g, 'GRADE_ASSIGNMENT').map(scorePct)),
      avg_quiz_percentage: avgOf(typed(g, 'QUIZ_COMPLETED').map(scorePct)),
      last_activity: maxOf(own(g).map(ms)),
      dropped: lastDrop !== null && lastDrop >= lastEnrol,
    };
  };
  out['student_course_enrollment'] = rowsOf(
    scoped,
    ['student_id', 'course_id'],
    (e) => [studentOf(e), d(e, 'course_id')],
    enrolment,
  );
  out['course_student_enrollment'] = out['student_course_enrollment'];
  out['student_course_detailed'] = rowsOf(
    scoped,
    ['student_id', 'course_id'],
    (e) => [studentOf(e), d(e, 'course_id')],
    (g) => {
      const watch = sumOf(typed(g, 'VIDEO_WATCHED').map(secs));
      const enrolments = typed(g, 'COURSE_ENROLLED').map(ms);
      return {
        enrollment_date: minOf(enrolments),
        last_enrollment_date: maxOf(enrolments),
        last_drop_date: maxOf(typed(g, 'COURSE_DROPPED').map(ms)),
        videos_watched: typed(g, 'VIDEO_WATCHED').length,
        watch_time_seconds: watch,
        materials_downloaded: typed(g, 'DOWNLOAD_MATERIAL').length,
        assignments_submitted: typed(g, 'SUBMIT_ASSIGNMENT').length,
        quizzes_completed: typed(g, 'QUIZ_COMPLETED').length,
        avg_assignment_percentage: avgOf(typed(g, 'GRADE_ASSIGNMENT').map(scorePct)),
        avg_quiz_percentage: avgOf(typed(g, 'QUIZ_COMPLETED').map(scorePct)),
        last_activity_date: maxOf(own(g).map(ms)),
        watch_time_minutes: watch / 60,
      };
    },
  );
  out['known_student_count'] =
    out['student_overview'].length === 0
      ? []
      : [{ scope: 'all', student_count: out['student_overview'].length }];
  // Listing copies: the overview rows with their listing bucket (first character of the id, in id order).
  out['student_directory'] = out['student_overview'].map((r) => ({
    ...r,
    bucket: idBucket(r['student_id'] as string),
  }));
  out['course_directory'] = out['course_overview'].map((r) => ({
    ...r,
    bucket: idBucket(r['course_id'] as string),
  }));
  out['student_course_risk'] = riskOracle(scoped, studentOf);
  out['course_student_risk'] = out['student_course_risk'];
  out['risk_ranking'] = out['student_course_risk'].map((r) => ({
    ...r,
    bucket: Math.floor(((100 - (r['risk_score'] as number)) * 64) / 101),
    risk_rank: `${String(100 - (r['risk_score'] as number)).padStart(3, '0')}|${r['student_id']}|${r['course_id']}`,
  }));
  // A course's students by risk: the enrolment row with the risk row's score, level, reasons and signals.
  const riskOf = new Map(out['student_course_risk'].map((r) => [`${r['student_id']}|${r['course_id']}`, r]));
  out['course_risk_ranking'] = out['student_course_enrollment'].map((r) => {
    const risk = riskOf.get(`${r['student_id']}|${r['course_id']}`);
    const score = (risk?.['risk_score'] as number | undefined) ?? 0;
    return {
      ...r,
      video_coverage_percentage: risk?.['video_coverage_percentage'] ?? null,
      days_inactive: risk?.['days_inactive'] ?? null,
      risk_score: risk?.['risk_score'] ?? null,
      risk_level: risk?.['risk_level'] ?? null,
      risk_reasons: risk?.['risk_reasons'] ?? null,
      risk_rank: `${String(100 - score).padStart(3, '0')}|${r['student_id']}|${r['course_id']}`,
    };
  });
  // 7-day activity and engagement distribution, for every local date from the first to the last event.
  const dates = events.map((e) => localDate(ms(e))).sort();
  out['student_activity_7d'] = [];
  out['student_activity_history'] = [];
  out['student_engagement_distribution'] = [];
  for (let date = dates[0]!; dates.length > 0 && date <= dates.at(-1)!; date = nextDate(date)) {
    const windowStart = addDaysTo(date, -6);
    const active = events.filter(
      (e) =>
        isStudent(e) &&
        ['VIDEO_WATCHED', 'SUBMIT_ASSIGNMENT', 'LOGIN'].includes(e.eventType) &&
        localDate(ms(e)) >= windowStart &&
        localDate(ms(e)) <= date,
    );
    const perStudent = rowsOf(
      active,
      ['date', 'student_id'],
      (e) => [date, e.data.user_id],
      (g) => ({
        interactions: g.length,
        videos_watched: typed(g, 'VIDEO_WATCHED').length,
        assignments_submitted: typed(g, 'SUBMIT_ASSIGNMENT').length,
        logins: typed(g, 'LOGIN').length,
      }),
    );
    out['student_activity_7d'].push(...perStudent);
    out['student_activity_history'].push(...perStudent);
    const level = (n: number) => (n > 50 ? 'highly_active' : n >= 10 ? 'moderately_active' : 'low_activity');
    out['student_engagement_distribution'].push(
      ...rowsOf(
        perStudent,
        ['date', 'engagement_level'],
        (r) => [date, level(r['interactions'] as number)],
        (g) => ({
          student_count: g.length,
        }),
      ),
    );
  }
  return out;
}

/** The listing bucket of an id: its first character's code halved (64 buckets in id order). */
function idBucket(id: string): number {
  return Math.min(63, Math.floor(id.charCodeAt(0) / 2));
}

/**
 * student_course_risk from the events with the default thresholds (docs/views.md): as of the local midnight
 * after the newest event's local date; the quiz trend as a least-squares fit over the quizzes themselves.
 */
function riskOracle(scoped: E[], studentOf: (e: E) => string): Row[] {
  const newest = scoped
    .map((e) => localDate(ms(e)))
    .sort()
    .at(-1);
  if (newest === undefined) return [];
  const asOf = Date.parse(`${nextDate(newest)}T00:00:00+07:00`);
  const courseVideos = new Map<string, Set<string>>();
  for (const e of scoped)
    if (e.eventType === 'VIDEO_WATCHED' && isStudent(e)) {
      const set = courseVideos.get(d(e, 'course_id')) ?? new Set<string>();
      set.add(d(e, 'video_id'));
      courseVideos.set(d(e, 'course_id'), set);
    }
  const weekOf = (e: E) => (ms(e) - Date.parse('2024-01-01T00:00:00Z')) / (7 * 86_400_000);
  return rowsOf(
    scoped,
    ['student_id', 'course_id'],
    (e) => [studentOf(e), d(e, 'course_id')],
    (g, key) => {
      const of = (type: string) => g.filter((e) => e.eventType === type);
      const enrolments = of('COURSE_ENROLLED').map(ms);
      if (enrolments.length === 0) return undefined;
      const lastEnrol = Math.max(...enrolments);
      const drops = of('COURSE_DROPPED').map(ms);
      const lastDrop = drops.length ? Math.max(...drops) : null;
      const dropped = lastDrop !== null && lastDrop >= lastEnrol;
      const ownTimes = g.filter(isStudent).map(ms);
      const lastActivity = ownTimes.length ? Math.max(...ownTimes) : null;
      const quizzes = of('QUIZ_COMPLETED');
      const points = quizzes.map((e) => [weekOf(e), scorePct(e)] as const);
      const n = points.length;
      const meanX = n ? points.reduce((a, [x]) => a + x, 0) / n : 0;
      const meanY = n ? points.reduce((a, [, y]) => a + y, 0) / n : 0;
      const sxx = points.reduce((a, [x]) => a + (x - meanX) ** 2, 0);
      const sxy = points.reduce((a, [x, y]) => a + (x - meanX) * (y - meanY), 0);
      const trend = n >= 2 && sxx > 1e-12 ? Math.round((sxy / sxx) * 10) / 10 : null;
      const seen = new Set(
        g
          .filter((e) => e.eventType === 'SUBMIT_ASSIGNMENT' || e.eventType === 'VIEW_ASSIGNMENT_FIRST_TIME')
          .map((e) => d<string>(e, 'assignment_id')),
      );
      const submitted = new Set(of('SUBMIT_ASSIGNMENT').map((e) => d<string>(e, 'assignment_id')));
      // Late: after a known due date; a submission without one is neither late nor on time.
      const late = of('SUBMIT_ASSIGNMENT').filter((e) => {
        const due = d<string | undefined>(e, 'due_date');
        return due !== undefined && ms(e) > Date.parse(due);
      }).length;
      const watched = new Set(of('VIDEO_WATCHED').map((e) => d<string>(e, 'video_id'))).size;
      const courseTotal = courseVideos.get(key[1] as string)?.size ?? 0;
      const coverage = pct(watched, courseTotal);
      const since = lastActivity ?? Math.min(...enrolments);
      const daysInactive = Math.max(0, Math.floor((asOf - since) / 86_400_000));
      const avgQuiz = avgOf(quizzes.map(scorePct));
      const one = (x: number) => Math.round(x * 10) / 10;
      const reasons: string[] = [];
      let score = 0;
      if (!dropped) {
        if (daysInactive >= 7) {
          reasons.push(`inactive:${daysInactive}`);
          score += 30;
        }
        if (trend !== null && n >= 3 && trend <= -10) {
          reasons.push(`quiz_falling:${one(trend)}`);
          score += 20;
        }
        if (avgQuiz !== null && avgQuiz < 50) {
          reasons.push(`low_quiz_score:${one(avgQuiz)}`);
          score += 10;
        }
        if (seen.size - submitted.size >= 2) {
          reasons.push(`missed_assignments:${seen.size - submitted.size}`);
          score += 15;
        }
        if (late >= 2) {
          reasons.push(`late_submissions:${late}`);
          score += 10;
        }
        if (coverage !== null && coverage < 25) {
          reasons.push(`low_video_coverage:${one(coverage)}`);
          score += 15;
        }
      }
      const sum = (f: (e: E) => number) => quizzes.reduce((a, e) => a + f(e), 0);
      return {
        enrollment_date: Math.min(...enrolments),
        last_enrollment_date: lastEnrol,
        last_drop_date: lastDrop,
        last_activity: lastActivity,
        quizzes_completed: n,
        avg_quiz_percentage: avgQuiz,
        quiz_week_sum: sum(weekOf),
        quiz_week_sq_sum: sum((e) => weekOf(e) ** 2),
        quiz_pct_sum: sum(scorePct),
        quiz_week_pct_sum: sum((e) => weekOf(e) * scorePct(e)),
        assignments_seen: seen.size,
        assignments_submitted: submitted.size,
        late_submissions: late,
        videos_watched: watched,
        dropped,
        course_videos: courseTotal,
        video_coverage_percentage: coverage,
        days_inactive: daysInactive,
        quiz_trend_per_week: trend,
        assignments_missed: seen.size - submitted.size,
        risk_score: score,
        risk_level: dropped
          ? 'dropped'
          : score >= 50
            ? 'high'
            : score >= 25
              ? 'medium'
              : score > 0
                ? 'low'
                : 'none',
        risk_reasons: reasons.join(', '),
      };
    },
  );
}

const addDaysTo = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const nextDate = (date: string) => addDaysTo(date, 1);

/** Rows in a canonical form for comparison: keys sorted, doubles rounded to 6 decimals, sorted rows. */
export function canonical(rows: readonly Row[]): string[] {
  return rows
    .map((row) =>
      JSON.stringify(
        Object.keys(row)
          .sort()
          .map((k) => {
            const v = row[k];
            return [
              k,
              typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : (v ?? null),
            ];
          }),
      ),
    )
    .sort();
}
