import { describe, expect, it } from 'vitest';
import type { Row } from '../../src/views/columns.ts';
import { computeViews, ev } from '../batch-support.ts';

const range = { from: '2026-03-01', to: '2026-03-03' };
const asm = (id: string, course = 'COURSE001', type = 'lab') => ({
  assignment_id: id,
  course_id: course,
  assignment_type: type,
  due_date: '2026-03-05T16:59:00.000Z',
});

describe('assessment batch views (given events → expected rows)', () => {
  it('assessment_engagement_timeline: first view → first submit per assignment, never negative', async () => {
    const events = [
      ev('VIEW_ASSIGNMENT_FIRST_TIME', '2026-03-01T08:00', 'SV001', asm('ASM001')),
      ev('SUBMIT_ASSIGNMENT', '2026-03-01T10:00', 'SV001', { ...asm('ASM001'), file_url: 'u' }), // 2 h
      ev('SUBMIT_ASSIGNMENT', '2026-03-02T10:00', 'SV001', { ...asm('ASM001'), file_url: 'u' }), // resubmission: ignored
      ev('VIEW_ASSIGNMENT_FIRST_TIME', '2026-03-01T09:00', 'SV001', asm('ASM002')),
      ev('SUBMIT_ASSIGNMENT', '2026-03-02T09:00', 'SV001', { ...asm('ASM002'), file_url: 'u' }), // 24 h
      ev('SUBMIT_ASSIGNMENT', '2026-03-01T09:00', 'SV001', { ...asm('ASM003'), file_url: 'u' }), // no view
      ev('VIEW_ASSIGNMENT_FIRST_TIME', '2026-03-01T12:00', 'SV001', asm('ASM004')),
      ev('SUBMIT_ASSIGNMENT', '2026-03-01T11:00', 'SV001', { ...asm('ASM004'), file_url: 'u' }), // view after submit
      ev('VIEW_ASSIGNMENT_FIRST_TIME', '2026-03-01T12:00', 'SV002', asm('ASM001')), // viewed, never submitted
    ];
    const rows = await computeViews('assessment', events, ['assessment_engagement_timeline'], range);
    expect(rows['assessment_engagement_timeline']).toEqual([
      {
        user_id: 'SV001',
        course_id: 'COURSE001',
        assignments_completed: 2,
        avg_hours_to_submit: 13,
        min_hours_to_submit: 2,
        max_hours_to_submit: 24,
        submitted_without_view: 2,
      },
    ]);
  });

  it('teacher workload, grading and overall performance: percent of max_score on mixed scales, for the graded student', async () => {
    const grade = (teacher: string, student: string, score: number, maxScore: number, time: string) =>
      ev('GRADE_ASSIGNMENT', time, teacher, {
        student_id: student,
        assignment_id: `ASM00${maxScore}`,
        course_id: 'COURSE001',
        score,
        max_score: maxScore,
      });
    const events = [
      ev('VIEW_STUDENT_WORK', '2026-03-01T08:00', 'GV001', {
        student_id: 'SV001',
        assignment_id: 'ASM001',
        course_id: 'COURSE001',
      }),
      // 40 of 50 and 9 of 10: 80 % and 90 % (a mean of the raw scores, 24.5, would mean nothing).
      grade('GV001', 'SV001', 40, 50, '2026-03-01T09:00'),
      grade('GV001', 'SV001', 9, 10, '2026-03-01T09:10'),
      grade('GV001', 'SV002', 35, 50, '2026-03-01T09:30'),
      ev('QUIZ_COMPLETED', '2026-03-01T10:00', 'SV001', {
        quiz_id: 'QUIZ001',
        course_id: 'COURSE001',
        correct_answers: 8,
        total_questions: 10,
        score: 8,
        max_score: 10,
      }),
    ];
    const rows = await computeViews(
      'assessment',
      events,
      ['assessment_teacher_workload', 'assessment_grading_stats', 'assessment_student_overall_performance'],
      range,
    );
    expect(rows['assessment_teacher_workload']).toEqual([
      {
        user_id: 'GV001',
        course_id: 'COURSE001',
        total_works_viewed: 1,
        total_assignments_graded: 3,
        avg_percentage_given: 80,
      },
    ]);
    expect(rows['assessment_grading_stats']).toEqual([
      {
        student_id: 'SV001',
        course_id: 'COURSE001',
        total_assignments_graded: 2,
        avg_assignment_percentage: 85,
        min_assignment_percentage: 80,
        max_assignment_percentage: 90,
      },
      {
        student_id: 'SV002',
        course_id: 'COURSE001',
        total_assignments_graded: 1,
        avg_assignment_percentage: 70,
        min_assignment_percentage: 70,
        max_assignment_percentage: 70,
      },
    ]);
    expect(rows['assessment_student_overall_performance']).toEqual([
      {
        user_id: 'SV001',
        course_id: 'COURSE001',
        quizzes_completed: 1,
        avg_quiz_correct: 8,
        avg_quiz_percentage: 80,
        assignments_graded: 2,
        avg_assignment_percentage: 85,
      },
      {
        user_id: 'SV002',
        course_id: 'COURSE001',
        quizzes_completed: 0,
        avg_quiz_correct: null,
        avg_quiz_percentage: null,
        assignments_graded: 1,
        avg_assignment_percentage: 70,
      },
    ]);
  });

  it('assessment_score_distribution: bands of 10 percent of max_score, whatever the scale', async () => {
    const quiz = (student: string, score: number, maxScore: number, time: string, course = 'COURSE001') =>
      ev('QUIZ_COMPLETED', time, student, {
        quiz_id: 'QUIZ001',
        course_id: course,
        score,
        max_score: maxScore,
      });
    const grade = (student: string, score: number, maxScore: number, time: string) =>
      ev('GRADE_ASSIGNMENT', time, 'GV001', {
        student_id: student,
        assignment_id: 'ASM001',
        course_id: 'COURSE001',
        score,
        max_score: maxScore,
      });
    const events = [
      quiz('SV001', 8, 10, '2026-03-01T08:00'), // 80
      quiz('SV002', 0.7, 1, '2026-03-01T08:10'), // a plain xAPI result, a fraction of 1: 70
      quiz('SV001', 18.9, 27, '2026-03-01T08:20'), // 69.99999999999999 in floating point: still 70
      quiz('SV002', 1, 1, '2026-03-01T08:30'), // a full score: the top band, 90
      quiz('SV001', 0, 10, '2026-03-01T08:40', 'COURSE002'), // 0
      grade('SV001', 40, 50, '2026-03-01T09:00'), // 80
      grade('SV002', 9, 10, '2026-03-01T09:10'), // 90
      grade('SV002', 11, 10, '2026-03-01T09:20'), // extra credit: above the maximum, band 100
    ];
    const rows = await computeViews('assessment', events, ['assessment_score_distribution'], range);
    const row = (course: string, assessment: string, band: number, results: number, students: number) => ({
      course_id: course,
      assessment,
      score_band: band,
      results,
      students,
    });
    const byKey = (a: Row, b: Row) =>
      String(a['course_id']).localeCompare(String(b['course_id'])) ||
      String(a['assessment']).localeCompare(String(b['assessment'])) ||
      Number(a['score_band']) - Number(b['score_band']);
    expect(rows['assessment_score_distribution']!.sort(byKey)).toEqual([
      row('COURSE001', 'assignment', 80, 1, 1),
      row('COURSE001', 'assignment', 90, 1, 1),
      row('COURSE001', 'assignment', 100, 1, 1),
      row('COURSE001', 'quiz', 70, 2, 2),
      row('COURSE001', 'quiz', 80, 1, 1),
      row('COURSE001', 'quiz', 90, 1, 1),
      row('COURSE002', 'quiz', 0, 1, 1),
    ]);
  });

  it("assessment_submission_distribution groups by the submission's own assignment_type", async () => {
    const events = [
      ev('SUBMIT_ASSIGNMENT', '2026-03-02T10:00', 'SV001', {
        ...asm('ASM001', 'COURSE001', 'lab'),
        file_url: 'u',
      }),
      ev('SUBMIT_ASSIGNMENT', '2026-03-02T11:00', 'SV001', {
        ...asm('ASM002', 'COURSE001', 'essay'),
        file_url: 'u',
      }),
      ev('SUBMIT_ASSIGNMENT', '2026-03-02T12:00', 'SV002', {
        ...asm('ASM001', 'COURSE001', 'lab'),
        file_url: 'u',
      }),
    ];
    const rows = await computeViews('assessment', events, ['assessment_submission_distribution'], range);
    expect(rows['assessment_submission_distribution']).toEqual([
      {
        date: '2026-03-02',
        course_id: 'COURSE001',
        assignment_type: 'essay',
        submissions_count: 1,
        unique_students: 1,
      },
      {
        date: '2026-03-02',
        course_id: 'COURSE001',
        assignment_type: 'lab',
        submissions_count: 2,
        unique_students: 2,
      },
    ]);
  });
});
