// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LmsEvent, localCalendar, openViewStore, type ViewStore } from '@ula/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pii, type Scenario, scenario, seed } from './fixture.ts';
import { type Running, startServing } from './server.ts';

const calendar = localCalendar('Asia/Ho_Chi_Minh');

// ---- the oracle: expected numbers straight from the events, by hand (no serving or view code) ----
const user = (e: LmsEvent) => e.data.user_id as string;
const field = (e: LmsEvent, name: string) => e.data[name as keyof typeof e.data] as unknown;
const distinct = (xs: unknown[]) => new Set(xs).size;
const between = (e: LmsEvent, from: number, to: number) =>
  Date.parse(e.time) >= from && Date.parse(e.time) < to;

export function oracle(s: Scenario) {
  const yesterdayStart = calendar.startOfDate(s.yesterday);
  const logins = s.events.filter((e) => e.eventType === 'LOGIN');
  const recent = s.events.filter((e) => Date.parse(e.time) >= s.recentFrom);
  const courseEvents = s.events.filter(
    (e) => ['assessment', 'video', 'course'].includes(e.category) && field(e, 'course_id'),
  );
  const perCourse = new Map<string, number>();
  for (const e of courseEvents)
    perCourse.set(field(e, 'course_id') as string, (perCourse.get(field(e, 'course_id') as string) ?? 0) + 1);
  const recentVideos = new Map<string, { views: number; watch_seconds: number }>();
  for (const e of recent.filter((x) => x.eventType === 'VIDEO_WATCHED')) {
    const v = recentVideos.get(field(e, 'video_id') as string) ?? { views: 0, watch_seconds: 0 };
    v.views++;
    v.watch_seconds += field(e, 'watch_duration_seconds') as number;
    recentVideos.set(field(e, 'video_id') as string, v);
  }
  const students = new Set(
    s.events.filter((e) => e.data.role === 'student' && e.category !== 'profile').map(user),
  );
  return {
    dau: {
      [s.yesterday]: distinct(logins.filter((e) => between(e, yesterdayStart, s.todayStart)).map(user)),
      [s.today]: distinct(logins.filter((e) => between(e, s.todayStart, Number.POSITIVE_INFINITY)).map(user)),
    },
    sessions: {
      [s.yesterday]: distinct(
        logins.filter((e) => between(e, yesterdayStart, s.todayStart)).map((e) => field(e, 'session_id')),
      ),
      [s.today]: distinct(
        logins.filter((e) => Date.parse(e.time) >= s.todayStart).map((e) => field(e, 'session_id')),
      ),
    },
    recent: {
      videos_watched: recent.filter((e) => e.eventType === 'VIDEO_WATCHED').length,
      watch_seconds: recent
        .filter((e) => e.eventType === 'VIDEO_WATCHED')
        .reduce((a, e) => a + (field(e, 'watch_duration_seconds') as number), 0),
      course_interactions: recent.filter((e) => courseEvents.includes(e)).length,
      assignments_submitted: recent.filter((e) => e.eventType === 'SUBMIT_ASSIGNMENT').length,
      logins: recent.filter((e) => e.eventType === 'LOGIN').length,
      active_users: distinct(recent.filter((e) => e.eventType === 'LOGIN').map(user)),
    },
    coursePopularity: perCourse,
    recentVideos,
    activeCourses1h: distinct(
      recent.filter((e) => courseEvents.includes(e)).map((e) => field(e, 'course_id')),
    ),
    students,
    studentVideos: (id: string) =>
      s.events.filter((e) => e.eventType === 'VIDEO_WATCHED' && user(e) === id).length,
    studentLogins: (id: string) => logins.filter((e) => user(e) === id).length,
    courseVideos: (id: string) =>
      s.events.filter((e) => e.eventType === 'VIDEO_WATCHED' && field(e, 'course_id') === id).length,
    courseSubmissions: (id: string) =>
      s.events.filter((e) => e.eventType === 'SUBMIT_ASSIGNMENT' && field(e, 'course_id') === id).length,
    courses: new Set(courseEvents.map((e) => field(e, 'course_id') as string)),
    lastLogin: logins.at(-1)!,
  };
}

const piiValues = [...Object.values(pii), `new.${pii.email}`, '+84-900-555-0100'];

