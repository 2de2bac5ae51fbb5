"""Batch layer of the University Learning Analytics Lambda architecture.

Once a day (01:00 in the analytics time zone, ``ULA_TIMEZONE``, default ``Asia/Ho_Chi_Minh``) this DAG
asks Knative **JobSink** to run the six batch jobs that recompute the batch views for the previous
local day, then the lake's retention (``retain``), waits for each of them, and fails the run if any
job failed.

Flow, per job ``<job>`` in ``auth``, ``assessment``, ``video``, ``course``, ``profile_notification``
(in parallel) and then ``student_course_analytics`` (after the five others succeeded, as the
older system (docs/architecture.md#the-older-system) ordered it: it reads only raw events, so its cross-category rows never run ahead of the
per-category views of the same day)::

    trigger_<job>  --POST CloudEvent-->  JobSink  (202 Accepted + Location header -> XCom)
    wait_<job>     --GET Location---->   JobSink  (202 running: poke again / 200 succeeded / 400 failed)

    wait_student_course_analytics ──> trigger_retain ──> wait_retain   (the lake's retention, below)

    all seven wait_* ──> check_all_succeeded (trigger rule all_done: fails the run if any job task failed)

The request is a CloudEvent in **structured JSON mode** (``Content-Type: application/cloudevents+json``)::

    {"specversion": "1.0", "id": "<run_id>-<job>", "source": "/airflow/batch_layer_pipeline",
     "type": "edu.lms.batch.request", "datacontenttype": "application/json",
     "data": {"job": "<job>", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}}

* ``from``/``to``: the day of the run's data interval start in the analytics zone (a scheduled run at
  01:00 on day D+1 covers [D 01:00, D+1 01:00), so it processes day D); ``from == to`` for a daily
  run. ``dag_run.conf`` ``{"from": ..., "to": ...}`` overrides them (backfills, tests).
* Retention last: ``retain`` (docs/batch.md#retention) deletes the lake's UTC date partitions older than
  ``ULA_RETENTION_RAW_DAYS`` / ``ULA_RETENTION_PII_DAYS`` counted back from its ``to`` (the run's day, a
  date the run has reached, so never after today). It is requested only once the view jobs succeeded: a
  day whose batch failed deletes nothing, and the next good run catches up (it deletes everything older
  than the limit, not one day). Its event has the same ``from``/``to`` as the jobs' (``from`` unused).
* Lake compaction comes first: the DAG ``lake_compaction`` (hourly at minute 15 UTC) rewrites each
  closed UTC hour of the raw lake into one file. Day D's last UTC hour ends at local midnight (for
  UTC+7: hour 16 UTC, closed at 17:10 UTC and compacted by the 17:15 UTC run), so this DAG's 01:00 local
  run (18:00 UTC) reads day D's partitions compacted, one file per hour. Correctness does not depend on
  it: the batch reads uncompacted partitions too (one row per event id), only more files. A compaction
  overlapping the batch (late files of the day, compacted again at 18:15 UTC) can delete files the batch
  listed before it reads them; the day then misses those events until the next run's look-back sees that
  the day's files changed and recomputes it.
* ``id`` is deterministic per (DAG run, job). JobSink names the Job after md5(source + id) and
  answers 202 for an existing one, so a retried trigger task re-POSTing the same event is idempotent:
  it gets the Location of the Job already started instead of starting a second one. Consequence: a
  job that *failed* stays failed for this DAG run; rerun it with a new DAG run (e.g. a manual
  trigger with ``{"from": ..., "to": ...}`` in the conf).
* Sensors: 202 keeps poking, 200 succeeds, 400 (job failed) and any other 4xx fail the task at once
  without retry (``AirflowFailException``: retrying cannot change a failed Job); 5xx and connection
  errors fail the attempt and are retried. The Location may be absolute or a path: only its path
  (and query) is used, against the same ``batch_jobsink`` connection.
* Retries: ``retries`` with exponential backoff (``retry_delay`` doubling up to ``max_retry_delay``).

Configuration (no credentials live in this file; shared with ``lake_compaction`` through ``ula_jobsink.py``):

* Connection ``batch_jobsink`` (e.g. env ``AIRFLOW_CONN_BATCH_JOBSINK=
  '{"conn_type":"http","host":"job-sink.knative-eventing.svc.cluster.local","port":80,"schema":"http"}'``).
* JobSink path: Airflow Variable ``ULA_JOBSINK_PATH``, else env ``ULA_JOBSINK_PATH``, else
  ``/jobs/batch`` (the local trigger service); in the cluster ``/<namespace>/<jobsink-name>``.
* Env (read when the file is parsed; for tests): ``ULA_TIMEZONE``, ``ULA_AIRFLOW_RETRIES`` (3),
  ``ULA_AIRFLOW_RETRY_DELAY_SECONDS`` (60), ``ULA_AIRFLOW_MAX_RETRY_DELAY_SECONDS`` (1800),
  ``ULA_AIRFLOW_POKE_INTERVAL_SECONDS`` (5), ``ULA_AIRFLOW_SENSOR_TIMEOUT_SECONDS`` (3600),
  ``ULA_AIRFLOW_SENSOR_MODE`` (``reschedule``; or ``poke``), ``ULA_AIRFLOW_HTTP_TIMEOUT_SECONDS`` (30).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

import pendulum
from airflow.sdk import DAG, CronTriggerTimetable, TriggerRule, task
from airflow.sdk.exceptions import AirflowFailException
from ula_jobsink import (  # the JobSink contract, shared with lake_compaction
    DEFAULT_ARGS,
    TEMPLATE_FILTERS,
    event_source,
    jobsink_tasks,
    request_event,
    request_range,
    trigger_task_id,
    wait_task_id,
)
from ula_jobsink import accepted_location, is_accepted, job_finished, location_path  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

DAG_ID = "batch_layer_pipeline"
EVENT_SOURCE = event_source(DAG_ID)

# The five per-category jobs run in parallel; the cross-category job follows them.
PARALLEL_JOBS = ("auth", "assessment", "video", "course", "profile_notification")
FINAL_JOB = "student_course_analytics"
JOBS = (*PARALLEL_JOBS, FINAL_JOB)
# The lake's retention, after the view jobs (same entry point and contract).
RETAIN_JOB = "retain"
TASK_JOBS = (*JOBS, RETAIN_JOB)

TIMEZONE_NAME = os.environ.get("ULA_TIMEZONE", "").strip() or "Asia/Ho_Chi_Minh"
ANALYTICS_TZ = pendulum.timezone(TIMEZONE_NAME)


def interval_day(data_interval_start: Any, run_after: Any = None) -> str:
    """The run's day in the analytics zone: the data interval start's local date.

    A run without a data interval (Airflow 3 allows manual runs without a logical date) covers the
    day before its ``run_after``, like a scheduled run.
    """
    if data_interval_start is not None:
        start = pendulum.instance(data_interval_start)
    elif run_after is not None:
        start = pendulum.instance(run_after).subtract(days=1)
    else:
        raise ValueError("neither a data interval nor run_after: cannot tell which day to process")
    return start.in_timezone(ANALYTICS_TZ).to_date_string()


def batch_request_event(job: str, run_id: str, data_interval_start: Any, dag_run: Any = None) -> str:
    """The structured-mode CloudEvent (JSON text) that asks JobSink to run ``job``.

    Used as a template macro: ``{{ batch_event("<job>", run_id, data_interval_start, dag_run) }}``.
    """

    def default() -> tuple[str, str]:
        day = interval_day(data_interval_start, getattr(dag_run, "run_after", None))
        return day, day

    day_from, day_to = request_range(dag_run, default)
    return request_event(DAG_ID, run_id, job, day_from, day_to)


with DAG(
    dag_id=DAG_ID,
    description="Daily batch layer: run the six batch jobs, then the lake's retention, through Knative JobSink",
    doc_md=__doc__,
    schedule=CronTriggerTimetable("0 1 * * *", timezone=ANALYTICS_TZ, interval=dt.timedelta(days=1)),
    start_date=pendulum.datetime(2026, 1, 1, tz=ANALYTICS_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["ula", "batch-layer", "lambda-architecture", "jobsink"],
    user_defined_macros={"batch_event": batch_request_event},
    user_defined_filters=TEMPLATE_FILTERS,
) as dag:
    triggers = {}
    waits = {}
    for job in TASK_JOBS:
        triggers[job], waits[job] = jobsink_tasks(
            job, '{{ batch_event("' + job + '", run_id, data_interval_start, dag_run) }}'
        )

    for job in PARALLEL_JOBS:
        waits[job] >> triggers[FINAL_JOB]
    waits[FINAL_JOB] >> triggers[RETAIN_JOB]

    @task(task_id="check_all_succeeded", trigger_rule=TriggerRule.ALL_DONE, retries=0)
    def check_all_succeeded(**context: Any) -> dict[str, str]:
        """Fail the DAG run if any job task did not succeed; otherwise log a summary."""
        ti = context["ti"]
        run_id = context["run_id"]
        job_task_ids = [tid for job in TASK_JOBS for tid in (trigger_task_id(job), wait_task_id(job))]
        by_run = ti.get_task_states(dag_id=ti.dag_id, task_ids=job_task_ids, run_ids=[run_id])
        states = {
            tid: str(getattr(state, "value", state)) for tid, state in (by_run.get(run_id) or {}).items()
        }
        summary = {job: states.get(wait_task_id(job), "missing") for job in TASK_JOBS}
        not_ok = {tid: states.get(tid, "missing") for tid in job_task_ids if states.get(tid) != "success"}
        for job in TASK_JOBS:
            log.info(
                "job %-26s trigger=%-15s wait=%s",
                job,
                states.get(trigger_task_id(job), "missing"),
                summary[job],
            )
        if not_ok:
            raise AirflowFailException(f"batch jobs did not all succeed: {not_ok}")
        log.info("all %d batch jobs and the lake retention succeeded for run %s", len(JOBS), run_id)
        return summary

    check = check_all_succeeded()
    for job in TASK_JOBS:
        waits[job] >> check
