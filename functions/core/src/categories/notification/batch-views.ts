/** Batch views of the notification half of the profile_notification job (the older system's job 5). */
import type { LmsEvent } from '../../events/envelope.ts';
import type { EventOf, EventTypeName } from '../../events/typed.ts';
import { count, countDistinct } from '../../views/aggregates.ts';
import {
  type Derived,
  defineBatchView,
  defineBatchViewProjection,
  key,
  percent,
} from '../../views/define.ts';

/** Every notification event type carries the same fields. */
type Notification = EventTypeName<'notification'>;
const isSent = (e: LmsEvent) => e.eventType === 'NOTIFICATION_SENT';
const isOpened = (e: LmsEvent) => e.eventType === 'NOTIFICATION_OPENED';
const isClicked = (e: LmsEvent) => e.eventType === 'NOTIFICATION_CLICKED';
const user = key.text<LmsEvent>((e) => e.data.user_id);
const notificationType = key.text<EventOf<'notification'>>((e) => e.data.notification_type);
const notificationId = (e: EventOf<'notification'>) => e.data.notification_id;
const rate = (part: string, whole: string): Derived => ({
  type: 'double',
  value: (row) => percent(row[part], row[whole]),
  doc: `${part} / ${whole} × 100 (2 decimals; null when ${whole} = 0)`,
});

export const notificationDeliveryStats = defineBatchView<Notification>({
  name: 'notification_delivery_stats',
  job: 'profile_notification',
  doc: 'Per notification type: notifications sent and distinct recipients.',
  sources: ['notification'],
  where: isSent,
  period: 'all',
  keys: { notification_type: notificationType },
  partitionKey: ['notification_type'],
  metrics: {
    total_sent: count(),
    unique_recipients: countDistinct((e) => e.data.user_id),
  },
});

export const notificationClickThroughRate = defineBatchView<Notification>({
  name: 'notification_click_through_rate',
  job: 'profile_notification',
  doc: 'Per notification type: sent, opened, clicked, and clicked / sent × 100.',
  sources: ['notification'],
  period: 'all',
  keys: { notification_type: notificationType },
  partitionKey: ['notification_type'],
  metrics: {
    total_sent: count({ where: isSent }),
    total_opened: count({ where: isOpened }),
    total_clicked: count({ where: isClicked }),
  },
  derived: { click_through_rate: rate('total_clicked', 'total_sent') },
});

export const notificationUserPreferences = defineBatchView<Notification>({
  name: 'notification_user_preferences',
  job: 'profile_notification',
  doc: 'Per user and notification type: received, clicked and clicked / received × 100.',
  sources: ['notification'],
  where: (e) => isSent(e) || isClicked(e),
  period: 'all',
  keys: { user_id: user, notification_type: notificationType },
  partitionKey: ['user_id'],
  metrics: {
    notifications_received: count({ where: isSent }),
    notifications_clicked: count({ where: isClicked }),
  },
  derived: { engagement_rate: rate('notifications_clicked', 'notifications_received') },
});

export const notificationEngagement = defineBatchViewProjection(notificationUserPreferences, {
  name: 'notification_engagement',
  doc: 'Per user and notification type: notifications clicked.',
  partitionKey: ['user_id'],
  metrics: { notifications_clicked: 'notifications_clicked' },
  derived: {},
  having: (row) => typeof row['notifications_clicked'] === 'number' && row['notifications_clicked'] > 0,
});

export const notificationDailyActivity = defineBatchView<Notification>({
  name: 'notification_daily_activity',
  job: 'profile_notification',
  doc: 'Per local date, event type and notification type: distinct users and events.',
  sources: ['notification'],
  period: 'day',
  keys: { event_type: key.text((e) => e.eventType), notification_type: notificationType },
  partitionKey: ['date'],
  metrics: {
    unique_users: countDistinct((e) => e.data.user_id),
    event_count: count({ doc: 'events (count of notification_id)' }),
    unique_notifications: countDistinct(notificationId),
  },
});

export const notificationUserSummary = defineBatchView<Notification>({
  name: 'notification_user_summary',
  job: 'profile_notification',
  doc: 'Per user: notifications received, opened, clicked, and clicked / received × 100.',
  sources: ['notification'],
  period: 'all',
  keys: { user_id: user },
  partitionKey: ['user_id'],
  metrics: {
    total_received: count({ where: isSent }),
    total_opened: count({ where: isOpened }),
    total_clicked: count({ where: isClicked }),
  },
  derived: { overall_engagement_rate: rate('total_clicked', 'total_received') },
});
