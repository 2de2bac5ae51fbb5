import type { EventTypeName } from '../../events/typed.ts';
import { count, countDistinct } from '../../views/aggregates.ts';
import { defineSpeedView, key } from '../../views/define.ts';

/** Click rate = clicked / sent, derived by readers (both counts are exact). */
export const notificationClickRate = defineSpeedView<EventTypeName<'notification'>>({
  name: 'notification_realtime_click_rate_5min',
  doc: 'Per 5 minutes and notification type: notifications sent, opened and clicked, and distinct recipients.',
  sources: ['notification'],
  window: { size: 300, slide: 300 },
  keys: { notification_type: key.text((e) => e.data.notification_type) },
  metrics: {
    sent: count({ where: (e) => e.eventType === 'NOTIFICATION_SENT' }),
    opened: count({ where: (e) => e.eventType === 'NOTIFICATION_OPENED' }),
    clicked: count({ where: (e) => e.eventType === 'NOTIFICATION_CLICKED' }),
    unique_users: countDistinct((e) => e.data.user_id),
  },
});
