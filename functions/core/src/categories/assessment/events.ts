import { z } from 'zod';
import { defineCategory, field } from '../../events/define.ts';

const assignmentType = z.enum(['homework', 'project', 'essay', 'lab']);
const score = z.number().min(0);

export const assessmentEvents = defineCategory('assessment', {
  VIEW_ASSIGNMENT_FIRST_TIME: {
    roles: ['student'],
    description: 'A student opens an assignment of an enrolled course for the first time.',
    fields: {
      assignment_id: field.id,
      course_id: field.courseId,
      assignment_type: assignmentType,
      due_date: field.instant,
    },
  },
  SUBMIT_ASSIGNMENT: {
    roles: ['student'],
    description: 'A student submits an assignment (before or after its due date).',
    fields: {
      assignment_id: field.id,
      course_id: field.courseId,
      assignment_type: assignmentType,
      due_date: field.instant,
      file_url: field.url,
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
    description: 'A student finishes a quiz; score = correct_answers / total_questions x max_score.',
    fields: {
      quiz_id: field.id,
      course_id: field.courseId,
      correct_answers: field.count,
      total_questions: z.number().int().min(1),
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
