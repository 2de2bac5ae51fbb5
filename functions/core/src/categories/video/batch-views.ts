/**
 * Batch views of the video job (the older system's job 3). Every view reads VIDEO_WATCHED by students. Completion
 * uses the video's duration carried on the event: completion % = min(100, watched / duration × 100), and a
 * viewing session completes the video when it reaches 80 %.
 */
import type { EventNamed } from '../../events/typed.ts';
import { avg, count, countDistinct, max, min, sum } from '../../views/aggregates.ts';
import type { Value } from '../../views/columns.ts';
import {
  type Derived,
  defineBatchView,
  defineBatchViewProjection,
  key,
  percent,
} from '../../views/define.ts';

type Watched = EventNamed<'VIDEO_WATCHED'>;
const watched = (e: Watched) => e.eventType === 'VIDEO_WATCHED' && e.data.role === 'student';
const videoOf = (e: Watched) => e.data.video_id;
const courseOf = (e: Watched) => e.data.course_id;
const seconds = (e: Watched) => e.data.watch_duration_seconds;
const durationOf = (e: Watched) => e.data.video_duration_seconds;

/** Share of the video watched in one session, 0-100. */
export const completionPercent = (e: Watched): number | null => {
  const watchedSeconds = seconds(e);
  const duration = durationOf(e);
  return watchedSeconds === undefined || !duration ? null : Math.min(100, (watchedSeconds / duration) * 100);
};
/** The 80 % rule: a session that watched at least 80 % of the video completes it. */
export const completesVideo = (e: Watched) => (completionPercent(e) ?? 0) >= 80;

const hours = (column: string): Derived => ({
  type: 'double',
  value: (row) => {
    const value = row[column];
    return typeof value === 'number' ? value / 3600 : null;
  },
  doc: `${column} / 3600`,
});
const minutes = (column: string): Derived => ({
  type: 'double',
  value: (row) => {
    const value = row[column];
    return typeof value === 'number' ? value / 60 : null;
  },
  doc: `${column} / 60`,
});
const rate = (part: string, whole: string, doc: string): Derived => ({
  type: 'double',
  value: (row) => percent(row[part], row[whole]),
  doc,
});

const student = key.text<Watched>((e) => e.data.user_id);
const course = key.text<Watched>(courseOf);
const video = key.text<Watched>(videoOf);

export const videoTotalWatchTime = defineBatchView<'VIDEO_WATCHED'>({
  name: 'video_total_watch_time',
  job: 'video',
  doc: 'Per student, course and video: watch time, viewing sessions and best completion.',
  sources: ['video'],
  where: watched,
  period: 'all',
  keys: { user_id: student, course_id: course, video_id: video },
  partitionKey: ['user_id'],
  metrics: {
    total_watch_seconds: sum(seconds, { type: 'bigint' }),
    total_watch_sessions: count({ doc: 'VIDEO_WATCHED events (one per viewing session)' }),
    avg_watch_duration_seconds: avg(seconds),
    longest_session_seconds: max(seconds, { type: 'bigint' }),
    shortest_session_seconds: min(seconds, { type: 'bigint' }),
    video_duration_seconds: max(durationOf, { type: 'bigint' }),
    max_completion_percentage: max(completionPercent, { doc: 'best single-session completion %' }),
  },
  derived: {
    total_watch_minutes: minutes('total_watch_seconds'),
    total_watch_hours: hours('total_watch_seconds'),
    is_completed: {
      type: 'boolean',
      value: (row) =>
        typeof row['max_completion_percentage'] === 'number' && row['max_completion_percentage'] >= 80,
      doc: 'some session watched at least 80 % of the video',
    },
  },
});

export const videoStudentEngagement = defineBatchView<'VIDEO_WATCHED'>({
  name: 'video_student_engagement',
  job: 'video',
  doc: 'Per student and course: distinct videos, watch time, events and videos completed (80 % rule).',
  sources: ['video'],
  where: watched,
  period: 'all',
  keys: { user_id: student, course_id: course },
  partitionKey: ['user_id'],
  metrics: {
    unique_videos_watched: countDistinct(videoOf),
    total_watch_seconds: sum(seconds, { type: 'bigint' }),
    total_video_events: count(),
    avg_watch_duration_seconds: avg(seconds),
    videos_completed: countDistinct(videoOf, { where: completesVideo, doc: 'distinct videos completed' }),
    avg_completion_percentage: avg(completionPercent),
  },
  derived: { total_watch_hours: hours('total_watch_seconds') },
});

export const videoPopularity = defineBatchView<'VIDEO_WATCHED'>({
  name: 'video_popularity',
  job: 'video',
  doc: 'Per video and course: distinct viewers, view time, view events and completion rate.',
  sources: ['video'],
  where: watched,
  period: 'all',
  keys: { video_id: video, course_id: course },
  partitionKey: ['video_id'],
  metrics: {
    unique_viewers: countDistinct((e) => e.data.user_id),
    total_views_seconds: sum(seconds, { type: 'bigint' }),
    total_view_events: count(),
    avg_view_duration_seconds: avg(seconds),
    completed_views: count({ where: completesVideo, doc: 'sessions reaching 80 %' }),
    min_view_duration_seconds: min(seconds, { type: 'bigint' }),
    avg_completion_percentage: avg(completionPercent),
  },
  derived: {
    total_views_hours: hours('total_views_seconds'),
    completion_rate: rate(
      'completed_views',
      'total_view_events',
      'completed_views / total_view_events × 100',
    ),
  },
});

