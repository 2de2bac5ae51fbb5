import type { LmsEvent } from '../../events/envelope.ts';
import { count, countDistinct } from '../../views/aggregates.ts';
import { defineBatchView } from '../../views/define.ts';

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
