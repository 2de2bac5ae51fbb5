import { count, countDistinct } from '../../views/aggregates.ts';
import { defineSpeedView } from '../../views/define.ts';

export const profileUpdatesPerMinute = defineSpeedView({
  name: 'profile_realtime_updates_1min',
  doc: 'Per minute: profile changes by kind, and distinct users who changed their profile.',
  sources: ['profile'],
  where: (e) => e.eventType !== 'CREATE_PROFILE',
  window: { size: 60, slide: 60 },
  keys: {},
  metrics: {
    total_updates: count(),
    general_updates: count({ where: (e) => e.eventType === 'UPDATE_PROFILE' }),
    avatar_changes: count({ where: (e) => e.eventType === 'PROFILE_PICTURE_UPDATED' }),
    password_changes: count({ where: (e) => e.eventType === 'PASSWORD_CHANGED' }),
    users_updated_profile: countDistinct((e) => e.data.user_id),
  },
});
