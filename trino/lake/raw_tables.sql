-- Generated from functions/core/src/lake/raw-schema.ts by trino-tables.ts (rawTablesSqlFile); a unit test
-- checks this file is up to date. Raw lake tables: one external table per event category, partitioned
-- by the UTC date and hour of the event time (DESIGN.md section 4). Run the CALLs after new hours arrive.

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
  date varchar,
  hour varchar
)
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/auth/',
  partitioned_by = ARRAY['date', 'hour']
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
  date varchar,
  hour varchar
)
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/assessment/',
  partitioned_by = ARRAY['date', 'hour']
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
  date varchar,
  hour varchar
)
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/video/',
  partitioned_by = ARRAY['date', 'hour']
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
  date varchar,
  hour varchar
)
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/course/',
  partitioned_by = ARRAY['date', 'hour']
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
  date varchar,
  hour varchar
)
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/profile/',
  partitioned_by = ARRAY['date', 'hour']
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
  date varchar,
  hour varchar
)
WITH (
  format = 'PARQUET',
  external_location = 's3://lake/raw/notification/',
  partitioned_by = ARRAY['date', 'hour']
);

CALL lake.system.sync_partition_metadata('raw', 'auth', 'ADD');
CALL lake.system.sync_partition_metadata('raw', 'assessment', 'ADD');
CALL lake.system.sync_partition_metadata('raw', 'video', 'ADD');
CALL lake.system.sync_partition_metadata('raw', 'course', 'ADD');
CALL lake.system.sync_partition_metadata('raw', 'profile', 'ADD');
CALL lake.system.sync_partition_metadata('raw', 'notification', 'ADD');
