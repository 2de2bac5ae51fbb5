"""One user's erasure (issue 24), triggered by hand: the batch entry point's ``erase`` job through JobSink.

Trigger it with the request as the run's conf (the UI's form, or the CLI)::

    airflow dags trigger ula_erasure --conf '{"user": "<user id>", "events": true, "request": "<request id>"}'

* ``user``: the id as the LMS knows it, or its pseudonym (the job matches both when
  ``ULA_PSEUDONYMIZE=hmac``).
* ``events`` (default false): also erase the user's events (raw lake, xAPI statements, view rows, speed
  facts) and recompute the views; without it only the restricted personal-data table is cleaned.
* ``request`` (optional): the id of the erasure request (a ticket number): the link to the audit record
  (``audit/erasure/``, Trino ``lake.audit.erasure``) and the idempotency key. Default: this DAG run's id.

The tasks, as ``ula_jobsink.py`` describes them::

    trigger_erase  --POST CloudEvent-->  JobSink  (202 Accepted + Location header -> XCom)
    wait_erase     --GET Location---->   JobSink  (202 running: poke again / 200 succeeded / 400 failed)

The CloudEvent (``data``: ``{"job": "erase", "user": ..., "events": ..., "request": ...}``) is built and
posted inside the trigger task, not rendered from a template: a rendered template field would store the
user id in Airflow's metadata database and show it in the UI. Beyond the run's conf (the request itself)
nothing here logs or stores the user id: the task logs the request id, the XCom is JobSink's Location.
Its ``id`` is ``erase-<request id>``, so a retried trigger, or the same request triggered twice, maps to the
same Job (JobSink names the Job after source + id), and the job itself says "already done" for a request
it finished. Delete the DAG run afterwards if its conf must not outlive the request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

import pendulum
from airflow.providers.http.hooks.http import HttpHook
from airflow.sdk import DAG, Param, get_current_context, task
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from ula_jobsink import (
    CLOUDEVENTS_JSON,
    DEFAULT_ARGS,
    DEFAULT_JOBSINK_PATH,
    EVENT_TYPE,
    HTTP_TIMEOUT,
    JOBSINK_CONN_ID,
    TEMPLATE_FILTERS,
    accepted_location,
    event_source,
    jobsink_sensor,
    trigger_task_id,
)

log = logging.getLogger(__name__)

DAG_ID = "ula_erasure"
JOB = "erase"
# As the batch's request-id rule (functions/core/src/batch/request.ts).
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_of(conf: dict[str, Any], run_id: str) -> str:
    """The request id: the conf's ``request``, else the run id with characters outside the rule replaced."""
    given = conf.get("request")
    if given not in (None, ""):
        if not isinstance(given, str) or not REQUEST_ID.match(given):
            raise AirflowFailException("conf request must be 1-128 characters of A-Z a-z 0-9 . _ : -")
        return given
    return re.sub(r"[^A-Za-z0-9._:-]", "-", run_id)[:128]


def erasure_event(conf: dict[str, Any], run_id: str) -> dict[str, Any]:
    """The structured-mode batch-request CloudEvent asking JobSink to erase the conf's user."""
    user = conf.get("user")
    if not isinstance(user, str) or not user.strip():
        raise AirflowFailException("conf user is required: the id of the user to erase")
    events = conf.get("events", False)
    if not isinstance(events, bool):
        raise AirflowFailException("conf events must be true or false")
    request = request_id_of(conf, run_id)
    return {
        "specversion": "1.0",
        "id": f"erase-{request}",
        "source": event_source(DAG_ID),
        "type": EVENT_TYPE,
        "datacontenttype": "application/json",
        "data": {"job": JOB, "user": user.strip(), "events": events, "request": request},
    }


def jobsink_path() -> str:
    from airflow.sdk import Variable

    return Variable.get("ULA_JOBSINK_PATH", default=DEFAULT_JOBSINK_PATH)


with DAG(
    dag_id=DAG_ID,
    description="One user's erasure (personal data; with events=true their events and view rows), through JobSink",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["ula", "privacy", "erasure", "jobsink"],
    params={
        "user": Param("", type="string", description="the user id (as the LMS sent it, or its pseudonym)"),
        "events": Param(False, type="boolean", description="also erase the user's events and view rows"),
        "request": Param("", type="string", description="the erasure request's id (default: the run id)"),
    },
    user_defined_filters=TEMPLATE_FILTERS,
) as dag:

    @task(task_id=trigger_task_id(JOB), execution_timeout=dt.timedelta(minutes=5))
    def trigger_erase() -> str:
        """POST the erasure's CloudEvent to JobSink; returns its Location (XCom). Logs the request id only."""
        context = get_current_context()
        conf = {**(context["params"] or {}), **(context["dag_run"].conf or {})}
        event = erasure_event(conf, context["run_id"])
        log.info("requesting erasure %s (events: %s)", event["data"]["request"], event["data"]["events"])
        response = HttpHook(method="POST", http_conn_id=JOBSINK_CONN_ID).run(
            jobsink_path(),
            data=json.dumps(event, separators=(",", ":")),
            headers={"Content-Type": CLOUDEVENTS_JSON, "Accept": "application/json"},
            extra_options={"timeout": HTTP_TIMEOUT, "check_response": False},
        )
        if response.status_code == 400:
            raise AirflowFailException(f"JobSink refused the erasure request: {response.text[:300]}")
        if not (200 <= response.status_code < 300):
            raise AirflowException(f"unexpected JobSink answer {response.status_code}")
        return accepted_location(response)

    trigger_erase() >> jobsink_sensor(JOB, "the erasure (job `erase`)")
