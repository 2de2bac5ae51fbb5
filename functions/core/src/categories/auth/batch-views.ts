/**
 * Batch views of the auth job (the older system's job 1). `auth_daily_active_users` is declared in ./views.ts
 * next to its speed twin (they are merged at the batch watermark).
 */
import { type EventNamed, type EventTypeName, isEvent } from '../../events/typed.ts';
import { avg, count, countDistinct, earliest, latest, max, min, sum } from '../../views/aggregates.ts';
import type { Row } from '../../views/columns.ts';
import { defineBatchView, defineBatchViewOver, eventMs, key } from '../../views/define.ts';

type Login = EventNamed<'LOGIN'>;
type Logout = EventNamed<'LOGOUT'>;
const isLogin = isEvent('LOGIN');
const isLogout = isEvent('LOGOUT');
const sessionOf = (e: Login | Logout) => e.data.session_id;

export const authHourlyLoginPatterns = defineBatchView<'LOGIN'>({
  name: 'auth_hourly_login_patterns',
  job: 'auth',
  doc: 'Per local date and local hour: LOGIN events.',
  sources: ['auth'],
  where: isLogin,
  period: 'day',
  keys: { hour: key.hour() },
  partitionKey: ['date'],
  metrics: {
    login_count: count({ doc: 'LOGIN events' }),
    unique_users: countDistinct((e) => e.data.user_id, { doc: 'distinct users logging in' }),
  },
});

/**
 * Stage 1 of the session metrics: one row per session id with its LOGIN and LOGOUT instants
 * (LOGIN/LOGOUT pairs matched by session_id; a session may span local midnight).
 */
export const authSessions = defineBatchView<'LOGIN' | 'LOGOUT'>({
  name: 'auth_sessions',
  job: 'auth',
  doc: 'Intermediate: per session id and user, the first LOGIN and the last LOGOUT instant.',
  sources: ['auth'],
  where: (e): e is Login | Logout => isLogin(e) || isLogout(e),
  period: 'all',
  keys: { session_id: key.text(sessionOf), user_id: key.text((e) => e.data.user_id) },
  partitionKey: ['session_id'],
  metrics: {
    login_time: earliest(eventMs, { where: isLogin }),
    logout_time: latest(eventMs, { where: isLogout }),
  },
  intermediate: true,
  // A closed session no longer changes: the state keeps only open and recent sessions.
  settledWhen: (row) => row['login_time'] !== null && row['logout_time'] !== null,
});

type Session = Row & { user_id: string; login_time: number | null; logout_time: number | null };
const durationMinutes = (s: Session) =>
  s.login_time === null || s.logout_time === null ? null : (s.logout_time - s.login_time) / 60_000;

export const authUserSessionMetrics = defineBatchViewOver<Session>()({
  name: 'auth_user_session_metrics',
  job: 'auth',
  doc:
    'Per user: sessions with both a LOGIN and a later LOGOUT (same session_id) and their durations. ' +
    'Orphan LOGOUTs, still-open sessions and pairs whose LOGOUT precedes the LOGIN are not counted.',
  sources: ['auth'],
  from: 'auth_sessions',
  where: (s) => {
    const minutes = durationMinutes(s);
    return minutes !== null && minutes >= 0;
  },
  period: 'all',
  keys: { user_id: key.text((s) => s.user_id) },
  partitionKey: ['user_id'],
  metrics: {
    total_sessions: count({ doc: 'completed sessions' }),
    avg_session_duration_minutes: avg(durationMinutes),
    min_session_duration_minutes: min(durationMinutes),
    max_session_duration_minutes: max(durationMinutes),
    total_time_online_minutes: sum(durationMinutes),
  },
});

export const authUserActivitySummary = defineBatchView<EventTypeName<'auth'>>({
  name: 'auth_user_activity_summary',
  job: 'auth',
  doc: 'Per user and role: logins, logouts, first and last auth activity, distinct sessions.',
  sources: ['auth'],
  period: 'all',
  keys: { user_id: key.text((e) => e.data.user_id), role: key.text((e) => e.data.role) },
  partitionKey: ['user_id'],
  metrics: {
    total_logins: count({ where: isLogin }),
    total_logouts: count({ where: isLogout }),
    first_activity: earliest(eventMs),
    last_activity: latest(eventMs),
    unique_sessions: count({
      where: isLogin,
      doc: 'sessions opened (every LOGIN opens a new session id; counted, not kept as members)',
    }),
  },
});

export const authRegistrationAnalytics = defineBatchView<'SIGNUP'>({
  name: 'auth_registration_analytics',
  job: 'auth',
  doc: 'Per local date, registration source and role: SIGNUP events.',
  sources: ['auth'],
  where: (e): e is EventNamed<'SIGNUP'> => e.eventType === 'SIGNUP',
  period: 'day',
  keys: {
    registration_source: key.text((e) => e.data.registration_source),
    role: key.text((e) => e.data.role),
  },
  partitionKey: ['date'],
  metrics: { new_signups: count({ doc: 'SIGNUP events' }) },
});
