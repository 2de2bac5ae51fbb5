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
  percent,
} from '../../views/define.ts';
import { scorePercent } from '../assessment/score.ts';
import {
  assessRisk,
  defaultRiskThresholds,
  listingBucket,
  listingBuckets,
  riskRank,
  riskRankBucket,
  riskWeights,
  slope,
} from './risk.ts';

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
/** A quiz's or grade's score / max_score × 100 (raw scores are on different scales: never averaged). */
const percentOf = (e: EventNamed<StudentCourseEvent>) =>
  scorePercent(fieldOf(e, 'score'), fieldOf(e, 'max_score'));
const assignmentPercentage = () =>
  avg(percentOf, { where: isGrade, doc: 'mean GRADE_ASSIGNMENT score / max_score × 100 (grades received)' });
const quizPercentage = () =>
  avg(percentOf, { where: isQuiz, doc: 'mean QUIZ_COMPLETED score / max_score × 100' });
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
  doc: 'Per course: enrolled students, videos watched, materials downloaded, submissions, quizzes and scores (percent of max_score) by students.',
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
    avg_assignment_percentage: assignmentPercentage(),
    avg_quiz_percentage: quizPercentage(),
    total_interactions: count({ where: isStudentAction, doc: 'student events on the course' }),
    active_students: countDistinct(studentOf, { where: isStudentAction }),
    last_activity: latest(eventMs, { where: isStudentAction }),
  },
});

export const studentOverview = defineBatchView<StudentCourseEvent>({
  name: 'student_overview',
  job: 'student_course_analytics',
  doc: 'Per student: courses enrolled, videos, submissions, quizzes, downloads, logins, scores (percent of max_score) and watch time.',
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
    avg_assignment_percentage: assignmentPercentage(),
    avg_quiz_percentage: quizPercentage(),
    total_watch_seconds: sum(watchSeconds, { where: isVideo, type: 'bigint' }),
    last_login: latest(eventMs, { where: isLogin }),
    last_activity: latest(eventMs, { where: isStudentAction }),
  },
  derived: { total_watch_time_minutes: minutes('total_watch_seconds') },
});

