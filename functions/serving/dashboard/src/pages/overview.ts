/** Overview: institution KPIs, the real-time (speed) panels, the merged daily panels and both layers' health. */
import { api, type Settled, settle } from '../api.ts';
import { BATCH, chartFigure, SPEED } from '../charts.ts';
import { ago, type Child, card, fmt, h, kpi, note } from '../dom.ts';
import type { PageResult } from './page.ts';

interface Layer {
  status: string;
  age_seconds: number | null;
  latest?: string | number | null;
  detail?: { measure?: string; views?: Record<string, number> };
}
export interface Health {
  layers: { speed: Layer; batch: Layer };
  thresholds?: Record<string, number>;
}
interface Summary {
  current_active_users: number;
  active_users_window?: { start: string; end: string } | null;
  active_courses_1h: number;
  total_students: number;
  total_courses: number;
  speed_layer: { status: string; age_seconds: number | null };
  batch_layer: { status: string; watermark: number | null };
}
interface ActiveUsers {
  points: { time: string; active_users: number }[];
  peak: number;
  mean: number;
}
interface Popularity {
  from: string;
  to: string;
  courses: {
    course_id: string;
    interactions: number;
    batch: { interactions?: number };
    speed: { interactions?: number };
  }[];
}
interface Recent {
  videos_watched: number;
  course_interactions: number;
  assignments_submitted: number;
  logins: number;
  active_users: number;
  watch_seconds: number;
}
interface Engagement {
  levels: { level: string; label?: string; student_count: number }[];
  total_students: number;
  active_percentage: number;
  date?: string;
}
interface Videos {
  videos: { video_id: string; views: number; watch_seconds: number }[];
}
interface Dau {
  days: { date: string; daily_active_users: number; source: string }[];
  watermark: number | null;
}
interface BatchRecent {
  watermark: number | null;
  days: { date: string; videos_watched: number; watch_hours: number; materials_downloaded: number }[];
  totals: { videos_watched: number; materials_downloaded: number; watch_hours: number } | null;
}

const hhmm = (iso: string) =>
  new Date(iso).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });

function panel<T>(title: string, testid: string, r: Settled<T>, body: (v: T) => Child): HTMLElement {
  return card(title, testid, r.ok ? body(r.value) : note(`unavailable: ${r.error.message}`, 'error'));
}

