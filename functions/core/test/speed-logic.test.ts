import { describe, expect, it } from 'vitest';
import { activeUsers, dailyActiveUsersLive } from '../src/categories/auth/speed-views.ts';
import { videoEngagement } from '../src/categories/video/speed-views.ts';
import {
  coalesceFacts,
  FutureEventError,
  type LmsEvent,
  localCalendar,
  planEvent,
  RecentIds,
  speedViews,
  WrittenMembers,
  windowEnd,
  windowState,
} from '../src/index.ts';

const context = { calendar: localCalendar('Asia/Ho_Chi_Minh') };
const policy = { allowedLatenessMs: 600_000, maxFutureSkewMs: 60_000 };
let n = 0;
const id = () => `20000000-0000-7000-8000-${String(++n).padStart(12, '0')}`;
const login = (user: string, time: string): LmsEvent => ({
  id: id(),
  category: 'auth',
  eventType: 'LOGIN',
  time,
  data: { user_id: user, role: 'student', session_id: '00000000-0000-4000-8000-000000000001' },
});
const watch = (user: string, video: string, time: string, seconds = 60): LmsEvent => ({
  id: id(),
  category: 'video',
  eventType: 'VIDEO_WATCHED',
  time,
  data: {
    user_id: user,
    role: 'student',
    video_id: video,
    course_id: 'COURSE001',
    watch_duration_seconds: seconds,
  },
});

describe('speed windows and lateness', () => {
  it('ends a day window at the next local midnight (UTC+7)', () => {
    const start = context.calendar.startOfDate('2026-11-02');
    expect(new Date(start).toISOString()).toBe('2026-11-01T17:00:00.000Z');
    expect(new Date(windowEnd(dailyActiveUsersLive, start, context)).toISOString()).toBe(
      '2026-11-02T17:00:00.000Z',
    );
    expect(windowEnd(activeUsers, 0, context)).toBe(60_000);
  });

  it('keeps a window open before its end, late up to end + lateness inclusive, then final', () => {
    expect(windowState(1000, 999, policy)).toBe('open');
    expect(windowState(1000, 1000, policy)).toBe('late');
    expect(windowState(1000, 601_000, policy)).toBe('late');
    expect(windowState(1000, 601_001, policy)).toBe('too_late');
  });

  it('plans only the views of the event category, and drops the windows past lateness', () => {
    const now = Date.parse('2026-11-02T03:10:40.000Z');
    const onTime = planEvent(watch('a', 'v1', '2026-11-02T03:10:00.000Z'), speedViews, now, policy, context);
    expect(onTime.status).toBe('on_time');
    expect(onTime.writes.map((w) => w.view.name)).toEqual(['video_engagement', 'course_popularity']);
    expect(onTime.facts).toBe(4);
    // A login 10 min 20 s old: the sliding window 03:00:00-03:01:00 ended 9 min 40 s ago (late), the one
    // starting 02:59:30 ended 10 min 10 s ago (too late); the day window is open.
    const old = planEvent(login('a', '2026-11-02T03:00:20.000Z'), speedViews, now, policy, context);
    expect(old.status).toBe('too_late');
    expect(old.tooLateViews).toEqual(['active_users']);
    expect(old.lateViews).toEqual(['active_users', 'auth_realtime_login_rate']);
    const active = old.writes.find((w) => w.view === activeUsers)!;
    expect(active.rows.map((r) => new Date(r['window_start'] as number).toISOString())).toEqual([
      '2026-11-02T03:00:00.000Z',
    ]);
    expect(old.writes.map((w) => w.view.name)).toContain('daily_active_users_live');
  });

  it('throws FutureEventError beyond the allowed skew only', () => {
    const now = Date.parse('2026-11-02T03:00:00.000Z');
    expect(() =>
      planEvent(watch('a', 'v', '2026-11-02T03:01:00.001Z'), speedViews, now, policy, context),
    ).toThrow(FutureEventError);
    expect(
      planEvent(watch('a', 'v', '2026-11-02T03:01:00.000Z'), speedViews, now, policy, context).status,
    ).toBe('on_time');
  });
});

describe('coalescing facts', () => {
  it('writes one row per primary key: redeliveries and repeated distinct members collapse', () => {
    const now = Date.parse('2026-11-02T03:01:00.000Z');
    const e1 = watch('a', 'v1', '2026-11-02T03:00:10.000Z', 30);
    const e2 = watch('a', 'v1', '2026-11-02T03:00:20.000Z', 60);
    const plans = [e1, e2, e1].map((e) => planEvent(e, [videoEngagement], now, policy, context).writes);
    const [merged] = coalesceFacts(plans);
    // views: 2 events, unique_viewers: 1 member, watch_seconds: 2 events.
    expect(merged!.rows.map((r) => [r['metric'], r['value']]).sort()).toEqual([
      ['unique_viewers', 1],
      ['views', 1],
      ['views', 1],
      ['watch_seconds', 30],
      ['watch_seconds', 60],
    ]);
  });
});

describe('recent ids', () => {
  it('remembers the most recent ids up to its capacity', () => {
    const ids = new RecentIds(2);
    ids.add('a');
    ids.add('b');
    ids.add('c');
    expect([ids.has('a'), ids.has('b'), ids.has('c'), ids.size]).toEqual([false, true, true, 2]);
  });
});

describe('written members', () => {
  it('skips distinct-count facts already stored, never count or sum facts', () => {
    const now = Date.parse('2026-11-02T03:01:00.000Z');
    const plan = (e: LmsEvent) => planEvent(e, [videoEngagement], now, policy, context).writes;
    const written = new WrittenMembers(100);
    const first = written.unwritten(plan(watch('a', 'v1', '2026-11-02T03:00:10.000Z')));
    written.remember(first);
    const second = written.unwritten(plan(watch('a', 'v1', '2026-11-02T03:00:20.000Z')));
    expect(second[0]!.rows.map((r) => r['metric']).sort()).toEqual(['views', 'watch_seconds']);
    // Another video, or the next window, is another row.
    expect(written.unwritten(plan(watch('a', 'v2', '2026-11-02T03:00:20.000Z')))[0]!.rows).toHaveLength(3);
    expect(written.unwritten(plan(watch('a', 'v1', '2026-11-02T03:00:59.999Z')))[0]!.rows).toHaveLength(2);
  });

  it('forgets the oldest windows beyond its capacity', () => {
    const now = Date.parse('2026-11-02T03:10:00.000Z');
    const written = new WrittenMembers(2);
    for (const minute of ['03:00', '03:01', '03:02'])
      written.remember(
        planEvent(watch('a', 'v1', `2026-11-02T${minute}:10.000Z`), [videoEngagement], now, policy, context)
          .writes,
      );
    expect(written.count).toBe(2);
    const again = planEvent(
      watch('a', 'v1', '2026-11-02T03:00:30.000Z'),
      [videoEngagement],
      now,
      policy,
      context,
    ).writes;
    expect(written.unwritten(again)[0]!.rows).toHaveLength(3);
  });
});
