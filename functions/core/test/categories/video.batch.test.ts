import { describe, expect, it } from 'vitest';
import { computeViews, ev, pick } from '../batch-support.ts';

const range = { from: '2026-03-01', to: '2026-03-03' };
const watch = (user: string, video: string, seconds: number, duration: number, course = 'COURSE001') =>
  ev('VIDEO_WATCHED', '2026-03-02T10:00', user, {
    video_id: video,
    course_id: course,
    watch_duration_seconds: seconds,
    video_duration_seconds: duration,
    session_id: '11111111-1111-4111-8111-111111111111',
  });

describe('video batch views (given events → expected rows)', () => {
  it('completion % and the 80 % rule come from video_duration_seconds', async () => {
    const events = [
      watch('SV001', 'VID001', 300, 600), // 50 %
      watch('SV001', 'VID001', 500, 600), // 83.3 % → completes
      watch('SV002', 'VID001', 60, 600), // 10 %
      watch('SV002', 'VID002', 1200, 600), // capped at 100 %
    ];
    const rows = await computeViews(
      'video',
      events,
      [
        'video_total_watch_time',
        'video_popularity',
        'video_drop_off_indicators',
        'video_student_course_summary',
      ],
      range,
    );
    expect(
      pick(rows['video_total_watch_time']!, [
        'user_id',
        'video_id',
        'max_completion_percentage',
        'is_completed',
      ]),
    ).toEqual([
      {
        user_id: 'SV001',
        video_id: 'VID001',
        max_completion_percentage: (500 / 600) * 100,
        is_completed: true,
      },
      { user_id: 'SV002', video_id: 'VID001', max_completion_percentage: 10, is_completed: false },
      { user_id: 'SV002', video_id: 'VID002', max_completion_percentage: 100, is_completed: true },
    ]);
    expect(
      pick(rows['video_popularity']!, ['video_id', 'unique_viewers', 'completed_views', 'completion_rate']),
    ).toEqual([
      { video_id: 'VID001', unique_viewers: 2, completed_views: 1, completion_rate: 33.33 },
      { video_id: 'VID002', unique_viewers: 1, completed_views: 1, completion_rate: 100 },
    ]);
    expect(pick(rows['video_drop_off_indicators']!, ['video_id', 'potential_drop_off'])).toEqual([
      { video_id: 'VID001', potential_drop_off: 'High Risk' },
      { video_id: 'VID002', potential_drop_off: 'Good Engagement' },
    ]);
    expect(
      pick(rows['video_student_course_summary']!, [
        'user_id',
        'videos_watched_count',
        'total_videos_in_course',
        'video_coverage_percentage',
      ]),
    ).toEqual([
      { user_id: 'SV001', videos_watched_count: 1, total_videos_in_course: 2, video_coverage_percentage: 50 },
      {
        user_id: 'SV002',
        videos_watched_count: 2,
        total_videos_in_course: 2,
        video_coverage_percentage: 100,
      },
    ]);
  });
});
