/** Batch views of the assessment job (the older system's job 2). */
import type { LmsEvent } from '../../events/envelope.ts';
import { type EventNamed, type EventOf, fieldOf, isEvent } from '../../events/typed.ts';
import { avg, count, countDistinct, earliest, latest, max, min, sum } from '../../views/aggregates.ts';
import type { Row } from '../../views/columns.ts';
import { defineBatchView, defineBatchViewOver, eventMs, key } from '../../views/define.ts';
import { scoreBand, scoreBandAboveMaximum, scorePercent } from './score.ts';

type Submit = EventNamed<'SUBMIT_ASSIGNMENT'>;
type FirstView = EventNamed<'VIEW_ASSIGNMENT_FIRST_TIME'>;
type Quiz = EventNamed<'QUIZ_COMPLETED'>;
type Grade = EventNamed<'GRADE_ASSIGNMENT'>;
type WorkView = EventNamed<'VIEW_STUDENT_WORK'>;
const isSubmit = isEvent('SUBMIT_ASSIGNMENT');
const isFirstView = isEvent('VIEW_ASSIGNMENT_FIRST_TIME');
const isQuiz = isEvent('QUIZ_COMPLETED');
const isGrade = isEvent('GRADE_ASSIGNMENT');
const isWorkView = isEvent('VIEW_STUDENT_WORK');
const isStudent = (e: LmsEvent) => e.data.role === 'student';
const isTeacher = (e: LmsEvent) => e.data.role === 'teacher';
const courseKey = key.text<EventOf<'assessment'>>((e) => e.data.course_id);
const userKey = key.text<LmsEvent>((e) => e.data.user_id);
/** Undefined when the quiz did not state its counts (a plain xAPI result): the aggregates skip it. */
const correctAnswers = (e: Quiz) => e.data.correct_answers;
/** The assignment_type key of a submission whose source did not state the kind of assignment. */
export const assignmentTypeNotStated = 'not_stated';
/** score / max_score × 100 of a quiz or a grade: the only form in which scores are averaged or compared. */
const percentOf = (e: Quiz | Grade) => scorePercent(e.data.score, e.data.max_score);

export const assessmentStudentSubmissions = defineBatchView<'SUBMIT_ASSIGNMENT'>({
  name: 'assessment_student_submissions',
  job: 'assessment',
  doc: 'Per student and course: SUBMIT_ASSIGNMENT events, distinct assignments, first and last submission.',
  sources: ['assessment'],
  where: (e): e is Submit => isSubmit(e) && isStudent(e),
  period: 'all',
  keys: { user_id: userKey, course_id: courseKey },
  partitionKey: ['user_id'],
  metrics: {
    total_assignments_submitted: countDistinct((e) => e.data.assignment_id, { doc: 'distinct assignments' }),
    total_submissions: count({ doc: 'SUBMIT_ASSIGNMENT events (resubmissions included)' }),
    first_submission: earliest(eventMs),
    last_submission: latest(eventMs),
  },
});

/** Stage 1 of the engagement timeline: per (student, course, assignment) the first view and first submit. */
export const assessmentAssignmentFirstActions = defineBatchView<
  'VIEW_ASSIGNMENT_FIRST_TIME' | 'SUBMIT_ASSIGNMENT'
>({
  name: 'assessment_assignment_first_actions',
  job: 'assessment',
  doc: 'Intermediate: per student, course and assignment, the first view and the first submission instant.',
  sources: ['assessment'],
  where: (e): e is FirstView | Submit => (isFirstView(e) || isSubmit(e)) && isStudent(e),
  period: 'all',
  keys: { user_id: userKey, course_id: courseKey, assignment_id: key.text((e) => e.data.assignment_id) },
  partitionKey: ['user_id'],
  metrics: {
    first_view: earliest(eventMs, { where: isFirstView }),
    first_submit: earliest(eventMs, { where: isSubmit }),
  },
  intermediate: true,
});

type FirstActions = Row & {
  user_id: string;
  course_id: string;
  first_view: number | null;
  first_submit: number | null;
};
const hoursToSubmit = (a: FirstActions) =>
  a.first_view === null || a.first_submit === null || a.first_submit < a.first_view
    ? null
    : (a.first_submit - a.first_view) / 3_600_000;

