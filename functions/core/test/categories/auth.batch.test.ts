import { describe, expect, it } from 'vitest';
import { at, computeViews, ev, pick } from '../batch-support.ts';

const s1 = '11111111-1111-4111-8111-111111111111';
const s2 = '22222222-2222-4222-8222-222222222222';
const s3 = '33333333-3333-4333-8333-333333333333';
const range = { from: '2026-03-01', to: '2026-03-03' };

describe('auth batch views (given events → expected rows)', () => {
  it('auth_daily_active_users and auth_hourly_login_patterns bucket by local date and hour', async () => {
    const events = [
      ev('LOGIN', '2026-03-01T23:59', 'SV001', { session_id: s1 }),
      ev('LOGIN', '2026-03-02T00:00', 'SV001', { session_id: s2 }),
      ev('LOGIN', '2026-03-02T00:30', 'GV001', { session_id: s3 }),
      ev('LOGOUT', '2026-03-02T01:00', 'GV001', { session_id: s3 }),
    ];
    const rows = await computeViews(
      'auth',
      events,
      ['auth_daily_active_users', 'auth_hourly_login_patterns'],
      range,
    );
    expect(pick(rows['auth_daily_active_users']!, ['date', 'daily_active_users', 'total_sessions'])).toEqual([
      { date: '2026-03-01', daily_active_users: 1, total_sessions: 1 },
      { date: '2026-03-02', daily_active_users: 2, total_sessions: 2 },
    ]);
    expect(pick(rows['auth_hourly_login_patterns']!, ['date', 'hour', 'login_count'])).toEqual([
      { date: '2026-03-01', hour: 23, login_count: 1 },
      { date: '2026-03-02', hour: 0, login_count: 2 },
    ]);
  });

  it('auth_user_session_metrics pairs LOGIN/LOGOUT by session id across midnight, ignoring orphans', async () => {
    const events = [
      ev('LOGIN', '2026-03-01T23:50', 'SV001', { session_id: s1 }),
      ev('LOGOUT', '2026-03-02T00:20', 'SV001', { session_id: s1 }), // 30 min, across local midnight
      ev('LOGIN', '2026-03-02T08:00', 'SV001', { session_id: s2 }),
      ev('LOGOUT', '2026-03-02T09:30', 'SV001', { session_id: s2 }), // 90 min
      ev('LOGOUT', '2026-03-02T10:00', 'SV001', { session_id: s3 }), // orphan logout
      ev('LOGIN', '2026-03-02T11:00', 'SV002', { session_id: '44444444-4444-4444-8444-444444444444' }), // open
    ];
    const rows = await computeViews(
      'auth',
      events,
      ['auth_user_session_metrics', 'auth_user_activity_summary'],
      range,
    );
    expect(rows['auth_user_session_metrics']).toEqual([
      {
        user_id: 'SV001',
        total_sessions: 2,
        avg_session_duration_minutes: 60,
        min_session_duration_minutes: 30,
        max_session_duration_minutes: 90,
        total_time_online_minutes: 120,
      },
    ]);
    expect(rows['auth_user_activity_summary']).toEqual([
      {
        user_id: 'SV001',
        role: 'student',
        total_logins: 2,
        total_logouts: 3,
        first_activity: at('2026-03-01T23:50'),
        last_activity: at('2026-03-02T10:00'),
        unique_sessions: 2,
      },
      {
        user_id: 'SV002',
        role: 'student',
        total_logins: 1,
        total_logouts: 0,
        first_activity: at('2026-03-02T11:00'),
        last_activity: at('2026-03-02T11:00'),
        unique_sessions: 1,
      },
    ]);
  });

  it('auth_registration_analytics counts SIGNUPs per date, source and role', async () => {
    const events = [
      ev('SIGNUP', '2026-03-02T10:00', 'SV001', {
        email: 'sv001@university.edu',
        registration_source: 'web',
      }),
      ev('SIGNUP', '2026-03-02T11:00', 'SV002', {
        email: 'sv002@university.edu',
        registration_source: 'web',
      }),
      ev('SIGNUP', '2026-03-02T12:00', 'GV001', {
        email: 'gv001@university.edu',
        registration_source: 'admin',
      }),
    ];
    const rows = await computeViews('auth', events, ['auth_registration_analytics'], range);
    expect(rows['auth_registration_analytics']).toEqual([
      { date: '2026-03-02', registration_source: 'admin', role: 'teacher', new_signups: 1 },
      { date: '2026-03-02', registration_source: 'web', role: 'student', new_signups: 2 },
    ]);
  });
});
