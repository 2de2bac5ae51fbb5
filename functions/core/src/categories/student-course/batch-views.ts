/**
 * Batch views of the cross-category job `student_course_analytics` (the older system's job 6): course, video,
 * assessment and auth events of students (teachers excluded), plus grades received (GRADE_ASSIGNMENT is
 * emitted by a teacher; it counts for its `student_id`). Every student or course with any activity gets a
 * row, enrolled or not (the older system, docs/architecture.md#the-older-system, dropped those without an enrolment event).
 */
import type { LmsEvent } from '../../events/envelope.ts';
import { type AnyEvent, type EventNamed, type EventTypeName, fieldOf, isEvent } from '../../events/typed.ts';
import { avg, count, countDistinct, earliest, latest, sum } from '../../views/aggregates.ts';
import type { Row } from '../../views/columns.ts';
import {
  type Derived,
  defineBatchView,
  defineBatchViewOver,
  defineBatchViewProjection,
  eventMs,
  key,
} from '../../views/define.ts';

/** The events of the job's categories: course, video, assessment and auth. */
type StudentCourseEvent = EventTypeName<'course' | 'video' | 'assessment' | 'auth'>;
const isEnrol = isEvent('COURSE_ENROLLED');
const isDrop = isEvent('COURSE_DROPPED');
const isVideo = isEvent('VIDEO_WATCHED');
const isDownload = isEvent('DOWNLOAD_MATERIAL');
const isSubmit = isEvent('SUBMIT_ASSIGNMENT');
const isQuiz = isEvent('QUIZ_COMPLETED');
const isGrade = isEvent('GRADE_ASSIGNMENT');
const isLogin = isEvent('LOGIN');

/** The student an event is about: a student's own action, or the graded student of a grade. */
export const studentOf = (e: AnyEvent): string | undefined =>
  e.data.role === 'student' ? e.data.user_id : isGrade(e) ? e.data.student_id : undefined;
/** Events about a student (their own actions and grades received): the inputs of the per-student views. */
const aboutStudent = (e: AnyEvent) => studentOf(e) !== undefined;
/** A student's own action (grades received are not activity). */
const isStudentAction = (e: LmsEvent) => e.data.role === 'student';
// Over every event of the job: undefined for the event types that do not declare the field.
const courseOf = (e: EventNamed<StudentCourseEvent>) => fieldOf(e, 'course_id');
const watchSeconds = (e: EventNamed<StudentCourseEvent>) => fieldOf(e, 'watch_duration_seconds');
const score = (e: EventNamed<StudentCourseEvent>) => fieldOf(e, 'score');
const scorePercent = (e: EventNamed<StudentCourseEvent>) => {
  const s = score(e);
  const maxScore = fieldOf(e, 'max_score');
  return s === undefined || !maxScore ? null : (s / maxScore) * 100;
};
const student = key.text<AnyEvent>(studentOf);
const course = key.text<EventNamed<StudentCourseEvent>>(courseOf);
const minutes = (column: string): Derived => ({
  type: 'double',
  value: (row) => {
    const value = row[column];
    return typeof value === 'number' ? value / 60 : null;
  },
  doc: `${column} / 60`,
});
const sources = ['course', 'video', 'assessment', 'auth'] as const;

export const courseOverview = defineBatchView<StudentCourseEvent>({
  name: 'course_overview',
  job: 'student_course_analytics',
  doc: 'Per course: enrolled students, videos watched, materials downloaded, submissions, quizzes and scores by students.',
  sources,
  where: aboutStudent,
  period: 'all',
  keys: { course_id: course },
  partitionKey: ['course_id'],
  metrics: {
    total_enrolled_students: countDistinct(studentOf, {
      where: isEnrol,
      doc: 'distinct students who enrolled',
    }),
    total_videos_watched: count({ where: isVideo }),
    total_materials_downloaded: count({ where: isDownload }),
    total_assignments_submitted: count({ where: isSubmit }),
    total_quizzes_completed: count({ where: isQuiz }),
    avg_assignment_score: avg(score, { where: isGrade }),
    avg_quiz_score: avg(scorePercent, { where: isQuiz, doc: 'mean quiz score / max_score × 100' }),
    total_interactions: count({ where: isStudentAction, doc: 'student events on the course' }),
    active_students: countDistinct(studentOf, { where: isStudentAction }),
    last_activity: latest(eventMs, { where: isStudentAction }),
  },
});

export const studentOverview = defineBatchView<StudentCourseEvent>({
  name: 'student_overview',
  job: 'student_course_analytics',
  doc: 'Per student: courses enrolled, videos, submissions, quizzes, downloads, logins, scores and watch time.',
  sources,
  where: aboutStudent,
  period: 'all',
  keys: { student_id: student },
  partitionKey: ['student_id'],
  metrics: {
    total_courses_enrolled: countDistinct(courseOf, { where: isEnrol }),
    total_videos_watched: count({ where: isVideo }),
    total_assignments_submitted: count({ where: isSubmit }),
    total_quizzes_completed: count({ where: isQuiz }),
    total_logins: count({ where: isLogin }),
    total_materials_downloaded: count({ where: isDownload }),
    avg_assignment_score: avg(score, { where: isGrade, doc: 'mean GRADE_ASSIGNMENT score received' }),
    avg_quiz_score: avg(scorePercent, { where: isQuiz, doc: 'mean quiz score / max_score × 100' }),
    total_watch_seconds: sum(watchSeconds, { where: isVideo, type: 'bigint' }),
    last_login: latest(eventMs, { where: isLogin }),
    last_activity: latest(eventMs, { where: isStudentAction }),
  },
  derived: { total_watch_time_minutes: minutes('total_watch_seconds') },
});

