import { describe, expect, it } from 'vitest';
import { at, computeViews, ev, pick } from '../batch-support.ts';

const range = { from: '2026-03-01', to: '2026-03-03' };

describe('student_course_analytics batch views (given events → expected rows)', () => {
  it('one enrolment row per (student, course) with first enrolment and dropped flag, in both directions', async () => {
    const events = [
      ev('COURSE_ENROLLED', '2026-03-01T08:00', 'SV001', { course_id: 'COURSE001' }),
      ev('COURSE_ENROLLED', '2026-03-02T08:00', 'SV001', { course_id: 'COURSE001' }), // again: same row
      ev('COURSE_ENROLLED', '2026-03-01T09:00', 'SV001', { course_id: 'COURSE002' }),
      ev('COURSE_DROPPED', '2026-03-02T09:00', 'SV001', { course_id: 'COURSE002' }),
      ev('VIDEO_WATCHED', '2026-03-02T10:00', 'SV002', {
        video_id: 'VID001',
        course_id: 'COURSE001',
        watch_duration_seconds: 60,
        video_duration_seconds: 600,
        session_id: '11111111-1111-4111-8111-111111111111',
      }), // not enrolled: no enrolment row, but a detailed row
    ];
    const rows = await computeViews(
      'student_course_analytics',
      events,
      [
        'student_course_enrollment',
        'course_student_enrollment',
        'student_course_detailed',
        'course_overview',
      ],
      range,
    );
    const columns = ['student_id', 'course_id', 'enrollment_date', 'dropped'];
    const expected = [
      {
        student_id: 'SV001',
        course_id: 'COURSE001',
        enrollment_date: at('2026-03-01T08:00'),
        dropped: false,
      },
      { student_id: 'SV001', course_id: 'COURSE002', enrollment_date: at('2026-03-01T09:00'), dropped: true },
    ];
    expect(pick(rows['student_course_enrollment']!, columns)).toEqual(expected);
    expect(pick(rows['course_student_enrollment']!, columns)).toEqual(expected);
    expect(pick(rows['student_course_detailed']!, ['student_id', 'course_id', 'videos_watched'])).toEqual([
      { student_id: 'SV001', course_id: 'COURSE001', videos_watched: 0 },
      { student_id: 'SV001', course_id: 'COURSE002', videos_watched: 0 },
      { student_id: 'SV002', course_id: 'COURSE001', videos_watched: 1 },
    ]);
    expect(
      pick(rows['course_overview']!, ['course_id', 'total_enrolled_students', 'total_videos_watched']),
    ).toEqual([
      { course_id: 'COURSE001', total_enrolled_students: 1, total_videos_watched: 1 },
      { course_id: 'COURSE002', total_enrolled_students: 1, total_videos_watched: 0 },
    ]);
  });

  it('student_overview counts students only, with grades received from teachers', async () => {
    const events = [
      ev('LOGIN', '2026-03-02T08:00', 'SV001', { session_id: '11111111-1111-4111-8111-111111111111' }),
      ev('LOGIN', '2026-03-02T08:00', 'GV001', { session_id: '22222222-2222-4222-8222-222222222222' }),
      ev('GRADE_ASSIGNMENT', '2026-03-02T09:00', 'GV001', {
        student_id: 'SV001',
        assignment_id: 'ASM001',
        course_id: 'COURSE001',
        score: 92.8,
        max_score: 100,
      }),
      // Another scale (8.5 of 10): the student's scores are compared as percentages, (92.8 + 85) / 2.
      ev('GRADE_ASSIGNMENT', '2026-03-02T09:30', 'GV001', {
        student_id: 'SV001',
        assignment_id: 'ASM002',
        course_id: 'COURSE001',
        score: 8.5,
        max_score: 10,
      }),
      ev('QUIZ_COMPLETED', '2026-03-02T10:00', 'SV001', {
        quiz_id: 'QUIZ001',
        course_id: 'COURSE001',
        score: 0.75,
        max_score: 1,
      }),
    ];
    const rows = await computeViews('student_course_analytics', events, ['student_overview'], range);
    const columns = [
      'student_id',
      'total_logins',
      'avg_assignment_percentage',
      'avg_quiz_percentage',
      'last_login',
    ];
    expect(pick(rows['student_overview']!, columns)).toEqual([
      {
        student_id: 'SV001',
        total_logins: 1,
        avg_assignment_percentage: 88.9,
        avg_quiz_percentage: 75,
        last_login: at('2026-03-02T08:00'),
      },
    ]);
  });
});
