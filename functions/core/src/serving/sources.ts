/**
 * The views the serving layer reads, by name, in one place. Every reader resolves them through the view
 * registry (`allTables`), so a column or key change in a declaration reaches the API by itself; a view
 * not declared (yet) makes the endpoints that need it answer without it and say so.
 */
export const sources = {
  /** Daily active users: batch days before the watermark, the live per-day view from it on. */
  dailyActiveUsers: {
    batch: 'auth_daily_active_users',
    speed: 'daily_active_users_live',
    metrics: ['daily_active_users', 'total_sessions'],
  },
  /** Interactions per course: batch per-day totals + 1-minute speed windows after the watermark. */
  coursePopularity: {
    batch: 'course_daily_interactions',
    speed: 'course_popularity',
    grain: ['course_id'],
    /** merged name → [batch column, speed column] */
    metrics: { interactions: ['interactions', 'interactions'] },
    orderBy: 'interactions',
  },
  /** Views and seconds watched per video: batch per-day totals + 1-minute speed windows. */
  videoEngagement: {
    batch: 'video_daily_views',
    speed: 'video_engagement',
    grain: ['video_id'],
    metrics: { views: ['views', 'views'], watch_seconds: ['watch_seconds', 'watch_seconds'] },
    orderBy: 'views',
  },
  activeUsers: 'active_users',
  recent: {
    videos: 'video_engagement',
    courses: 'course_popularity',
    submissions: 'assessment_realtime_submissions_1min',
    logins: 'auth_realtime_login_rate',
  },
  courseOverview: 'course_overview',
  studentOverview: 'student_overview',
  /** One row: how many students student_overview holds (no scan for the totals). */
  knownStudents: 'known_student_count',
  courseStudents: 'course_student_enrollment',
  studentCourses: 'student_course_enrollment',
  /** Per student (partition) and local date: activity in the 7 days ending at the date. */
  studentActivity: 'student_activity_history',
  studentCourseDetail: 'student_course_detailed',
  /** Listing copies for prefix search and paging (partitions in id order, clustered by id). */
  studentDirectory: 'student_directory',
  courseDirectory: 'course_directory',
  /** At-risk lists: per course (partition = course) and institution-wide (partitions of score bands, by rank). */
  courseRisk: 'course_student_risk',
  riskRanking: 'risk_ranking',
  /** A course's students with progress and risk, ordered by risk (partition = course, clustered by rank). */
  courseRiskRanking: 'course_risk_ranking',
  /** Per course: quiz and assignment results by band of percent of the maximum score. */
  scoreDistribution: 'assessment_score_distribution',
  /** A course's instructor page: per local date and course (clustered by course), and videos by course. */
  courseTimeliness: 'assessment_course_timeliness',
  courseActiveStudents: 'course_daily_active_students',
  courseVideos: 'video_course_drop_off',
  /** 7-day engagement: students per level on the last batch date. */
  engagement: 'student_engagement_distribution',
  /** The batch layer's recent activity per local day. */
  batchRecent: { videos: 'video_daily_engagement', downloads: 'course_daily_engagement' },
} as const;

export type TotalsSource = typeof sources.coursePopularity | typeof sources.videoEngagement;

/** Every view name the serving layer depends on. */
export const servingViewNames = (): string[] => [
  sources.dailyActiveUsers.batch,
  sources.dailyActiveUsers.speed,
  sources.coursePopularity.batch,
  sources.coursePopularity.speed,
  sources.videoEngagement.batch,
  sources.videoEngagement.speed,
  sources.activeUsers,
  ...Object.values(sources.recent),
  sources.courseOverview,
  sources.studentOverview,
  sources.knownStudents,
  sources.courseStudents,
  sources.studentCourses,
  sources.studentCourseDetail,
  sources.studentDirectory,
  sources.courseDirectory,
  sources.courseRisk,
  sources.riskRanking,
  sources.courseRiskRanking,
  sources.studentActivity,
  sources.engagement,
  sources.scoreDistribution,
  sources.courseTimeliness,
  sources.courseActiveStudents,
  sources.courseVideos,
  ...Object.values(sources.batchRecent),
];
