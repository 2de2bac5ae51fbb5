/**
 * The assessment fields a plain xAPI statement cannot give (docs/events.md, "Optional fields"): absent means
 * unknown in every view that reads them, never zero, false or a made-up key.
 */
import { describe, expect, it } from 'vitest';
import { assignmentTypeNotStated } from '../../src/categories/assessment/batch-views.ts';
import { StatementMapper } from '../../src/xapi/mapping.ts';
import type { Activity } from '../../src/xapi/statement.ts';
import { computeViews, ev, pick } from '../batch-support.ts';

const range = { from: '2026-03-01', to: '2026-03-03' };
const submit = (time: string, user: string, assignment: string, stated: Record<string, unknown> = {}) =>
  ev('SUBMIT_ASSIGNMENT', time, user, { assignment_id: assignment, course_id: 'COURSE001', ...stated });
const quiz = (time: string, user: string, fields: Record<string, unknown>) =>
  ev('QUIZ_COMPLETED', time, user, { quiz_id: 'QUIZ001', course_id: 'COURSE001', ...fields });

describe('optional assessment fields in the views', () => {
  it('a submission without assignment_type is grouped under the documented key, apart from stated types', async () => {
    const events = [
      submit('2026-03-02T10:00', 'SV001', 'ASM001', { assignment_type: 'lab', file_url: 'u' }),
      submit('2026-03-02T11:00', 'SV001', 'ASM002'),
      submit('2026-03-02T12:00', 'SV002', 'ASM002'),
    ];
    const rows = await computeViews('assessment', events, ['assessment_submission_distribution'], range);
    expect(
      pick(rows['assessment_submission_distribution']!, [
        'assignment_type',
        'submissions_count',
        'unique_students',
      ]),
    ).toEqual([
      { assignment_type: 'lab', submissions_count: 1, unique_students: 1 },
      { assignment_type: assignmentTypeNotStated, submissions_count: 2, unique_students: 2 },
    ]);
    expect(assignmentTypeNotStated).toBe('not_stated');
  });

  it('quizzes without counts still count and give their score; the answer columns read only stated counts', async () => {
    const events = [
      quiz('2026-03-01T10:00', 'SV001', { correct_answers: 6, total_questions: 10, score: 6, max_score: 10 }),
      quiz('2026-03-01T11:00', 'SV001', { score: 0.9, max_score: 1 }), // plain xAPI: scaled 0.9
      quiz('2026-03-01T12:00', 'SV002', { score: 45, max_score: 100 }), // plain xAPI: raw 45 of 100
    ];
    const rows = await computeViews(
      'assessment',
      events,
      ['assessment_quiz_performance', 'assessment_student_overall_performance'],
      range,
    );
    expect(rows['assessment_quiz_performance']).toEqual([
      {
        user_id: 'SV001',
        course_id: 'COURSE001',
        total_quizzes_completed: 2,
        avg_correct_answers: 6, // not (6 + 0) / 2
        total_correct_answers: 6,
        min_correct_answers: 6, // not 0
        max_correct_answers: 6,
        avg_quiz_percentage: 75, // (60 + 90) / 2: the scores are known
      },
      {
        user_id: 'SV002',
        course_id: 'COURSE001',
        total_quizzes_completed: 1,
        avg_correct_answers: null,
        total_correct_answers: null, // unknown, not 0: no quiz stated its counts
        min_correct_answers: null,
        max_correct_answers: null,
        avg_quiz_percentage: 45,
      },
    ]);
    expect(
      pick(rows['assessment_student_overall_performance']!, [
        'user_id',
        'quizzes_completed',
        'avg_quiz_correct',
        'avg_quiz_percentage',
      ]),
    ).toEqual([
      { user_id: 'SV001', quizzes_completed: 2, avg_quiz_correct: 6, avg_quiz_percentage: 75 },
      { user_id: 'SV002', quizzes_completed: 1, avg_quiz_correct: null, avg_quiz_percentage: 45 },
    ]);
  });

  it('student_course_risk counts as late only submissions with a known due date', async () => {
    const due = '2026-03-01T09:00:00+07:00';
    const events = [
      ev('COURSE_ENROLLED', '2026-03-01T08:00', 'SV001', { course_id: 'COURSE001' }),
      submit('2026-03-01T10:00', 'SV001', 'ASM001', { due_date: new Date(due).toISOString() }), // late
      submit('2026-03-01T08:30', 'SV001', 'ASM002', { due_date: new Date(due).toISOString() }), // on time
      submit('2026-03-02T10:00', 'SV001', 'ASM003'), // due date unknown: neither
      submit('2026-03-02T11:00', 'SV001', 'ASM004'),
    ];
    const rows = await computeViews('student_course_analytics', events, ['student_course_risk'], range);
    expect(
      pick(rows['student_course_risk']!, ['student_id', 'assignments_submitted', 'late_submissions']),
    ).toEqual([{ student_id: 'SV001', assignments_submitted: 4, late_submissions: 1 }]);
  });

  it("Moodle's published submission and quiz attempt statements, mapped, reach the views", async () => {
    // Moodle logstore_xapi tests/mod_assign/assignment_submitted and tests/mod_quiz/attempt_submitted.
    const moodle = 'http://www.example.org';
    const act = (id: string, type: string): Activity => ({
      objectType: 'Activity',
      id,
      definition: { type },
    });
    const course = act(`${moodle}/course/view.php?id=2`, 'https://w3id.org/xapi/cmi5/activitytype/course');
    const actor = { objectType: 'Agent' as const, account: { homePage: moodle, name: '1' } };
    const mapper = new StatementMapper({ homePage: moodle, defaultRole: 'student' });
    const submitted = mapper.map({
      id: '00000000-0000-4000-8000-000000000101',
      timestamp: '2026-03-02T03:00:00.000Z',
      actor,
      verb: { id: 'http://activitystrea.ms/schema/1.0/submit' },
      object: act(
        `${moodle}/mod/assign/view.php?id=1#submission`,
        'https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/submission',
      ),
      context: {
        contextActivities: {
          parent: [
            act(
              `${moodle}/mod/assign/view.php?id=1`,
              'https://xapi.edlm/profiles/edlm-lms/concepts/activity-types/assignment',
            ),
            course,
          ],
        },
      },
    });
    const attempt = mapper.map({
      id: '00000000-0000-4000-8000-000000000102',
      timestamp: '2026-03-02T04:00:00.000Z',
      actor,
      verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
      object: act(
        `${moodle}/mod/quiz/attempt.php?attempt=1&cmid=1`,
        'http://adlnet.gov/expapi/activities/attempt',
      ),
      context: {
        contextActivities: {
          parent: [
            act(`${moodle}/mod/quiz/view.php?id=1`, 'http://adlnet.gov/expapi/activities/assessment'),
            course,
          ],
        },
      },
      result: { completion: true, score: { max: 100, min: 0, raw: 50, scaled: 0 }, success: true },
    });
    const events = [...submitted.events, ...attempt.events];
    expect(events.map((e) => e.eventType)).toEqual(['SUBMIT_ASSIGNMENT', 'QUIZ_COMPLETED']);
    const rows = await computeViews(
      'assessment',
      events,
      ['assessment_submission_distribution', 'assessment_quiz_performance'],
      range,
    );
    expect(rows['assessment_submission_distribution']).toEqual([
      {
        date: '2026-03-02',
        course_id: 'www.example.org:course:2',
        assignment_type: assignmentTypeNotStated,
        submissions_count: 1,
        unique_students: 1,
      },
    ]);
    expect(
      pick(rows['assessment_quiz_performance']!, [
        'total_quizzes_completed',
        'avg_correct_answers',
        'avg_quiz_percentage',
      ]),
    ).toEqual([{ total_quizzes_completed: 1, avg_correct_answers: null, avg_quiz_percentage: 50 }]);
  });
});
