/**
 * A course for its instructors: enrolments and drops over time, daily active learners, video engagement and
 * drop-off, quiz and assignment score distributions (percent of the maximum), submission timeliness,
 * material popularity, and the course's students with progress and risk.
 */
import { api, enc, query, type Settled, settle } from '../api.ts';
import { BATCH, chartFigure, PALETTE } from '../charts.ts';
import { type Child, card, firstNum, fmt, h, kpi, label, note, num, pctText, type Row } from '../dom.ts';
import { reasonsText } from '../risk-words.ts';
import { cursorsOf, link, type Route, withParams } from '../router.ts';
import { csvButton, dataTable, pager, rangeText } from '../table.ts';
import type { PageResult } from './page.ts';

const days = 28;
const pageSize = 50;
/** Assignment percentages under the names the views serve them (newest first), raw averages otherwise. */
export const assignmentPctColumns = [
  'avg_assignment_score_pct',
  'avg_assignment_percentage',
  'avg_score_pct',
  'avg_score_percentage',
];
export const quizPctColumns = ['avg_quiz_score_pct', 'avg_quiz_percentage', 'avg_quiz_score'];

interface Items {
  items: Row[];
  next_cursor?: string | null;
  next_page?: string | null;
  total?: number;
}

/** GET /api/v1/courses/{id}/score-distribution: results per band of 10 % of the maximum. */
interface Bands {
  results: number;
  bands: {
    label: string;
    from: number;
    to: number;
    results: number;
    students: number;
    share_percentage: number;
  }[];
}
interface ScoreDistribution {
  quiz: Bands;
  assignment: Bands;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
const nextDay = (date: string) => isoDate(new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000));
/** From `days` days ago (the server's `to` defaults to its today in the analytics time zone). */
const fromDate = () => isoDate(new Date(Date.now() - (days - 1) * 86_400_000));

/** Every risk row of the course (the risk list in pages of 500, at most 20 pages). */
async function riskRows(courseId: string): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | null | undefined;
  for (let n = 0; n < 20; n++) {
    const page = await api<Items>(`/api/v1/risk${query({ course_id: courseId, limit: 500, cursor })}`);
    rows.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return rows;
}

function panel<T>(title: string, testid: string, r: Settled<T>, body: (v: T) => Child): HTMLElement {
  return card(title, testid, r.ok ? body(r.value) : note(`unavailable: ${r.error.message}`, 'error'));
}

/** Every day from the first to the last date of the rows, so quiet days show as zero rather than vanish. */
function daysSpanned(rows: Row[]): string[] {
  const present = [...new Set(rows.map((r) => String(r['date'])))].sort();
  const dates: string[] = [];
  for (let d = present[0]; d !== undefined && d <= present.at(-1)!; d = nextDay(d)) dates.push(d);
  return dates;
}

/** Per-date sums of a daily view's rows, for the dates present, in date order. */
function byDate(rows: Row[], columns: string[]): { dates: string[]; sums: Record<string, number[]> } {
  const dates = daysSpanned(rows);
  const sums = Object.fromEntries(
    columns.map((c) => [
      c,
      dates.map((d) => rows.filter((r) => r['date'] === d).reduce((n, r) => n + (num(r, c) ?? 0), 0)),
    ]),
  );
  return { dates, sums };
}