export async function overviewPage(): Promise<PageResult> {
  const [summary, active, popular, recent, engagement, videos, dau, batchRecent, health] = await Promise.all([
    settle(api<Summary>('/api/v1/summary')),
    settle(api<ActiveUsers>('/api/v1/active-users?hours=6')),
    settle(api<Popularity>('/api/v1/course-popularity?limit=10')),
    settle(api<Recent>('/api/v1/recent-activity?hours=1')),
    settle(api<Engagement>('/api/v1/engagement-distribution')),
    settle(api<Videos>('/api/v1/realtime/videos?hours=1&limit=10')),
    settle(api<Dau>('/api/v1/daily-active-users')),
    settle(api<BatchRecent>('/api/v1/batch/recent-activity?days=14')),
    settle(api<Health>('/api/v1/health')),
  ]);
  const kpis = summary.ok
    ? h(
        'div',
        { class: 'kpis' },
        kpi(
          'Current active users',
          fmt(summary.value.current_active_users),
          summary.value.active_users_window
            ? `window ${hhmm(summary.value.active_users_window.start)}–${hhmm(summary.value.active_users_window.end)}`
            : 'no recent window',
          'speed',
          'kpi-active-users',
        ),
        kpi(
          'Active courses (1 h)',
          fmt(summary.value.active_courses_1h),
          'speed layer',
          'speed',
          'kpi-active-courses',
        ),
        kpi('Total students', fmt(summary.value.total_students), 'batch layer', 'batch', 'kpi-students'),
        kpi('Total courses', fmt(summary.value.total_courses), 'batch layer', 'batch', 'kpi-courses'),
        kpi(
          'Speed layer',
          summary.value.speed_layer.status,
          `newest window ${ago(summary.value.speed_layer.age_seconds)}`,
          'speed',
          'kpi-speed-status',
        ),
        kpi(
          'Batch exact up to',
          summary.value.batch_layer.watermark
            ? new Date(summary.value.batch_layer.watermark).toLocaleString('en-GB')
            : 'none',
          `batch ${summary.value.batch_layer.status}`,
          'batch',
          'kpi-batch-watermark',
        ),
      )
    : note(`summary unavailable: ${summary.error.message}`, 'error');

  const activeCard = panel(
    'Active users per minute (last 6 h, speed layer)',
    'chart-active-users',
    active,
    (a) =>
      a.points.length === 0
        ? note('no windows yet')
        : chartFigure({
            name: 'active-users',
            title: 'Active users per minute over the last 6 hours (users)',
            kind: 'line',
            labels: a.points.map((p) => hhmm(p.time)),
            series: [
              { label: 'active users (speed)', values: a.points.map((p) => p.active_users), color: SPEED },
            ],
            xTitle: 'local time',
            yTitle: 'users',
            summary: `${a.points.length} one-minute windows; peak ${fmt(a.peak)} users, mean ${fmt(a.mean)}.`,
          }),
  );
  const popularCard = panel(
    'Top courses by interactions (batch + speed)',
    'chart-top-courses',
    popular,
    (p) =>
      chartFigure({
        name: 'top-courses',
        title: `Interactions per course from ${p.from} to ${p.to} (events), batch and speed parts`,
        kind: 'hbar',
        labels: p.courses.map((c) => c.course_id),
        series: [
          {
            label: 'batch (exact days)',
            values: p.courses.map((c) => c.batch.interactions ?? 0),
            color: BATCH,
            stack: 'a',
          },
          {
            label: 'speed (since the watermark)',
            values: p.courses.map((c) => c.speed.interactions ?? 0),
            color: SPEED,
            stack: 'a',
          },
        ],
        xTitle: 'interactions (events)',
        summary: `${p.from} to ${p.to}: ${p.courses
          .slice(0, 5)
          .map((c) => `${c.course_id} ${fmt(c.interactions)}`)
          .join(', ')}.`,
      }),
  );
  const dauCard = panel('Daily active users (merged)', 'chart-dau', dau, (d) =>
    chartFigure({
      name: 'daily-active-users',
      title: 'Distinct users logging in per local day (users); batch days before the watermark, speed after',
      kind: 'bar',
      labels: d.days.map((x) => x.date.slice(5)),
      series: [
        {
          label: 'batch (exact)',
          values: d.days.map((x) => (x.source === 'batch' ? x.daily_active_users : null)),
          color: BATCH,
          stack: 'a',
        },
        {
          label: 'speed (live)',
          values: d.days.map((x) => (x.source === 'batch' ? null : x.daily_active_users)),
          color: SPEED,
          stack: 'a',
        },
      ],
      xTitle: 'local date (MM-DD)',
      yTitle: 'users',
      summary: d.days.map((x) => `${x.date}: ${fmt(x.daily_active_users)} (${x.source})`).join('; '),
    }),
  );
  const mixCard = panel('Activity mix (last hour, speed layer)', 'chart-activity-mix', recent, (r) => {
    const items: [string, number][] = [
      ['Videos watched', r.videos_watched],
      ['Course interactions', r.course_interactions],
      ['Submissions', r.assignments_submitted],
      ['Logins', r.logins],
      ['Active users', r.active_users],
    ];
    return chartFigure({
      name: 'activity-mix',
      title: 'Events of the last hour by kind (events; active users in users)',
      kind: 'hbar',
      labels: items.map(([k]) => k),
      series: [{ label: 'last hour', values: items.map(([, v]) => v), color: SPEED }],
      xTitle: 'events in the last hour',
      summary: `${items.map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}; ${fmt(Math.round(r.watch_seconds / 60))} min of video watched.`,
    });
  });
  const engagementCard = panel(
    'Student engagement levels (last 7 days)',
    'chart-engagement',
    engagement,
    (e) =>
      chartFigure({
        name: 'engagement',
        title: 'Students by engagement level over the last 7 days (students)',
        kind: 'doughnut',
        labels: e.levels.map((l) => l.label ?? l.level),
        series: [{ label: 'students', values: e.levels.map((l) => l.student_count) }],
        summary: `${fmt(e.total_students)} students; active ${fmt(e.active_percentage)} %. ${e.levels
          .map((l) => `${l.label ?? l.level}: ${fmt(l.student_count)}`)
          .join('; ')}. Interactions = videos watched + submissions + logins in 7 days.`,
      }),
  );
  const videosCard = panel('Top videos (last hour, speed layer)', 'chart-top-videos', videos, (v) =>
    v.videos.length === 0
      ? note('no video views in the last hour')
      : chartFigure({
          name: 'top-videos',
          title: 'Views per video in the last hour (views)',
          kind: 'hbar',
          labels: v.videos.map((x) => x.video_id),
          series: [{ label: 'views (last hour)', values: v.videos.map((x) => x.views), color: SPEED }],
          xTitle: 'views',
          summary: v.videos
            .slice(0, 5)
            .map((x) => `${x.video_id}: ${fmt(x.views)} views, ${fmt(Math.round(x.watch_seconds / 60))} min`)
            .join('; '),
        }),
  );
  const batchCard = panel(
    'Recent activity (batch layer, last 14 days computed)',
    'chart-batch-recent',
    batchRecent,
    (b) =>
      b.days.length === 0
        ? note('the batch has not computed any day yet')
        : chartFigure({
            name: 'batch-recent-activity',
            title: 'Videos watched and materials downloaded per local day, batch layer (events)',
            kind: 'bar',
            labels: b.days.map((d) => d.date.slice(5)),
            series: [
              { label: 'videos watched', values: b.days.map((d) => d.videos_watched), color: BATCH },
              {
                label: 'materials downloaded',
                values: b.days.map((d) => d.materials_downloaded),
                color: '#b45309',
              },
            ],
            xTitle: 'local date (MM-DD)',
            yTitle: 'events',
            summary: b.totals
              ? `In ${b.days.length} days: ${fmt(b.totals.videos_watched)} videos watched (${fmt(b.totals.watch_hours)} h), ${fmt(b.totals.materials_downloaded)} materials downloaded.`
              : '',
          }),
  );
  return {
    title: 'Overview',
    content: [
      kpis,
      h(
        'div',
        { class: 'grid' },
        activeCard,
        engagementCard,
        dauCard,
        mixCard,
        popularCard,
        videosCard,
        batchCard,
        layersCard(health),
      ),
    ],
  };
}

