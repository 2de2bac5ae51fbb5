import { describe, expect, it } from 'vitest';
import { computeViews, ev, pick } from '../batch-support.ts';

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

  it('teacher workload, grading and overall performance use score, max_score and the graded student', async () => {
    const grade = (teacher: string, student: string, score: number, time: string) =>
      ev('GRADE_ASSIGNMENT', time, teacher, {
        student_id: student,
        assignment_id: 'ASM001',
        course_id: 'COURSE001',
        score,
        max_score: 50,
      });
    const events = [
      ev('VIEW_STUDENT_WORK', '2026-03-01T08:00', 'GV001', {
        student_id: 'SV001',
        assignment_id: 'ASM001',
        course_id: 'COURSE001',
      }),
      grade('GV001', 'SV001', 40, '2026-03-01T09:00'),
      grade('GV001', 'SV002', 30, '2026-03-01T09:30'),
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
        total_assignments_graded: 2,
        avg_score_given: 35,
      },
    ]);
    expect(
      pick(rows['assessment_grading_stats']!, ['student_id', 'avg_assignment_score', 'avg_score_percentage']),
    ).toEqual([
      { student_id: 'SV001', avg_assignment_score: 40, avg_score_percentage: 80 },
      { student_id: 'SV002', avg_assignment_score: 30, avg_score_percentage: 60 },
    ]);
    expect(rows['assessment_student_overall_performance']).toEqual([
      {
        user_id: 'SV001',
        course_id: 'COURSE001',
        quizzes_completed: 1,
        avg_quiz_correct: 8,
        avg_quiz_percentage: 80,
        assignments_graded: 1,
        avg_assignment_score: 40,
        avg_assignment_percentage: 80,
      },
      {
        user_id: 'SV002',
        course_id: 'COURSE001',
        quizzes_completed: 0,
        avg_quiz_correct: null,
        avg_quiz_percentage: null,
        assignments_graded: 1,
        avg_assignment_score: 30,
        avg_assignment_percentage: 60,
      },
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
