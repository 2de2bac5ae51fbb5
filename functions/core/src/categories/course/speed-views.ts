import { type EventNamed, type EventTypeName, isEvent } from '../../events/typed.ts';
import { count, countDistinct } from '../../views/aggregates.ts';
import { defineSpeedView, key } from '../../views/define.ts';

/** The older system's running view (docs/architecture.md#the-older-system): every event that names a course counts as an interaction with it. */
export const coursePopularity = defineSpeedView<EventTypeName<'assessment' | 'video' | 'course'>>({
  name: 'course_popularity',
  doc: 'Per minute and course: interactions (every assessment, video or course event naming the course).',
  sources: ['assessment', 'video', 'course'],
  window: { size: 60, slide: 60 },
  keys: { course_id: key.text((e) => e.data.course_id) },
  metrics: { interactions: count() },
});

const isEnrolment = isEvent('COURSE_ENROLLED');

export const courseEnrolmentRate = defineSpeedView<'COURSE_ENROLLED' | 'COURSE_DROPPED'>({
  name: 'course_realtime_enrollment_rate',
  doc: 'Per minute and course: enrolments, drops and distinct students enrolling.',
  sources: ['course'],
  where: (e): e is EventNamed<'COURSE_ENROLLED' | 'COURSE_DROPPED'> =>
    e.eventType === 'COURSE_ENROLLED' || e.eventType === 'COURSE_DROPPED',
  window: { size: 60, slide: 60 },
  keys: { course_id: key.text((e) => e.data.course_id) },
  metrics: {
    enrollments: count({ where: isEnrolment }),
    drops: count({ where: (e) => e.eventType === 'COURSE_DROPPED' }),
    unique_students: countDistinct((e) => e.data.user_id, { where: isEnrolment }),
  },
});
