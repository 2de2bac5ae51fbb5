import { count, countDistinct, sum } from '../../views/aggregates.ts';
import { defineSpeedView, key } from '../../views/define.ts';

/** The older system's running view (views per video; docs/architecture.md#the-older-system), plus the unique viewers and watch time it left out. */
export const videoEngagement = defineSpeedView<'VIDEO_WATCHED'>({
  name: 'video_engagement',
  doc: 'Per minute and video: viewing sessions, distinct viewers and seconds watched.',
  sources: ['video'],
  where: (e) => e.eventType === 'VIDEO_WATCHED',
  window: { size: 60, slide: 60 },
  keys: { video_id: key.text((e) => e.data.video_id) },
  metrics: {
    views: count(),
    unique_viewers: countDistinct((e) => e.data.user_id),
    watch_seconds: sum((e) => e.data.watch_duration_seconds),
  },
});
