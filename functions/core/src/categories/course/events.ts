import { z } from 'zod';
import { defineCategory, field } from '../../events/define.ts';

export const courseEvents = defineCategory('course', {
  COURSE_CREATED: {
    roles: ['teacher'],
    description: 'A teacher creates a course (once per course).',
    fields: {
      course_id: field.courseId,
      course_name: z.string().min(1).max(200),
      course_code: z.string().min(1).max(32),
      semester: z.string().min(1).max(32),
      max_students: z.number().int().positive(),
    },
  },
  COURSE_DELETED: {
    roles: ['teacher'],
    description: 'A teacher deletes a course they own.',
    fields: { course_id: field.courseId },
  },
  COURSE_VIEW: {
    roles: ['student', 'teacher'],
    description: 'A user opens a course page.',
    fields: { course_id: field.courseId },
  },
  ITEM_CLICK: {
    roles: ['student'],
    description: 'A student clicks an item of a course.',
    fields: {
      course_id: field.courseId,
      item_id: field.id,
      item_type: z.enum(['lesson', 'module', 'quiz', 'assignment', 'discussion']),
    },
  },
  DOWNLOAD_MATERIAL: {
    roles: ['student'],
    description: 'A student downloads a material of a course.',
    fields: {
      course_id: field.courseId,
      material_id: field.id,
      material_type: z.enum(['slides', 'pdf', 'notes', 'dataset', 'code']),
    },
  },
  COURSE_ENROLLED: {
    roles: ['student'],
    description: 'A student enrols in a course.',
    fields: { course_id: field.courseId },
  },
  COURSE_DROPPED: {
    roles: ['student'],
    description: 'A student drops a course they were enrolled in.',
    fields: { course_id: field.courseId },
  },
});
