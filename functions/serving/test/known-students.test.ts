// biome-ignore-all lint/suspicious/noExplicitAny: tests read untyped JSON answers
/**
 * The known-student total of the summary and of the engagement distribution (inactive = known − active):
 * the batch's one-row known_student_count when written, else the length of student_overview.
 */
import { allTables, batchWatermarks, localCalendar } from '@ula/core';
import { openSqliteViewStore } from '@ula/core/adapters/sqlite';
import type { ViewStore } from '@ula/core/adapters/view-store';
import { tableNamed } from '@ula/core/views/catalogue';
import { addDays } from '@ula/core/views/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servingApp } from './serving-app.ts';

const calendar = localCalendar('Asia/Ho_Chi_Minh');
const lastDay = '2026-03-10';

describe('known students (summary, engagement distribution)', () => {
  let store: ViewStore;
  let get: ReturnType<typeof servingApp>['get'];
  const inactive = async () =>
    (await get('/api/v1/engagement-distribution')).json.levels.find((l: any) => l.level === 'inactive')
      .student_count;

  beforeAll(async () => {
    store = openSqliteViewStore(':memory:');
    await store.ensureTables([...allTables, batchWatermarks]);
    await store.upsert(
      tableNamed('student_overview'),
      ['S1', 'S2', 'S3', 'S4', 'S5'].map((student_id) => ({ student_id })),
    );
    await store.upsert(tableNamed('student_engagement_distribution'), [
      { date: lastDay, engagement_level: 'low_activity', student_count: 2 },
    ]);
    await store.upsert(batchWatermarks, [
      { view_name: 'student_engagement_distribution', watermark: calendar.startOfDate(addDays(lastDay, 1)) },
    ]);
    get = servingApp(store, calendar).get;
  });
  afterAll(() => store?.close());

  it('counts student_overview until the batch wrote the count', async () => {
    const summary = await get('/api/v1/summary');
    expect(summary.json.total_students, JSON.stringify(summary.json)).toBe(5);
    expect(await inactive()).toBe(3);
  });

  it('reads the one-row count once written (no scan): 30,000 known, 2 active', async () => {
    await store.upsert(tableNamed('known_student_count'), [{ scope: 'all', student_count: 30_000 }]);
    expect((await get('/api/v1/summary')).json.total_students).toBe(30_000);
    expect(await inactive()).toBe(29_998);
  });
});
