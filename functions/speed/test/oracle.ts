/**
 * An independent computation of the speed views for tests: plain loops over the events, written from
 * the views' documented meaning (docs/speed.md), not from the declarations or the engine. Rows are keyed
 * `view|window_start|grain` with metric → number, for comparison with what the store returns.
 */
import type { LmsEvent } from '@ula/core';

export type Expected = Map<string, Record<string, number>>;

const minute = 60_000;
const floorTo = (ms: number, size: number) => Math.floor(ms / size) * size;

/** Start of the local (UTC+7, no DST in Asia/Ho_Chi_Minh) day holding `ms`. */
const localDayStart = (ms: number) => floorTo(ms + 7 * 3_600_000, 86_400_000) - 7 * 3_600_000;

export const rowKey = (view: string, windowStart: number, grain: string[] = []) =>
  [view, new Date(windowStart).toISOString(), ...grain].join('|');

/**
 * Expected rows for every view, counting only the windows `accept(view, windowStart)` lets through
 * (the lateness policy under test), each event id once.
 */
export function expectedViews(
  events: readonly LmsEvent[],
  accept: (view: string, windowStart: number, windowEnd: number) => boolean = () => true,
): Expected {
  const counts = new Map<string, Record<string, number>>();
  const sets = new Map<string, Record<string, Set<string>>>();
  const seen = new Set<string>();
  const bump = (key: string, metric: string, by = 1) => {
    const row = counts.get(key) ?? {};
    row[metric] = (row[metric] ?? 0) + by;
    counts.set(key, row);
  };
  const member = (key: string, metric: string, value: string) => {
    const row = sets.get(key) ?? {};
    const values = row[metric] ?? new Set<string>();
    values.add(value);
    row[metric] = values;
    sets.set(key, row);
    counts.set(key, counts.get(key) ?? {});
  };
  const tumbling = (view: string, ms: number, size: number, grain: string[] = []) => {
    const start = floorTo(ms, size);
    return accept(view, start, start + size) ? rowKey(view, start, grain) : undefined;
  };
  for (const e of events) {
    if (seen.has(e.id)) continue;
    seen.add(e.id);
    const ms = Date.parse(e.time);
    const d = e.data as Record<string, unknown>;
    const user = String(d['user_id']);
    if (e.eventType === 'LOGIN') {
      // active_users: 1-min windows sliding every 30 s; an instant is in two of them.
      for (const start of [floorTo(ms, 30_000), floorTo(ms, 30_000) - 30_000]) {
        if (accept('active_users', start, start + minute))
          member(rowKey('active_users', start), 'active_users', user);
      }
      const day = localDayStart(ms);
      if (accept('daily_active_users_live', day, day + 86_400_000)) {
        const k = rowKey('daily_active_users_live', day);
        member(k, 'daily_active_users', user);
        member(k, 'total_sessions', String(d['session_id']));
      }
    }
    if (e.category === 'auth') {
      const k = tumbling('auth_realtime_login_rate', ms, minute);
      if (k) {
        if (e.eventType === 'LOGIN') {
          bump(k, 'login_count');
          member(k, 'unique_users', user);
        }
        if (e.eventType === 'LOGOUT') bump(k, 'logout_count');
        if (e.eventType === 'SIGNUP') bump(k, 'signup_count');
      }
    }
    if (e.eventType === 'SUBMIT_ASSIGNMENT') {
      const k = tumbling('assessment_realtime_submissions_1min', ms, minute);
      if (k) {
        bump(k, 'total_submissions');
        member(k, 'unique_students', user);
        member(k, 'unique_assignments', String(d['assignment_id']));
      }
    }
    if (e.eventType === 'VIDEO_WATCHED') {
      const k = tumbling('video_engagement', ms, minute, [String(d['video_id'])]);
      if (k) {
        bump(k, 'views');
        member(k, 'unique_viewers', user);
        bump(k, 'watch_seconds', Number(d['watch_duration_seconds']));
      }
    }
    if (['assessment', 'video', 'course'].includes(e.category) && typeof d['course_id'] === 'string') {
      const k = tumbling('course_popularity', ms, minute, [d['course_id']]);
      if (k) bump(k, 'interactions');
    }
    if (e.eventType === 'COURSE_ENROLLED' || e.eventType === 'COURSE_DROPPED') {
      const k = tumbling('course_realtime_enrollment_rate', ms, minute, [String(d['course_id'])]);
      if (k) {
        if (e.eventType === 'COURSE_ENROLLED') {
          bump(k, 'enrollments');
          member(k, 'unique_students', user);
        } else bump(k, 'drops');
      }
    }
    if (e.category === 'profile' && e.eventType !== 'CREATE_PROFILE') {
      const k = tumbling('profile_realtime_updates_1min', ms, minute);
      if (k) {
        bump(k, 'total_updates');
        if (e.eventType === 'UPDATE_PROFILE') bump(k, 'general_updates');
        if (e.eventType === 'PROFILE_PICTURE_UPDATED') bump(k, 'avatar_changes');
        if (e.eventType === 'PASSWORD_CHANGED') bump(k, 'password_changes');
        member(k, 'users_updated_profile', user);
      }
    }
    if (e.category === 'notification') {
      const k = tumbling('notification_realtime_click_rate_5min', ms, 5 * minute, [
        String(d['notification_type']),
      ]);
      if (k) {
        const metric = {
          NOTIFICATION_SENT: 'sent',
          NOTIFICATION_OPENED: 'opened',
          NOTIFICATION_CLICKED: 'clicked',
        }[e.eventType];
        if (metric) bump(k, metric);
        member(k, 'unique_users', user);
      }
    }
  }
  for (const [key, metrics] of sets) {
    const row = counts.get(key) ?? {};
    for (const [metric, values] of Object.entries(metrics)) row[metric] = values.size;
    counts.set(key, row);
  }
  return counts;
}

/** The same shape from stored rows: `speedRows` output per view (zero metrics dropped, as the oracle has none). */
export function actualViews(
  rowsByView: Map<string, Record<string, unknown>[]>,
  grainOf: (view: string) => string[],
) {
  const out: Expected = new Map();
  for (const [view, rows] of rowsByView) {
    for (const row of rows) {
      const metrics: Record<string, number> = {};
      const grain = grainOf(view);
      for (const [name, value] of Object.entries(row)) {
        if (name === 'window_start' || grain.includes(name)) continue;
        if (typeof value === 'number' && value !== 0) metrics[name] = value;
      }
      out.set(
        rowKey(
          view,
          row['window_start'] as number,
          grain.map((g) => String(row[g])),
        ),
        metrics,
      );
    }
  }
  return out;
}

/** Windows the oracle expects, per view (to know which partitions to read back). */
export function windowsOf(expected: Expected): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const key of expected.keys()) {
    const [view, start] = key.split('|') as [string, string];
    const set = out.get(view) ?? new Set<number>();
    set.add(Date.parse(start));
    out.set(view, set);
  }
  return out;
}