export async function coursePage(route: Route): Promise<PageResult> {
  const id = route.parts[0]!;
  const sort = route.params.get('sort') === 'risk' ? 'risk' : 'student_id';
  const cursor = cursorsOf(route).at(-1);
  const studentsPath = `/api/v1/courses/${enc(id)}/students${query({ sort, limit: pageSize, cursor })}`;
  const view = (name: string, params: Record<string, string | number>) =>
    settle(api<Items>(`/api/v1/views/${name}${query({ course_id: id, limit: 1000, ...params })}`));
  const [course, enrolments, engagement, videos, materials, risk, students, scores] = await Promise.all([
    api<{ course: Row }>(`/api/v1/courses/${enc(id)}`),
    view('course_enrollment_stats', { from: fromDate() }),
    view('course_daily_engagement', { from: fromDate() }),
    view('video_drop_off_indicators', {}),
    view('course_material_popularity', {}),
    settle(riskRows(id)),
    settle(api<Items>(studentsPath)),
    settle(api<ScoreDistribution>(`/api/v1/courses/${enc(id)}/score-distribution`)),
  ]);
  const c = course.course;
  const assignmentPct = firstNum(c, assignmentPctColumns);
  const kpis = h(
    'div',
    { class: 'kpis' },
    kpi('Enrolled students', fmt(c['total_enrolled_students']), 'all time', 'batch', 'kpi-enrolled'),
    kpi('Active students', fmt(c['active_students']), 'with any activity', 'batch', 'kpi-active'),
    kpi('Videos watched', fmt(c['total_videos_watched']), 'viewing sessions', 'batch', 'kpi-videos'),
    kpi('Submissions', fmt(c['total_assignments_submitted']), 'assignments', 'batch', 'kpi-submissions'),
    kpi('Mean quiz score', pctText(firstNum(c, quizPctColumns)), 'of the maximum', 'batch', 'kpi-quiz'),
    kpi(
      'Mean assignment score',
      assignmentPct !== null ? pctText(assignmentPct) : fmt(c['avg_assignment_score']),
      assignmentPct !== null ? 'of the maximum' : 'raw points (percent not served yet)',
      'batch',
      'kpi-assignment',
    ),
  );

  const enrolCard = panel(
    `Enrolments and drops (last ${days} days)`,
    'course-enrolments',
    enrolments,
    (e) => {
      const { dates, sums } = byDate(e.items, ['new_enrollments', 'drops']);
      const total = (k: string) => (sums[k] ?? []).reduce((a, b) => a + b, 0);
      return dates.length === 0
        ? note(`no enrolments or drops in the last ${days} days`)
        : chartFigure({
            name: 'course-enrolments',
            title: `Enrolments and drops of ${id} per local day (events)`,
            kind: 'bar',
            labels: dates.map((d) => d.slice(5)),
            series: [
              { label: 'enrolments', values: sums['new_enrollments'] ?? [], color: BATCH },
              { label: 'drops', values: sums['drops'] ?? [], color: '#b91c1c' },
            ],
            xTitle: 'local date (MM-DD)',
            yTitle: 'events',
            summary: `${fmt(total('new_enrollments'))} enrolments and ${fmt(total('drops'))} drops over ${dates[0]} to ${dates.at(-1)}.`,
          });
    },
  );

  const activeCard = panel(`Daily active learners (last ${days} days)`, 'course-active', engagement, (e) => {
    const students = e.items.filter((r) => (num(r, 'unique_students') ?? 0) > 0);
    const types = [...new Set(students.map((r) => String(r['event_type'])))]
      .map((t) => ({
        t,
        n: students
          .filter((r) => r['event_type'] === t)
          .reduce((a, r) => a + (num(r, 'unique_students') ?? 0), 0),
      }))
      .sort((a, b) => b.n - a.n)
      .slice(0, 5)
      .map((x) => x.t);
    const dates = daysSpanned(students);
    const at = (t: string, d: string) =>
      num(
        students.find((r) => r['event_type'] === t && r['date'] === d),
        'unique_students',
      ) ?? 0;
    return dates.length === 0
      ? note('no student activity in these days')
      : chartFigure({
          name: 'course-active-learners',
          title: `Distinct students per local day in ${id}, by activity (students)`,
          kind: 'line',
          labels: dates.map((d) => d.slice(5)),
          series: types.map((t, i) => ({
            label: label(t.toLowerCase()),
            values: dates.map((d) => at(t, d)),
            color: PALETTE[i % PALETTE.length]!,
          })),
          xTitle: 'local date (MM-DD)',
          yTitle: 'students',
          summary: `Students doing each activity per day (a student doing two counts in both). Last day ${dates.at(-1)}: ${types
            .map((t) => `${label(t.toLowerCase())} ${at(t, dates.at(-1)!)}`)
            .join(', ')}.`,
        });
  });

  const videoCard = panel('Video engagement and drop-off', 'course-videos', videos, (v) => {
    const rows = [...v.items]
      .sort((a, b) => (num(a, 'avg_completion_percentage') ?? 0) - (num(b, 'avg_completion_percentage') ?? 0))
      .slice(0, 20);
    const riskColor: Record<string, string> = {
      'High Risk': '#b91c1c',
      'Medium Risk': '#b45309',
      'Good Engagement': '#047857',
    };
    return rows.length === 0
      ? note('no video views in this course')
      : [
          chartFigure({
            name: 'course-video-dropoff',
            title: `Mean completion per video of ${id}, lowest first (% of the video watched)`,
            kind: 'hbar',
            labels: rows.map((r) => String(r['video_id'])),
            series: [
              {
                label: 'mean completion (%): red < 50 high drop-off, amber < 80 medium, green good',
                values: rows.map((r) => num(r, 'avg_completion_percentage')),
              },
            ],
            barColors: rows.map((r) => riskColor[String(r['potential_drop_off'])] ?? '#4b5563'),
            xTitle: 'mean completion (% of the video)',
            summary: `${v.items.length} videos; ${v.items.filter((r) => r['potential_drop_off'] === 'High Risk').length} with high drop-off (mean completion under 50 %), ${
              v.items.filter((r) => r['potential_drop_off'] === 'Medium Risk').length
            } medium (under 80 %).`,
          }),
          h(
            'div',
            { class: 'toolbar' },
            h('span', {}),
            csvButton(
              `/api/v1/views/video_drop_off_indicators${query({ course_id: id, limit: 1000 })}`,
              `${id}-videos.csv`,
              'course-videos-csv',
            ),
          ),
          dataTable({
            testid: 'course-video-table',
            caption: `Videos with the lowest completion (${rows.length} of ${v.items.length}; the CSV has all): views, viewers, watch time and drop-off`,
            key: 'video_id',
            rows,
            columns: [
              { key: 'video_id', title: 'video' },
              { key: 'total_views', title: 'views', numeric: true },
              { key: 'unique_viewers', title: 'viewers', numeric: true },
              { key: 'avg_watch_duration', title: 'mean watch (s)', numeric: true },
              {
                key: 'avg_completion_percentage',
                title: 'mean completion',
                numeric: true,
                text: (r) => pctText(num(r, 'avg_completion_percentage')),
              },
              { key: 'potential_drop_off', title: 'drop-off' },
            ],
          }),
        ];
  });

  const bandCard = (assessment: 'quiz' | 'assignment', what: string, color: string) =>
    panel(`${what} scores (% of the maximum)`, `course-${assessment}`, scores, (d) => {
      const { results, bands } = d[assessment];
      const half = bands.filter((b) => b.to <= 50).reduce((n, b) => n + b.results, 0);
      return results === 0
        ? note(`no ${assessment} results in this course yet`)
        : chartFigure({
            name: `course-${assessment}-distribution`,
            title: `${what} results of ${id} by score, in bands of 10 % of the maximum (results)`,
            kind: 'bar',
            labels: bands.map((b) => b.label),
            series: [
              {
                label: assessment === 'quiz' ? 'quiz completions' : 'grades received',
                values: bands.map((b) => b.results),
                color,
              },
            ],
            xTitle: 'score (% of the maximum)',
            yTitle: 'results',
            summary: `${fmt(results)} results; ${pctText((half / results) * 100)} of them at or under 50 %. ${bands
              .filter((b) => b.results > 0)
              .map((b) => `${b.label}: ${fmt(b.results)} (${fmt(b.students)} students)`)
              .join('; ')}.`,
          });
    });
  const quizCard = bandCard('quiz', 'Quiz', BATCH);
  const assignmentCard = bandCard('assignment', 'Assignment', '#6d28d9');

  const timelinessCard = panel('Submission timeliness', 'course-timeliness', risk, (rows) => {
    const sum = (c: string) => rows.reduce((n, r) => n + (num(r, c) ?? 0), 0);
    const submitted = sum('assignments_submitted');
    const late = sum('late_submissions');
    const missed = sum('assignments_missed');
    const parts: [string, number][] = [
      ['on time or without a due date', Math.max(0, submitted - late)],
      ['late (after the due date)', late],
      ['opened, never submitted', missed],
    ];
    return submitted + missed === 0
      ? note('no assignments opened or submitted yet')
      : chartFigure({
          name: 'course-timeliness',
          title: `Assignments of ${id} by timeliness (assignments)`,
          kind: 'doughnut',
          labels: parts.map(([k]) => k),
          series: [{ label: 'assignments', values: parts.map(([, v]) => v) }],
          summary: `${fmt(submitted)} assignments submitted (${fmt(late)} late, ${submitted > 0 ? pctText((late / submitted) * 100) : '–'}); ${fmt(missed)} opened and never submitted.`,
        });
  });

  const materialCard = panel('Material popularity', 'course-materials', materials, (m) => {
    const rows = [...m.items]
      .sort((a, b) => (num(b, 'total_accesses') ?? 0) - (num(a, 'total_accesses') ?? 0))
      .slice(0, 15);
    return rows.length === 0
      ? note('no material downloaded yet')
      : chartFigure({
          name: 'course-materials',
          title: `Most downloaded materials of ${id} (downloads and distinct students)`,
          kind: 'hbar',
          labels: rows.map((r) => `${r['material_id']} (${r['material_type']})`),
          series: [
            { label: 'downloads', values: rows.map((r) => num(r, 'total_accesses')), color: BATCH },
            {
              label: 'distinct students',
              values: rows.map((r) => num(r, 'unique_accessors')),
              color: '#b45309',
            },
          ],
          xTitle: 'downloads / students',
          summary: `${m.items.length} materials; top: ${rows
            .slice(0, 3)
            .map(
              (r) =>
                `${r['material_id']} ${fmt(r['total_accesses'])} downloads by ${fmt(r['unique_accessors'])} students`,
            )
            .join('; ')}.`,
        });
  });

  const studentsCard = students.ok
    ? h(
        'section',
        { class: 'card wide', 'data-testid': 'course-students-card' },
        h(
          'h2',
          {},
          `Students of ${id} (${rangeText(route, pageSize, students.value.items.length)} of ${fmt(students.value.total)})`,
        ),
        h(
          'div',
          { class: 'toolbar' },
          h(
            'p',
            { class: 'caption' },
            'Sort: ',
            h(
              'a',
              {
                href: link(['courses', id], withParams(route, { sort: null, at: null })),
                'aria-current': sort === 'student_id' ? 'true' : undefined,
              },
              'by student id',
            ),
            ' · ',
            h(
              'a',
              {
                href: link(['courses', id], withParams(route, { sort: 'risk', at: null })),
                'data-testid': 'course-students-by-risk',
                'aria-current': sort === 'risk' ? 'true' : undefined,
              },
              'by risk',
            ),
          ),
          csvButton(studentsPath, `${id}-students.csv`, 'course-students-csv'),
        ),
        dataTable({
          testid: 'course-students',
          caption: `Students of ${id}: progress and risk`,
          key: 'student_id',
          rows: students.value.items,
          rowHref: (r) => link(['students', String(r['student_id'])]),
          columns: [
            { key: 'student_id', title: 'student' },
            { key: 'enrollment_date', title: 'enrolled' },
            { key: 'dropped' },
            { key: 'videos_watched', numeric: true },
            {
              key: 'video_coverage_percentage',
              title: 'video coverage',
              numeric: true,
              text: (r) => pctText(num(r, 'video_coverage_percentage')),
            },
            { key: 'assignments_submitted', numeric: true },
            { key: 'quizzes_completed', numeric: true },
            {
              key: 'avg_quiz_percentage',
              title: 'mean quiz score',
              numeric: true,
              text: (r) => pctText(firstNum(r, quizPctColumns)),
            },
            {
              key: 'avg_assignment',
              title: 'mean assignment score',
              numeric: true,
              text: (r) => {
                const p = firstNum(r, assignmentPctColumns);
                return p !== null ? pctText(p) : fmt(r['avg_score']);
              },
            },
            { key: 'materials_downloaded', numeric: true },
            { key: 'days_inactive', numeric: true },
            { key: 'last_activity' },
            { key: 'risk_score', numeric: true },
            { key: 'risk_level' },
            { key: 'risk_reasons', title: 'reasons', text: (r) => reasonsText(r['risk_reasons']) },
          ],
        }),
        pager(route, students.value.next_cursor ?? null, 'course-students'),
      )
    : card('Students', 'course-students-card', note(`unavailable: ${students.error.message}`, 'error'));

  return {
    title: `Course ${id}`,
    content: [
      h(
        'section',
        { class: 'card', 'data-testid': 'course-detail' },
        h('h2', {}, `Course ${id}`),
        h(
          'p',
          { class: 'caption' },
          h('a', { href: link(['risk'], { course: id }) }, `At-risk students of ${id}`),
          ' · ',
          h('a', { href: link(['courses']) }, 'all courses'),
        ),
        kpis,
      ),
      h(
        'div',
        { class: 'grid' },
        enrolCard,
        activeCard,
        quizCard,
        assignmentCard,
        timelinessCard,
        materialCard,
      ),
      h('div', { class: 'grid one' }, videoCard, studentsCard),
    ],
  };
}
