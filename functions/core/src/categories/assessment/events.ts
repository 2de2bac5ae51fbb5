import { z } from 'zod';
import { defineCategory, field } from '../../events/define.ts';

const assignmentType = z.enum(['homework', 'project', 'essay', 'lab']);
const score = z.number().min(0);

/*
 * Optional fields: the ones a standard xAPI statement of a real LMS (Moodle, Open edX) cannot carry, so that
 * such statements still reach the views (docs/events.md, "Optional fields"). Absent means unknown: views
 * skip it (averages, extremes, on-time counts) or group it under `not_stated` (assignment_type). A field
 * that is present is validated as strictly as ever. The generator always sends all of them.
 */
/** Standard xAPI has no kind of assignment (homework, project…): stated only by the platform's extension. */
const statedAssignmentType = assignmentType.optional();
/** Moodle and Open edX send no due date with a submission or a view. */
const dueDate = field.instant.optional();

export const assessmentEvents = defineCategory('assessment', {
  VIEW_ASSIGNMENT_FIRST_TIME: {
    roles: ['student'],
    description: 'A student opens an assignment of an enrolled course for the first time.',
    fields: {
      assignment_id: field.id,
      course_id: field.courseId,
      assignment_type: statedAssignmentType,
      due_date: dueDate,
    },
  },
  SUBMIT_ASSIGNMENT: {
    roles: ['student'],
    description: 'A student submits an assignment (before or after its due date).',
    fields: {
      assignment_id: field.id,
      course_id: field.courseId,
      assignment_type: statedAssignmentType,
      due_date: dueDate,
      /** A Moodle submission statement names the submission, not its file: present with an attachment. */
      file_url: field.url.optional(),
    },
  },
  EDIT_ASSIGNMENT: {
    roles: ['student'],
    description: 'A student replaces the file of a submitted assignment.',
    fields: { assignment_id: field.id, course_id: field.courseId, file_url: field.url },
  },
  DELETE_ASSIGNMENT: {
    roles: ['student'],
    description: 'A student withdraws a submission.',
    fields: { assignment_id: field.id, course_id: field.courseId },
  },
  QUIZ_COMPLETED: {
    roles: ['student'],
    description:
      'A student finishes a quiz; score = correct_answers / total_questions x max_score when the counts are stated.',
    fields: {
      quiz_id: field.id,
      course_id: field.courseId,
      /** A quiz result statement carries result.score, not how many answers were right out of how many. */
      correct_answers: field.count.optional(),
      total_questions: z.number().int().min(1).optional(),
      score,
      max_score: z.number().positive(),
    },
  },
  VIEW_STUDENT_WORK: {
    roles: ['teacher'],
    description: "A teacher opens a student's submission in a course they teach.",
    fields: { student_id: field.userId, assignment_id: field.id, course_id: field.courseId },
  },
  GRADE_ASSIGNMENT: {
    roles: ['teacher'],
    description: 'A teacher grades a submitted assignment.',
    fields: {
      student_id: field.userId,
      assignment_id: field.id,
      course_id: field.courseId,
      score,
      max_score: z.number().positive(),
    },
  },
  ASSIGNMENT_REOPENED: {
    roles: ['teacher'],
    description: 'A teacher reopens an assignment for one student with a new due date.',
    fields: {
      student_id: field.userId,
      assignment_id: field.id,
      course_id: field.courseId,
      new_due_date: field.instant,
    },
  },
});
