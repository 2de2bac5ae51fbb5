import { count, countDistinct } from '../../views/aggregates.ts';
import { defineSpeedView } from '../../views/define.ts';

export const assessmentSubmissionsPerMinute = defineSpeedView<'SUBMIT_ASSIGNMENT'>({
  name: 'assessment_realtime_submissions_1min',
  doc: 'Per minute: assignment submissions, distinct students submitting and distinct assignments submitted.',
  sources: ['assessment'],
  where: (e) => e.eventType === 'SUBMIT_ASSIGNMENT',
  window: { size: 60, slide: 60 },
  keys: {},
  metrics: {
    total_submissions: count(),
    unique_students: countDistinct((e) => e.data.user_id),
    unique_assignments: countDistinct((e) => e.data.assignment_id),
  },
});
