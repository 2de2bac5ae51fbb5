import { authDailyActiveUsers } from '../categories/auth/views.ts';
import type { BatchViewDefinition } from './define.ts';

/** Every batch view, in job order. Adding a view = declaring it in its category and listing it here. */
export const batchViews: readonly BatchViewDefinition<never>[] = [authDailyActiveUsers];