function layersCard(health: Settled<Health>): HTMLElement {
  return panel('Layers', 'layers', health, (v) => {
    const row = (name: string, l: Layer) =>
      h(
        'tr',
        { 'data-id': name },
        h('th', { scope: 'row' }, name),
        h('td', {}, h('span', { class: `badge ${l.status}` }, l.status)),
        h('td', {}, l.latest ? new Date(l.latest).toLocaleString('en-GB') : '–'),
        h('td', { class: 'num' }, ago(l.age_seconds)),
      );
    const t = v.thresholds ?? {};
    return [
      h(
        'div',
        {
          class: 'scroll',
          role: 'region',
          'aria-label': 'Freshness of each layer (scrolls sideways)',
          tabindex: 0,
        },
        h(
          'table',
          {},
          h('caption', {}, 'Freshness of each layer'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['layer', 'status', 'freshest evidence', 'age'].map((c) => h('th', { scope: 'col' }, c)),
            ),
          ),
          h('tbody', {}, row('speed', v.layers.speed), row('batch', v.layers.batch)),
        ),
      ),
      h(
        'p',
        { class: 'caption' },
        `Speed: ${v.layers.speed.detail?.measure ?? ''}; healthy under ${t['speedStaleSeconds'] ?? '?'} s. ` +
          `Batch: ${v.layers.batch.detail?.measure ?? ''}; stale after ${t['batchStaleHours'] ?? '?'} h.`,
      ),
    ];
  });
}
