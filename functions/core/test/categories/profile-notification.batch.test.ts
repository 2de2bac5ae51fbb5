import { describe, expect, it } from 'vitest';
import { at, computeViews, ev } from '../batch-support.ts';

const range = { from: '2026-03-01', to: '2026-03-03' };
const notification = (type: string, user: string, kind: string, time: string) =>
  ev(type, time, user, {
    notification_id: 'NOTIF1',
    notification_type: kind,
    channel: 'email',
    related_object_id: 'COURSE001',
  });

describe('profile and notification batch views (given events → expected rows)', () => {
  it('profile_field_changes counts each element of updated_fields; avatars come from PROFILE_PICTURE_UPDATED', async () => {
    const events = [
      ev('UPDATE_PROFILE', '2026-03-02T08:00', 'SV001', { updated_fields: ['email', 'phone_number'] }),
      ev('UPDATE_PROFILE', '2026-03-02T09:00', 'SV002', { updated_fields: ['email'] }),
      ev('PROFILE_PICTURE_UPDATED', '2026-03-02T10:00', 'SV001', {
        picture_url: 's3://profiles/SV001_avatar.jpg',
      }),
    ];
    const rows = await computeViews(
      'profile_notification',
      events,
      ['profile_field_changes', 'profile_avatar_changes'],
      range,
    );
    expect(rows['profile_field_changes']).toEqual([
      { field_name: 'email', total_updates: 2, unique_users_updating: 2 },
      { field_name: 'phone_number', total_updates: 1, unique_users_updating: 1 },
    ]);
    expect(rows['profile_avatar_changes']).toEqual([
      {
        user_id: 'SV001',
        avatar_changes_count: 1,
        first_change: at('2026-03-02T10:00'),
        last_change: at('2026-03-02T10:00'),
      },
    ]);
  });

  it('click-through and engagement rates are clicked / sent × 100 with 2 decimals', async () => {
    const events = [
      notification('NOTIFICATION_SENT', 'SV001', 'grade_posted', '2026-03-02T08:00'),
      notification('NOTIFICATION_SENT', 'SV001', 'grade_posted', '2026-03-02T08:01'),
      notification('NOTIFICATION_SENT', 'SV002', 'grade_posted', '2026-03-02T08:02'),
      notification('NOTIFICATION_OPENED', 'SV001', 'grade_posted', '2026-03-02T08:03'),
      notification('NOTIFICATION_CLICKED', 'SV001', 'grade_posted', '2026-03-02T08:04'),
    ];
    const rows = await computeViews(
      'profile_notification',
      events,
      ['notification_click_through_rate', 'notification_user_preferences'],
      range,
    );
    expect(rows['notification_click_through_rate']).toEqual([
      {
        notification_type: 'grade_posted',
        total_sent: 3,
        total_opened: 1,
        total_clicked: 1,
        click_through_rate: 33.33,
      },
    ]);
    expect(rows['notification_user_preferences']).toEqual([
      {
        user_id: 'SV001',
        notification_type: 'grade_posted',
        notifications_received: 2,
        notifications_clicked: 1,
        engagement_rate: 50,
      },
      {
        user_id: 'SV002',
        notification_type: 'grade_posted',
        notifications_received: 1,
        notifications_clicked: 0,
        engagement_rate: 0,
      },
    ]);
  });
});