export const videoDailyEngagement = defineBatchView<'VIDEO_WATCHED'>({
  name: 'video_daily_engagement',
  job: 'video',
  doc: 'Per local date and course: active watchers, distinct videos, watch time and events.',
  sources: ['video'],
  where: watched,
  period: 'day',
  keys: { course_id: course },
  partitionKey: ['date'],
  metrics: {
    active_video_watchers: countDistinct((e) => e.data.user_id),
    unique_videos_watched: countDistinct(videoOf),
    total_watch_seconds: sum(seconds, { type: 'bigint' }),
    total_watch_events: count(),
  },
  derived: { total_watch_hours: hours('total_watch_seconds') },
});

export const videoCourseMetrics = defineBatchView<'VIDEO_WATCHED'>({
  name: 'video_course_metrics',
  job: 'video',
  doc: 'Per course: students watching, distinct videos watched, watch time and mean completion.',
  sources: ['video'],
  where: watched,
  period: 'all',
  keys: { course_id: course },
  partitionKey: ['course_id'],
  metrics: {
    total_students_watching: countDistinct((e) => e.data.user_id),
    total_videos_in_course: countDistinct(videoOf, {
      doc: 'distinct videos of the course watched by anyone',
    }),
    total_course_watch_seconds: sum(seconds, { type: 'bigint' }),
    avg_completion_percentage: avg(completionPercent),
  },
  derived: { total_course_watch_hours: hours('total_course_watch_seconds') },
});

export const videoStudentCourseSummary = defineBatchViewProjection(videoStudentEngagement, {
  name: 'video_student_course_summary',
  doc:
    "Per student and course: videos watched and their share of the course's videos " +
    '(total_videos_in_course from video_course_metrics).',
  partitionKey: ['user_id'],
  metrics: {
    videos_watched_count: 'unique_videos_watched',
    total_watch_seconds: 'total_watch_seconds',
    total_sessions: 'total_video_events',
    videos_completed: 'videos_completed',
  },
  lookups: {
    course: { view: 'video_course_metrics', key: (row) => ({ course_id: row['course_id'] as Value }) },
  },
  derived: {
    total_watch_hours: hours('total_watch_seconds'),
    total_videos_in_course: {
      type: 'bigint',
      value: (_row, { course }) => course?.['total_videos_in_course'] ?? null,
    },
    video_coverage_percentage: {
      type: 'double',
      value: (row, { course }) => percent(row['videos_watched_count'], course?.['total_videos_in_course']),
      doc: 'videos_watched_count / total_videos_in_course × 100 (2 decimals)',
    },
  },
});

/** Drop-off risk from mean completion (design intent: < 50 % completion ⇒ at risk). */
export const dropOffRisk = (avgCompletion: Value): string | null =>
  typeof avgCompletion !== 'number'
    ? null
    : avgCompletion < 50
      ? 'High Risk'
      : avgCompletion < 80
        ? 'Medium Risk'
        : 'Good Engagement';

export const videoDropOffIndicators = defineBatchViewProjection(videoPopularity, {
  name: 'video_drop_off_indicators',
  doc: 'Per video and course: views, watch durations, viewers and a drop-off risk from mean completion.',
  partitionKey: ['video_id'],
  metrics: {
    total_views: 'total_view_events',
    avg_watch_duration: 'avg_view_duration_seconds',
    min_watch_duration: 'min_view_duration_seconds',
    unique_viewers: 'unique_viewers',
    avg_completion_percentage: 'avg_completion_percentage',
  },
  derived: {
    potential_drop_off: {
      type: 'text',
      value: (row) => dropOffRisk(row['avg_completion_percentage'] ?? null),
      doc: "'High Risk' if mean completion < 50 %, 'Medium Risk' if < 80 %, else 'Good Engagement'",
    },
  },
});

/**
 * The drop-off indicators again with the course as partition: a course's instructor page reads its videos
 * in one partition read instead of the table keyed by video.
 */
export const videoCourseDropOff = defineBatchViewProjection(videoPopularity, {
  name: 'video_course_drop_off',
  doc:
    'Per course and video (partition = course): the columns of video_drop_off_indicators, for the videos ' +
    'of one course in one read.',
  partitionKey: ['course_id'],
  clustering: [{ name: 'video_id', order: 'ASC' }],
  metrics: videoDropOffIndicators.projectionOf!.metrics,
  derived: videoDropOffIndicators.derived!,
});

/** The batch side of the merged video engagement (speed view `video_engagement`): same metrics, per day. */
export const videoDailyViews = defineBatchView<'VIDEO_WATCHED'>({
  name: 'video_daily_views',
  job: 'video',
  doc: 'Per local date and video: viewing sessions and seconds watched (merged with speed video_engagement).',
  sources: ['video'],
  where: (e) => e.eventType === 'VIDEO_WATCHED',
  period: 'day',
  keys: { video_id: key.text<Watched>(videoOf) },
  partitionKey: ['date'],
  metrics: {
    views: count(),
    watch_seconds: sum(seconds, { type: 'bigint' }),
  },
});