export const assessmentEngagementTimeline = defineBatchViewOver<FirstActions>()({
  name: 'assessment_engagement_timeline',
  job: 'assessment',
  doc:
    'Per student and course: assignments submitted after being viewed, and hours from first view to first ' +
    'submission (one pair per assignment, never negative: submissions without an earlier view are ' +
    'excluded from the hours and counted in submitted_without_view).',
  sources: ['assessment'],
  from: 'assessment_assignment_first_actions',
  where: (a) => a.first_submit !== null,
  period: 'all',
  keys: { user_id: key.text((a) => a.user_id), course_id: key.text((a) => a.course_id) },
  partitionKey: ['user_id'],
  metrics: {
    assignments_completed: count({ where: (a) => hoursToSubmit(a) !== null, doc: 'viewed, then submitted' }),
    avg_hours_to_submit: avg(hoursToSubmit),
    min_hours_to_submit: min(hoursToSubmit),
    max_hours_to_submit: max(hoursToSubmit),
    submitted_without_view: count({
      where: (a) => hoursToSubmit(a) === null,
      doc: 'submitted with no earlier first-view event',
    }),
  },
});

export const assessmentQuizPerformance = defineBatchView<'QUIZ_COMPLETED'>({
  name: 'assessment_quiz_performance',
  job: 'assessment',
  doc:
    'Per student and course: quizzes completed, correct answers, and score as a percentage of max_score. The ' +
    'correct-answer columns read only the quizzes that stated their counts (a plain xAPI result does not): ' +
    'avg/min/max and total_correct_answers are null when none did.',
  sources: ['assessment'],
  where: (e): e is Quiz => isQuiz(e) && isStudent(e),
  period: 'all',
  keys: { user_id: userKey, course_id: courseKey },
  partitionKey: ['user_id'],
  metrics: {
    total_quizzes_completed: count(),
    avg_correct_answers: avg(correctAnswers),
    total_correct_answers: sum(correctAnswers, {
      type: 'bigint',
      nullWith: 'avg_correct_answers',
      doc: 'null when no quiz stated its counts',
    }),
    min_correct_answers: min(correctAnswers, { type: 'bigint' }),
    max_correct_answers: max(correctAnswers, { type: 'bigint' }),
    avg_quiz_percentage: avg(percentOf, { doc: 'mean of score / max_score × 100' }),
  },
});

export const assessmentGradingStats = defineBatchView<'GRADE_ASSIGNMENT'>({
  name: 'assessment_grading_stats',
  job: 'assessment',
  doc:
    'Per graded student and course: GRADE_ASSIGNMENT events and the scores received, as percent of each ' +
    "grade's max_score (assignments are graded on different scales).",
  sources: ['assessment'],
  where: isGrade,
  period: 'all',
  keys: { student_id: key.text((e) => e.data.student_id), course_id: courseKey },
  partitionKey: ['student_id'],
  metrics: {
    total_assignments_graded: count(),
    avg_assignment_percentage: avg(percentOf, { doc: 'mean of score / max_score × 100' }),
    min_assignment_percentage: min(percentOf, { doc: 'lowest score / max_score × 100' }),
    max_assignment_percentage: max(percentOf, { doc: 'highest score / max_score × 100' }),
  },
});

export const assessmentTeacherWorkload = defineBatchView<'VIEW_STUDENT_WORK' | 'GRADE_ASSIGNMENT'>({
  name: 'assessment_teacher_workload',
  job: 'assessment',
  doc: 'Per teacher and course: student works viewed, assignments graded, mean score given (percent of max_score).',
  sources: ['assessment'],
  where: (e): e is WorkView | Grade => isTeacher(e) && (e.eventType === 'VIEW_STUDENT_WORK' || isGrade(e)),
  period: 'all',
  keys: { user_id: userKey, course_id: courseKey },
  partitionKey: ['user_id'],
  metrics: {
    total_works_viewed: count({ where: isWorkView }),
    total_assignments_graded: count({ where: isGrade }),
    avg_percentage_given: avg((e) => scorePercent(fieldOf(e, 'score'), fieldOf(e, 'max_score')), {
      where: isGrade,
      doc: 'mean score / max_score × 100 of the grades given',
    }),
  },
});

export const assessmentSubmissionDistribution = defineBatchView<'SUBMIT_ASSIGNMENT'>({
  name: 'assessment_submission_distribution',
  job: 'assessment',
  doc:
    "Per local date, course and the submission's assignment_type: submissions and distinct students " +
    `(assignment_type \`${assignmentTypeNotStated}\` when the source did not state it).`,
  sources: ['assessment'],
  where: (e): e is Submit => isSubmit(e) && isStudent(e),
  period: 'day',
  keys: {
    course_id: courseKey,
    assignment_type: key.text((e) => e.data.assignment_type ?? assignmentTypeNotStated),
  },
  partitionKey: ['date'],
  metrics: {
    submissions_count: count(),
    unique_students: countDistinct((e) => e.data.user_id),
  },
});

