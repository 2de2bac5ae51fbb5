import { assessmentSubmissionsPerMinute } from '../categories/assessment/speed-views.ts';
import { activeUsers, authLoginRate, dailyActiveUsersLive } from '../categories/auth/speed-views.ts';
import { courseEnrolmentRate, coursePopularity } from '../categories/course/speed-views.ts';
import { notificationClickRate } from '../categories/notification/speed-views.ts';
import { profileUpdatesPerMinute } from '../categories/profile/speed-views.ts';
import { videoEngagement } from '../categories/video/speed-views.ts';
import type { SpeedViewDefinition } from './define.ts';

/** Every speed view. Adding one = declaring it in its category's speed-views.ts and listing it here. */
export const speedViews: readonly SpeedViewDefinition[] = [
  activeUsers,
  dailyActiveUsersLive,
  authLoginRate,
  assessmentSubmissionsPerMinute,
  videoEngagement,
  coursePopularity,
  courseEnrolmentRate,
  profileUpdatesPerMinute,
  notificationClickRate,
];