export const studentCourseDetailed = defineBatchView<StudentCourseEvent>({
  name: 'student_course_detailed',
  job: 'student_course_analytics',
  doc: 'Per student and course with any activity: enrolment dates, videos, watch time, downloads, submissions, quizzes, scores, last activity.',
  sources,
  where: aboutStudent,
  period: 'all',
  keys: { student_id: student, course_id: course },
  partitionKey: ['student_id'],
  metrics: {
    enrollment_date: earliest(eventMs, { where: isEnrol, doc: 'first COURSE_ENROLLED' }),
    last_enrollment_date: latest(eventMs, { where: isEnrol }),
    last_drop_date: latest(eventMs, { where: isDrop }),
    videos_watched: count({ where: isVideo }),
    watch_time_seconds: sum(watchSeconds, { where: isVideo, type: 'bigint' }),
    materials_downloaded: count({ where: isDownload }),
    assignments_submitted: count({ where: isSubmit }),
    quizzes_completed: count({ where: isQuiz }),
    avg_assignment_score: avg(score, { where: isGrade }),
    avg_quiz_score: avg(scorePercent, { where: isQuiz }),
    last_activity_date: latest(eventMs, { where: isStudentAction }),
  },
  derived: { watch_time_minutes: minutes('watch_time_seconds') },
});

/** The enrolment views: the student-course pairs with an enrolment, from `student_course_detailed`. */
const enrollment = {
  metrics: {
    enrollment_date: 'enrollment_date',
    last_enrollment_date: 'last_enrollment_date',
    last_drop_date: 'last_drop_date',
    videos_watched: 'videos_watched',
    assignments_submitted: 'assignments_submitted',
    quizzes_completed: 'quizzes_completed',
    materials_downloaded: 'materials_downloaded',
    avg_score: 'avg_assignment_score',
    last_activity: 'last_activity_date',
  },
  derived: {
    dropped: {
      type: 'boolean',
      value: (row) =>
        typeof row['last_drop_date'] === 'number' &&
        row['last_drop_date'] >=
          (typeof row['last_enrollment_date'] === 'number' ? row['last_enrollment_date'] : 0),
    },
  } satisfies Record<string, Derived>,
  having: (row: Row) => row['enrollment_date'] !== null,
};

export const studentCourseEnrollment = defineBatchViewProjection(studentCourseDetailed, {
  name: 'student_course_enrollment',
  doc: 'Per student, one row per enrolled course: first enrolment, dropped flag and activity in the course.',
  partitionKey: ['student_id'],
  clustering: [{ name: 'course_id', order: 'ASC' }],
  ...enrollment,
});

export const courseStudentEnrollment = defineBatchViewProjection(studentCourseDetailed, {
  name: 'course_student_enrollment',
  doc: 'Reverse lookup of student_course_enrollment: per course, one row per enrolled student.',
  partitionKey: ['course_id'],
  clustering: [{ name: 'student_id', order: 'ASC' }],
  ...enrollment,
});

/**
 * Stage 1 of the engagement distribution: per local date and student, activity over the 7 local days
 * ending at that date (the older system bucketed all-time cumulative counts; a recent period says who is
 * engaged now).
 */
export const studentActivity7d = defineBatchView<'VIDEO_WATCHED' | 'SUBMIT_ASSIGNMENT' | 'LOGIN'>({
  name: 'student_activity_7d',
  job: 'student_course_analytics',
  doc: 'Per local date and student: videos watched, assignments submitted and logins in the 7 local days ending at date.',
  sources: ['video', 'assessment', 'auth'],
  where: (e): e is EventNamed<'VIDEO_WATCHED' | 'SUBMIT_ASSIGNMENT' | 'LOGIN'> =>
    isStudentAction(e) && (isVideo(e) || isSubmit(e) || isLogin(e)),
  period: 'day',
  trailingDays: 7,
  keys: { student_id: key.text((e) => e.data.user_id) },
  partitionKey: ['date'],
  metrics: {
    interactions: count({ doc: 'videos watched + assignments submitted + logins' }),
    videos_watched: count({ where: isVideo }),
    assignments_submitted: count({ where: isSubmit }),
    logins: count({ where: isLogin }),
  },
});

/** The older system's thresholds, applied to the last 7 days: > 50, 10-50, 1-9 interactions. */
export const engagementLevel = (interactions: number): string =>
  interactions > 50 ? 'highly_active' : interactions >= 10 ? 'moderately_active' : 'low_activity';

export const studentEngagementDistribution = defineBatchViewOver<Row & { interactions: number }>()({
  name: 'student_engagement_distribution',
  job: 'student_course_analytics',
  doc:
    'Per local date: students by engagement level over the 7 days ending at date (highly_active > 50 ' +
    'interactions, moderately_active 10-50, low_activity 1-9). Inactive students (0 in 7 days) have no ' +
    'row: readers take them as known students (student_overview) minus the students counted here.',
  sources: ['video', 'assessment', 'auth'],
  from: 'student_activity_7d',
  period: 'day',
  keys: { engagement_level: key.text((r) => engagementLevel(r.interactions)) },
  partitionKey: ['date'],
  metrics: { student_count: count() },
});
