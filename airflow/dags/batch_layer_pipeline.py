"""Batch layer of the University Learning Analytics Lambda architecture.

Once a day (01:00 in the analytics time zone, ``ULA_TIMEZONE``, default ``Asia/Ho_Chi_Minh``) this DAG
asks Knative **JobSink** to run the six batch jobs that recompute the batch views for the previous
local day, waits for each of them, and fails the run if any job failed.

Flow, per job ``<job>`` in ``auth``, ``assessment``, ``video``, ``course``, ``profile_notification``
(in parallel) and then ``student_course_analytics`` (after the five others succeeded, as the
reference ordered it: it reads only raw events, so its cross-category rows never run ahead of the
per-category views of the same day)::

    trigger_<job>  --POST CloudEvent-->  JobSink  (202 Accepted + Location header -> XCom)
    wait_<job>     --GET Location---->   JobSink  (202 running: poke again / 200 succeeded / 400 failed)

    all six wait_* ──> check_all_succeeded (trigger rule all_done: fails the run if any job task failed)

The request is a CloudEvent in **structured JSON mode** (``Content-Type: application/cloudevents+json``)::

    {"specversion": "1.0", "id": "<run_id>-<job>", "source": "/airflow/batch_layer_pipeline",
     "type": "edu.lms.batch.request", "datacontenttype": "application/json",
     "data": {"job": "<job>", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}}

* ``from``/``to``: the day of the run's data interval start in the analytics zone (a scheduled run at
  01:00 on day D+1 covers [D 01:00, D+1 01:00), so it processes day D); ``from == to`` for a daily
  run. ``dag_run.conf`` ``{"from": ..., "to": ...}`` overrides them (backfills, tests).
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

Configuration (no credentials live in this file):

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
import json
import logging
import os
from typing import Any
from urllib.parse import urlsplit

import pendulum
from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.http.sensors.http import HttpSensor
from airflow.sdk import DAG, CronTriggerTimetable, TriggerRule, task
from airflow.sdk.exceptions import AirflowException, AirflowFailException

log = logging.getLogger(__name__)

DAG_ID = "batch_layer_pipeline"
EVENT_SOURCE = f"/airflow/{DAG_ID}"
EVENT_TYPE = "edu.lms.batch.request"
CLOUDEVENTS_JSON = "application/cloudevents+json"
JOBSINK_CONN_ID = "batch_jobsink"

# The five per-category jobs run in parallel; the cross-category job follows them.
PARALLEL_JOBS = ("auth", "assessment", "video", "course", "profile_notification")
FINAL_JOB = "student_course_analytics"
JOBS = (*PARALLEL_JOBS, FINAL_JOB)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


TIMEZONE_NAME = os.environ.get("ULA_TIMEZONE", "").strip() or "Asia/Ho_Chi_Minh"
ANALYTICS_TZ = pendulum.timezone(TIMEZONE_NAME)
DEFAULT_JOBSINK_PATH = os.environ.get("ULA_JOBSINK_PATH", "").strip() or "/jobs/batch"
RETRIES = _env_int("ULA_AIRFLOW_RETRIES", 3)
RETRY_DELAY = dt.timedelta(seconds=_env_int("ULA_AIRFLOW_RETRY_DELAY_SECONDS", 60))
MAX_RETRY_DELAY = dt.timedelta(seconds=_env_int("ULA_AIRFLOW_MAX_RETRY_DELAY_SECONDS", 1800))
POKE_INTERVAL = dt.timedelta(seconds=_env_int("ULA_AIRFLOW_POKE_INTERVAL_SECONDS", 5))
SENSOR_TIMEOUT = dt.timedelta(seconds=_env_int("ULA_AIRFLOW_SENSOR_TIMEOUT_SECONDS", 3600))
SENSOR_MODE = os.environ.get("ULA_AIRFLOW_SENSOR_MODE", "").strip() or "reschedule"
HTTP_TIMEOUT = _env_int("ULA_AIRFLOW_HTTP_TIMEOUT_SECONDS", 30)


def trigger_task_id(job: str) -> str:
    return f"trigger_{job}"


def wait_task_id(job: str) -> str:
    return f"wait_{job}"


def _iso_day(value: Any, what: str) -> str:
    day = str(value).strip()
    try:
        dt.date.fromisoformat(day)
    except ValueError as exc:
        raise ValueError(f"dag_run.conf {what!r} must be a YYYY-MM-DD date, got {value!r}") from exc
    return day


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
    conf = dict(getattr(dag_run, "conf", None) or {})
    default_day = None
    if not (conf.get("from") and conf.get("to")):
        default_day = interval_day(data_interval_start, getattr(dag_run, "run_after", None))
    day_from = _iso_day(conf.get("from") or default_day, "from")
    day_to = _iso_day(conf.get("to") or conf.get("from") or default_day, "to")
    if day_from > day_to:
        raise ValueError(f"dag_run.conf: from {day_from} is after to {day_to}")
    event = {
        "specversion": "1.0",
        "id": f"{run_id}-{job}",
        "source": EVENT_SOURCE,
        "type": EVENT_TYPE,
        "datacontenttype": "application/json",
        "data": {"job": job, "from": day_from, "to": day_to},
    }
    return json.dumps(event, separators=(",", ":"))


def location_path(location: Any) -> str:
    """Endpoint for the status GET: the path (and query) of JobSink's Location header.

    JobSink may answer with an absolute URL or a path; the HTTP hook joins the endpoint with the
    ``batch_jobsink`` connection's base URL, so scheme and host are dropped.
    """
    if not location or not str(location).strip():
        raise AirflowException("no Location from the trigger task (XCom is empty)")
    parts = urlsplit(str(location).strip())
    path = parts.path or "/"
    if not path.startswith("/"):
        path = "/" + path
    return f"{path}?{parts.query}" if parts.query else path


def accepted_location(response: Any) -> str:
    """``response_filter`` of the trigger tasks: the Location header becomes the XCom value."""
    location = response.headers.get("Location")
    if not location:
        raise AirflowException(
            f"JobSink answered {response.status_code} without a Location header: {response.text[:500]}"
        )
    log.info("JobSink accepted the event (%s), job status at %s", response.status_code, location)
    return location


def is_accepted(response: Any) -> bool:
    """``response_check`` of the trigger tasks: JobSink answers 202 (2xx accepted as well)."""
    if 200 <= response.status_code < 300 and response.headers.get("Location"):
        return True
    log.error("unexpected JobSink answer %s: %s", response.status_code, response.text[:500])
    return False


def job_finished(response: Any) -> bool:
    """``response_check`` of the sensors, called for every status (``check_response`` is off).

    202 → still running (poke again); 200 → succeeded; 400 → the Job failed, other 4xx → unknown
    or invalid job: fail now, no retry; 5xx → JobSink trouble: fail this attempt (retried).
    """
    status = response.status_code
    if status == 200:
        return True
    if status == 202:
        return False
    body = response.text[:500]
    if status == 400:
        raise AirflowFailException(f"batch job failed (JobSink status 400): {body}")
    if 400 < status < 500:
        raise AirflowFailException(f"JobSink status {status} for the job: {body}")
    raise AirflowException(f"unexpected JobSink status {status}: {body}")


default_args = {
    "owner": "ula-data",
    "retries": RETRIES,
    "retry_delay": RETRY_DELAY,
    "retry_exponential_backoff": True,
    "max_retry_delay": MAX_RETRY_DELAY,
}

with DAG(
    dag_id=DAG_ID,
    description="Daily batch layer: run the six batch jobs through Knative JobSink and wait for them",
    doc_md=__doc__,
    schedule=CronTriggerTimetable("0 1 * * *", timezone=ANALYTICS_TZ, interval=dt.timedelta(days=1)),
    start_date=pendulum.datetime(2026, 1, 1, tz=ANALYTICS_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["ula", "batch-layer", "lambda-architecture", "jobsink"],
    user_defined_macros={"batch_event": batch_request_event},
    user_defined_filters={"location_path": location_path},
) as dag:
    jobsink_path = json.dumps(DEFAULT_JOBSINK_PATH)  # a Jinja string literal
    triggers: dict[str, HttpOperator] = {}
    waits: dict[str, HttpSensor] = {}
    for job in JOBS:
        triggers[job] = HttpOperator(
            task_id=trigger_task_id(job),
            doc_md=f"POST the batch-request CloudEvent for job `{job}` to JobSink.",
            http_conn_id=JOBSINK_CONN_ID,
            method="POST",
            endpoint="{{ var.value.get('ULA_JOBSINK_PATH', " + jobsink_path + ") }}",
            headers={"Content-Type": CLOUDEVENTS_JSON, "Accept": "application/json"},
            data='{{ batch_event("' + job + '", run_id, data_interval_start, dag_run) }}',
            response_check=is_accepted,
            response_filter=accepted_location,
            extra_options={"timeout": HTTP_TIMEOUT},
            log_response=True,
            execution_timeout=dt.timedelta(minutes=5),
        )
        waits[job] = HttpSensor(
            task_id=wait_task_id(job),
            doc_md=f"GET the Location of job `{job}` until JobSink reports it finished.",
            http_conn_id=JOBSINK_CONN_ID,
            method="GET",
            endpoint="{{ ti.xcom_pull(task_ids='" + trigger_task_id(job) + "') | location_path }}",
            headers={"Accept": "application/json"},
            # Every status reaches job_finished (check_response off), so no code is allow-listed.
            response_error_codes_allowlist=[],
            response_check=job_finished,
            extra_options={"check_response": False, "timeout": HTTP_TIMEOUT},
            mode=SENSOR_MODE,
            poke_interval=POKE_INTERVAL,
            timeout=SENSOR_TIMEOUT,
        )
        triggers[job] >> waits[job]

    for job in PARALLEL_JOBS:
        waits[job] >> triggers[FINAL_JOB]

    @task(task_id="check_all_succeeded", trigger_rule=TriggerRule.ALL_DONE, retries=0)
    def check_all_succeeded(**context: Any) -> dict[str, str]:
        """Fail the DAG run if any job task did not succeed; otherwise log a summary."""
        ti = context["ti"]
        run_id = context["run_id"]
        job_task_ids = [tid for job in JOBS for tid in (trigger_task_id(job), wait_task_id(job))]
        by_run = ti.get_task_states(dag_id=ti.dag_id, task_ids=job_task_ids, run_ids=[run_id])
        states = {
            tid: str(getattr(state, "value", state)) for tid, state in (by_run.get(run_id) or {}).items()
        }
        summary = {job: states.get(wait_task_id(job), "missing") for job in JOBS}
        not_ok = {tid: states.get(tid, "missing") for tid in job_task_ids if states.get(tid) != "success"}
        for job in JOBS:
            log.info(
                "job %-26s trigger=%-15s wait=%s",
                job,
                states.get(trigger_task_id(job), "missing"),
                summary[job],
            )
        if not_ok:
            raise AirflowFailException(f"batch jobs did not all succeed: {not_ok}")
        log.info("all %d batch jobs succeeded for run %s", len(JOBS), run_id)
        return summary

    check = check_all_succeeded()
    for job in JOBS:
        waits[job] >> check
