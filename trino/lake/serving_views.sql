-- Generated from trino/views/merged.sql by functions/serving/src/trino/views.ts (servingViewsSqlFile; write
-- it with `npx tsx scripts/trino-lake.ts --write`); a unit test checks this file is up to date.
-- The merged batch+speed views lake.serving.* over cassandra.lms_analytics, for the Trino CLI
-- (`trino -f`). ${ULA_TIMEZONE} is the analytics time zone: scripts/deploy_minikube.sh fills it in.
-- The local stack applies the same views through trino-client (scripts/trino-lake.ts).

CREATE SCHEMA IF NOT EXISTS lake.serving;

CREATE OR REPLACE VIEW lake.serving.daily_active_users
COMMENT 'Distinct users per local day, merged at the batch watermark (batch: auth_daily_active_users, speed: daily_active_users_live)'
AS
WITH watermark AS (
  SELECT coalesce(max(watermark), from_unixtime(0)) AS at
  FROM cassandra.lms_analytics.batch_watermarks
  WHERE view_name = 'auth_daily_active_users'
)
SELECT b.date, b.daily_active_users, b.total_sessions, 'batch' AS source
FROM cassandra.lms_analytics.auth_daily_active_users b
CROSS JOIN watermark w
WHERE with_timezone(CAST(b.date + INTERVAL '1' DAY AS timestamp(3)), '${ULA_TIMEZONE}') <= w.at
UNION ALL
SELECT
  CAST(s.window_start AT TIME ZONE '${ULA_TIMEZONE}' AS date) AS date,
  count_if(s.metric = 'daily_active_users') AS daily_active_users,
  count_if(s.metric = 'total_sessions') AS total_sessions,
  'speed' AS source
FROM cassandra.lms_analytics.daily_active_users_live s
CROSS JOIN watermark w
WHERE with_timezone(CAST(CAST(s.window_start AT TIME ZONE '${ULA_TIMEZONE}' AS date) + INTERVAL '1' DAY AS timestamp(3)), '${ULA_TIMEZONE}') > w.at
GROUP BY s.window_start;

CREATE OR REPLACE VIEW lake.serving.course_popularity_daily
COMMENT 'Interactions per local day and course, merged at the batch watermark (batch: course_daily_interactions, speed: course_popularity)'
AS
WITH watermark AS (
  SELECT coalesce(max(watermark), from_unixtime(0)) AS at
  FROM cassandra.lms_analytics.batch_watermarks
  WHERE view_name = 'course_daily_interactions'
)
SELECT b.date, b.course_id, b.interactions, 'batch' AS source
FROM cassandra.lms_analytics.course_daily_interactions b
CROSS JOIN watermark w
WHERE with_timezone(CAST(b.date + INTERVAL '1' DAY AS timestamp(3)), '${ULA_TIMEZONE}') <= w.at
UNION ALL
SELECT
  CAST(s.window_start AT TIME ZONE '${ULA_TIMEZONE}' AS date) AS date,
  s.course_id,
  count(*) AS interactions,
  'speed' AS source
FROM cassandra.lms_analytics.course_popularity s
CROSS JOIN watermark w
WHERE s.metric = 'interactions'
  AND with_timezone(CAST(CAST(s.window_start AT TIME ZONE '${ULA_TIMEZONE}' AS date) + INTERVAL '1' DAY AS timestamp(3)), '${ULA_TIMEZONE}') > w.at
GROUP BY CAST(s.window_start AT TIME ZONE '${ULA_TIMEZONE}' AS date), s.course_id;

CREATE OR REPLACE VIEW lake.serving.video_engagement_daily
COMMENT 'Views and seconds watched per local day and video, merged at the batch watermark (batch: video_daily_views, speed: video_engagement)'
AS
WITH watermark AS (
  SELECT coalesce(max(watermark), from_unixtime(0)) AS at
  FROM cassandra.lms_analytics.batch_watermarks
  WHERE view_name = 'video_daily_views'
)
SELECT b.date, b.video_id, b.views, CAST(b.watch_seconds AS double) AS watch_seconds, 'batch' AS source
FROM cassandra.lms_analytics.video_daily_views b
CROSS JOIN watermark w
WHERE with_timezone(CAST(b.date + INTERVAL '1' DAY AS timestamp(3)), '${ULA_TIMEZONE}') <= w.at
UNION ALL
SELECT
  CAST(s.window_start AT TIME ZONE '${ULA_TIMEZONE}' AS date) AS date,
  s.video_id,
  count_if(s.metric = 'views') AS views,
  coalesce(sum(s.value) FILTER (WHERE s.metric = 'watch_seconds'), 0) AS watch_seconds,
  'speed' AS source
FROM cassandra.lms_analytics.video_engagement s
CROSS JOIN watermark w
WHERE with_timezone(CAST(CAST(s.window_start AT TIME ZONE '${ULA_TIMEZONE}' AS date) + INTERVAL '1' DAY AS timestamp(3)), '${ULA_TIMEZONE}') > w.at
GROUP BY CAST(s.window_start AT TIME ZONE '${ULA_TIMEZONE}' AS date), s.video_id;

CREATE OR REPLACE VIEW lake.serving.active_users
COMMENT 'Distinct users logging in per 1-minute window sliding every 30 s (speed layer)'
AS
SELECT s.window_start, count(*) AS active_users
FROM cassandra.lms_analytics.active_users s
WHERE s.metric = 'active_users'
GROUP BY s.window_start;
