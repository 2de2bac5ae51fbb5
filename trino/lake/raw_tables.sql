-- Generated from functions/core/src/lake/raw-schema.ts and xapi-statements.ts by trino-tables.ts (rawTablesSqlFile; write it with
-- `npx tsx scripts/trino-lake.ts --write`); a unit test checks this file is up to date.
-- lake.raw.<category>: one external table per event category, partitioned by the UTC date and hour
-- of the event time (docs/architecture.md#the-lake-layout). Partition projection finds the hour folders: new partitions
-- appear with no sync_partition_metadata call. An event can be in the raw tables twice (at-least-once
-- ingest, compaction swap): count events in the views lake.events.<category> (one row per event).
-- lake.raw.xapi_statements: every statement the xapi function accepted (redacted), mapped or not;
-- lake.serving.xapi_unmapped: the unmapped ones counted per UTC storage date, verb and activity type.
-- lake.personal.profile: the restricted personal-data table (ULA_PII=store; the privacy role only).
-- lake.audit.erasure: one row per finished erasure request (no user id).
-- A raw table created by an older version (its comment has another [layout ...] tag) is not replaced by
-- CREATE ... IF NOT EXISTS: `npx tsx scripts/trino-lake.ts` drops and re-creates it (external: the
-- Parquet files stay), or DROP TABLE it before running this file.

CREATE SCHEMA IF NOT EXISTS lake.raw;

CREATE TABLE IF NOT EXISTS lake.raw.auth (
  event_id varchar,
  event_type varchar,
  category varchar,
  user_id varchar,
  role varchar,
  course_id varchar,
  event_time timestamp(3),
  ingest_time timestamp(3),
  data varchar,
  date varchar WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['2026-01-01', 'NOW+1DAYS'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS'),
  hour varchar WITH (partition_projection_type = 'INTEGER', partition_projection_range = ARRAY['0', '23'], partition_projection_digits = 2)
)
COMMENT 'Raw auth events as stored; an event can be here twice (at-least-once ingest, compaction swap): count events in lake.events.auth. [layout 5dddb009fbfb]'
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/auth/',
  partitioned_by = ARRAY['date', 'hour'],
  partition_projection_enabled = true,
  partition_projection_location_template = 's3://lake/raw/auth/date=${date}/hour=${hour}/'
);

CREATE TABLE IF NOT EXISTS lake.raw.assessment (
  event_id varchar,
  event_type varchar,
  category varchar,
  user_id varchar,
  role varchar,
  course_id varchar,
  event_time timestamp(3),
  ingest_time timestamp(3),
  data varchar,
  date varchar WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['2026-01-01', 'NOW+1DAYS'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS'),
  hour varchar WITH (partition_projection_type = 'INTEGER', partition_projection_range = ARRAY['0', '23'], partition_projection_digits = 2)
)
COMMENT 'Raw assessment events as stored; an event can be here twice (at-least-once ingest, compaction swap): count events in lake.events.assessment. [layout ab95f7667a77]'
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/assessment/',
  partitioned_by = ARRAY['date', 'hour'],
  partition_projection_enabled = true,
  partition_projection_location_template = 's3://lake/raw/assessment/date=${date}/hour=${hour}/'
);

CREATE TABLE IF NOT EXISTS lake.raw.video (
  event_id varchar,
  event_type varchar,
  category varchar,
  user_id varchar,
  role varchar,
  course_id varchar,
  event_time timestamp(3),
  ingest_time timestamp(3),
  data varchar,
  date varchar WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['2026-01-01', 'NOW+1DAYS'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS'),
  hour varchar WITH (partition_projection_type = 'INTEGER', partition_projection_range = ARRAY['0', '23'], partition_projection_digits = 2)
)
COMMENT 'Raw video events as stored; an event can be here twice (at-least-once ingest, compaction swap): count events in lake.events.video. [layout 20ee1051163b]'
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/video/',
  partitioned_by = ARRAY['date', 'hour'],
  partition_projection_enabled = true,
  partition_projection_location_template = 's3://lake/raw/video/date=${date}/hour=${hour}/'
);

CREATE TABLE IF NOT EXISTS lake.raw.course (
  event_id varchar,
  event_type varchar,
  category varchar,
  user_id varchar,
  role varchar,
  course_id varchar,
  event_time timestamp(3),
  ingest_time timestamp(3),
  data varchar,
  date varchar WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['2026-01-01', 'NOW+1DAYS'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS'),
  hour varchar WITH (partition_projection_type = 'INTEGER', partition_projection_range = ARRAY['0', '23'], partition_projection_digits = 2)
)
COMMENT 'Raw course events as stored; an event can be here twice (at-least-once ingest, compaction swap): count events in lake.events.course. [layout 99bb30288248]'
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/course/',
  partitioned_by = ARRAY['date', 'hour'],
  partition_projection_enabled = true,
  partition_projection_location_template = 's3://lake/raw/course/date=${date}/hour=${hour}/'
);

CREATE TABLE IF NOT EXISTS lake.raw.profile (
  event_id varchar,
  event_type varchar,
  category varchar,
  user_id varchar,
  role varchar,
  course_id varchar,
  event_time timestamp(3),
  ingest_time timestamp(3),
  data varchar,
  date varchar WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['2026-01-01', 'NOW+1DAYS'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS'),
  hour varchar WITH (partition_projection_type = 'INTEGER', partition_projection_range = ARRAY['0', '23'], partition_projection_digits = 2)
)
COMMENT 'Raw profile events as stored; an event can be here twice (at-least-once ingest, compaction swap): count events in lake.events.profile. [layout 2e0cffd98666]'
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/profile/',
  partitioned_by = ARRAY['date', 'hour'],
  partition_projection_enabled = true,
  partition_projection_location_template = 's3://lake/raw/profile/date=${date}/hour=${hour}/'
);

CREATE TABLE IF NOT EXISTS lake.raw.notification (
  event_id varchar,
  event_type varchar,
  category varchar,
  user_id varchar,
  role varchar,
  course_id varchar,
  event_time timestamp(3),
  ingest_time timestamp(3),
  data varchar,
  date varchar WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['2026-01-01', 'NOW+1DAYS'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS'),
  hour varchar WITH (partition_projection_type = 'INTEGER', partition_projection_range = ARRAY['0', '23'], partition_projection_digits = 2)
)
COMMENT 'Raw notification events as stored; an event can be here twice (at-least-once ingest, compaction swap): count events in lake.events.notification. [layout fb87ae016a96]'
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/notification/',
  partitioned_by = ARRAY['date', 'hour'],
  partition_projection_enabled = true,
  partition_projection_location_template = 's3://lake/raw/notification/date=${date}/hour=${hour}/'
);

CREATE TABLE IF NOT EXISTS lake.raw.xapi_statements (
  statement_id varchar,
  verb varchar,
  activity_type varchar,
  object_id varchar,
  user_id varchar,
  registration varchar,
  rule varchar,
  event_ids varchar,
  event_types varchar,
  statement_time timestamp(3),
  stored timestamp(3),
  version varchar,
  statement varchar,
  date varchar WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['2026-01-01', 'NOW+1DAYS'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS'),
  hour varchar WITH (partition_projection_type = 'INTEGER', partition_projection_range = ARRAY['0', '23'], partition_projection_digits = 2)
)
COMMENT 'xAPI statements accepted by the xapi function, mapped or not, redacted (no mbox, no names); partitioned by the UTC date and hour of stored; a statement id is here once unless the LRS failed between the lake write and the registry and the LMS resent it. [layout dd5f35cd0cf1]'
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/xapi/statements/',
  partitioned_by = ARRAY['date', 'hour'],
  partition_projection_enabled = true,
  partition_projection_location_template = 's3://lake/xapi/statements/date=${date}/hour=${hour}/'
);

CREATE SCHEMA IF NOT EXISTS lake.events;

CREATE OR REPLACE VIEW lake.events.auth
COMMENT 'One row per auth event (the copy accepted first) from lake.raw.auth'
AS
SELECT event_id, event_type, category, user_id, role, course_id, event_time, ingest_time, data, date, hour
FROM (
  SELECT *, row_number() OVER (PARTITION BY date, hour, event_id ORDER BY ingest_time) AS copy
  FROM lake.raw.auth
)
WHERE copy = 1;

CREATE OR REPLACE VIEW lake.events.assessment
COMMENT 'One row per assessment event (the copy accepted first) from lake.raw.assessment'
AS
SELECT event_id, event_type, category, user_id, role, course_id, event_time, ingest_time, data, date, hour
FROM (
  SELECT *, row_number() OVER (PARTITION BY date, hour, event_id ORDER BY ingest_time) AS copy
  FROM lake.raw.assessment
)
WHERE copy = 1;

CREATE OR REPLACE VIEW lake.events.video
COMMENT 'One row per video event (the copy accepted first) from lake.raw.video'
AS
SELECT event_id, event_type, category, user_id, role, course_id, event_time, ingest_time, data, date, hour
FROM (
  SELECT *, row_number() OVER (PARTITION BY date, hour, event_id ORDER BY ingest_time) AS copy
  FROM lake.raw.video
)
WHERE copy = 1;

CREATE OR REPLACE VIEW lake.events.course
COMMENT 'One row per course event (the copy accepted first) from lake.raw.course'
AS
SELECT event_id, event_type, category, user_id, role, course_id, event_time, ingest_time, data, date, hour
FROM (
  SELECT *, row_number() OVER (PARTITION BY date, hour, event_id ORDER BY ingest_time) AS copy
  FROM lake.raw.course
)
WHERE copy = 1;

CREATE OR REPLACE VIEW lake.events.profile
COMMENT 'One row per profile event (the copy accepted first) from lake.raw.profile'
AS
SELECT event_id, event_type, category, user_id, role, course_id, event_time, ingest_time, data, date, hour
FROM (
  SELECT *, row_number() OVER (PARTITION BY date, hour, event_id ORDER BY ingest_time) AS copy
  FROM lake.raw.profile
)
WHERE copy = 1;

CREATE OR REPLACE VIEW lake.events.notification
COMMENT 'One row per notification event (the copy accepted first) from lake.raw.notification'
AS
SELECT event_id, event_type, category, user_id, role, course_id, event_time, ingest_time, data, date, hour
FROM (
  SELECT *, row_number() OVER (PARTITION BY date, hour, event_id ORDER BY ingest_time) AS copy
  FROM lake.raw.notification
)
WHERE copy = 1;

CREATE SCHEMA IF NOT EXISTS lake.serving;

CREATE OR REPLACE VIEW lake.serving.xapi_unmapped
COMMENT 'xAPI statements no mapping rule took, per UTC storage date, verb and activity type (from lake.raw.xapi_statements)'
AS
SELECT date, verb, activity_type, count(DISTINCT statement_id) AS statements,
  min(stored) AS first_stored, max(stored) AS last_stored
FROM lake.raw.xapi_statements
WHERE rule IS NULL
GROUP BY date, verb, activity_type;

CREATE SCHEMA IF NOT EXISTS lake.personal;

CREATE TABLE IF NOT EXISTS lake.personal.profile (
  user_id varchar,
  original_user_id varchar,
  event_id varchar,
  event_type varchar,
  event_time timestamp(3),
  ingest_time timestamp(3),
  fields varchar,
  date varchar WITH (partition_projection_type = 'DATE', partition_projection_format = 'yyyy-MM-dd', partition_projection_range = ARRAY['2026-01-01', 'NOW+1DAYS'], partition_projection_interval = 1, partition_projection_interval_unit = 'DAYS'),
  hour varchar WITH (partition_projection_type = 'INTEGER', partition_projection_range = ARRAY['0', '23'], partition_projection_digits = 2)
)
COMMENT 'Personal fields of profile and signup events (ULA_PII=store only), keyed by user id; restricted to the privacy role; erased on request (docs/privacy.md). [layout bf1392380de1]'
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/personal/profile/',
  partitioned_by = ARRAY['date', 'hour'],
  partition_projection_enabled = true,
  partition_projection_location_template = 's3://lake/personal/profile/date=${date}/hour=${hour}/'
);

CREATE SCHEMA IF NOT EXISTS lake.audit;

CREATE TABLE IF NOT EXISTS lake.audit.erasure (
  request_id varchar,
  run_id varchar,
  started_at timestamp(3),
  finished_at timestamp(3),
  events boolean,
  personal_rows integer,
  events_removed integer,
  statements_removed integer,
  files_rewritten integer,
  view_rows varchar,
  speed_rows varchar,
  days_recomputed integer,
  aggregates_recomputed boolean
)
COMMENT 'One row per finished erasure request (counts of what was removed; no user id: the request id is the link). [layout 91500a78fadf]'
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/audit/erasure/'
);
