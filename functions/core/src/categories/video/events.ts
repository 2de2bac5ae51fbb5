import { z } from 'zod';
import { defineCategory, field } from '../../events/define.ts';

export const videoEvents = defineCategory('video', {
  VIDEO_WATCHED: {
    roles: ['student'],
    description: 'A student watched part of a video of an enrolled course in one viewing session.',
    fields: {
      video_id: field.id,
      course_id: field.courseId,
      watch_duration_seconds: field.seconds,
      video_duration_seconds: z.number().int().min(1),
      session_id: field.sessionId,
    },
  },
});
