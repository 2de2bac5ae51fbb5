import { withoutPii } from '@ula/core/serving/pii';
import type { ServingReader } from '@ula/core/serving/reader';
import { sources } from '@ula/core/serving/sources';
import { addDays } from '@ula/core/views/time';
import { dateRange } from '../params.ts';
import { type Deps, route } from './route.ts';

const iso = (ms: number | null | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);
const hourMs = 3_600_000;

/** Engagement levels of student_engagement_distribution (the older system's thresholds over the last 7 days). */
export const engagementLevels = [
  { level: 'highly_active', label: 'Highly active', min: 51, max: null },
  { level: 'moderately_active', label: 'Moderately active', min: 10, max: 50 },
  { level: 'low_activity', label: 'Low activity', min: 1, max: 9 },
  { level: 'inactive', label: 'Inactive', min: 0, max: 0 },
] as const;

async function health(deps: Deps) {
  const { reader } = deps;
  const store = await reader.store
    .health()
    .then(() => ({ status: 'healthy' as const }))
    .catch((e: unknown) => ({ status: 'down' as const, error: e instanceof Error ? e.message : String(e) }));
  if (store.status === 'down') {
    const down = {
      status: 'down',
      latest: null,
      age_seconds: null,
      detail: { note: 'view store unreachable' },
    };
    return { status: 'down', time: iso(deps.now()), layers: { store, speed: down, batch: down } };
  }
  const [speed, batch] = await Promise.all([reader.speedHealth(), reader.batchHealth()]);
  const layer = (h: typeof speed) => ({
    status: h.status,
    latest: iso(h.latest),
    age_seconds: h.ageSeconds,
    detail: h.detail,
  });
  const statuses = [speed.status, batch.status];
  return {
    status: statuses.includes('down') ? 'down' : statuses.includes('stale') ? 'stale' : 'healthy',
    time: iso(deps.now()),
    layers: { store, speed: layer(speed), batch: layer(batch) },
    thresholds: reader.thresholds,
  };
}

/**
 * How many students are known: the batch's one-row count (known_student_count), or, until the batch first
 * wrote it, the length of student_overview (a background scan, served stale while refreshed).
 */
async function knownStudents(reader: ServingReader): Promise<number | null> {
  const table = reader.table(sources.knownStudents);
  const [row] = table ? await reader.partition(table, { scope: 'all' }) : [];
  if (typeof row?.['student_count'] === 'number') return row['student_count'];
  return (await reader.scanAll(sources.studentOverview))?.length ?? null;
}

