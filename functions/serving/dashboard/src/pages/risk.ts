/** At-risk students: institution-wide by risk, or one course; a level filter; reasons in words. */
import { api, query } from '../api.ts';
import { fmt, go, h, num, pctText, type Row } from '../dom.ts';
import { reasonsText } from '../risk-words.ts';
import { cursorsOf, link, type Route } from '../router.ts';
import { csvButton, dataTable, pager, rangeText } from '../table.ts';
import type { PageResult } from './page.ts';

const pageSize = 50;
const levels = ['high', 'medium', 'low', 'none', 'dropped'];

export async function riskPage(route: Route): Promise<PageResult> {
  const course = route.params.get('course') ?? '';
  const level = route.params.get('level') ?? '';
  const path = `/api/v1/risk${query({ course_id: course, level, limit: pageSize, cursor: cursorsOf(route).at(-1) })}`;
  const list = await api<{ items: Row[]; next_cursor: string | null }>(path);
  const scope = `${course ? `course ${course}` : 'all courses'}${level ? `, level ${level}` : ''}`;
  const heading = `At-risk students — ${scope} (${rangeText(route, pageSize, list.items.length)})`;
  const form = h(
    'form',
    {
      class: 'search',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const value = (name: string) =>
          (document.getElementById(name) as HTMLInputElement | HTMLSelectElement).value.trim();
        go(link(['risk'], { course: value('risk-course'), level: value('risk-level') }));
      },
    },
    h('label', { for: 'risk-course' }, 'Course id'),
    h('input', {
      id: 'risk-course',
      type: 'search',
      value: course,
      placeholder: 'all courses',
      'data-testid': 'risk-course',
      autocomplete: 'off',
    }),
    h('label', { for: 'risk-level' }, 'Level'),
    h(
      'select',
      { id: 'risk-level', 'data-testid': 'risk-level' },
      h('option', { value: '', selected: level === '' }, 'any'),
      levels.map((l) => h('option', { value: l, selected: level === l }, l)),
    ),
    h('button', { type: 'submit' }, 'Filter'),
  );
  return {
    title: 'At-risk students',
    content: [
      h(
        'section',
        { class: 'card', 'data-testid': 'risk-table' },
        h('h2', {}, heading),
        h('div', { class: 'toolbar' }, form, csvButton(path, 'at-risk.csv', 'risk-csv')),
        dataTable({
          testid: 'risk',
          caption: `${heading}, highest score first`,
          key: 'student_id',
          rows: list.items,
          rowHref: (r) => link(['students', String(r['student_id'])]),
          columns: [
            { key: 'student_id', title: 'student' },
            { key: 'course_id', title: 'course', href: (r) => link(['courses', String(r['course_id'])]) },
            { key: 'risk_score', title: 'score (0-100)', numeric: true },
            { key: 'risk_level', title: 'level' },
            { key: 'risk_reasons', title: 'reasons', text: (r) => reasonsText(r['risk_reasons']) },
            { key: 'days_inactive', numeric: true },
            {
              key: 'avg_quiz_percentage',
              title: 'mean quiz score',
              numeric: true,
              text: (r) => pctText(num(r, 'avg_quiz_percentage')),
            },
            { key: 'quiz_trend_per_week', title: 'quiz trend (points/week)', numeric: true },
            { key: 'assignments_missed', numeric: true },
            { key: 'late_submissions', numeric: true },
            {
              key: 'video_coverage_percentage',
              title: 'video coverage',
              numeric: true,
              text: (r) => pctText(num(r, 'video_coverage_percentage')),
            },
            { key: 'last_activity' },
          ],
        }),
        pager(route, list.next_cursor, 'risk'),
        h(
          'p',
          { class: 'caption' },
          `Score = sum of the weights of the rules that fire (docs/views.md, student_course_risk): inactive 30, quiz scores falling 20, missed assignments 15, low video coverage 15, low quiz score 10, late submissions 10; high ≥ 50, medium ≥ 25. ${fmt(list.items.length)} rows on this page.`,
        ),
      ),
    ],
  };
}
