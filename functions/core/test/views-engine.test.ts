import { readFileSync } from 'node:fs';
import { serialize } from 'node:v8';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeStates, encodeStates } from '../src/batch/state.ts';
import { activeUsers } from '../src/categories/auth/speed-views.ts';
import { authDailyActiveUsers } from '../src/categories/auth/views.ts';
import {
  videoDropOffIndicators,
  videoPopularity,
  videoStudentCourseSummary,
  videoStudentEngagement,
} from '../src/categories/video/batch-views.ts';
import {
  addInput,
  cassandraSchema,
  finishRows,
  type LmsEvent,
  localCalendar,
  mergeAggregation,
  newAggregation,
  speedFacts,
} from '../src/index.ts';
import { count } from '../src/views/aggregates.ts';

const context = { calendar: localCalendar('Asia/Ho_Chi_Minh') };
let n = 0;
const login = (
  user: string,
  time: string,
  session = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
): LmsEvent => ({
  id: `10000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  category: 'auth',
  eventType: 'LOGIN',
  time,
  data: { user_id: user, role: 'student', session_id: session },
});

describe('view engine', () => {
  it('buckets days in the analytics time zone (UTC+7), not UTC', () => {
    const agg = newAggregation(authDailyActiveUsers);
    // 16:59 UTC is 23:59 local on the 1st; 17:00 UTC is 00:00 local on the 2nd.
    for (const e of [
      login('a', '2026-11-01T16:59:59.999Z'),
      login('b', '2026-11-01T17:00:00.000Z'),
      login('a', '2026-11-01T01:00:00.000Z'),
    ]) {
      addInput(agg, e, context);
    }
    const rows = finishRows(agg).sort((x, y) => String(x['date']).localeCompare(String(y['date'])));
    expect(rows.map((r) => [r['date'], r['daily_active_users'], r['total_sessions']])).toEqual([
      ['2026-11-01', 1, 2],
      ['2026-11-02', 1, 1],
    ]);
  });

  it('merges saved per-day partials exactly, distinct counts included', () => {
    const day1 = newAggregation(authDailyActiveUsers);
    const day2 = newAggregation(authDailyActiveUsers);
    addInput(day1, login('a', '2026-11-01T03:00:00.000Z', 's1'.padEnd(36, '0')), context);
    addInput(day2, login('a', '2026-11-01T04:00:00.000Z', 's2'.padEnd(36, '0')), context);
    addInput(day2, login('b', '2026-11-01T05:00:00.000Z', 's1'.padEnd(36, '0')), context);
    const merged = decodeStates(authDailyActiveUsers, encodeStates(day1)).aggregation;
    mergeAggregation(merged, day2);
    expect(finishRows(merged)).toEqual([
      { date: '2026-11-01', daily_active_users: 2, total_sessions: 2, student_logins: 3 },
    ]);
  });

  it('refuses stored states built for another shape of the view, or by the older engine', () => {
    const day = newAggregation(authDailyActiveUsers);
    addInput(day, login('a', '2026-11-01T03:00:00.000Z'), context);
    const changed = { ...authDailyActiveUsers, metrics: { ...authDailyActiveUsers.metrics, extra: count() } };
    expect(() => decodeStates(changed, encodeStates(day))).toThrow(
      /built for other columns \(date, daily_active_users:count_distinct, .*\), not for its current ones .*extra:count.*delete state\/auth_daily_active_users\//,
    );
    const older = gzipSync(serialize({ groups: [] }));
    expect(() => decodeStates(authDailyActiveUsers, older)).toThrow(/built by an older batch engine/);
  });

  it('finishes a projection from its source as it would compute the projection on its own', () => {
    const watches: LmsEvent[] = [];
    for (let i = 0; i < 60; i++) {
      watches.push({
        id: `20000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        category: 'video',
        eventType: 'VIDEO_WATCHED',
        time: `2026-11-0${1 + (i % 3)}T0${i % 10}:00:00.000Z`,
        data: {
          user_id: `u${i % 7}`,
          role: i % 11 === 0 ? 'teacher' : 'student',
          course_id: `c${i % 2}`,
          video_id: `v${i % 5}`,
          watch_duration_seconds: 30 + ((i * 37) % 300),
          video_duration_seconds: 300,
        },
      });
    }
    const lookup = () => ({ total_videos_in_course: 5 });
    for (const [source, projection] of [
      [videoStudentEngagement, videoStudentCourseSummary],
      [videoPopularity, videoDropOffIndicators],
    ] as const) {
      const computed = newAggregation(source);
      const direct = newAggregation(projection);
      for (const e of watches) {
        addInput(computed, e, context);
        addInput(direct, e, context);
      }
      const expected = finishRows(direct, { lookup });
      expect(expected.length).toBeGreaterThan(5);
      expect(finishRows(computed, { lookup, as: projection })).toEqual(expected);
      expect(() => finishRows(direct, { as: source })).toThrow(/is not a projection of/);
    }
  });

  it('puts a login into the two sliding windows that contain it, member = user', () => {
    const facts = speedFacts(activeUsers, login('a', '2026-11-01T03:00:45.000Z'), context);
    expect(facts.map((f) => [new Date(f['window_start'] as number).toISOString(), f['member']])).toEqual([
      ['2026-11-01T03:00:00.000Z', 'a'],
      ['2026-11-01T03:00:30.000Z', 'a'],
    ]);
  });
});

describe('cassandra/schema.cql', () => {
  it('is exactly what the view declarations generate (run `npm run schema` after changing a view)', () => {
    expect(readFileSync('cassandra/schema.cql', 'utf8')).toBe(cassandraSchema('lms_analytics'));
  });
});
