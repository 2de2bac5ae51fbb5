"""Shared by the DAGs of this folder (no DAG here): asking Knative JobSink to run a batch-entry-point job.

Each job is a task pair::

    trigger_<job>  --POST CloudEvent-->  JobSink  (202 Accepted + Location header -> XCom)
    wait_<job>     --GET Location---->   JobSink  (202 running: poke again / 200 succeeded / 400 failed)

The request is a CloudEvent in **structured JSON mode** (``Content-Type: application/cloudevents+json``)::

    {"specversion": "1.0", "id": "<run_id>-<job>", "source": "/airflow/<dag_id>",
     "type": "edu.lms.batch.request", "datacontenttype": "application/json",
     "data": {"job": "<job>", "from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}}

* ``id`` is deterministic per (DAG run, job). JobSink names the Job after md5(source + id) and answers
  202 for an existing one, so a retried trigger task re-POSTing the same event is idempotent: it gets the
  Location of the Job already started instead of starting a second one. Consequence: a job that *failed*
  stays failed for this DAG run; rerun it with a new DAG run (e.g. a manual trigger with
  ``{"from": ..., "to": ...}`` in the conf).
* Sensors: 202 keeps poking, 200 succeeds, 400 (job failed) and any other 4xx fail the task at once
  without retry (``AirflowFailException``: retrying cannot change a failed Job); 5xx and connection
  errors fail the attempt and are retried. The Location may be absolute or a path: only its path (and
  query) is used, against the same ``batch_jobsink`` connection.
* Retries: ``retries`` with exponential backoff (``retry_delay`` doubling up to ``max_retry_delay``).

Configuration (no credentials live in this file):

* Connection ``batch_jobsink`` (e.g. env ``AIRFLOW_CONN_BATCH_JOBSINK=
  '{"conn_type":"http","host":"job-sink.knative-eventing.svc.cluster.local","port":80,"schema":"http"}'``).
* JobSink path: Airflow Variable ``ULA_JOBSINK_PATH``, else env ``ULA_JOBSINK_PATH``, else
  ``/jobs/batch`` (the local trigger service); in the cluster ``/<namespace>/<jobsink-name>``.
* Env (read when the file is parsed; for tests): ``ULA_AIRFLOW_RETRIES`` (3),
  ``ULA_AIRFLOW_RETRY_DELAY_SECONDS`` (60), ``ULA_AIRFLOW_MAX_RETRY_DELAY_SECONDS`` (1800),
  ``ULA_AIRFLOW_POKE_INTERVAL_SECONDS`` (5), ``ULA_AIRFLOW_SENSOR_TIMEOUT_SECONDS`` (3600),
  ``ULA_AIRFLOW_SENSOR_MODE`` (``reschedule``; or ``poke``), ``ULA_AIRFLOW_HTTP_TIMEOUT_SECONDS`` (30).

The DAG files import this module by name: Airflow puts the DAGs folder (the bundle) on ``sys.path``,
and the cluster's ConfigMap ``airflow-dags`` holds every ``airflow/dags/*.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.http.sensors.http import HttpSensor
from airflow.sdk.exceptions import AirflowException, AirflowFailException

log = logging.getLogger(__name__)

EVENT_TYPE = "edu.lms.batch.request"
CLOUDEVENTS_JSON = "application/cloudevents+json"
JOBSINK_CONN_ID = "batch_jobsink"


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


DEFAULT_JOBSINK_PATH = os.environ.get("ULA_JOBSINK_PATH", "").strip() or "/jobs/batch"
RETRIES = env_int("ULA_AIRFLOW_RETRIES", 3)
RETRY_DELAY = dt.timedelta(seconds=env_int("ULA_AIRFLOW_RETRY_DELAY_SECONDS", 60))
MAX_RETRY_DELAY = dt.timedelta(seconds=env_int("ULA_AIRFLOW_MAX_RETRY_DELAY_SECONDS", 1800))
POKE_INTERVAL = dt.timedelta(seconds=env_int("ULA_AIRFLOW_POKE_INTERVAL_SECONDS", 5))
SENSOR_TIMEOUT = dt.timedelta(seconds=env_int("ULA_AIRFLOW_SENSOR_TIMEOUT_SECONDS", 3600))
SENSOR_MODE = os.environ.get("ULA_AIRFLOW_SENSOR_MODE", "").strip() or "reschedule"
HTTP_TIMEOUT = env_int("ULA_AIRFLOW_HTTP_TIMEOUT_SECONDS", 30)

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "ula-data",
    "retries": RETRIES,
    "retry_delay": RETRY_DELAY,
    "retry_exponential_backoff": True,
    "max_retry_delay": MAX_RETRY_DELAY,
}


def trigger_task_id(job: str) -> str:
    return f"trigger_{job}"


def wait_task_id(job: str) -> str:
    return f"wait_{job}"


def event_source(dag_id: str) -> str:
    return f"/airflow/{dag_id}"


def iso_day(value: Any, what: str) -> str:
    day = str(value).strip()
    try:
        dt.date.fromisoformat(day)
    except ValueError as exc:
        raise ValueError(f"dag_run.conf {what!r} must be a YYYY-MM-DD date, got {value!r}") from exc
    return day


def request_range(dag_run: Any, default: Callable[[], tuple[str, str]]) -> tuple[str, str]:
    """(from, to) of a request: ``dag_run.conf`` ``from``/``to`` if given, else ``default()``.

    A conf with ``from`` only means that one day; ``default`` is called only when the conf does not give
    both (a manual run may have no data interval to compute it from).
    """
    conf = dict(getattr(dag_run, "conf", None) or {})
    default_from = default_to = None
    if not (conf.get("from") and conf.get("to")):
        default_from, default_to = default()
    day_from = iso_day(conf.get("from") or default_from, "from")
    day_to = iso_day(conf.get("to") or conf.get("from") or default_to, "to")
    if day_from > day_to:
        raise ValueError(f"dag_run.conf: from {day_from} is after to {day_to}")
    return day_from, day_to


def request_event(dag_id: str, run_id: str, job: str, day_from: str, day_to: str) -> str:
    """The structured-mode batch-request CloudEvent (JSON text) asking JobSink to run ``job``."""
    event = {
        "specversion": "1.0",
        "id": f"{run_id}-{job}",
        "source": event_source(dag_id),
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


# A DAG using jobsink_tasks registers these (its sensors' endpoint template uses the filter).
TEMPLATE_FILTERS = {"location_path": location_path}


def jobsink_sensor(job: str, what: str) -> HttpSensor:
    """The ``wait_<job>`` sensor: polls the Location the ``trigger_<job>`` task left in XCom."""
    return HttpSensor(
        task_id=wait_task_id(job),
        doc_md=f"GET the Location of {what} until JobSink reports it finished.",
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


def jobsink_tasks(job: str, data: str, what: str | None = None) -> tuple[HttpOperator, HttpSensor]:
    """The ``trigger_<job>`` → ``wait_<job>`` pair, created in the current DAG context.

    ``data`` is the trigger's body template (it must render the request's CloudEvent); ``what`` names
    the job in the tasks' docs (default: ``job `<job>```).
    """
    what = what or f"job `{job}`"
    jobsink_path = json.dumps(DEFAULT_JOBSINK_PATH)  # a Jinja string literal
    trigger = HttpOperator(
        task_id=trigger_task_id(job),
        doc_md=f"POST the batch-request CloudEvent for {what} to JobSink.",
        http_conn_id=JOBSINK_CONN_ID,
        method="POST",
        endpoint="{{ var.value.get('ULA_JOBSINK_PATH', " + jobsink_path + ") }}",
        headers={"Content-Type": CLOUDEVENTS_JSON, "Accept": "application/json"},
        data=data,
        response_check=is_accepted,
        response_filter=accepted_location,
        extra_options={"timeout": HTTP_TIMEOUT},
        log_response=True,
        execution_timeout=dt.timedelta(minutes=5),
    )
    wait = jobsink_sensor(job, what)
    trigger >> wait
    return trigger, wait