export const studentCourseDetailed = defineBatchView<StudentCourseEvent>({
  name: 'student_course_detailed',
  job: 'student_course_analytics',
  doc: 'Per student and course with any activity: enrolment dates, videos, watch time, downloads, submissions, quizzes, scores (percent of max_score), last activity.',
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
    avg_assignment_percentage: assignmentPercentage(),
    avg_quiz_percentage: quizPercentage(),
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
    avg_assignment_percentage: 'avg_assignment_percentage',
    avg_quiz_percentage: 'avg_quiz_percentage',
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

/**
 * Daily active learners of a course's instructor page: distinct students, not the sum over activity types
 * (a student who watched and submitted is one learner). Stored by date like every daily view (a recomputed
 * day replaces its partition); a course's day is its row of the day's partition (one row per active course).
 */
export const courseDailyActiveStudents = defineBatchView<EventTypeName<'course' | 'video' | 'assessment'>>({
  name: 'course_daily_active_students',
  job: 'student_course_analytics',
  doc:
    'Per local date and course: distinct students with any own course, video or assessment event naming ' +
    'the course (teachers, and grades received, are not activity), and their events.',
  sources: ['course', 'video', 'assessment'],
  where: (e): e is EventNamed<EventTypeName<'course' | 'video' | 'assessment'>> =>
    isStudentAction(e) && ['course', 'video', 'assessment'].includes(e.category),
  period: 'day',
  keys: { course_id: key.text((e) => fieldOf(e, 'course_id')) },
  partitionKey: ['date'],
  clustering: [{ name: 'course_id', order: 'ASC' }],
  metrics: {
    active_students: countDistinct((e) => e.data.user_id, { doc: 'distinct students active in the course' }),
    student_events: count({ doc: "the students' events in the course" }),
  },
});

/**
 * `student_activity_7d` under the student as partition, newest date first: a student page's last N days are
 * one partition read (the by-date layout needs one read per day, each of a partition holding every student).
 */
export const studentActivityHistory = defineBatchViewOver<
  Row & {
    student_id: string;
    interactions: number;
    videos_watched: number;
    assignments_submitted: number;
    logins: number;
  }
>()({
  name: 'student_activity_history',
  job: 'student_course_analytics',
  doc: 'student_activity_7d per student: one partition per student, newest date first (a student page reads its last days in one read).',
  sources: ['video', 'assessment', 'auth'],
  from: 'student_activity_7d',
  period: 'day',
  keys: { student_id: key.text((r) => r.student_id) },
  partitionKey: ['student_id'],
  clustering: [{ name: 'date', order: 'DESC' }],
  metrics: {
    interactions: sum((r) => r.interactions, {
      type: 'bigint',
      doc: 'videos watched + assignments submitted + logins',
    }),
    videos_watched: sum((r) => r.videos_watched, { type: 'bigint' }),
    assignments_submitted: sum((r) => r.assignments_submitted, { type: 'bigint' }),
    logins: sum((r) => r.logins, { type: 'bigint' }),
  },
});

/**
 * How many students are known (rows of student_overview), in one row: the summary and the engagement
 * distribution (inactive = known − active in 7 days) read it instead of scanning student_overview.
 */
export const knownStudentCount = defineBatchViewOver<Row>()({
  name: 'known_student_count',
  job: 'student_course_analytics',
  doc: 'The number of students with any row in student_overview (any own action or grade received), in one row (scope = all).',
  sources,
  from: 'student_overview',
  period: 'all',
  keys: { scope: key.text(() => 'all', 'always all: the one partition') },
  partitionKey: ['scope'],
  metrics: { student_count: count({ doc: 'rows of student_overview' }) },
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

/** The listing partition of a row's id column (see `listingBucket`): ordered ranges of the list. */
const bucketOf = (column: string): Derived => ({
  type: 'int',
  value: (row) => listingBucket(String(row[column])),
  doc: `listing partition of ${column}: its first character's code halved (0-${listingBuckets - 1}), in the list's order`,
});

/**
 * Every student_overview column, in partitions that follow the id order (listing buckets by first
 * character) clustered by student_id: a prefix search or a page of the student list reads a slice of the
 * one partition its range starts in (the next ones only when it ends first), never a scan.
 */
export const studentDirectory = defineBatchViewProjection(studentOverview, {
  name: 'student_directory',
  doc: `Listing copy of student_overview: up to ${listingBuckets} partitions in id order (bucket = first character of student_id), ordered by student_id, for prefix search and paging.`,
  partitionKey: ['bucket'],
  clustering: [{ name: 'student_id', order: 'ASC' }],
  derived: { ...studentOverview.derived, bucket: bucketOf('student_id') },
});

/** Every course_overview column, partitioned and ordered for listing like `student_directory`. */
export const courseDirectory = defineBatchViewProjection(courseOverview, {
  name: 'course_directory',
  doc: `Listing copy of course_overview: up to ${listingBuckets} partitions in id order (bucket = first character of course_id), ordered by course_id, for prefix search and paging.`,
  partitionKey: ['bucket'],
  clustering: [{ name: 'course_id', order: 'ASC' }],
  derived: { bucket: bucketOf('course_id') },
});

/** Intermediate for the risk rules' video coverage: per course, the distinct videos any student watched. */
export const courseVideoCatalogue = defineBatchView<StudentCourseEvent>({
  name: 'course_video_catalogue',
  job: 'student_course_analytics',
  doc: 'Intermediate: per course, the distinct videos watched by any student (the denominator of video coverage).',
  sources,
  where: (e): e is EventNamed<StudentCourseEvent> => isStudentAction(e) && isVideo(e),
  period: 'all',
  intermediate: true,
  keys: { course_id: course },
  partitionKey: ['course_id'],
  metrics: { videos: countDistinct((e) => fieldOf(e, 'video_id')) },
});

/** Regression time axis of quiz trends: weeks since 2024-01-01 UTC (small numbers keep the sums exact enough). */
const weekEpochMs = Date.UTC(2024, 0, 1);
const weeksOf = (e: LmsEvent) => (eventMs(e) - weekEpochMs) / 604_800_000;
/** A submission after its due date; one without a due date (a plain xAPI submission) is never late. */
const isLate = (e: EventNamed<StudentCourseEvent>) => {
  if (!isSubmit(e) || e.data.due_date === undefined) return false;
  return eventMs(e) > Date.parse(e.data.due_date);
};
const assignmentOf = (e: EventNamed<StudentCourseEvent>) => fieldOf(e, 'assignment_id');
const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const dayMs = 86_400_000;

const riskRow = (row: Row, finish: { asOf?: number; risk?: typeof defaultRiskThresholds }) => {
  const asOf = finish.asOf;
  const since = num(row['last_activity']) ?? num(row['enrollment_date']);
  return assessRisk(
    {
      dropped: row['dropped'] === true,
      daysInactive:
        asOf === undefined || since === null ? null : Math.max(0, Math.floor((asOf - since) / dayMs)),
      quizzes: num(row['quizzes_completed']) ?? 0,
      avgQuizPercentage: num(row['avg_quiz_percentage']),
      quizTrendPerWeek: num(row['quiz_trend_per_week']),
      missedAssignments: num(row['assignments_missed']) ?? 0,
      lateSubmissions: num(row['late_submissions']) ?? 0,
      videoCoveragePercentage: num(row['video_coverage_percentage']),
    },
    finish.risk ?? defaultRiskThresholds,
  );
};

/**
 * The at-risk early warning: per enrolled student and course, the signals of the risk rules, an
 * explainable score (the sum of the weights of the rules that fire) and the reasons. Rewritten whole every
 * run (`asOf`): days without activity count up to the end of the newest day computed.
 */
export const studentCourseRisk = defineBatchView<StudentCourseEvent>({
  name: 'student_course_risk',
  job: 'student_course_analytics',
  doc:
    'Per enrolled student and course: the at-risk signals (days without activity up to the end of the newest ' +
    'day computed, quiz percentage trend, missed and late submissions, video coverage), a score 0-100 and ' +
    `its reasons. Rules and weights: inactive (${riskWeights.inactive}) no own action in the course for ` +
    `ULA_RISK_INACTIVE_DAYS (${defaultRiskThresholds.inactiveDays}) days; quiz_falling ` +
    `(${riskWeights.quiz_falling}) least-squares slope of quiz percentages <= -ULA_RISK_QUIZ_DROP_POINTS_PER_WEEK ` +
    `(${defaultRiskThresholds.quizDropPointsPerWeek}) points per week over >= ULA_RISK_QUIZ_TREND_MIN_QUIZZES ` +
    `(${defaultRiskThresholds.quizTrendMinQuizzes}) quizzes; low_quiz_score (${riskWeights.low_quiz_score}) ` +
    `mean quiz percentage < ULA_RISK_LOW_QUIZ_PERCENTAGE (${defaultRiskThresholds.lowQuizPercentage}); ` +
    `missed_assignments (${riskWeights.missed_assignments}) >= ULA_RISK_MISSED_ASSIGNMENTS ` +
    `(${defaultRiskThresholds.missedAssignments}) assignments opened but never submitted; late_submissions ` +
    `(${riskWeights.late_submissions}) >= ULA_RISK_LATE_SUBMISSIONS (${defaultRiskThresholds.lateSubmissions}) ` +
    `submissions after their due date (known due dates only); low_video_coverage (${riskWeights.low_video_coverage}) share of the ` +
    `course's videos watched < ULA_RISK_LOW_VIDEO_COVERAGE_PERCENTAGE ` +
    `(${defaultRiskThresholds.lowVideoCoveragePercentage} %). Level: high >= 50, medium >= 25, low > 0, ` +
    'none, or dropped (score 0).',
  sources,
  where: aboutStudent,
  period: 'all',
  asOf: true,
  keys: { student_id: student, course_id: course },
  partitionKey: ['student_id'],
  clustering: [{ name: 'course_id', order: 'ASC' }],
  metrics: {
    enrollment_date: earliest(eventMs, { where: isEnrol, doc: 'first COURSE_ENROLLED' }),
    last_enrollment_date: latest(eventMs, { where: isEnrol }),
    last_drop_date: latest(eventMs, { where: isDrop }),
    last_activity: latest(eventMs, { where: isStudentAction, doc: 'last own action in the course' }),
    quizzes_completed: count({ where: isQuiz }),
    avg_quiz_percentage: quizPercentage(),
    quiz_week_sum: sum(weeksOf, { where: isQuiz, doc: 'regression sum: Σ week of each quiz' }),
    quiz_week_sq_sum: sum((e) => weeksOf(e) ** 2, { where: isQuiz, doc: 'regression sum: Σ week²' }),
    quiz_pct_sum: sum(percentOf, { where: isQuiz, doc: 'regression sum: Σ quiz percentage' }),
    quiz_week_pct_sum: sum(
      (e) => {
        const p = percentOf(e);
        return p === null ? null : weeksOf(e) * p;
      },
      { where: isQuiz, doc: 'regression sum: Σ week × percentage' },
    ),
    assignments_seen: countDistinct(assignmentOf, {
      where: (e) => isSubmit(e) || e.eventType === 'VIEW_ASSIGNMENT_FIRST_TIME',
      doc: 'distinct assignments opened or submitted',
    }),
    assignments_submitted: countDistinct(assignmentOf, {
      where: isSubmit,
      doc: 'distinct assignments submitted',
    }),
    late_submissions: count({
      where: isLate,
      doc: 'SUBMIT_ASSIGNMENT after its due_date (only submissions with a known due date count)',
    }),
    videos_watched: countDistinct((e) => fieldOf(e, 'video_id'), { where: isVideo, doc: 'distinct videos' }),
  },
  lookups: { course: { view: 'course_video_catalogue', key: (row) => ({ course_id: row['course_id']! }) } },
  derived: {
    dropped: enrollment.derived.dropped,
    course_videos: {
      type: 'bigint',
      value: (_row, lookups) => num(lookups['course']?.['videos']) ?? 0,
      doc: 'distinct videos of the course watched by any student',
    },
    video_coverage_percentage: {
      type: 'double',
      value: (row) => percent(row['videos_watched'], row['course_videos']),
      doc: 'videos_watched / course_videos × 100 (2 decimals; null without course videos)',
    },
    days_inactive: {
      type: 'int',
      value: (row, _lookups, finish) => {
        const since = num(row['last_activity']) ?? num(row['enrollment_date']);
        return finish.asOf === undefined || since === null
          ? null
          : Math.max(0, Math.floor((finish.asOf - since) / dayMs));
      },
      doc: 'whole days from the last own action (or the enrolment) to the end of the newest day computed',
    },
    quiz_trend_per_week: {
      type: 'double',
      // Rounded to 0.1: quizzes minutes apart make the fit ill-conditioned (digits beyond are noise).
      value: (row) => {
        const trend = slope(
          num(row['quizzes_completed']) ?? 0,
          num(row['quiz_week_sum']) ?? 0,
          num(row['quiz_week_sq_sum']) ?? 0,
          num(row['quiz_pct_sum']) ?? 0,
          num(row['quiz_week_pct_sum']) ?? 0,
        );
        return trend === null ? null : Math.round(trend * 10) / 10;
      },
      doc: 'least-squares slope of quiz percentages, points per week, to 0.1 (null below 2 quiz times)',
    },
    assignments_missed: {
      type: 'bigint',
      value: (row) => (num(row['assignments_seen']) ?? 0) - (num(row['assignments_submitted']) ?? 0),
      doc: 'assignments_seen − assignments_submitted: opened, never submitted',
    },
    risk_score: { type: 'int', value: (row, _l, finish) => riskRow(row, finish).score, doc: '0-100' },
    risk_level: {
      type: 'text',
      value: (row, _l, finish) => riskRow(row, finish).level,
      doc: 'high, medium, low, none or dropped',
    },
    risk_reasons: {
      type: 'text',
      value: (row, _l, finish) => riskRow(row, finish).reasons.join(', '),
      doc: 'the rules that fired, `rule:value`, comma-separated',
    },
  },
  having: enrollment.having,
});

/** The risk rows of one course, ordered by student: a course's students with progress and risk. */
export const courseStudentRisk = defineBatchViewProjection(studentCourseRisk, {
  name: 'course_student_risk',
  doc: 'Reverse lookup of student_course_risk: per course, one row per enrolled student with progress and risk.',
  partitionKey: ['course_id'],
  clustering: [{ name: 'student_id', order: 'ASC' }],
});

/** The institution-wide risk list: partitions of score bands in the list's order, each ordered by `risk_rank`. */
export const riskRanking = defineBatchViewProjection(studentCourseRisk, {
  name: 'risk_ranking',
  doc: `student_course_risk ordered by risk: ${listingBuckets} partitions of score bands (bucket = band of 100 - risk_score, highest scores in bucket 0), each ordered by risk_rank (highest score first, then student and course); rewritten whole every run.`,
  partitionKey: ['bucket'],
  clustering: [
    { name: 'risk_rank', order: 'ASC' },
    { name: 'student_id', order: 'ASC' },
    { name: 'course_id', order: 'ASC' },
  ],
  derived: {
    ...studentCourseRisk.derived,
    bucket: {
      type: 'int',
      value: (row) =>
        riskRankBucket(
          riskRank(num(row['risk_score']) ?? 0, String(row['student_id']), String(row['course_id'])),
        ),
      doc: `score band of risk_rank (0-${listingBuckets - 1}, highest scores first): the partitions follow the list's order`,
      domain: Array.from({ length: listingBuckets }, (_, bucket) => bucket),
    },
    risk_rank: {
      type: 'text',
      value: (row) =>
        riskRank(num(row['risk_score']) ?? 0, String(row['student_id']), String(row['course_id'])),
      doc: '(100 − risk_score) zero-padded | student_id | course_id: one column that orders the list',
    },
  },
});

/** A column of the student's risk row (the `risk` lookup of `courseRiskRanking`). */
const fromRisk = (column: string, type: Derived['type']): Derived => ({
  type,
  value: (_row, lookups) => lookups['risk']?.[column] ?? null,
  doc: `${column} of student_course_risk`,
});

/**
 * A course's enrolled students ranked by risk: the page of a course's students sorted by risk reads the
 * first `limit + 1` rows of one partition instead of joining and sorting the course's enrolment and risk
 * rows. The enrolment columns of `course_student_enrollment` with the risk columns of `student_course_risk`.
 */
export const courseRiskRanking = defineBatchViewProjection(studentCourseDetailed, {
  name: 'course_risk_ranking',
  doc: "Per course, its enrolled students ordered by risk (risk_rank: highest score first, then student): course_student_enrollment's columns with student_course_risk's score, level, reasons and signals; rewritten whole every run.",
  partitionKey: ['course_id'],
  clustering: [
    { name: 'risk_rank', order: 'ASC' },
    { name: 'student_id', order: 'ASC' },
  ],
  asOf: true,
  lookups: {
    risk: {
      view: 'student_course_risk',
      key: (row) => ({ student_id: row['student_id']!, course_id: row['course_id']! }),
    },
  },
  ...enrollment,
  derived: {
    ...enrollment.derived,
    video_coverage_percentage: fromRisk('video_coverage_percentage', 'double'),
    days_inactive: fromRisk('days_inactive', 'int'),
    risk_score: fromRisk('risk_score', 'int'),
    risk_level: fromRisk('risk_level', 'text'),
    risk_reasons: fromRisk('risk_reasons', 'text'),
    risk_rank: {
      type: 'text',
      value: (row, lookups) =>
        riskRank(
          num(lookups['risk']?.['risk_score']) ?? 0,
          String(row['student_id']),
          String(row['course_id']),
        ),
      doc: '(100 − risk_score) zero-padded | student_id | course_id: one column that orders the list',
    },
  },
});
