import type { LmsEvent } from '../../events/envelope.ts';
import { isEvent } from '../../events/typed.ts';
import { count, countDistinct } from '../../views/aggregates.ts';
import { defineSpeedView } from '../../views/define.ts';

const isLogin = isEvent('LOGIN');
const userOf = (e: LmsEvent) => e.data.user_id;

/** The older system's running view (docs/architecture.md#the-older-system), now exact: distinct members are stored, not an HLL estimate. */
export const activeUsers = defineSpeedView<'LOGIN'>({
  name: 'active_users',
  doc: 'Distinct users logging in, per 1-minute window sliding every 30 s.',
  sources: ['auth'],
  where: isLogin,
  window: { size: 60, slide: 30 },
  keys: {},
  metrics: { active_users: countDistinct(userOf) },
});

export const dailyActiveUsersLive = defineSpeedView<'LOGIN'>({
  name: 'daily_active_users_live',
  doc: 'Distinct users logging in per local day: merged with auth_daily_active_users at the batch watermark.',
  sources: ['auth'],
  where: isLogin,
  window: { size: 'day', slide: 'day' },
  keys: {},
  metrics: {
    daily_active_users: countDistinct(userOf),
    total_sessions: countDistinct((e) => e.data.session_id),
  },
});

export const authLoginRate = defineSpeedView({
  name: 'auth_realtime_login_rate',
  doc: 'Per minute: logins, logouts and sign-ups, and distinct users who logged in.',
  sources: ['auth'],
  window: { size: 60, slide: 60 },
  keys: {},
  metrics: {
    login_count: count({ where: isLogin }),
    logout_count: count({ where: (e) => e.eventType === 'LOGOUT' }),
    signup_count: count({ where: (e) => e.eventType === 'SIGNUP' }),
    unique_users: countDistinct(userOf, { where: isLogin }),
  },
});
