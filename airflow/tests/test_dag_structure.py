"""Static checks of the batch_layer_pipeline DAG: import, tasks, dependencies, schedule, retries and
the CloudEvent each trigger task renders (no HTTP here; see test_dag_run.py for a real run)."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pendulum
import pytest
from ula_airflow_support import DAGS_FOLDER

DAG_ID = "batch_layer_pipeline"
PARALLEL_JOBS = ["auth", "assessment", "video", "course", "profile_notification"]
FINAL_JOB = "student_course_analytics"
JOBS = [*PARALLEL_JOBS, FINAL_JOB]
RETAIN_JOB = "retain"
TASK_JOBS = [*JOBS, RETAIN_JOB]


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_FOLDER))


@pytest.fixture(scope="module")
def dag(dagbag):
    dag = dagbag.get_dag(DAG_ID)
    assert dag is not None, f"{DAG_ID} not found; import errors: {dagbag.import_errors}"
    return dag


@pytest.fixture(scope="module")
def module():
    """The DAG file's module (its helpers), as the DagBag loaded it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ula_batch_layer_pipeline", DAGS_FOLDER / f"{DAG_ID}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_dag_folder_imports_cleanly(dagbag):
    assert dagbag.import_errors == {}
    assert DAG_ID in dagbag.dag_ids


def test_tasks(dag):
    expected = {f"trigger_{j}" for j in TASK_JOBS} | {f"wait_{j}" for j in TASK_JOBS} | {"check_all_succeeded"}
    assert set(dag.task_ids) == expected
    for job in TASK_JOBS:
        trigger = dag.get_task(f"trigger_{job}")
        wait = dag.get_task(f"wait_{job}")
        assert type(trigger).__name__ == "HttpOperator"
        assert type(wait).__name__ == "HttpSensor"
        assert trigger.http_conn_id == wait.http_conn_id == "batch_jobsink"
        assert trigger.method == "POST" and wait.method == "GET"
        assert trigger.headers["Content-Type"] == "application/cloudevents+json"
        assert trigger.response_filter is not None
        assert wait.response_check is not None
        assert wait.extra_options.get("check_response") is False
        assert wait.mode in ("reschedule", "poke")
        assert wait.poke_interval == 5
        assert wait.timeout == 3600


def test_dependencies(dag):
    for job in TASK_JOBS:
        assert dag.get_task(f"wait_{job}").upstream_task_ids == {f"trigger_{job}"}
    for job in PARALLEL_JOBS:
        assert dag.get_task(f"trigger_{job}").upstream_task_ids == set()
    assert dag.get_task(f"trigger_{FINAL_JOB}").upstream_task_ids == {f"wait_{j}" for j in PARALLEL_JOBS}
    # Retention only after the view jobs succeeded (default trigger rule: a failed batch deletes nothing).
    retain = dag.get_task(f"trigger_{RETAIN_JOB}")
    assert retain.upstream_task_ids == {f"wait_{FINAL_JOB}"}
    assert str(getattr(retain.trigger_rule, "value", retain.trigger_rule)) == "all_success"
    check = dag.get_task("check_all_succeeded")
    assert check.upstream_task_ids == {f"wait_{j}" for j in TASK_JOBS}
    assert str(check.trigger_rule.value if hasattr(check.trigger_rule, "value") else check.trigger_rule) == "all_done"
    assert check.downstream_task_ids == set()
    assert [t.task_id for t in dag.leaves] == ["check_all_succeeded"]


def test_schedule_and_timezone(dag):
    from airflow.sdk.definitions.timetables.trigger import CronTriggerTimetable
    from airflow.serialization.encoders import coerce_to_core_timetable
    from airflow.timetables.base import TimeRestriction

    tt = dag.timetable
    assert isinstance(tt, CronTriggerTimetable)
    assert tt.expression == "0 1 * * *"
    assert str(getattr(tt.timezone, "name", tt.timezone)) == "Asia/Ho_Chi_Minh"
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.tags and "batch-layer" in dag.tags
    assert dag.doc_md and "JobSink" in dag.doc_md

    # The next run after noon UTC on 27 Nov is at 01:00 local (UTC+7) on 28 Nov and covers the day before.
    core = coerce_to_core_timetable(tt)
    info = core.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(
            earliest=pendulum.datetime(2026, 11, 27, 12, tz="UTC"), latest=None, catchup=True
        ),
    )
    local = pendulum.instance(info.run_after).in_timezone("Asia/Ho_Chi_Minh")
    assert (local.to_date_string(), local.hour, local.minute) == ("2026-11-28", 1, 0)
    start = pendulum.instance(info.data_interval.start).in_timezone("Asia/Ho_Chi_Minh")
    assert start.to_date_string() == "2026-11-27"


def test_retries_with_exponential_backoff(dag):
    for task in dag.tasks:
        if task.task_id == "check_all_succeeded":
            assert task.retries == 0  # retrying cannot change the jobs' outcome
            continue
        assert task.retries == 3, task.task_id
        assert task.retry_exponential_backoff, task.task_id
        assert task.retry_delay == dt.timedelta(seconds=60)
        assert task.max_retry_delay == dt.timedelta(minutes=30)


def _render(dag, task_id: str, field: str, context: dict):
    task = dag.get_task(task_id)
    return task.render_template(getattr(task, field), context, jinja_env=dag.get_template_env())


