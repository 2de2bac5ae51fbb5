import { type EventNamed, isEvent } from '../../events/typed.ts';
import { count, countDistinct } from '../../views/aggregates.ts';
import { defineBatchView } from '../../views/define.ts';

const isLogin = isEvent('LOGIN');
const sessionOf = (e: EventNamed<'LOGIN'>) => e.data.session_id;

export const authDailyActiveUsers = defineBatchView<'LOGIN'>({
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
