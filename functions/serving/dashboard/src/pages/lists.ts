/** The Students and Courses pages: server-side prefix search, sorting, cursor pages, CSV of the page shown. */
import { api, query } from '../api.ts';
import { fmt, go, h, type Row } from '../dom.ts';
import { cursorsOf, link, type Route, withParams } from '../router.ts';
import { columnsOf, csvButton, dataTable, pager, rangeText, sortRows } from '../table.ts';
import type { PageResult } from './page.ts';

const pageSize = 50;

interface ListAnswer {
  items: Row[];
  next_cursor: string | null;
  total?: number;
}

interface ListKind {
  page: 'students' | 'courses';
  title: string;
  key: 'student_id' | 'course_id';
  /** Whether the API sorts the whole list by this column (others sort the page shown). */
  serverSorts: (column: string) => boolean;
  total: () => Promise<number | undefined>;
}

const kinds: Record<'students' | 'courses', ListKind> = {
  students: {
    page: 'students',
    title: 'Students',
    key: 'student_id',
    serverSorts: (c) => c === 'student_id',
    total: async () => (await api<{ total_students: number }>('/api/v1/summary')).total_students,
  },
  courses: {
    page: 'courses',
    title: 'Courses',
    key: 'course_id',
    serverSorts: () => true,
    total: async () => (await api<{ total_courses: number }>('/api/v1/summary')).total_courses,
  },
};

export const studentsPage = (route: Route) => listPage(kinds.students, route);
export const coursesPage = (route: Route) => listPage(kinds.courses, route);

async function listPage(kind: ListKind, route: Route): Promise<PageResult> {
  const q = route.params.get('q') ?? '';
  const sort = route.params.get('sort') ?? kind.key;
  const order = route.params.get('order') === 'desc' ? 'desc' : 'asc';
  const serverSort = kind.serverSorts(sort);
  const cursor = cursorsOf(route).at(-1);
  const path = `/api/v1/${kind.page}${query({
    limit: pageSize,
    q,
    ...(serverSort ? { sort: kind.page === 'courses' ? sort : undefined, order } : {}),
    cursor,
  })}`;
  const [list, total] = await Promise.all([
    api<ListAnswer>(path),
    q ? Promise.resolve(undefined) : kind.total().catch(() => undefined),
  ]);
  const rows = serverSort ? list.items : sortRows(list.items, sort, order);
  const count = list.total ?? total;
  const heading = `${kind.title}${q ? ` matching “${q}”` : ''} (${rangeText(route, pageSize, rows.length)}${
    count !== undefined ? ` of ${fmt(count)}` : ''
  })`;
  const form = h(
    'form',
    {
      class: 'search',
      role: 'search',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const value = (document.getElementById(`${kind.page}-q`) as HTMLInputElement).value.trim();
        go(link([kind.page], { q: value, sort: route.params.get('sort'), order: route.params.get('order') }));
      },
    },
    h('label', { for: `${kind.page}-q` }, `Find ${kind.page} by id prefix`),
    h('input', {
      id: `${kind.page}-q`,
      type: 'search',
      value: q,
      placeholder: kind.page === 'students' ? 'e.g. S12' : 'e.g. CS1',
      'data-testid': `${kind.page}-search`,
      autocomplete: 'off',
    }),
    h('button', { type: 'submit' }, 'Search'),
    q ? h('a', { href: link([kind.page]), class: 'clear' }, 'Clear') : null,
  );
  const table = dataTable({
    testid: kind.page,
    caption: `${heading}${serverSort ? '' : ` — sorted by ${sort} within this page (the API orders ${kind.page} by id)`}`,
    columns: columnsOf(rows, kind.key),
    rows,
    key: kind.key,
    rowHref: (r) => link([kind.page, String(r[kind.key])]),
    sorting: {
      key: sort,
      order,
      sortable: () => true,
      href: (column, o) => link([kind.page], withParams(route, { sort: column, order: o, at: null })),
    },
  });
  return {
    title: kind.title,
    content: [
      h(
        'section',
        { class: 'card', 'data-testid': `${kind.page}-table` },
        h('h2', {}, heading),
        h('div', { class: 'toolbar' }, form, csvButton(path, `${kind.page}.csv`, `${kind.page}-csv`)),
        table,
        pager(route, list.next_cursor, kind.page),
        kind.page === 'students' && !serverSort
          ? h(
              'p',
              { class: 'caption' },
              'Student id sorts the whole list (both directions); other columns sort the page shown.',
            )
          : null,
      ),
    ],
  };
}