/** Every GET endpoint with ids of the scenario filled in (for the PII crawl). */
export const crawlPaths = (p: string, today: string) => [
  '/api/v1/health',
  '/api/v1/summary',
  '/api/v1/daily-active-users',
  '/api/v1/engagement-distribution',
  '/api/v1/recent-activity?hours=24',
  '/api/v1/course-popularity',
  '/api/v1/video-engagement',
  '/api/v1/realtime/course-popularity',
  '/api/v1/realtime/videos?hours=48',
  '/api/v1/active-users',
  '/api/v1/active-users/latest',
  '/api/v1/courses',
  `/api/v1/courses/${p}C1`,
  `/api/v1/courses/${p}C1/students`,
  `/api/v1/courses/${p}C1/students?sort=risk`,
  '/api/v1/students',
  `/api/v1/students/${p}u1`,
  `/api/v1/students/${p}u1/courses`,
  `/api/v1/students/${p}u1/activity`,
  `/api/v1/students/${p}u1/courses/${p}C1`,
  '/api/v1/views',
  `/api/v1/views/profile_update_frequency?user_id=${p}u1`,
  `/api/v1/views/profile_field_changes`,
  `/api/v1/views/profile_daily_activity?to=${today}`,
  `/api/v1/views/profile_realtime_updates_1min?minutes=360`,
  '/api/v1/openapi.json',
];

/**
 * The API's behaviour against the view store the environment selects, with the scenario's data seeded
 * into it by `prepare`. Run on SQLite here and on Cassandra in api.int.test.ts.
 */