def _context(run_id: str, interval_start, conf=None):
    return {
        "run_id": run_id,
        "data_interval_start": interval_start,
        "dag_run": SimpleNamespace(conf=conf or {}, run_after=interval_start.add(days=1)),
        "var": SimpleNamespace(value=SimpleNamespace(get=lambda key, default=None: default)),
    }


def test_event_body_renders_for_a_logical_date(dag):
    # Scheduled run at 2026-11-28 01:00 local: data interval starts 2026-11-27 01:00 local (18:00 UTC).
    run_id = "scheduled__2026-11-27T18:00:00+00:00"
    interval_start = pendulum.datetime(2026, 11, 26, 18, tz="UTC")
    for job in TASK_JOBS:
        body = _render(dag, f"trigger_{job}", "data", _context(run_id, interval_start))
        event = json.loads(body)
        assert event == {
            "specversion": "1.0",
            "id": f"{run_id}-{job}",
            "source": "/airflow/batch_layer_pipeline",
            "type": "edu.lms.batch.request",
            "datacontenttype": "application/json",
            "data": {"job": job, "from": "2026-11-27", "to": "2026-11-27"},
        }
        # deterministic: a retry renders the very same event (JobSink dedups on source + id)
        assert _render(dag, f"trigger_{job}", "data", _context(run_id, interval_start)) == body
        endpoint = _render(dag, f"trigger_{job}", "endpoint", _context(run_id, interval_start))
        assert endpoint == "/jobs/batch"


def test_event_day_is_the_local_day(dag):
    # 2026-11-27 17:30 UTC is already 2026-11-28 00:30 in Ho Chi Minh City.
    body = _render(
        dag, "trigger_video", "data", _context("r1", pendulum.datetime(2026, 11, 27, 17, 30, tz="UTC"))
    )
    assert json.loads(body)["data"] == {"job": "video", "from": "2026-11-28", "to": "2026-11-28"}


def test_conf_overrides_the_dates(dag):
    start = pendulum.datetime(2026, 11, 26, 18, tz="UTC")
    body = _render(
        dag, "trigger_course", "data", _context("r2", start, {"from": "2026-10-01", "to": "2026-10-07"})
    )
    assert json.loads(body)["data"] == {"job": "course", "from": "2026-10-01", "to": "2026-10-07"}
    body = _render(dag, "trigger_course", "data", _context("r3", start, {"from": "2026-10-01"}))
    assert json.loads(body)["data"] == {"job": "course", "from": "2026-10-01", "to": "2026-10-01"}
    with pytest.raises(ValueError):
        _render(dag, "trigger_course", "data", _context("r4", start, {"from": "2026-10-07", "to": "2026-10-01"}))
    with pytest.raises(ValueError):
        _render(dag, "trigger_course", "data", _context("r5", start, {"from": "yesterday"}))


def test_sensor_endpoint_from_location(dag):
    for location, expected in [
        ("/jobs/batch/abc123", "/jobs/batch/abc123"),
        ("http://127.0.0.1:8084/jobs/batch/abc123", "/jobs/batch/abc123"),
        ("http://job-sink.knative-eventing.svc.cluster.local/ns/sink/job-1?x=1", "/ns/sink/job-1?x=1"),
    ]:
        ti = SimpleNamespace(xcom_pull=lambda task_ids, _loc=location: _loc)
        assert _render(dag, "wait_auth", "endpoint", {"ti": ti}) == expected


def _response(status: int, headers=None, text: str = ""):
    return SimpleNamespace(status_code=status, headers=headers or {}, text=text)


def test_sensor_status_mapping(module):
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    assert module.job_finished(_response(200)) is True
    assert module.job_finished(_response(202)) is False
    with pytest.raises(AirflowFailException):
        module.job_finished(_response(400, text='{"status":"failed"}'))
    with pytest.raises(AirflowFailException):
        module.job_finished(_response(404))
    with pytest.raises(AirflowException) as err:
        module.job_finished(_response(503))
    assert not isinstance(err.value, AirflowFailException)  # 5xx: retryable


def test_trigger_response_handling(module):
    from airflow.sdk.exceptions import AirflowException

    ok = _response(202, {"Location": "/jobs/batch/x"})
    assert module.is_accepted(ok) is True
    assert module.accepted_location(ok) == "/jobs/batch/x"
    assert module.is_accepted(_response(202)) is False
    with pytest.raises(AirflowException):
        module.accepted_location(_response(202))


def test_retain_event_counts_back_from_the_run_day_and_follows_the_conf(dag):
    # The run's local day is retention's reference day (`to`): never after today UTC when the run starts.
    start = pendulum.datetime(2026, 11, 26, 18, tz="UTC")
    body = json.loads(_render(dag, "trigger_retain", "data", _context("r6", start)))
    assert body["id"] == "r6-retain"
    assert body["data"] == {"job": "retain", "from": "2026-11-27", "to": "2026-11-27"}
    run_after = pendulum.instance(start).add(days=1)  # 2026-11-27 18:00 UTC
    assert body["data"]["to"] <= run_after.to_date_string()
    backfill = _context("r7", start, {"from": "2026-10-01", "to": "2026-10-07"})
    assert json.loads(_render(dag, "trigger_retain", "data", backfill))["data"]["to"] == "2026-10-07"
