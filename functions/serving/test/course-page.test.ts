// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
/**
 * The course page's per-course routes, over rows the batch computes from events: submission timeliness
 * (GET /api/v1/courses/{id}/timeliness), daily active learners (/active-learners: distinct students, not
 * the sum over activity types) and video drop-off by course (/videos). Neighbouring courses share each day's
 * partition, so a read that took the wrong row would show their numbers.
 */
import { batchWatermarks, type LmsEvent, localCalendar } from '@ula/core';
import { openSqliteViewStore } from '@ula/core/adapters/sqlite';
import type { ViewStore } from '@ula/core/adapters/view-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeBatchViews } from './fixture.ts';
import { servingApp } from './serving-app.ts';

const calendar = localCalendar('Asia/Ho_Chi_Minh');
let seq = 0;
/** An event at `hour`:seq UTC of `day` (UTC+7: the local date is `day` for hours 0-16). */
const ev = (day: string, hour: number, category: string, eventType: string, user: string, data: object) =>
  ({
    id: `0190f000-0000-7000-8000-${String(++seq).padStart(12, '0')}`,
    category,
    eventType,
    time: new Date(Date.parse(`${day}T00:00:00Z`) + hour * 3_600_000 + seq * 1000).toISOString(),
    data: { user_id: user, role: user.startsWith('T') ? 'teacher' : 'student', ...data },
  }) as unknown as LmsEvent;
const submit = (day: string, user: string, course: string, due?: string) =>
  ev(day, 3, 'assessment', 'SUBMIT_ASSIGNMENT', user, {
    course_id: course,
    assignment_id: 'A1',
    ...(due ? { due_date: due, assignment_type: 'homework' } : {}),
  });
const watch = (day: string, user: string, course: string, video: string, watched: number) =>
  ev(day, 4, 'video', 'VIDEO_WATCHED', user, {
    course_id: course,
    video_id: video,
    watch_duration_seconds: watched,
    video_duration_seconds: 100,
    session_id: `0190f000-0000-7000-9000-${String(seq).padStart(12, '0')}`,
  });
const download = (day: string, user: string, course: string) =>
  ev(day, 5, 'course', 'DOWNLOAD_MATERIAL', user, {
    course_id: course,
    material_id: 'M1',
    material_type: 'pdf',
  });

// C1 on 03-02 and 03-04 only; C0 and C2, its neighbours in every day partition, on 03-03 too.
const events = [
  ...['C0', 'C1', 'C2'].map((c) => ev('2026-03-01', 2, 'course', 'COURSE_ENROLLED', 'S1', { course_id: c })),
  submit('2026-03-02', 'S1', 'C1', '2026-03-05T00:00:00Z'), // on time
  submit('2026-03-02', 'S2', 'C1', '2026-03-01T00:00:00Z'), // late
  submit('2026-03-02', 'S2', 'C1'), // no due date (a plain xAPI submission)
  submit('2026-03-04', 'S3', 'C1', '2026-03-03T00:00:00Z'), // late
  submit('2026-03-03', 'S9', 'C2', '2026-03-01T00:00:00Z'),
  submit('2026-03-03', 'S9', 'C0'),
  watch('2026-03-02', 'S1', 'C1', 'V1', 30),
  watch('2026-03-02', 'S1', 'C1', 'V2', 90),
  watch('2026-03-04', 'S4', 'C1', 'V1', 40),
  watch('2026-03-03', 'S9', 'C2', 'V9', 10),
  download('2026-03-02', 'S3', 'C1'),
  download('2026-03-02', 'T1', 'C1'), // a teacher: not a learner
  download('2026-03-03', 'S8', 'C2'),
];

describe("a course page's per-course routes", () => {
  let store: ViewStore;
  let get: ReturnType<typeof servingApp>['get'];

  beforeAll(async () => {
    store = openSqliteViewStore(':memory:');
    await storeBatchViews(store, events, calendar, [
      'course_overview',
      'assessment_course_timeliness',
      'course_daily_active_students',
      'video_course_drop_off',
    ]);
    await store.ensureTables([batchWatermarks]);
    const watermark = calendar.startOfDate('2026-03-05');
    await store.upsert(
      batchWatermarks,
      ['assessment_course_timeliness', 'course_daily_active_students'].map((view_name) => ({
        view_name,
        watermark,
        run_id: 'test',
        updated_at: watermark,
      })),
    );
    get = servingApp(store, calendar).get;
  });
  afterAll(() => store?.close());

  it('timeliness: on time, late and without a due date per day, zeros on the days of other courses', async () => {
    const r = await get('/api/v1/courses/C1/timeliness?days=3');
    expect(r.status).toBe(200);
    const zero = {
      submissions: 0,
      on_time_submissions: 0,
      late_submissions: 0,
      no_due_date_submissions: 0,
      unique_students: 0,
    };
    expect(r.json.days).toEqual([
      {
        date: '2026-03-02',
        submissions: 3,
        on_time_submissions: 1,
        late_submissions: 1,
        no_due_date_submissions: 1,
        unique_students: 2,
      },
      { date: '2026-03-03', ...zero },
      { ...zero, date: '2026-03-04', submissions: 1, late_submissions: 1, unique_students: 1 },
    ]);
    expect(r.json.totals).toEqual({
      submissions: 4,
      on_time_submissions: 1,
      late_submissions: 2,
      no_due_date_submissions: 1,
    });
    expect((await get('/api/v1/courses/C1/timeliness?days=2')).json.days.map((d: any) => d.date)).toEqual([
      '2026-03-03',
      '2026-03-04',
    ]);
  });

  it('active learners: distinct students over every activity, teachers excluded', async () => {
    const r = await get('/api/v1/courses/C1/active-learners?days=3');
    expect(r.status).toBe(200);
    // 03-02: S1 (submit, two videos), S2 (two submits), S3 (download) = 3 students, 6 student events.
    expect(r.json.days).toEqual([
      { date: '2026-03-02', active_students: 3, student_events: 6 },
      { date: '2026-03-03', active_students: 0, student_events: 0 },
      { date: '2026-03-04', active_students: 2, student_events: 2 },
    ]);
    const c2 = await get('/api/v1/courses/C2/active-learners?days=3');
    expect(c2.json.days[1]).toEqual({ date: '2026-03-03', active_students: 2, student_events: 3 });
  });

  it("videos: the course's own, lowest mean completion first, counted by drop-off risk", async () => {
    const r = await get('/api/v1/courses/C1/videos');
    expect(r.status).toBe(200);
    expect(
      r.json.items.map((v: any) => [v.video_id, v.avg_completion_percentage, v.potential_drop_off]),
    ).toEqual([
      ['V1', 35, 'High Risk'],
      ['V2', 90, 'Good Engagement'],
    ]);
    expect(r.json.items[0]).toMatchObject({ total_views: 2, unique_viewers: 2 });
    expect(r.json.drop_off).toEqual({ 'High Risk': 1, 'Good Engagement': 1 });
  });

  it('answers 404 for an unknown course and 400 for days out of range', async () => {
    for (const path of ['timeliness', 'active-learners', 'videos'])
      expect((await get(`/api/v1/courses/NOPE/${path}`)).status).toBe(404);
    expect((await get('/api/v1/courses/C1/timeliness?days=0')).status).toBe(400);
    expect((await get('/api/v1/courses/C1/active-learners?days=93')).status).toBe(400);
  });
});
