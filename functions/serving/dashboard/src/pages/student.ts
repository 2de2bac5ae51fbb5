/**
 * A student: activity over the last 7 days (and each 7-day window of the last two weeks) and all time,
 * progress, scores as percent of the maximum and risk per course, and their sessions.
 */
import { ApiError, api, enc, query, type Settled, settle } from '../api.ts';
import { BATCH, chartFigure, SPEED } from '../charts.ts';
import { type Child, card, firstNum, fmt, h, kpi, note, num, pctText, type Row, timeText } from '../dom.ts';
import { link, type Route } from '../router.ts';
import { csvButton, dataTable } from '../table.ts';
import { assignmentPctColumns, quizPctColumns } from './course.ts';
import { enrolmentColumns } from './enrolment-columns.ts';
import type { PageResult } from './page.ts';

interface Items {
  items: Row[];
}
interface Activity {
  watermark: number | null;
  days: {
    date: string;
    interactions: number;
    videos_watched: number;
    assignments_submitted: number;
    logins: number;
  }[];
}

function panel<T>(title: string, testid: string, r: Settled<T>, body: (v: T) => Child): HTMLElement {
  return card(title, testid, r.ok ? body(r.value) : note(`unavailable: ${r.error.message}`, 'error'));
}

/** Rows of a view partitioned by this student (`key` = its student column), keyed by course. */
const byCourse = (r: Settled<Items>): Map<unknown, Row> =>
  new Map(r.ok ? r.value.items.map((row) => [row['course_id'], row]) : []);

export async function studentPage(route: Route): Promise<PageResult> {
  const id = route.parts[0]!;
  const view = (name: string, key: string) =>
    settle(api<Items>(`/api/v1/views/${name}${query({ [key]: id, limit: 1000 })}`));
  const [student, activity, courses, performance, risk, sessions, auth] = await Promise.all([
    api<{ student: Row }>(`/api/v1/students/${enc(id)}`),
    settle(api<Activity>(`/api/v1/students/${enc(id)}/activity?days=14`)),
    settle(api<Items>(`/api/v1/students/${enc(id)}/courses?limit=500`)),
    view('assessment_student_overall_performance', 'user_id'),
    view('student_course_risk', 'student_id'),
    view('auth_user_session_metrics', 'user_id'),
    view('auth_user_activity_summary', 'user_id'),
  ]);
  const s = student.student;
  const allTime = h(
    'div',
    { class: 'kpis' },
    kpi('Courses', fmt(s['total_courses_enrolled']), 'enrolled, all time', 'batch', 'kpi-courses'),
    kpi(
      'Videos watched',
      fmt(s['total_videos_watched']),
      `${fmt(s['total_watch_time_minutes'])} min of video`,
      'batch',
      'kpi-videos',
    ),
    kpi(
      'Submissions',
      fmt(s['total_assignments_submitted']),
      'assignments, all time',
      'batch',
      'kpi-submissions',
    ),
    kpi(
      'Quizzes',
      fmt(s['total_quizzes_completed']),
      `mean ${pctText(firstNum(s, quizPctColumns))} of the maximum`,
      'batch',
      'kpi-quizzes',
    ),
    kpi('Logins', fmt(s['total_logins']), `last ${timeText(s['last_login'])}`, 'batch', 'kpi-logins'),
    kpi(
      'Downloads',
      fmt(s['total_materials_downloaded']),
      `last activity ${timeText(s['last_activity'])}`,
      'batch',
      'kpi-downloads',
    ),
  );

  const activityCard = panel('Activity in the last 7 days', 'student-activity', activity, (a) => {
    const last = a.days.at(-1);
    if (!last) return note('the batch has not computed any day yet');
    return [
      h(
        'p',
        { class: 'lead', 'data-testid': 'student-7d' },
        `In the 7 days to ${last.date}: ${fmt(last.interactions)} interactions — ${fmt(last.videos_watched)} videos watched, ${fmt(last.assignments_submitted)} assignments submitted, ${fmt(last.logins)} logins.`,
      ),
      chartFigure({
        name: 'student-activity',
        title: `Activity of ${id} in the 7 days ending at each date (events)`,
        kind: 'bar',
        labels: a.days.map((d) => d.date.slice(5)),
        series: [
          { label: 'videos watched', values: a.days.map((d) => d.videos_watched), color: BATCH, stack: 'a' },
          {
            label: 'assignments submitted',
            values: a.days.map((d) => d.assignments_submitted),
            color: '#b45309',
            stack: 'a',
          },
          { label: 'logins', values: a.days.map((d) => d.logins), color: SPEED, stack: 'a' },
        ],
        xTitle: 'end of the 7-day window (local date, MM-DD)',
        yTitle: 'events in 7 days',
        summary: a.days.map((d) => `${d.date}: ${d.interactions}`).join('; '),
      }),
    ];
  });

  const perf = byCourse(performance);
  const riskOf = byCourse(risk);
  const rows: Row[] = courses.ok
    ? courses.value.items.map((c) => {
        const p = perf.get(c['course_id']);
        const r = riskOf.get(c['course_id']);
        return {
          ...c,
          quiz_pct: firstNum(p, quizPctColumns) ?? firstNum(r, quizPctColumns),
          assignment_pct: firstNum(p, assignmentPctColumns),
          video_coverage_percentage: num(r, 'video_coverage_percentage'),
          risk_score: num(r, 'risk_score'),
          risk_level: r?.['risk_level'] ?? null,
          risk_reasons: r?.['risk_reasons'] ?? null,
        };
      })
    : [];
  const coursesCard = courses.ok
    ? card(
        'Progress and scores per course',
        'student-courses-card',
        rows.some((r) => r['quiz_pct'] !== null || r['assignment_pct'] !== null)
          ? chartFigure({
              name: 'student-course-scores',
              title: `Mean quiz and assignment scores of ${id} per course (% of the maximum)`,
              kind: 'bar',
              labels: rows.map((r) => String(r['course_id'])),
              series: [
                {
                  label: 'quizzes (% of max)',
                  values: rows.map((r) => r['quiz_pct'] as number | null),
                  color: BATCH,
                },
                {
                  label: 'assignments (% of max)',
                  values: rows.map((r) => r['assignment_pct'] as number | null),
                  color: '#6d28d9',
                },
              ],
              xTitle: 'course',
              yTitle: '% of the maximum',
              summary: rows
                .map(
                  (r) =>
                    `${r['course_id']}: quizzes ${pctText(r['quiz_pct'] as number | null)}, assignments ${pctText(r['assignment_pct'] as number | null)}`,
                )
                .join('; '),
            })
          : note('no graded work yet'),
        h(
          'div',
          { class: 'toolbar' },
          h('span', { class: 'caption' }, 'CSV: the enrolment rows (progress per course)'),
          csvButton(
            `/api/v1/students/${enc(id)}/courses?limit=500`,
            `${id}-courses.csv`,
            'student-courses-csv',
          ),
        ),
        dataTable({
          testid: 'student-courses',
          caption: `Courses of ${id}: progress, scores (percent of the maximum) and risk`,
          key: 'course_id',
          rows,
          rowHref: (r) => link(['courses', String(r['course_id'])]),
          columns: enrolmentColumns({
            id: { key: 'course_id', title: 'course' },
            quiz: { key: 'quiz_pct', text: (r) => pctText(num(r, 'quiz_pct')) },
            assignment: { key: 'assignment_pct', text: (r) => pctText(num(r, 'assignment_pct')) },
          }),
        }),
      )
    : card('Courses', 'student-courses-card', note(`unavailable: ${courses.error.message}`, 'error'));

  const sessionsCard = panel('Sessions', 'student-sessions', sessions, (m) => {
    const row = m.items[0];
    const a = auth.ok ? auth.value.items[0] : undefined;
    const item = (k: string, v: string) => [h('dt', {}, k), h('dd', {}, v)];
    return [
      h(
        'dl',
        { class: 'facts' },
        item('completed sessions', fmt(row?.['total_sessions'] ?? 0)),
        item('mean session', `${fmt(row?.['avg_session_duration_minutes'])} min`),
        item('longest session', `${fmt(row?.['max_session_duration_minutes'])} min`),
        item('time online', `${fmt(row?.['total_time_online_minutes'])} min`),
        item('logins', fmt(a?.['total_logins'])),
        item('first activity', timeText(a?.['first_activity'])),
        item('last activity', timeText(a?.['last_activity'])),
      ),
      h(
        'p',
        { class: 'caption' },
        'Sessions = a login and a later logout of the same session (auth_user_session_metrics); recent logins per day are in the 7-day chart.',
      ),
    ];
  });

  return {
    title: `Student ${id}`,
    content: [
      h(
        'section',
        { class: 'card', 'data-testid': 'student-detail' },
        h('h2', {}, `Student ${id}`),
        h('p', { class: 'caption' }, 'All time (batch layer)'),
        allTime,
      ),
      h('div', { class: 'grid' }, activityCard, sessionsCard),
      h('div', { class: 'grid one' }, coursesCard),
      identityCard(id),
    ],
  };
}

