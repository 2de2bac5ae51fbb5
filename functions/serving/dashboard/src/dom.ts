/** DOM building, navigation and the formatting every page shares. */
import { parseRoute, type Route } from './router.ts';

type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;
export type Child = Node | string | number | null | undefined | false | Child[];

/** An element with attributes (`on…` keys become listeners; false/null/undefined are left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === 'function') node.addEventListener(k.slice(2), v);
    else if (k === 'class') node.className = String(v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  append(node, children);
  return node;
}

function append(node: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(node, c);
    else node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Numbers with thousands separators, at most 2 decimals; '–' for missing values. */
export function fmt(value: unknown): string {
  if (value === null || value === undefined || value === '') return '–';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value !== 'number') return String(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: Math.abs(value) >= 1000 ? 0 : 2 });
}

/** A percentage of the maximum, e.g. "72.5 %". */
export const pctText = (value: number | null | undefined): string =>
  typeof value === 'number' ? `${fmt(Math.round(value * 10) / 10)} %` : '–';

/** Instants (epoch ms) as local date and time; other values as fmt does. */
export const timeText = (value: unknown): string =>
  typeof value === 'number' && value > 1e11 ? new Date(value).toLocaleString('en-GB') : fmt(value);

export const ago = (seconds: number | null | undefined): string =>
  seconds === null || seconds === undefined
    ? 'no data'
    : seconds < 120
      ? `${seconds} s ago`
      : seconds < 7200
        ? `${Math.round(seconds / 60)} min ago`
        : `${Math.round(seconds / 3600)} h ago`;

/** "avg_quiz_score" → "avg quiz score". */
export const label = (column: string): string => column.replaceAll('_', ' ');

export const card = (title: string, testid: string, ...body: Child[]): HTMLElement =>
  h('section', { class: 'card', 'data-testid': testid, 'aria-label': title }, h('h2', {}, title), ...body);

export const kpi = (name: string, value: string, sub: string, kind: 'speed' | 'batch' | '', testid: string) =>
  h(
    'div',
    { class: `kpi ${kind}`, 'data-testid': testid },
    h('div', { class: 'label' }, name),
    h('div', { class: 'value' }, value),
    h('div', { class: 'sub' }, sub),
  );

export const note = (text: string, kind = ''): HTMLElement => h('p', { class: `empty ${kind}` }, text);

/** The rows of a JSON answer as records (the API serves flat rows). */
export type Row = Record<string, unknown>;
export const num = (row: Row | undefined, column: string): number | null => {
  const v = row?.[column];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};
/** The first of `columns` the row serves as a number (percent fields under their newer or older name). */
export const firstNum = (row: Row | undefined, columns: readonly string[]): number | null => {
  for (const c of columns) {
    const v = num(row, c);
    if (v !== null) return v;
  }
  return null;
};

/** The route of the page's URL. */
export const currentRoute = (): Route => parseRoute(location.hash);

/** Opens a hash URL made by `link` (the hashchange renders it). */
export const go = (href: string): void => {
  location.hash = href.slice(1);
};
