import type { LmsEvent } from '../../events/envelope.ts';
import { count, countDistinct } from '../../views/aggregates.ts';
import { defineBatchView, defineSpeedView } from '../../views/define.ts';

const isLogin = (e: LmsEvent) => e.eventType === 'LOGIN';
const sessionOf = (e: LmsEvent) => e.data['session_id'] as string;

export const authDailyActiveUsers = defineBatchView({
  name: 'auth_daily_active_users',
  job: 'auth',
  doc: 'Per local date: distinct users who logged in, and sessions opened.',
  sources: ['auth'],
  where: isLogin,
  period: 'day',
  keys: {},
  partitionKey: ['date'],
  metrics: {
    daily_active_users: countDistinct((e) => e.data.user_id, { doc: 'distinct users with a LOGIN' }),
    total_sessions: countDistinct(sessionOf, { doc: 'distinct sessions opened' }),
    student_logins: count({ where: (e) => e.data.role === 'student', doc: 'LOGIN events by students' }),
  },
});

export const activeUsers = defineSpeedView({
  name: 'active_users',
  doc: 'Distinct users logging in, per 1-minute window sliding every 30 s.',
  sources: ['auth'],
  where: isLogin,
  window: { size: 60, slide: 30 },
  keys: {},
  metrics: { active_users: countDistinct((e) => e.data.user_id) },
});

export const dailyActiveUsersLive = defineSpeedView({
  name: 'daily_active_users_live',
  doc: 'Distinct users logging in per local day: merged with auth_daily_active_users at the batch watermark.',
  sources: ['auth'],
  where: isLogin,
  window: { size: 'day', slide: 'day' },
  keys: {},
  metrics: {
    daily_active_users: countDistinct((e) => e.data.user_id),
    total_sessions: countDistinct(sessionOf),
  },
});
