"""A REAL `airflow dags test batch_layer_pipeline <date>` run against an HTTP JobSink-like service.

* With env ``ULA_BATCH_TRIGGER_URL`` (e.g. ``http://127.0.0.1:8084/jobs/batch``: the project's
  trigger service, functions/batch): the DAG runs against it and must succeed. The failure test is
  skipped (the real service offers no way to make a job fail on purpose).
* Without it: the tests start ``jobsink_stub.py`` (a stand-in JobSink in Python's http.server).
  THIS ONLY TESTS THE DAG'S HTTP CONTRACT (structured CloudEvents in, 202 + Location, polling
  202/200/400): the stub's "jobs" are child processes that sleep briefly and exit 0, or 1 for the
  job named in ``STUB_FAIL_JOB``; no batch computation runs.

Tuned for speed through the DAG's env overrides: poke interval 1 s, no retries.
"""

from __future__ import annotations

import pytest
from dag_run_support import REAL_TRIGGER_URL, latest_run, run_dag_test, tail

DAG_ID = "batch_layer_pipeline"
PARALLEL_JOBS = ["auth", "assessment", "video", "course", "profile_notification"]
FINAL_JOB = "student_course_analytics"
JOBS = [*PARALLEL_JOBS, FINAL_JOB]
RETAIN_JOB = "retain"
TASK_JOBS = [*JOBS, RETAIN_JOB]
ALL_TASKS = {f"trigger_{j}" for j in TASK_JOBS} | {f"wait_{j}" for j in TASK_JOBS} | {"check_all_succeeded"}

# A scheduled run at 01:00 local (UTC+7) on 27 Nov covers the previous local day.
LOGICAL_DATE = "2026-11-27T01:00:00+07:00"
EXPECTED_DAY = "2026-11-26"


def _assert_structured_events(events: list[dict], run_id: str, jobs: list[str], day_from: str, day_to: str):
    assert len(events) == len(jobs), [e.get("event") for e in events]
    assert sorted(e["event"]["data"]["job"] for e in events) == sorted(jobs)
    for record in events:
        assert record["path"] == "/jobs/batch"
        assert record["content_type"].split(";")[0] == "application/cloudevents+json"
        event = record["event"]
        job = event["data"]["job"]
        assert event == {
            "specversion": "1.0",
            "id": f"{run_id}-{job}",
            "source": "/airflow/batch_layer_pipeline",
            "type": "edu.lms.batch.request",
            "datacontenttype": "application/json",
            "data": {"job": job, "from": day_from, "to": day_to},
        }


def test_full_run_succeeds(tmp_path, start_stub, airflow_db):
    stub = None if REAL_TRIGGER_URL else start_stub()
    url = REAL_TRIGGER_URL or f"{stub.base_url}/jobs/batch"

    rc, output, _ = run_dag_test(tmp_path, DAG_ID, LOGICAL_DATE, url)

    run_id, run_state, states = latest_run(airflow_db, DAG_ID)
    assert rc == 0, tail(output)
    assert run_state == "success", states
    assert states == {task_id: "success" for task_id in ALL_TASKS}
    assert "all 6 batch jobs and the lake retention succeeded" in output
    if stub is None:
        return  # the real service's received events are not observable from here
    events = stub.events()
    _assert_structured_events(events, run_id, TASK_JOBS, EXPECTED_DAY, EXPECTED_DAY)
    # student_course_analytics is requested only after the five others finished, the retention last
    assert [e["event"]["data"]["job"] for e in events[-2:]] == [FINAL_JOB, RETAIN_JOB]


@pytest.mark.skipif(bool(REAL_TRIGGER_URL), reason="needs the stub to make a job fail on purpose")
def test_failed_job_fails_the_run(tmp_path, start_stub, airflow_db):
    # The stub answers with absolute Location URLs here, and the conf overrides the dates (backfill).
    stub = start_stub(STUB_FAIL_JOB="video", STUB_LOCATION_STYLE="absolute")

    rc, output, _ = run_dag_test(
        tmp_path, DAG_ID, LOGICAL_DATE, f"{stub.base_url}/jobs/batch", conf={"from": "2026-10-01", "to": "2026-10-07"}
    )

    run_id, run_state, states = latest_run(airflow_db, DAG_ID)
    assert rc != 0, tail(output)
    assert run_state == "failed"
    assert states["wait_video"] == "failed"
    assert states["check_all_succeeded"] == "failed"
    assert states[f"trigger_{FINAL_JOB}"] == "upstream_failed"
    assert states[f"wait_{FINAL_JOB}"] == "upstream_failed"
    # a failed batch deletes nothing: the retention is not requested
    assert states[f"trigger_{RETAIN_JOB}"] == states[f"wait_{RETAIN_JOB}"] == "upstream_failed"
    for job in ("auth", "assessment", "course", "profile_notification"):
        assert states[f"trigger_{job}"] == states[f"wait_{job}"] == "success", job
    assert "batch jobs did not all succeed" in output
    # the final job was never requested
    _assert_structured_events(stub.events(), run_id, PARALLEL_JOBS, "2026-10-01", "2026-10-07")
