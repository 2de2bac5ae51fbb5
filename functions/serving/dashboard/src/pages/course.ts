/**
 * A course for its instructors: enrolments and drops over time, daily active learners, video engagement and
 * drop-off, quiz and assignment score distributions (percent of the maximum), submission timeliness,
 * material popularity, and the course's students with progress and risk.
 */
import { api, enc, query, type Settled, settle } from '../api.ts';
import { BATCH, chartFigure } from '../charts.ts';
import { type Child, card, firstNum, fmt, h, kpi, note, num, pctText, type Row } from '../dom.ts';
import { cursorsOf, link, type Route, withParams } from '../router.ts';
import { csvButton, dataTable, pager, rangeText } from '../table.ts';
import { enrolmentColumns } from './enrolment-columns.ts';
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

/** GET /api/v1/courses/{id}/timeliness: submissions per local day by timeliness, and their totals. */
interface Timeliness {
  totals: Record<
    'submissions' | 'on_time_submissions' | 'late_submissions' | 'no_due_date_submissions',
    number
  >;
  days: { date: string; submissions: number }[];
}
/** GET /api/v1/courses/{id}/active-learners: distinct active students per local day. */
interface ActiveLearners {
  days: { date: string; active_students: number; student_events: number }[];
}
/** GET /api/v1/courses/{id}/videos: the course's videos, lowest mean completion first. */
interface CourseVideos {
  videos: number;
  drop_off: Record<string, number>;
  items: Row[];
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
  // Each panel reads its own per-course view: a partition or one row per day, never the whole course list.
  const perCourse = <T>(path: string) => settle(api<T>(`/api/v1/courses/${enc(id)}/${path}`));
  const videosPath = `/api/v1/courses/${enc(id)}/videos`;
  const [course, enrolments, active, videos, materials, timeliness, students, scores] = await Promise.all([
    api<{ course: Row }>(`/api/v1/courses/${enc(id)}`),
    view('course_enrollment_stats', { from: fromDate() }),
    perCourse<ActiveLearners>(`active-learners${query({ days })}`),
    perCourse<CourseVideos>('videos'),
    view('course_material_popularity', {}),
    perCourse<Timeliness>(`timeliness${query({ days })}`),
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

  const activeCard = panel(`Daily active learners (last ${days} days)`, 'course-active', active, (a) => {
    const learners = a.days.map((d) => d.active_students);
    const last = a.days.at(-1);
    return learners.every((n) => n === 0) || !last
      ? note(`no student activity in the last ${days} days the batch computed`)
      : chartFigure({
          name: 'course-active-learners',
          title: `Distinct active students per local day in ${id} (students)`,
          kind: 'line',
          labels: a.days.map((d) => d.date.slice(5)),
          series: [{ label: 'active students', values: learners, color: BATCH }],
          xTitle: 'local date (MM-DD)',
          yTitle: 'students',
          summary: `Students with any course, video or assessment activity in ${id}, each counted once a day. Last day ${last.date}: ${fmt(last.active_students)} students (${fmt(last.student_events)} events); most in a day: ${fmt(Math.max(...learners))}.`,
        });
  });

  const videoCard = panel('Video engagement and drop-off', 'course-videos', videos, (v) => {
    // The route answers the lowest mean completion first.
    const rows = v.items.slice(0, 20);
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
            summary: `${v.videos} videos; ${v.drop_off['High Risk'] ?? 0} with high drop-off (mean completion under 50 %), ${
              v.drop_off['Medium Risk'] ?? 0
            } medium (under 80 %).`,
          }),
          h(
            'div',
            { class: 'toolbar' },
            h('span', {}),
            csvButton(videosPath, `${id}-videos.csv`, 'course-videos-csv'),
          ),
          dataTable({
            testid: 'course-video-table',
            caption: `Videos with the lowest completion (${rows.length} of ${v.videos}; the CSV has all): views, viewers, watch time and drop-off`,
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

  const timelinessCard = panel(
    `Submission timeliness (last ${days} days)`,
    'course-timeliness',
    timeliness,
    ({ totals, days: perDay }) => {
      const parts: [string, number][] = [
        ['on time', totals.on_time_submissions],
        ['late (after the due date)', totals.late_submissions],
        ['no due date stated', totals.no_due_date_submissions],
      ];
      const { submissions, late_submissions: late } = totals;
      return submissions === 0
        ? note(`no assignments submitted in the last ${days} days the batch computed`)
        : chartFigure({
            name: 'course-timeliness',
            title: `Submissions to ${id} by timeliness, ${perDay[0]?.date} to ${perDay.at(-1)?.date} (submissions)`,
            kind: 'doughnut',
            labels: parts.map(([k]) => k),
            series: [{ label: 'submissions', values: parts.map(([, v]) => v) }],
            summary: `${fmt(submissions)} submissions: ${fmt(totals.on_time_submissions)} on time, ${fmt(late)} late (${pctText((late / submissions) * 100)}), ${fmt(totals.no_due_date_submissions)} without a due date.`,
          });
    },
  );

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
          columns: enrolmentColumns({
            id: { key: 'student_id', title: 'student' },
            quiz: { key: 'avg_quiz_percentage', text: (r) => pctText(firstNum(r, quizPctColumns)) },
            assignment: {
              key: 'avg_assignment',
              text: (r) => {
                const p = firstNum(r, assignmentPctColumns);
                return p !== null ? pctText(p) : fmt(r['avg_score']);
              },
            },
            beforeLastActivity: [{ key: 'days_inactive', numeric: true }],
          }),
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
