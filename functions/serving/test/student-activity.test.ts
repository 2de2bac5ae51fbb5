// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
/**
 * GET /api/v1/students/{id}/activity: the student's rows of student_activity_history (one partition per
 * student) for each of the last days the batch computed, zeros where the student has no row; neighbours'
 * partitions and a day past the watermark never leak in.
 */
import { batchWatermarks, localCalendar, type Row } from '@ula/core';
import { openSqliteViewStore } from '@ula/core/adapters/sqlite';
import type { ViewStore } from '@ula/core/adapters/view-store';
import { tableNamed } from '@ula/core/views/catalogue';
import { addDays } from '@ula/core/views/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servingApp } from './serving-app.ts';

const calendar = localCalendar('Asia/Ho_Chi_Minh');
const lastDay = '2026-03-10';

describe('student activity route', () => {
  let store: ViewStore;
  let get: ReturnType<typeof servingApp>['get'];
  // S002 is active on every other day; S001 and S003 sit next to it in each partition.
  const activity = (k: number): Row => ({
    interactions: 10 + k,
    videos_watched: k,
    assignments_submitted: 1,
    logins: 9,
  });

  beforeAll(async () => {
    store = openSqliteViewStore(':memory:');
    await store.ensureTables([
      tableNamed('student_activity_history'),
      tableNamed('student_overview'),
      batchWatermarks,
    ]);
    await store.upsert(
      tableNamed('student_overview'),
      ['S001', 'S002', 'S003'].map((student_id) => ({ student_id })),
    );
    const rows: Row[] = [];
    for (let k = 0; k < 10; k++) {
      const date = addDays(lastDay, -k);
      rows.push(
        { date, student_id: 'S001', ...activity(100) },
        { date, student_id: 'S003', ...activity(200) },
      );
      if (k % 2 === 0) rows.push({ date, student_id: 'S002', ...activity(k) });
    }
    // A day the batch is writing (past its watermark) is not served yet.
    rows.push({ date: addDays(lastDay, 1), student_id: 'S002', ...activity(50) });
    await store.upsert(tableNamed('student_activity_history'), rows);
    await store.upsert(batchWatermarks, [
      { view_name: 'student_activity_history', watermark: calendar.startOfDate(addDays(lastDay, 1)) },
    ]);
    get = servingApp(store, calendar).get;
  });
  afterAll(() => store?.close());

  it('gives each day up to the watermark, the own row or zeros', async () => {
    const r = await get('/api/v1/students/S002/activity?days=4');
    expect(r.status).toBe(200);
    expect(r.json.view).toBe('student_activity_history');
    expect(r.json.days.map((d: any) => d.date)).toEqual([3, 2, 1, 0].map((k) => addDays(lastDay, -k)));
    expect(r.json.days).toEqual(
      [3, 2, 1, 0].map((k) => ({
        date: addDays(lastDay, -k),
        ...(k % 2 === 0
          ? activity(k)
          : { interactions: 0, videos_watched: 0, assignments_submitted: 0, logins: 0 }),
      })),
    );
  });

  it('defaults to 14 days, refuses more than 92 and unknown students', async () => {
    expect((await get('/api/v1/students/S001/activity')).json.days).toHaveLength(14);
    expect((await get('/api/v1/students/S001/activity?days=93')).status).toBe(400);
    const unknown = await get('/api/v1/students/S999/activity');
    expect(unknown.status).toBe(404);
    expect(unknown.json.message).toMatch(/S999/);
  });
});
