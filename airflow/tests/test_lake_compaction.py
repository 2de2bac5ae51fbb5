"""The lake_compaction DAG: static checks (tasks, schedule, retries, the CloudEvent it renders, its order
with batch_layer_pipeline) and REAL `airflow dags test lake_compaction <date>` runs against the stand-in
JobSink (or the trigger service at ``ULA_BATCH_TRIGGER_URL``; see dag_run_support.py)."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pendulum
import pytest
from dag_run_support import REAL_TRIGGER_URL, latest_run, run_dag_test, tail
from ula_airflow_support import DAGS_FOLDER

DAG_ID = "lake_compaction"
TASKS = {"trigger_compact", "wait_compact"}

# A scheduled run at 17:15 UTC on 27 Nov: the data interval ends then, so the last 7 days span the
# UTC dates 20 to 27 Nov.
LOGICAL_DATE = "2026-11-27T17:15:00+00:00"
EXPECTED_FROM, EXPECTED_TO = "2026-11-20", "2026-11-27"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.fixture(scope="module")
def dag(dagbag):
    dag = dagbag.get_dag(DAG_ID)
    assert dag is not None, f"{DAG_ID} not found; import errors: {dagbag.import_errors}"
    return dag


def _next_run(dag, earliest):
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    core = coerce_to_core_timetable(dag.timetable)
    return core.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=earliest, latest=None, catchup=True),
    )


def test_dag_imports_with_the_batch_dag(dagbag):
    assert dagbag.import_errors == {}
    assert {"batch_layer_pipeline", DAG_ID} <= set(dagbag.dag_ids)
    # the shared module defines no DAG of its own
    assert not [d for d in dagbag.dags.values() if d.fileloc.endswith("ula_jobsink.py")]


def test_tasks(dag):
    assert set(dag.task_ids) == TASKS
    trigger = dag.get_task("trigger_compact")
    wait = dag.get_task("wait_compact")
    assert type(trigger).__name__ == "HttpOperator"
    assert type(wait).__name__ == "HttpSensor"
    assert trigger.http_conn_id == wait.http_conn_id == "batch_jobsink"
    assert trigger.method == "POST" and wait.method == "GET"
    assert trigger.headers["Content-Type"] == "application/cloudevents+json"
    assert trigger.response_filter is not None and trigger.response_check is not None
    assert wait.response_check is not None
    assert wait.extra_options.get("check_response") is False
    assert wait.mode == "reschedule"
    assert wait.poke_interval == 5
    assert wait.timeout == 3600
    assert wait.upstream_task_ids == {"trigger_compact"}
    assert trigger.upstream_task_ids == set()


def test_schedule(dag):
    from airflow.sdk.definitions.timetables.trigger import CronTriggerTimetable

    tt = dag.timetable
    assert isinstance(tt, CronTriggerTimetable)
    assert tt.expression == "15 * * * *"
    assert str(getattr(tt.timezone, "name", tt.timezone)) == "UTC"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.tags and "compaction" in dag.tags
    assert dag.doc_md and "JobSink" in dag.doc_md

    # Hourly at minute 15 UTC; the data interval is the hour before the run.
    info = _next_run(dag, pendulum.datetime(2026, 11, 27, 17, 20, tz="UTC"))
    assert pendulum.instance(info.run_after) == pendulum.datetime(2026, 11, 27, 18, 15, tz="UTC")
    assert pendulum.instance(info.data_interval.start) == pendulum.datetime(2026, 11, 27, 17, 15, tz="UTC")
    assert pendulum.instance(info.data_interval.end) == pendulum.datetime(2026, 11, 27, 18, 15, tz="UTC")


def test_runs_before_the_daily_batch(dagbag, dag):
    """The daily batch (01:00 local, UTC+7: 18:00 UTC) finds its local day's last UTC hour compacted."""
    batch = dagbag.get_dag("batch_layer_pipeline")
    batch_run = _next_run(batch, pendulum.datetime(2026, 11, 27, 12, tz="UTC"))
    batch_at = pendulum.instance(batch_run.run_after)
    assert batch_at == pendulum.datetime(2026, 11, 27, 18, tz="UTC")
    # The local day 2026-11-27 ends at 17:00 UTC: its last UTC hour is 16, closed at 17:10 (lateness 10 min).
    day_end = pendulum.datetime(2026, 11, 28, tz="Asia/Ho_Chi_Minh").in_timezone("UTC")
    closed_at = day_end.add(minutes=10)
    compaction = _next_run(dag, closed_at)
    compaction_at = pendulum.instance(compaction.run_after)
    assert compaction_at == pendulum.datetime(2026, 11, 27, 17, 15, tz="UTC")
    assert compaction_at < batch_at
    body = _render(dag, "data", _context("scheduled__2026-11-27T17:15:00+00:00", compaction.data_interval.end))
    assert json.loads(body)["data"] == {"job": "compact", "from": "2026-11-20", "to": "2026-11-27"}


def test_retries_with_exponential_backoff(dag):
    for task in dag.tasks:
        assert task.retries == 3, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.retry_delay == dt.timedelta(seconds=60)
        assert task.max_retry_delay == dt.timedelta(minutes=30)


def _render(dag, field: str, context: dict, task_id: str = "trigger_compact"):
    task = dag.get_task(task_id)
    return task.render_template(getattr(task, field), context, jinja_env=dag.get_template_env())


def _context(run_id: str, interval_end, conf=None, run_after=None):
    return {
        "run_id": run_id,
        "data_interval_end": interval_end,
        "dag_run": SimpleNamespace(conf=conf or {}, run_after=run_after or interval_end),
        "var": SimpleNamespace(value=SimpleNamespace(get=lambda key, default=None: default)),
    }


