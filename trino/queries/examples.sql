-- Example queries (README, docs/serving.md). Run them in the Trino CLI or through trino-client;
-- functions/serving/test/trino.int.test.ts runs every one against the local stack.
-- Each query is preceded by a `-- name:` line. Views in lake.serving come from trino/views/merged.sql, the raw
-- lake's lake.raw.<category> tables and lake.events.<category> views from trino/lake/raw_tables.sql.

-- name: daily_active_users
-- The first query of the older system (docs/architecture.md#the-older-system): daily active users, now merged at the batch watermark (no double counting).
SELECT date, daily_active_users, total_sessions, source
FROM lake.serving.daily_active_users
ORDER BY date DESC
LIMIT 30;

-- name: video_popularity_by_view_seconds
-- The older system's second query: videos ordered by total view seconds (batch, all time).
SELECT video_id, course_id, unique_viewers, total_views_seconds, total_view_events, total_views_hours
FROM cassandra.lms_analytics.video_popularity
ORDER BY total_views_seconds DESC
LIMIT 20;

-- name: course_popularity_last_7_days
-- Top courses by interactions over the last 7 local days, batch and speed merged.
SELECT course_id, sum(interactions) AS interactions,
       sum(interactions) FILTER (WHERE source = 'batch') AS from_batch,
       sum(interactions) FILTER (WHERE source = 'speed') AS from_speed
FROM lake.serving.course_popularity_daily
WHERE date >= current_date - INTERVAL '6' DAY
GROUP BY course_id
ORDER BY interactions DESC
LIMIT 10;

-- name: video_engagement_last_7_days
-- Videos by views over the last 7 local days, merged.
SELECT video_id, sum(views) AS views, sum(watch_seconds) AS watch_seconds
FROM lake.serving.video_engagement_daily
WHERE date >= current_date - INTERVAL '6' DAY
GROUP BY video_id
ORDER BY views DESC
LIMIT 10;

-- name: active_users_last_hour
-- Active users per window over the last hour (speed layer).
SELECT window_start, active_users
FROM lake.serving.active_users
WHERE window_start >= current_timestamp - INTERVAL '1' HOUR
ORDER BY window_start;

-- name: batch_freshness
-- When each batch view was last made exact (the merge point).
SELECT view_name, watermark, updated_at, run_id
FROM cassandra.lms_analytics.batch_watermarks
ORDER BY watermark;

-- name: top_students_by_watch_time
-- Students with the most watch time (ids only; no profile details exist in the views).
SELECT student_id, total_videos_watched, total_watch_seconds, total_courses_enrolled
FROM cassandra.lms_analytics.student_overview
ORDER BY total_watch_seconds DESC
LIMIT 10;

-- name: at_risk_students
-- The at-risk early warning (batch view student_course_risk; rules and weights in docs/views.md): enrolled
-- students by score, with the reasons. One course's list is one partition of course_student_risk.
SELECT student_id, course_id, risk_score, risk_level, risk_reasons, days_inactive, avg_quiz_percentage,
  video_coverage_percentage
FROM cassandra.lms_analytics.student_course_risk
ORDER BY risk_score DESC, student_id, course_id
LIMIT 50;

-- name: risk_levels_per_course
-- Enrolled students of each course per risk level (batch, course_student_risk).
SELECT course_id, count(*) AS enrolled, count_if(risk_level = 'high') AS high,
  count_if(risk_level = 'medium') AS medium, count_if(risk_level = 'low') AS low,
  count_if(risk_level = 'dropped') AS dropped
FROM cassandra.lms_analytics.course_student_risk
GROUP BY course_id
ORDER BY high DESC, medium DESC, course_id;

-- name: course_engagement_by_event_type
-- Daily course activity by event type over the last 14 days (batch).
SELECT date, event_type, sum(event_count) AS events, sum(unique_users) AS user_days
FROM cassandra.lms_analytics.course_daily_engagement
WHERE date >= current_date - INTERVAL '13' DAY
GROUP BY date, event_type
ORDER BY date DESC, events DESC;

-- name: raw_events_per_category_today
-- Raw lake: events per category in the current UTC date partition, one row per event: lake.events.<category>
-- (an event can be in lake.raw.<category> twice: at-least-once ingest, compaction swap; trino/lake/raw_tables.sql).
-- The filter on the partition column `date` (UTC) keeps Trino to that day's hour folders.
SELECT 'auth' AS category, count(*) AS events FROM lake.events.auth
WHERE date = CAST(CAST(current_timestamp AT TIME ZONE 'UTC' AS date) AS varchar)
UNION ALL SELECT 'video', count(*) FROM lake.events.video
WHERE date = CAST(CAST(current_timestamp AT TIME ZONE 'UTC' AS date) AS varchar)
UNION ALL SELECT 'assessment', count(*) FROM lake.events.assessment
WHERE date = CAST(CAST(current_timestamp AT TIME ZONE 'UTC' AS date) AS varchar);
