import { batchViews, datesBetween, type Row, speedViews, type TableDefinition } from '@ula/core';
import { windowStarts } from '@ula/core/serving/merge';
import { withoutPii } from '@ula/core/serving/pii';
import { badRequest, notFound } from '../http.ts';
import { dateRange, paginate } from '../params.ts';
import { type Deps, type Route, type RouteInput, route } from './route.ts';

/**
 * Per-view access: any stored batch or speed view, read by partition key only.
 * - daily batch views (partition `date`): `from`/`to` local dates, at most 92 days;
 * - other batch views: their partition key columns are required parameters, except small tables keyed
 *   by a low-cardinality column (course, video, notification type...), which may be listed whole;
 * - speed views: the last `minutes` of windows.
 * Then optional `course_id` and `role` filters, and pagination.
 */
const listable = new Set([
  'course_id',
  'video_id',
  'notification_type',
  'field_name',
  'event_type',
  'material_id',
]);
const listableTables = new Set(['course_overview', 'student_overview']);

interface ViewInfo {
  name: string;
  layer: 'batch' | 'speed';
  table: TableDefinition;
  period?: 'day' | 'all';
  window?: { size: number | 'day'; slide: number | 'day' };
}

function catalogue(deps: Deps): ViewInfo[] {
  const out: ViewInfo[] = [];
  for (const v of batchViews) {
    const table = v.intermediate ? undefined : deps.reader.table(v.name);
    if (table) out.push({ name: v.name, layer: 'batch', table, period: v.period });
  }
  for (const v of speedViews) {
    const table = deps.reader.table(v.name);
    if (table) out.push({ name: v.name, layer: 'speed', table, window: v.window });
  }
  return out;
}

const requiredKeys = (info: ViewInfo): string[] =>
  info.layer === 'speed' || info.period === 'day' ? [] : info.table.partitionKey;

const canList = (info: ViewInfo) =>
  listableTables.has(info.name) ||
  (info.table.partitionKey.length === 1 && listable.has(info.table.partitionKey[0]!));

const describe = (info: ViewInfo) => ({
  name: info.name,
  layer: info.layer,
  doc: info.table.doc,
  ...(info.period ? { period: info.period } : {}),
  ...(info.window ? { window_seconds: info.window } : {}),
  partition_key: info.table.partitionKey,
  clustering: info.table.clustering.map((c) => c.name),
  columns: info.table.columns.map((c) => ({ name: c.name, type: c.type })),
  parameters:
    info.layer === 'speed'
      ? ['minutes']
      : info.period === 'day'
        ? ['from', 'to']
        : canList(info)
          ? requiredKeys(info).map((k) => `${k} (optional)`)
          : requiredKeys(info),
});

const viewOf = (deps: Deps, input: RouteInput): ViewInfo => {
  const info = catalogue(deps).find((v) => v.name === input.path['view']);
  if (!info) throw notFound(`no view named ${input.path['view']} (GET /api/v1/views lists them)`);
  return info;
};

export const viewRoutes: Route[] = [
  route({
    path: '/api/v1/views',
    summary: 'Every stored view: layer, key, columns and the parameters its endpoint takes.',
    tag: 'views',
    params: {},
    handler: async (_q, _input, deps) => ({ views: catalogue(deps).map(describe) }),
  }),
  route({
    path: '/api/v1/views/{view}',
    summary:
      'Rows of one view by partition: `from`/`to` for daily views, the partition key columns for others, `minutes` for speed views; `course_id`/`role` filters; paginated.',
    tag: 'views',
    params: {
      from: { kind: 'date', doc: 'daily batch views: first local date (default 6 days before `to`)' },
      to: { kind: 'date', doc: 'daily batch views: last local date (default today); at most 92 days' },
      minutes: { kind: 'int', min: 1, max: 360, doc: 'speed views: look-back in minutes (default 60)' },
      course_id: { kind: 'id', doc: 'only rows of this course (views with a course_id column)' },
      role: {
        kind: 'enum',
        values: ['student', 'teacher', 'admin'],
        doc: 'only rows of this role (views with a role column)',
      },
      limit: { kind: 'int', min: 1, max: 1000, default: 100, doc: 'rows per page' },
      page: { kind: 'page', doc: 'next_page token of the previous answer' },
    },
    extra: (input) => {
      const name = input.path['view'];
      const batch = batchViews.find((v) => v.name === name);
      if (!batch || batch.period === 'day') return [];
      return batch.partitionKey.filter((k) => k !== 'course_id');
    },
    handler: async (q, input, deps) => {
      const info = viewOf(deps, input);
      const has = (c: string) => info.table.columns.some((col) => col.name === c);
      if (q.course_id !== undefined && !has('course_id'))
        throw badRequest(`view ${info.name} has no course_id column`);
      if (q.role !== undefined && !has('role')) throw badRequest(`view ${info.name} has no role column`);
      let rows: Row[];
      if (info.layer === 'speed') {
        if (q.from !== undefined || q.to !== undefined)
          throw badRequest(`speed view ${info.name} takes minutes, not from/to`);
        const now = deps.now();
        const minutes = q.minutes ?? 60;
        const view = speedViews.find((v) => v.name === info.name)!;
        const starts =
          view.window.size === 'day'
            ? [deps.reader.calendar.startOfDate(deps.reader.calendar.date(now))]
            : windowStarts(view, now - minutes * 60_000, now + 1, { partial: true });
        rows = (await deps.reader.windowRows(info.name, starts)).sort(
          (a, b) => (b['window_start'] as number) - (a['window_start'] as number),
        );
      } else if (info.period === 'day') {
        if (q.minutes !== undefined) throw badRequest(`batch view ${info.name} takes from/to, not minutes`);
        const range = dateRange(q.from, q.to, deps.reader.calendar.date(deps.now()), 7, 92);
        const dates = datesBetween(range.from, range.to);
        const parts = await Promise.all(dates.map((date) => deps.reader.partition(info.table, { date })));
        rows = parts.flat();
      } else {
        if (q.from !== undefined || q.to !== undefined || q.minutes !== undefined)
          throw badRequest(
            `view ${info.name} is all-time: it takes its key (${info.table.partitionKey.join(', ')}), not from/to/minutes`,
          );
        const key: Row = {};
        for (const k of info.table.partitionKey) {
          const v = k === 'course_id' ? q.course_id : q.extra[k];
          if (v !== undefined) key[k] = v;
        }
        const complete = info.table.partitionKey.every((k) => key[k] !== undefined);
        if (complete) rows = await deps.reader.partition(info.table, key);
        else if (canList(info)) rows = (await deps.reader.scanAll(info.name)) ?? [];
        else
          throw badRequest(
            `view ${info.name} is read by partition: give ${info.table.partitionKey.filter((k) => key[k] === undefined).join(', ')}`,
          );
      }
      if (q.course_id !== undefined) rows = rows.filter((r) => r['course_id'] === q.course_id);
      if (q.role !== undefined) rows = rows.filter((r) => r['role'] === q.role);
      return { view: info.name, layer: info.layer, ...paginate(rows.map(withoutPii), q.page, q.limit) };
    },
  }),
];