def test_event_body_renders_for_a_logical_date(dag):
    run_id = "scheduled__2026-11-27T17:15:00+00:00"
    end = pendulum.datetime(2026, 11, 27, 17, 15, tz="UTC")
    body = _render(dag, "data", _context(run_id, end))
    assert json.loads(body) == {
        "specversion": "1.0",
        "id": f"{run_id}-compact",
        "source": "/airflow/lake_compaction",
        "type": "edu.lms.batch.request",
        "datacontenttype": "application/json",
        "data": {"job": "compact", "from": "2026-11-20", "to": "2026-11-27"},
    }
    # deterministic: a retry renders the very same event (JobSink dedups on source + id)
    assert _render(dag, "data", _context(run_id, end)) == body
    assert _render(dag, "endpoint", _context(run_id, end)) == "/jobs/batch"


def test_event_range_is_in_utc(dag):
    # 00:15 UTC: the hour 23 of the day before has just closed; it and the week before are covered.
    body = _render(dag, "data", _context("r1", pendulum.datetime(2026, 11, 28, 0, 15, tz="UTC")))
    assert json.loads(body)["data"] == {"job": "compact", "from": "2026-11-21", "to": "2026-11-28"}
    # 06:15 in Ho Chi Minh City on 28 Nov is 23:15 UTC on 27 Nov: UTC dates, not local ones.
    body = _render(dag, "data", _context("r2", pendulum.datetime(2026, 11, 28, 6, 15, tz="Asia/Ho_Chi_Minh")))
    assert json.loads(body)["data"] == {"job": "compact", "from": "2026-11-20", "to": "2026-11-27"}
    # a run without a data interval (manual, Airflow 3) uses its run_after
    body = _render(
        dag, "data", _context("r3", None, run_after=pendulum.datetime(2026, 11, 27, 9, 40, tz="UTC"))
    )
    assert json.loads(body)["data"] == {"job": "compact", "from": "2026-11-20", "to": "2026-11-27"}


def test_conf_overrides_the_dates(dag):
    end = pendulum.datetime(2026, 11, 27, 17, 15, tz="UTC")
    body = _render(dag, "data", _context("r4", end, {"from": "2026-10-01", "to": "2026-10-07"}))
    assert json.loads(body)["data"] == {"job": "compact", "from": "2026-10-01", "to": "2026-10-07"}
    body = _render(dag, "data", _context("r5", end, {"from": "2026-10-01"}))
    assert json.loads(body)["data"] == {"job": "compact", "from": "2026-10-01", "to": "2026-10-01"}
    with pytest.raises(ValueError):
        _render(dag, "data", _context("r6", end, {"from": "2026-10-07", "to": "2026-10-01"}))
    with pytest.raises(ValueError):
        _render(dag, "data", _context("r7", end, {"to": "last week"}))


def test_sensor_endpoint_from_location(dag):
    ti = SimpleNamespace(xcom_pull=lambda task_ids: "http://127.0.0.1:8084/jobs/batch/batch-abc?x=1")
    assert _render(dag, "endpoint", {"ti": ti}, "wait_compact") == "/jobs/batch/batch-abc?x=1"


def _assert_compact_event(events: list[dict], run_id: str, day_from: str, day_to: str) -> None:
    assert len(events) == 1, [e.get("event") for e in events]
    record = events[0]
    assert record["path"] == "/jobs/batch"
    assert record["content_type"].split(";")[0] == "application/cloudevents+json"
    assert record["event"] == {
        "specversion": "1.0",
        "id": f"{run_id}-compact",
        "source": "/airflow/lake_compaction",
        "type": "edu.lms.batch.request",
        "datacontenttype": "application/json",
        "data": {"job": "compact", "from": day_from, "to": day_to},
    }


def test_dags_test_run_requests_the_compaction(tmp_path, start_stub, airflow_db):
    stub = None if REAL_TRIGGER_URL else start_stub()
    url = REAL_TRIGGER_URL or f"{stub.base_url}/jobs/batch"

    rc, output, _ = run_dag_test(tmp_path, DAG_ID, LOGICAL_DATE, url)

    run_id, run_state, states = latest_run(airflow_db, DAG_ID)
    assert rc == 0, tail(output)
    assert run_state == "success", states
    assert states == {task_id: "success" for task_id in TASKS}
    if stub is None:
        return  # the real service's received events are not observable from here
    _assert_compact_event(stub.events(), run_id, EXPECTED_FROM, EXPECTED_TO)


@pytest.mark.skipif(bool(REAL_TRIGGER_URL), reason="needs the stub to make a job fail on purpose")
def test_failed_compaction_fails_the_run(tmp_path, start_stub, airflow_db):
    stub = start_stub(STUB_FAIL_JOB="compact", STUB_LOCATION_STYLE="absolute")

    conf = {"from": "2026-10-01", "to": "2026-10-07"}  # e.g. compacting a backfilled history
    rc, output, _ = run_dag_test(tmp_path, DAG_ID, LOGICAL_DATE, f"{stub.base_url}/jobs/batch", conf=conf)

    run_id, run_state, states = latest_run(airflow_db, DAG_ID)
    assert rc != 0, tail(output)
    assert run_state == "failed"
    assert states == {"trigger_compact": "success", "wait_compact": "failed"}
    assert "batch job failed (JobSink status 400)" in output
    _assert_compact_event(stub.events(), run_id, "2026-10-01", "2026-10-07")
