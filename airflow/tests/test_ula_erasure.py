"""The ula_erasure DAG: static checks (manual only, params, tasks), the CloudEvent it builds, that no
template field holds the user id, and REAL `airflow dags test ula_erasure` runs against the stand-in JobSink
(or the trigger service at ``ULA_BATCH_TRIGGER_URL``; see dag_run_support.py) whose logs and metadata DB
hold the user id only in the run's conf."""

from __future__ import annotations

import sqlite3

import pytest
from dag_run_support import REAL_TRIGGER_URL, latest_run, run_dag_test, tail
from ula_airflow_support import DAGS_FOLDER

DAG_ID = "ula_erasure"
TASKS = {"trigger_erase", "wait_erase"}
USER = "SV-erase-me-0042"
LOGICAL_DATE = "2026-11-27T09:00:00+00:00"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.fixture(scope="module")
def dag(dagbag):
    dag = dagbag.get_dag(DAG_ID)
    assert dag is not None, f"{DAG_ID} not found; import errors: {dagbag.import_errors}"
    return dag


def test_manual_only_with_the_request_as_params(dagbag, dag):
    assert dagbag.import_errors == {}
    assert type(dag.timetable).__name__ == "NullTimetable"  # schedule=None: triggered by hand only
    assert dag.max_active_runs == 1
    assert set(dag.params.keys()) == {"user", "events", "request"}
    assert set(dag.task_ids) == TASKS
    wait = dag.get_task("wait_erase")
    assert type(wait).__name__ == "HttpSensor"
    assert wait.upstream_task_ids == {"trigger_erase"}
    assert wait.extra_options.get("check_response") is False


def test_no_template_field_can_hold_the_user_id(dag):
    trigger = dag.get_task("trigger_erase")
    for field in trigger.template_fields:
        value = getattr(trigger, field, None)
        assert USER not in repr(value), field
        assert "user" not in repr(value) or field in ("doc_md",), (field, value)


def test_event():
    import ula_erasure

    event = ula_erasure.erasure_event({"user": USER, "events": True, "request": "ticket-7"}, "manual__x")
    assert event == {
        "specversion": "1.0",
        "id": "erase-ticket-7",
        "source": "/airflow/ula_erasure",
        "type": "edu.lms.batch.request",
        "datacontenttype": "application/json",
        "data": {"job": "erase", "user": USER, "events": True, "request": "ticket-7"},
    }
    # Without a request id the run id stands in, made to fit the batch's rule.
    event = ula_erasure.erasure_event({"user": USER}, "manual__2026-11-27T09:00:00+00:00")
    assert event["data"] == {
        "job": "erase",
        "user": USER,
        "events": False,
        "request": "manual__2026-11-27T09:00:00-00:00",
    }
    from airflow.sdk.exceptions import AirflowFailException

    for bad in ({}, {"user": " "}, {"user": USER, "events": "yes"}, {"user": USER, "request": "a b"}):
        with pytest.raises(AirflowFailException):
            ula_erasure.erasure_event(bad, "r")


def test_dags_test_run_requests_the_erasure_and_keeps_the_user_out_of_logs(tmp_path, start_stub, airflow_db):
    stub = None if REAL_TRIGGER_URL else start_stub()
    url = REAL_TRIGGER_URL or f"{stub.base_url}/jobs/batch"
    conf = {"user": USER, "events": True, "request": "ticket-42"}

    rc, output, _ = run_dag_test(tmp_path, DAG_ID, LOGICAL_DATE, url, conf=conf)

    run_id, run_state, states = latest_run(airflow_db, DAG_ID)
    assert rc == 0, tail(output)
    assert run_state == "success", states
    assert states == {task_id: "success" for task_id in TASKS}
    # `airflow dags test` runs the tasks in-process: their logs are in its output, naming the request only.
    assert "requesting erasure ticket-42" in output
    assert USER not in output
    # In the metadata DB the user id is in the run's conf (the request) and nowhere else.
    with sqlite3.connect(airflow_db) as con:
        rendered = con.execute(
            "SELECT rendered_fields FROM rendered_task_instance_fields WHERE dag_id = ? AND run_id = ?",
            (DAG_ID, run_id),
        ).fetchall()
        xcoms = con.execute("SELECT value FROM xcom WHERE dag_id = ? AND run_id = ?", (DAG_ID, run_id)).fetchall()
    assert USER not in repr(rendered)
    assert USER not in repr(xcoms)
    if stub is None:
        return
    events = stub.events()
    assert len(events) == 1
    assert events[0]["event"]["id"] == "erase-ticket-42"
    assert events[0]["event"]["data"] == {"job": "erase", "user": USER, "events": True, "request": "ticket-42"}
