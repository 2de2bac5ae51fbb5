/**
 * Tables: a caption, column headers that sort (a link per header, so the sort is in the URL; aria-sort
 * says the current one), every column reachable in a horizontally scrolling region (keyboard-focusable,
 * first column sticky), rows that open their page (a link in the first cell for the keyboard; the whole row
 * for the mouse), a CSV download and Previous/Next for cursor pages.
 */
import { downloadCsv } from './api.ts';
import { type Child, fmt, go, h, label, type Row, timeText } from './dom.ts';
import { cursorsOf, link, type Route, withParams } from './router.ts';

export interface Column {
  key: string;
  title?: string;
  /** Cell text; default: fmt, or local time for *_date / last_* / first_* instants. */
  text?: (row: Row) => string;
  numeric?: boolean;
  /** A link for the cell (e.g. a risk row's course), besides the row's own. */
  href?: (row: Row) => string;
}

export interface Sorting {
  key: string;
  order: 'asc' | 'desc';
  /** The columns the header links may sort by (others are plain headers). */
  sortable: (key: string) => boolean;
  /** The URL of the list sorted by a column. */
  href: (key: string, order: 'asc' | 'desc') => string;
}

export interface TableSpec {
  testid: string;
  caption: string;
  columns: Column[];
  rows: Row[];
  /** The column that identifies a row (data-id). */
  key: string;
  rowHref?: (row: Row) => string;
  sorting?: Sorting;
}

const isInstant = (column: string) => /(^last_|^first_|_date$)/.test(column);

/** Every column of the rows, the key first, in the order the API serves them. */
export function columnsOf(rows: readonly Row[], key: string, skip: readonly string[] = []): Column[] {
  const names: string[] = [key];
  for (const r of rows)
    for (const k of Object.keys(r)) if (!names.includes(k) && !skip.includes(k)) names.push(k);
  return names.map((k) => ({ key: k, numeric: rows.some((r) => typeof r[k] === 'number') && !isInstant(k) }));
}

const cellText = (c: Column, row: Row) =>
  c.text ? c.text(row) : isInstant(c.key) ? timeText(row[c.key]) : fmt(row[c.key]);

export function dataTable(spec: TableSpec): HTMLElement {
  const { sorting } = spec;
  const header = (c: Column) => {
    const title = c.title ?? label(c.key);
    const current = sorting?.key === c.key ? sorting.order : undefined;
    const ariaSort = current === 'asc' ? 'ascending' : current === 'desc' ? 'descending' : undefined;
    const content =
      sorting?.sortable(c.key) === true
        ? h(
            'a',
            {
              href: sorting.href(c.key, current === 'asc' ? 'desc' : 'asc'),
              class: 'sort',
              'data-sort': c.key,
              title: `sort by ${title}`,
            },
            title,
            current === 'asc' ? ' ▲' : current === 'desc' ? ' ▼' : '',
          )
        : title;
    return h('th', { scope: 'col', class: c.numeric ? 'num' : '', 'aria-sort': ariaSort }, content);
  };
  const body: Child =
    spec.rows.length === 0
      ? h('tr', {}, h('td', { colspan: spec.columns.length, class: 'empty' }, 'no rows'))
      : spec.rows.map((row) => {
          const href = spec.rowHref?.(row);
          return h(
            'tr',
            {
              'data-id': String(row[spec.key] ?? ''),
              class: href ? 'link' : '',
              onclick: href
                ? (e: Event) => {
                    if (!(e.target instanceof HTMLAnchorElement)) go(href);
                  }
                : undefined,
            },
            spec.columns.map((c, i) => {
              const text = cellText(c, row);
              return i === 0
                ? h('th', { scope: 'row' }, href ? h('a', { href }, text) : text)
                : h(
                    'td',
                    { class: c.numeric ? 'num' : '' },
                    c.href ? h('a', { href: c.href(row) }, text) : text,
                  );
            }),
          );
        });
  return h(
    'div',
    { class: 'scroll', role: 'region', 'aria-label': `${spec.caption} (scrolls sideways)`, tabindex: 0 },
    h(
      'table',
      { 'data-testid': spec.testid },
      h('caption', {}, spec.caption),
      h('thead', {}, h('tr', {}, spec.columns.map(header))),
      h('tbody', {}, body),
    ),
  );
}

/** Client-side order of the rows shown (for columns the server cannot sort by). */
export function sortRows(rows: Row[], key: string, order: 'asc' | 'desc'): Row[] {
  const sign = order === 'desc' ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === y) return 0;
    if (x === null || x === undefined) return 1; // missing values last either way
    if (y === null || y === undefined) return -1;
    return sign * ((x as number | string) < (y as number | string) ? -1 : 1);
  });
}

export function csvButton(path: string, filename: string, testid: string): HTMLElement {
  return h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      'data-testid': testid,
      onclick: () => {
        void downloadCsv(path, filename).catch((e: unknown) => alert(`CSV download failed: ${String(e)}`));
      },
    },
    'Download CSV',
  );
}

/** Previous/Next over cursor pages; the cursors so far live in the URL's `at`. */
export function pager(route: Route, nextCursor: string | null, testid: string): HTMLElement {
  const at = cursorsOf(route);
  const hrefWith = (cursors: string[]) =>
    link(
      [route.page, ...route.parts],
      withParams(route, { at: cursors.length > 0 ? cursors.join('.') : null }),
    );
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'pages' },
    h(
      'button',
      {
        type: 'button',
        'data-testid': `${testid}-previous`,
        disabled: at.length === 0,
        onclick: () => go(hrefWith(at.slice(0, -1))),
      },
      '‹ Previous',
    ),
    h(
      'button',
      {
        type: 'button',
        'data-testid': `${testid}-next`,
        disabled: nextCursor === null,
        onclick: () => nextCursor !== null && go(hrefWith([...at, nextCursor])),
      },
      'Next ›',
    ),
  );
}

/** "1–50", the rows' place in the list from the page number. */
export const rangeText = (route: Route, limit: number, shown: number): string => {
  const first = cursorsOf(route).length * limit + 1;
  return shown === 0 ? 'none' : `${fmt(first)}–${fmt(first + shown - 1)}`;
};
