import { z } from 'zod';
import { defineCategory, field } from '../../events/define.ts';

const notificationFields = {
  notification_id: field.id,
  notification_type: z.enum([
    'assignment_reminder',
    'grade_posted',
    'course_announcement',
    'deadline_approaching',
    'new_message',
  ]),
  channel: z.enum(['email', 'push', 'sms', 'in_app']),
  related_object_id: field.id,
};

export const notificationEvents = defineCategory('notification', {
  NOTIFICATION_SENT: {
    roles: ['student', 'teacher'],
    description: 'The LMS sends a notification to a user.',
    fields: notificationFields,
  },
  NOTIFICATION_OPENED: {
    roles: ['student', 'teacher'],
    description: 'The recipient opens a notification that was sent to them.',
    fields: notificationFields,
  },
  NOTIFICATION_CLICKED: {
    roles: ['student', 'teacher'],
    description: 'The recipient follows the link of an opened notification.',
    fields: notificationFields,
  },
});
