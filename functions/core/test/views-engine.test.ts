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
import { type EventNamed, isEvent } from '../src/events/typed.ts';
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
import { avg, count, max, min, sum } from '../src/views/aggregates.ts';
import { defineBatchView, key } from '../src/views/define.ts';

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

describe('absent values (optional fields: unknown, not zero)', () => {
  const quizCounts = defineBatchView<'QUIZ_COMPLETED'>({
    name: 'quiz_counts_test',
    job: 'assessment',
    doc: 'test',
    sources: ['assessment'],
    where: (e): e is EventNamed<'QUIZ_COMPLETED'> => isEvent('QUIZ_COMPLETED')(e),
    period: 'all',
    keys: { user_id: key.text((e) => e.data.user_id) },
    partitionKey: ['user_id'],
    metrics: {
      quizzes: count(),
      avg_correct: avg((e) => e.data.correct_answers),
      sum_correct: sum((e) => e.data.correct_answers),
      min_correct: min((e) => e.data.correct_answers),
      max_correct: max((e) => e.data.correct_answers),
    },
  });
  const quiz = (user: string, correct: number | null | undefined): LmsEvent => ({
    id: `20000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    category: 'assessment',
    eventType: 'QUIZ_COMPLETED',
    time: '2026-11-01T03:00:00.000Z',
    data: {
      user_id: user,
      role: 'student',
      quiz_id: 'Q1',
      course_id: 'C1',
      score: 1,
      max_score: 2,
      ...(correct === undefined ? {} : { correct_answers: correct }),
    },
  });

  it('avg, sum, min and max skip undefined and null inputs, in one pass and across merged partials', () => {
    const day1 = newAggregation(quizCounts);
    const day2 = newAggregation(quizCounts);
    for (const e of [quiz('a', 4), quiz('a', undefined), quiz('b', undefined)]) addInput(day1, e, context);
    for (const e of [quiz('a', null), quiz('a', 8), quiz('b', null)]) addInput(day2, e, context);
    const merged = decodeStates(quizCounts, encodeStates(day1)).aggregation;
    mergeAggregation(merged, day2);
    const byUser = Object.fromEntries(finishRows(merged).map((row) => [row['user_id'], row]));
    // a: 4 and 8 known among 4 quizzes; b: none known.
    expect(byUser['a']).toEqual({
      user_id: 'a',
      quizzes: 4,
      avg_correct: 6,
      sum_correct: 12,
      min_correct: 4,
      max_correct: 8,
    });
    expect(byUser['b']).toEqual({
      user_id: 'b',
      quizzes: 2,
      avg_correct: null,
      sum_correct: 0,
      min_correct: null,
      max_correct: null,
    });
  });
});

describe('cassandra/schema.cql', () => {
  it('is exactly what the view declarations generate (run `npm run schema` after changing a view)', () => {
    expect(readFileSync('cassandra/schema.cql', 'utf8')).toBe(cassandraSchema('lms_analytics'));
  });
});
