import { activeUsers, dailyActiveUsersLive } from '../categories/auth/views.ts';
import type { SpeedViewDefinition } from './define.ts';

/** Every speed view. Adding one = declaring it in its category and listing it here. */
export const speedViews: readonly SpeedViewDefinition[] = [activeUsers, dailyActiveUsersLive];
