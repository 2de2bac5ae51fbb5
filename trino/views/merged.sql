-- Merged Trino views: the Cassandra batch and speed tables of one quantity, cut at the batch watermark
-- exactly like the HTTP API (functions/core/src/serving/merge.ts, docs/serving.md):
--   a local day comes from the batch table when it ends at or before the view's watermark
--   (batch_watermarks), otherwise from the speed table's facts; nothing is counted twice.
-- Placeholders, filled in by functions/serving/src/trino/views.ts (npm run -w @ula/serving trino:views):
--   ${schema}    where the views live (default lake.serving; the hive catalog stores views)
--   ${cassandra} the Cassandra catalog and keyspace (default cassandra.lms_analytics)
--   ${tz}        the analytics time zone (ULA_TIMEZONE, default Asia/Ho_Chi_Minh)
-- One statement per block, separated by a line holding only ';'.

CREATE SCHEMA IF NOT EXISTS ${schema}
;

-- Daily active users: batch days before the watermark, the live per-day view (distinct members) after.
CREATE OR REPLACE VIEW ${schema}.daily_active_users
COMMENT 'Distinct users per local day, merged at the batch watermark (batch: auth_daily_active_users, speed: daily_active_users_live)'
AS
WITH watermark AS (
  SELECT coalesce(max(watermark), from_unixtime(0)) AS at
  FROM ${cassandra}.batch_watermarks
  WHERE view_name = 'auth_daily_active_users'
)
SELECT b.date, b.daily_active_users, b.total_sessions, 'batch' AS source
FROM ${cassandra}.auth_daily_active_users b
CROSS JOIN watermark w
WHERE with_timezone(CAST(b.date + INTERVAL '1' DAY AS timestamp(3)), '${tz}') <= w.at
UNION ALL
SELECT
  CAST(s.window_start AT TIME ZONE '${tz}' AS date) AS date,
  count_if(s.metric = 'daily_active_users') AS daily_active_users,
  count_if(s.metric = 'total_sessions') AS total_sessions,
  'speed' AS source
FROM ${cassandra}.daily_active_users_live s
CROSS JOIN watermark w
WHERE with_timezone(CAST(CAST(s.window_start AT TIME ZONE '${tz}' AS date) + INTERVAL '1' DAY AS timestamp(3)), '${tz}') > w.at
GROUP BY s.window_start
;

-- Course popularity per local day and course: batch per-day interactions + 1-minute speed windows.
CREATE OR REPLACE VIEW ${schema}.course_popularity_daily
COMMENT 'Interactions per local day and course, merged at the batch watermark (batch: course_daily_interactions, speed: course_popularity)'
AS
WITH watermark AS (
  SELECT coalesce(max(watermark), from_unixtime(0)) AS at
  FROM ${cassandra}.batch_watermarks
  WHERE view_name = 'course_daily_interactions'
)
SELECT b.date, b.course_id, b.interactions, 'batch' AS source
FROM ${cassandra}.course_daily_interactions b
CROSS JOIN watermark w
WHERE with_timezone(CAST(b.date + INTERVAL '1' DAY AS timestamp(3)), '${tz}') <= w.at
UNION ALL
SELECT
  CAST(s.window_start AT TIME ZONE '${tz}' AS date) AS date,
  s.course_id,
  count(*) AS interactions,
  'speed' AS source
FROM ${cassandra}.course_popularity s
CROSS JOIN watermark w
WHERE s.metric = 'interactions'
  AND with_timezone(CAST(CAST(s.window_start AT TIME ZONE '${tz}' AS date) + INTERVAL '1' DAY AS timestamp(3)), '${tz}') > w.at
GROUP BY CAST(s.window_start AT TIME ZONE '${tz}' AS date), s.course_id
;

-- Video engagement per local day and video: batch per-day views and seconds + 1-minute speed windows.
CREATE OR REPLACE VIEW ${schema}.video_engagement_daily
COMMENT 'Views and seconds watched per local day and video, merged at the batch watermark (batch: video_daily_views, speed: video_engagement)'
AS
WITH watermark AS (
  SELECT coalesce(max(watermark), from_unixtime(0)) AS at
  FROM ${cassandra}.batch_watermarks
  WHERE view_name = 'video_daily_views'
)
SELECT b.date, b.video_id, b.views, CAST(b.watch_seconds AS double) AS watch_seconds, 'batch' AS source
FROM ${cassandra}.video_daily_views b
CROSS JOIN watermark w
WHERE with_timezone(CAST(b.date + INTERVAL '1' DAY AS timestamp(3)), '${tz}') <= w.at
UNION ALL
SELECT
  CAST(s.window_start AT TIME ZONE '${tz}' AS date) AS date,
  s.video_id,
  count_if(s.metric = 'views') AS views,
  coalesce(sum(s.value) FILTER (WHERE s.metric = 'watch_seconds'), 0) AS watch_seconds,
  'speed' AS source
FROM ${cassandra}.video_engagement s
CROSS JOIN watermark w
WHERE with_timezone(CAST(CAST(s.window_start AT TIME ZONE '${tz}' AS date) + INTERVAL '1' DAY AS timestamp(3)), '${tz}') > w.at
GROUP BY CAST(s.window_start AT TIME ZONE '${tz}' AS date), s.video_id
;

-- Active users per 1-minute window (speed only; sliding windows, one row per window).
CREATE OR REPLACE VIEW ${schema}.active_users
COMMENT 'Distinct users logging in per 1-minute window sliding every 30 s (speed layer)'
AS
SELECT s.window_start, count(*) AS active_users
FROM ${cassandra}.active_users s
WHERE s.metric = 'active_users'
GROUP BY s.window_start
;