/** A submission after its stated due date; one without a due date (a plain xAPI submission) is never late. */
export const submittedLate = (e: Submit) =>
  e.data.due_date !== undefined && eventMs(e) > Date.parse(e.data.due_date);

/**
 * Submission timeliness of a course's instructor page, per local day. Daily views are stored by date (a
 * recomputed day replaces its partition in place): a course's day is its row in the day's partition,
 * which holds one row per course with submissions that day.
 */
export const assessmentCourseTimeliness = defineBatchView<'SUBMIT_ASSIGNMENT'>({
  name: 'assessment_course_timeliness',
  job: 'assessment',
  doc:
    "Per local date and course: students' SUBMIT_ASSIGNMENT events by timeliness: on time (at or before the " +
    'due date the event states), late (after it), or without a due date (a plain xAPI submission states ' +
    'none, so it is neither).',
  sources: ['assessment'],
  where: (e): e is Submit => isSubmit(e) && isStudent(e),
  period: 'day',
  keys: { course_id: courseKey },
  partitionKey: ['date'],
  clustering: [{ name: 'course_id', order: 'ASC' }],
  metrics: {
    submissions: count({ doc: 'SUBMIT_ASSIGNMENT events (resubmissions included)' }),
    on_time_submissions: count({
      where: (e) => e.data.due_date !== undefined && !submittedLate(e),
      doc: 'at or before the stated due date',
    }),
    late_submissions: count({ where: submittedLate, doc: 'after the stated due date' }),
    no_due_date_submissions: count({
      where: (e) => e.data.due_date === undefined,
      doc: 'no due date stated',
    }),
    unique_students: countDistinct((e) => e.data.user_id, { doc: 'distinct students submitting' }),
  },
});

/** The student an assessment event is about: the actor of a quiz, the graded student of a grade. */
const performanceStudent = (e: Quiz | Grade) =>
  isQuiz(e) && isStudent(e) ? e.data.user_id : isGrade(e) ? e.data.student_id : undefined;

export const assessmentStudentOverallPerformance = defineBatchView<'QUIZ_COMPLETED' | 'GRADE_ASSIGNMENT'>({
  name: 'assessment_student_overall_performance',
  job: 'assessment',
  doc:
    'Per student and course: quizzes (own completions) and graded assignments (grades received) side by side ' +
    '(avg_quiz_correct over the quizzes that stated their counts).',
  sources: ['assessment'],
  where: (e): e is Quiz | Grade => isQuiz(e) || isGrade(e),
  period: 'all',
  keys: { user_id: key.text(performanceStudent), course_id: courseKey },
  partitionKey: ['user_id'],
  metrics: {
    quizzes_completed: count({ where: isQuiz }),
    avg_quiz_correct: avg((e) => fieldOf(e, 'correct_answers'), { where: isQuiz }),
    avg_quiz_percentage: avg(percentOf, { where: isQuiz, doc: 'mean quiz score / max_score × 100' }),
    assignments_graded: count({ where: isGrade }),
    avg_assignment_percentage: avg(percentOf, { where: isGrade, doc: 'mean grade score / max_score × 100' }),
  },
});

/** What a score distribution row counts: quiz completions or assignment grades. */
const assessmentKind = (e: Quiz | Grade) => (isQuiz(e) ? 'quiz' : 'assignment');

/**
 * The score distributions of a course's instructor page: quiz and assignment results per band of 10
 * percentage points of their maximum, whatever scale each was graded on.
 */
export const assessmentScoreDistribution = defineBatchView<'QUIZ_COMPLETED' | 'GRADE_ASSIGNMENT'>({
  name: 'assessment_score_distribution',
  job: 'assessment',
  doc:
    "Per course: students' quiz completions (assessment `quiz`) and assignment grades received " +
    '(`assignment`) by score band, score / max_score × 100 in bands of 10 points: band 0 = [0, 10), … ' +
    `90 = [90, 100], ${scoreBandAboveMaximum} = above the maximum. Every result counts (retakes too); bands ` +
    'without results have no row.',
  sources: ['assessment'],
  where: (e): e is Quiz | Grade => (isQuiz(e) && isStudent(e)) || isGrade(e),
  period: 'all',
  keys: {
    course_id: courseKey,
    assessment: key.text(assessmentKind, 'quiz or assignment'),
    score_band: key.int((e) => {
      const percent = percentOf(e);
      return percent === null ? undefined : scoreBand(percent);
    }, 'lower bound of the band, percent of max_score'),
  },
  partitionKey: ['course_id'],
  metrics: {
    results: count({ doc: 'quiz completions or grades in the band' }),
    students: countDistinct(performanceStudent, { doc: 'distinct students with a result in the band' }),
  },
});