export function apiBehaviour(
  label: string,
  prepare: () => Promise<{
    env: Record<string, string | undefined>;
    store: ViewStore;
    cleanup(): Promise<void>;
  }>,
  prefix: string,
) {
  describe(`serving API on ${label}`, () => {
    let api: Running;
    let s: Scenario;
    let expected: ReturnType<typeof oracle>;
    let cleanup: () => Promise<void>;
    const p = prefix;

    beforeAll(async () => {
      const prepared = await prepare();
      cleanup = prepared.cleanup;
      s = scenario(calendar, p);
      expected = oracle(s);
      await seed(prepared.store, s, calendar);
      await prepared.store.close();
      api = await startServing({
        ...prepared.env,
        ULA_TIMEZONE: 'Asia/Ho_Chi_Minh',
        ULA_API_TOKEN: undefined,
        ULA_CORS_ORIGINS: undefined,
        ULA_HEALTH_SPEED_STALE_SECONDS: '3600',
        ULA_HEALTH_SPEED_DOWN_SECONDS: '7200',
      });
    });
    afterAll(async () => {
      await api?.close();
      await cleanup?.();
    });

    it("merges daily active users at the watermark: yesterday from batch, today from speed, today's users counted once", async () => {
      const r = await api.get(`/api/v1/daily-active-users?from=${s.yesterday}&to=${s.today}`);
      expect(r.status).toBe(200);
      expect(r.body.watermark).toBe(new Date(s.todayStart).toISOString());
      expect(r.body.days).toEqual([
        {
          date: s.yesterday,
          source: 'batch',
          daily_active_users: expected.dau[s.yesterday],
          total_sessions: expected.sessions[s.yesterday],
        },
        {
          date: s.today,
          source: 'speed',
          daily_active_users: expected.dau[s.today],
          total_sessions: expected.sessions[s.today],
        },
      ]);
      // Both layers hold today's users (the batch row was written from every event): still 3, not 6.
      expect(expected.dau[s.today]).toBe(3);
    });

    it('answers the speed-layer totals of the last hour as the events say', async () => {
      const r = await api.get('/api/v1/recent-activity?hours=1');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject(expected.recent);
      const v = await api.get('/api/v1/realtime/videos?hours=1&limit=10');
      expect(
        Object.fromEntries(
          v.body.videos.map((x: any) => [x.video_id, { views: x.views, watch_seconds: x.watch_seconds }]),
        ),
      ).toEqual(Object.fromEntries(expected.recentVideos));
    });

    it('merges course popularity over both days without counting a day twice', async () => {
      const r = await api.get(`/api/v1/course-popularity?from=${s.yesterday}&to=${s.today}&limit=50`);
      expect(r.status).toBe(200);
      const got = Object.fromEntries(
        r.body.courses
          .filter((c: any) => String(c.course_id).startsWith(p))
          .map((c: any) => [c.course_id, c.interactions]),
      );
      expect(got).toEqual(Object.fromEntries(expected.coursePopularity));
    });

    it('shows the active users of the newest window that holds data, and per-minute counts', async () => {
      const latest = await api.get('/api/v1/active-users/latest');
      const t = Date.parse(expected.lastLogin.time);
      expect(latest.body.active_users).toBe(1);
      expect(Date.parse(latest.body.window_start)).toBeLessThanOrEqual(t);
      expect(Date.parse(latest.body.window_end)).toBeGreaterThan(t);
      const series = await api.get('/api/v1/active-users?hours=1');
      const total = series.body.points.reduce((a: number, x: any) => a + x.active_users, 0);
      expect(total).toBe(expected.recent.logins); // each login in its own minute, in exactly one disjoint window
      expect(series.body.peak).toBe(1);
    });

    it('summarises KPIs and layer health from the data', async () => {
      const r = await api.get('/api/v1/summary');
      expect(r.body.current_active_users).toBe(1);
      expect(r.body.active_courses_1h).toBe(expected.activeCourses1h);
      expect(r.body.speed_layer.status).toBe('healthy');
      expect(r.body.batch_layer.status).toBe('healthy');
      const h = await api.get('/api/v1/health');
      expect(h.body.layers.speed.status).toBe('healthy');
      expect(h.body.layers.batch.status).toBe('healthy');
      expect(h.body.layers.speed.age_seconds).toBeLessThan(3600);
    });

    it('drills down courses and students by id', async () => {
      const student = await api.get(`/api/v1/students/${p}u4`);
      expect(student.status).toBe(200);
      expect(student.body.student.total_videos_watched).toBe(expected.studentVideos(`${p}u4`));
      expect(student.body.student.total_logins).toBe(expected.studentLogins(`${p}u4`));
      const course = await api.get(`/api/v1/courses/${p}C1`);
      expect(course.body.course.total_videos_watched).toBe(expected.courseVideos(`${p}C1`));
      expect(course.body.course.total_assignments_submitted).toBe(expected.courseSubmissions(`${p}C1`));
      const students = await api.get(`/api/v1/courses/${p}C1/students`);
      expect(students.body.items.map((r: any) => r.student_id)).toEqual(
        expect.arrayContaining([`${p}u1`, `${p}u2`]),
      );
      const courses = await api.get(`/api/v1/students/${p}u2/courses`);
      expect(courses.body.items.map((r: any) => r.course_id)).toEqual([`${p}C1`]);
      const detail = await api.get(`/api/v1/students/${p}u2/courses/${p}C1`);
      expect(detail.body.detail.videos_watched).toBe(3);
      expect(detail.body.detail.assignments_submitted).toBe(1);
    });

    it('pages through lists with next_page tokens', async () => {
      const seen: string[] = [];
      let page = '';
      for (let i = 0; i < 20; i++) {
        const r = await api.get(`/api/v1/students?limit=2${page ? `&page=${page}` : ''}`);
        expect(r.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...r.body.items.map((x: any) => x.student_id));
        if (!r.body.next_page) break;
        page = r.body.next_page;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.filter((x) => x.startsWith(p)).sort()).toEqual([...expected.students].sort());
    });

    it('serves any view by partition, with date range, course filter and pagination', async () => {
      const daily = await api.get(
        `/api/v1/views/auth_daily_active_users?from=${s.yesterday}&to=${s.yesterday}`,
      );
      expect(daily.body.items).toHaveLength(1);
      expect(daily.body.items[0].daily_active_users).toBe(expected.dau[s.yesterday]);
      const speed = await api.get(`/api/v1/views/course_popularity?minutes=60&course_id=${p}C2`);
      expect(speed.body.items.reduce((a: number, r: any) => a + r.interactions, 0)).toBe(3);
      const byKey = await api.get(`/api/v1/views/video_total_watch_time?user_id=${p}u4&limit=1`);
      expect(byKey.body.items).toHaveLength(1);
      const list = await api.get('/api/v1/views');
      expect(list.body.views.map((v: any) => v.name)).toEqual(
        expect.arrayContaining(['auth_daily_active_users', 'active_users', 'course_overview']),
      );
    });

    it('answers 404 for unknown ids and views', async () => {
      for (const path of [
        `/api/v1/students/${p}nobody`,
        `/api/v1/courses/${p}nobody`,
        `/api/v1/courses/${p}nobody/students`,
        `/api/v1/students/${p}u2/courses/${p}C2`,
        // An Open edX course key (from xAPI statements) is a valid id: unknown here, not malformed.
        `/api/v1/courses/course-v1:${p}+nobody+2026`,
        '/api/v1/views/no_such_view',
        '/api/v1/nothing',
      ]) {
        const r = await api.get(path);
        expect(r.status, path).toBe(404);
        expect(r.body.error).toBe('not_found');
        expect(r.body.message.length).toBeGreaterThan(5);
      }
    });

    it('rejects bad parameters with 400 and a message naming the problem', async () => {
      const cases: [string, RegExp][] = [
        ['/api/v1/daily-active-users?from=2026-02-30', /from must be a date/],
        ['/api/v1/daily-active-users?from=yesterday', /from must be a date/],
        ['/api/v1/daily-active-users?from=2026-03-02&to=2026-03-01', /after/],
        ['/api/v1/daily-active-users?from=2020-01-01&to=2026-01-01', /at most 366/],
        ['/api/v1/course-popularity?limit=0', /limit must be an integer from 1 to 100/],
        ['/api/v1/course-popularity?limit=ten', /limit must be an integer/],
        ['/api/v1/recent-activity?hours=999', /hours must be an integer from 1 to 24/],
        ['/api/v1/summary?verbose=1', /unknown parameter verbose/],
        ['/api/v1/students?page=not-a-token', /page must be a token/],
        ['/api/v1/students/bad%20id', /studentId must be/],
        ['/api/v1/views/video_total_watch_time', /read by partition: give user_id/],
        ['/api/v1/views/active_users?from=2026-01-01', /takes minutes/],
        ['/api/v1/views/auth_daily_active_users?course_id=C1', /has no course_id column/],
        ['/api/v1/views/course_overview?role=wizard', /role must be one of/],
        ['/api/v1/daily-active-users?from=2026-01-01&from=2026-01-02', /more than once/],
      ];
      for (const [path, message] of cases) {
        const r = await api.get(path);
        expect(r.status, path).toBe(400);
        expect(r.body.error, path).toBe('bad_request');
        expect(r.body.message, path).toMatch(message);
      }
    });

    it('never returns profile PII from any endpoint', async () => {
      for (const path of crawlPaths(p, s.today)) {
        const r = await api.get(path);
        expect(r.status, path).toBe(200);
        for (const value of piiValues) expect(r.text, `${path} leaks ${value}`).not.toContain(value);
        expect(r.text, path).not.toMatch(/"(email|phone_number|full_name|date_of_birth)"\s*:/);
      }
    });

    it('publishes an OpenAPI 3.1 document listing every endpoint', async () => {
      const r = await api.get('/api/v1/openapi.json');
      expect(r.body.openapi).toBe('3.1.0');
      for (const path of [
        '/api/v1/summary',
        '/api/v1/students/{studentId}/courses/{courseId}',
        '/api/v1/views/{view}',
      ])
        expect(Object.keys(r.body.paths)).toContain(path);
    });

    it('serves the dashboard and its assets', async () => {
      const page = await api.get('/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.text).toContain('/assets/app.js');
      expect((await api.get('/assets/app.js')).status).toBe(200);
      expect((await api.get('/dashboard')).status).toBe(200);
    });
  });
}

const runningThisFile = expect.getState().testPath === fileURLToPath(import.meta.url);

if (runningThisFile) {
  let dir: string;
  apiBehaviour(
    'SQLite',
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'ula-serving-'));
      const env = { ULA_DATA_DIR: dir, ULA_CASSANDRA_CONTACT_POINTS: undefined };
      const store = openViewStore({ cassandra: undefined, dataDir: dir });
      const { allTables } = await import('@ula/core');
      await store.ensureTables(allTables);
      return { env, store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
    't',
  );

  describe('bearer token and CORS', () => {
    let api: Running;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'ula-serving-auth-'));
      api = await startServing({
        ULA_DATA_DIR: dir,
        ULA_CASSANDRA_CONTACT_POINTS: undefined,
        ULA_API_TOKEN: 's3cret-token',
        ULA_CORS_ORIGINS: 'https://dash.example.edu, http://localhost:5173',
      });
    });
    afterAll(async () => {
      await api?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('requires the bearer token on every API call', async () => {
      for (const path of [
        '/api/v1/summary',
        '/api/v1/health',
        '/api/v1/openapi.json',
        '/api/v1/students/x',
      ]) {
        const none = await api.get(path);
        expect(none.status, path).toBe(401);
        expect(none.body).toMatchObject({ error: 'unauthorized' });
        expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
        expect((await api.get(path, { authorization: 'Bearer wrong' })).status).toBe(401);
        expect((await api.get(path, { authorization: 's3cret-token' })).status).toBe(401);
      }
      expect((await api.get('/api/v1/summary', { authorization: 'Bearer s3cret-token' })).status).toBe(200);
      // The page itself holds no data; it asks for the token when the API answers 401.
      expect((await api.get('/')).status).toBe(200);
    });

    it('allows only the configured origins', async () => {
      const auth = { authorization: 'Bearer s3cret-token' };
      const allowed = await api.get('/api/v1/summary', { ...auth, origin: 'https://dash.example.edu' });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://dash.example.edu');
      const other = await api.get('/api/v1/summary', { ...auth, origin: 'https://evil.example.com' });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const root = await api.get('/', { origin: 'https://evil.example.com' });
      expect(root.headers.get('access-control-allow-origin') ?? 'null').toBe('null');
      const preflight = await fetch(`${api.url}/api/v1/summary`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    });
  });
}
