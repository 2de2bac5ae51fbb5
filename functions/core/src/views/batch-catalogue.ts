import * as assessment from '../categories/assessment/batch-views.ts';
import * as auth from '../categories/auth/batch-views.ts';
import { authDailyActiveUsers } from '../categories/auth/views.ts';
import * as course from '../categories/course/batch-views.ts';
import * as notification from '../categories/notification/batch-views.ts';
import * as profile from '../categories/profile/batch-views.ts';
import * as studentCourse from '../categories/student-course/batch-views.ts';
import * as video from '../categories/video/batch-views.ts';
import type { BatchJob, BatchViewDefinition } from './define.ts';

/**
 * Every batch view, in job order (the older system's 37 views of jobs 1-5, its 4 of student_course_analytics,
 * the reverse-lookup copy course_student_enrollment, the 7-day engagement distribution that replaces the
 * older system's all-time one, the batch sides of merged speed views, the score distributions, the course page's per-course
 * views (timeliness, daily active students, video drop-off by course), and
 * intermediate stages that are not stored).
 * Adding a view = declaring it in its category's batch-views.ts and listing it here.
 */
export const batchViews: readonly BatchViewDefinition<never>[] = [
  // auth
  authDailyActiveUsers,
  auth.authHourlyLoginPatterns,
  auth.authSessions,
  auth.authUserSessionMetrics,
  auth.authUserActivitySummary,
  auth.authRegistrationAnalytics,
  // assessment
  assessment.assessmentStudentSubmissions,
  assessment.assessmentAssignmentFirstActions,
  assessment.assessmentEngagementTimeline,
  assessment.assessmentQuizPerformance,
  assessment.assessmentGradingStats,
  assessment.assessmentTeacherWorkload,
  assessment.assessmentSubmissionDistribution,
  assessment.assessmentStudentOverallPerformance,
  assessment.assessmentScoreDistribution,
  assessment.assessmentCourseTimeliness,
  // video
  video.videoTotalWatchTime,
  video.videoStudentEngagement,
  video.videoPopularity,
  video.videoDailyEngagement,
  video.videoCourseMetrics,
  video.videoStudentCourseSummary,
  video.videoDropOffIndicators,
  video.videoCourseDropOff,
  video.videoDailyViews,
  // course
  course.courseEnrollmentStats,
  course.courseMaterialAccess,
  course.courseMaterialPopularity,
  course.courseDownloadAnalytics,
  course.courseResourceDownloadStats,
  course.courseActivitySummary,
  course.courseDailyEngagement,
  course.courseOverallMetrics,
  // profile_notification
  profile.profileUpdateFrequency,
  profile.profileFieldChanges,
  profile.profileAvatarChanges,
  profile.profileDailyActivity,
  notification.notificationDeliveryStats,
  notification.notificationEngagement,
  notification.notificationClickThroughRate,
  notification.notificationUserPreferences,
  notification.notificationDailyActivity,
  notification.notificationUserSummary,
  // student_course_analytics
  studentCourse.courseOverview,
  studentCourse.studentOverview,
  studentCourse.knownStudentCount,
  studentCourse.studentCourseEnrollment,
  studentCourse.courseStudentEnrollment,
  studentCourse.studentCourseDetailed,
  studentCourse.studentActivity7d,
  studentCourse.studentEngagementDistribution,
  studentCourse.studentActivityHistory,
  studentCourse.courseDailyActiveStudents,
  course.courseDailyInteractions,
  studentCourse.studentDirectory,
  studentCourse.courseDirectory,
  studentCourse.courseVideoCatalogue,
  studentCourse.studentCourseRisk,
  studentCourse.courseStudentRisk,
  studentCourse.riskRanking,
  studentCourse.courseRiskRanking,
];

/** The batch views of one job, in declaration order. */
export const batchViewsOf = (job: BatchJob): BatchViewDefinition<never>[] =>
  batchViews.filter((v) => v.job === job);

export const batchViewNamed = (name: string): BatchViewDefinition<never> => {
  const view = batchViews.find((v) => v.name === name);
  if (!view) throw new Error(`no batch view named ${name}`);
  return view;
};