export const overviewRoutes = [
  route({
    path: '/api/v1/health',
    summary:
      'Health of each layer from real data: speed by the age of its newest window, batch by its watermark age.',
    tag: 'layers',
    params: {},
    handler: async (_q, _input, deps) => {
      return health(deps);
    },
  }),
  route({
    path: '/api/v1/summary',
    summary: 'Dashboard KPIs: current active users, active courses (1 h), totals, and layer freshness.',
    tag: 'layers',
    params: {},
    handler: async (_q, _input, deps) => {
      const { reader } = deps;
      const now = deps.now();
      const [current, courses1h, students, courses, speed, batch, watermark] = await Promise.all([
        reader.currentActiveUsers(),
        reader.speedTotals(
          sources.coursePopularity.speed,
          now - hourMs,
          now + 1,
          sources.coursePopularity.grain,
        ),
        knownStudents(reader),
        reader.scanAll(sources.courseOverview),
        reader.speedHealth(),
        reader.batchHealth(),
        reader.watermark(sources.dailyActiveUsers.batch),
      ]);
      return {
        time: iso(now),
        current_active_users: current?.active_users ?? 0,
        active_users_window: current
          ? { start: iso(current.window_start), end: iso(current.window_end) }
          : null,
        active_courses_1h: [...courses1h.totals.values()].filter((t) => (t.metrics['interactions'] ?? 0) > 0)
          .length,
        total_students: students,
        total_courses: courses?.length ?? null,
        speed_layer: {
          status: speed.status,
          latest_window: iso(speed.latest),
          age_seconds: speed.ageSeconds,
        },
        batch_layer: {
          status: batch.status,
          watermark: iso(watermark ?? null),
          oldest_watermark: iso(batch.latest),
        },
      };
    },
  }),
  route({
    path: '/api/v1/daily-active-users',
    summary:
      'Distinct users per local day, merged: batch days before the watermark, the live per-day speed view from it on (each day from exactly one layer).',
    tag: 'merged',
    params: {
      from: { kind: 'date', doc: 'first local date (default: 13 days before `to`)' },
      to: { kind: 'date', doc: 'last local date (default: today)' },
    },
    handler: async (q, _input, deps) => {
      const range = dateRange(q.from, q.to, deps.reader.calendar.date(deps.now()), 14, 366);
      const result = await deps.reader.dailyActiveUsers(range.from, range.to);
      return {
        ...range,
        watermark: iso(result.watermark),
        days: result.days,
        ...(result.missing.length > 0 ? { missing_views: result.missing } : {}),
      };
    },
  }),
  route({
    path: '/api/v1/engagement-distribution',
    summary:
      'Students by engagement level over the 7 days ending at the last batch date (student_engagement_distribution: interactions = videos watched + assignments submitted + logins; highly_active > 50, moderately_active 10-50, low_activity 1-9, inactive 0 = known students minus those counted).',
    tag: 'students',
    params: {
      date: { kind: 'date', doc: 'local date the 7 days end at (default: the last date the batch computed)' },
    },
    handler: async (q, _input, deps) => {
      const table = deps.reader.table(sources.engagement);
      const watermark = await deps.reader.watermark(sources.engagement);
      const date =
        q.date ?? (watermark === undefined ? undefined : addDays(deps.reader.calendar.date(watermark), -1));
      const rows = table && date ? await deps.reader.partition(table, { date }) : [];
      const counted = new Map(rows.map((r) => [r['engagement_level'], Number(r['student_count'] ?? 0)]));
      const active = [...counted.values()].reduce((a, b) => a + b, 0);
      // Inactive students have no row: every known student (student_overview, cached) minus the active ones.
      const known = (await knownStudents(deps.reader)) ?? active;
      const total = Math.max(known, active);
      const count = (level: string) => (level === 'inactive' ? total - active : (counted.get(level) ?? 0));
      const pct = (n: number) => (total === 0 ? 0 : Math.round((n / total) * 10_000) / 100);
      const levels = engagementLevels.map((l) => ({
        level: l.level,
        label: l.label,
        min_interactions: l.min,
        max_interactions: l.max,
        student_count: count(l.level),
        percentage: pct(count(l.level)),
      }));
      return {
        view: sources.engagement,
        date: date ?? null,
        window_days: 7,
        unit: 'students',
        total_students: total,
        active_students: active,
        active_percentage: pct(active),
        activity: 'videos watched + assignments submitted + logins in the 7 local days ending at date',
        levels,
      };
    },
  }),
  route({
    path: '/api/v1/recent-activity',
    summary:
      'Speed-layer totals over the last hours: videos watched, course interactions, submissions, logins, distinct active users.',
    tag: 'speed',
    params: { hours: { kind: 'int', min: 1, max: 24, default: 1, doc: 'look-back in hours' } },
    handler: async (q, _input, deps) => {
      const to = deps.now() + 1;
      const from = to - q.hours * hourMs;
      const { reader } = deps;
      const total = async (view: string, metric: string) => {
        const { totals } = await reader.speedTotals(view, from, to);
        return [...totals.values()][0]?.metrics[metric] ?? 0;
      };
      const [videos, seconds, interactions, submissions, logins, activeUsers] = await Promise.all([
        total(sources.recent.videos, 'views'),
        total(sources.recent.videos, 'watch_seconds'),
        total(sources.recent.courses, 'interactions'),
        total(sources.recent.submissions, 'total_submissions'),
        total(sources.recent.logins, 'login_count'),
        reader.distinctBetween(sources.activeUsers, 'active_users', from, to),
      ]);
      return {
        hours: q.hours,
        from: iso(from),
        to: iso(to),
        videos_watched: videos,
        watch_seconds: seconds,
        course_interactions: interactions,
        assignments_submitted: submissions,
        logins,
        active_users: activeUsers,
      };
    },
  }),
  route({
    path: '/api/v1/course-popularity',
    summary:
      'Interactions per course over local dates, merged: batch per-day totals before the watermark + speed windows after.',
    tag: 'merged',
    params: {
      from: { kind: 'date', doc: 'first local date (default: 6 days before `to`)' },
      to: { kind: 'date', doc: 'last local date (default: today)' },
      limit: { kind: 'int', min: 1, max: 100, default: 10, doc: 'number of courses' },
    },
    handler: async (q, _input, deps) => {
      const range = dateRange(q.from, q.to, deps.reader.calendar.date(deps.now()), 7, 92);
      const r = await deps.reader.mergedTotals(sources.coursePopularity, range.from, range.to, q.limit);
      return {
        ...range,
        watermark: iso(r.watermark),
        batch_days: r.batchDays,
        speed_days: r.speedDays,
        courses: r.top.map((t) => ({ ...t.keys, ...t.metrics, batch: t.batch, speed: t.speed })),
        ...(r.missing.length > 0 ? { missing_views: r.missing } : {}),
      };
    },
  }),
  route({
    path: '/api/v1/video-engagement',
    summary:
      'Views and seconds watched per video over local dates, merged at the watermark like course popularity.',
    tag: 'merged',
    params: {
      from: { kind: 'date', doc: 'first local date (default: 6 days before `to`)' },
      to: { kind: 'date', doc: 'last local date (default: today)' },
      limit: { kind: 'int', min: 1, max: 100, default: 10, doc: 'number of videos' },
    },
    handler: async (q, _input, deps) => {
      const range = dateRange(q.from, q.to, deps.reader.calendar.date(deps.now()), 7, 92);
      const r = await deps.reader.mergedTotals(sources.videoEngagement, range.from, range.to, q.limit);
      return {
        ...range,
        watermark: iso(r.watermark),
        batch_days: r.batchDays,
        speed_days: r.speedDays,
        videos: r.top.map((t) => ({ ...t.keys, ...t.metrics, batch: t.batch, speed: t.speed })),
        ...(r.missing.length > 0 ? { missing_views: r.missing } : {}),
      };
    },
  }),
  route({
    path: '/api/v1/realtime/course-popularity',
    summary: 'Speed layer only: interactions per course over the last hours (aggregated before the limit).',
    tag: 'speed',
    params: {
      hours: { kind: 'int', min: 1, max: 72, default: 24, doc: 'look-back in hours' },
      limit: { kind: 'int', min: 1, max: 100, default: 10, doc: 'number of courses' },
    },
    handler: async (q, _input, deps) => {
      const to = deps.now() + 1;
      const { totals } = await deps.reader.speedTotals(
        sources.coursePopularity.speed,
        to - q.hours * hourMs,
        to,
        ['course_id'],
      );
      const top = [...totals.values()]
        .sort(
          (a, b) =>
            (b.metrics['interactions'] ?? 0) - (a.metrics['interactions'] ?? 0) ||
            String(a.keys['course_id']).localeCompare(String(b.keys['course_id'])),
        )
        .slice(0, q.limit);
      return {
        hours: q.hours,
        courses: top.map((t) => ({
          course_id: t.keys['course_id'],
          interactions: t.metrics['interactions'],
        })),
      };
    },
  }),
  route({
    path: '/api/v1/realtime/videos',
    summary:
      'Speed layer only: views and seconds watched per video over the last hours, top by views, with the latest window seen.',
    tag: 'speed',
    params: {
      hours: { kind: 'int', min: 1, max: 72, default: 1, doc: 'look-back in hours' },
      limit: { kind: 'int', min: 1, max: 100, default: 20, doc: 'number of videos' },
    },
    handler: async (q, _input, deps) => {
      const to = deps.now() + 1;
      const { rows, totals } = await deps.reader.speedTotals(
        sources.videoEngagement.speed,
        to - q.hours * hourMs,
        to,
        ['video_id'],
      );
      const latest = new Map(rows.map((r) => [String(r['video_id']), r['last_window_start'] as number]));
      const size = 60_000;
      const top = [...totals.values()]
        .sort(
          (a, b) =>
            (b.metrics['views'] ?? 0) - (a.metrics['views'] ?? 0) ||
            String(a.keys['video_id']).localeCompare(String(b.keys['video_id'])),
        )
        .slice(0, q.limit);
      return {
        hours: q.hours,
        videos: top.map((t) => ({
          video_id: t.keys['video_id'],
          views: t.metrics['views'] ?? 0,
          watch_seconds: t.metrics['watch_seconds'] ?? 0,
          last_window_end: iso((latest.get(String(t.keys['video_id'])) ?? 0) + size),
        })),
      };
    },
  }),
  route({
    path: '/api/v1/active-users',
    summary:
      'Distinct active users per minute over the last hours (disjoint 1-minute windows of the sliding view).',
    tag: 'speed',
    params: { hours: { kind: 'int', min: 1, max: 24, default: 6, doc: 'look-back in hours' } },
    handler: async (q, _input, deps) => {
      const now = deps.now();
      const series = await deps.reader.activeUsersSeries(now - q.hours * hourMs, now + 1);
      const values = series.map((p) => p.active_users);
      return {
        hours: q.hours,
        peak: values.length > 0 ? Math.max(...values) : 0,
        mean:
          values.length > 0 ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100 : 0,
        points: series.map((p) => ({
          time: iso(p.window_start),
          active_users: p.active_users,
          source: 'speed',
        })),
      };
    },
  }),
  route({
    path: '/api/v1/active-users/latest',
    summary: 'Active users of the newest window holding data (not an arbitrary row), with its age.',
    tag: 'speed',
    params: {},
    handler: async (_q, _input, deps) => {
      const now = deps.now();
      const current = await deps.reader.currentActiveUsers();
      if (!current) return { active_users: 0, window_start: null, window_end: null, age_seconds: null };
      return withoutPii({
        active_users: current.active_users,
        window_start: iso(current.window_start),
        window_end: iso(current.window_end),
        age_seconds: Math.max(0, Math.round((now - current.window_start) / 1000)),
      });
    },
  }),
];