/**
 * Who the student is, fetched only when asked: the API answers only a token with the `privacy` scope, and
 * only where the restricted personal-data table is on (ULA_PII=store; docs/privacy.md). Nothing personal is
 * requested while a page is merely viewed.
 */
function identityCard(id: string): HTMLElement {
  const result = h('div', { 'aria-live': 'polite', 'data-testid': 'student-identity-result' });
  const show = async () => {
    result.replaceChildren(note('looking up…'));
    try {
      const who = await api<{
        original_user_id: string | null;
        fields: Record<string, unknown>;
        updated_at: string;
      }>(`/api/v1/privacy/users/${enc(id)}`);
      const item = (k: string, v: unknown) => [h('dt', {}, k), h('dd', {}, fmt(v))];
      result.replaceChildren(
        h(
          'dl',
          { class: 'facts' },
          who.original_user_id !== null ? item('id in the LMS', who.original_user_id) : null,
          Object.entries(who.fields).map(([k, v]) => item(k.replaceAll('_', ' '), v)),
          item('as of', timeText(Date.parse(who.updated_at))),
        ),
      );
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 0;
      result.replaceChildren(
        note(
          status === 403
            ? 'your token may not resolve ids to people (it needs the privacy scope)'
            : `not available: ${(error as Error).message}`,
          'error',
        ),
      );
    }
  };
  return card(
    'Identity',
    'student-identity',
    h(
      'p',
      { class: 'caption' },
      'Analytics use ids only. A data-protection officer (a token with the privacy scope) can look up who this id is, where personal data is kept.',
    ),
    h(
      'button',
      { type: 'button', 'data-testid': 'student-identity-show', onclick: () => void show() },
      'Show identity',
    ),
    result,
  );
}
