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

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from ula_airflow_support import AIRFLOW_BIN, AIRFLOW_ENV, TESTS_DIR

DAG_ID = "batch_layer_pipeline"
PARALLEL_JOBS = ["auth", "assessment", "video", "course", "profile_notification"]
FINAL_JOB = "student_course_analytics"
JOBS = [*PARALLEL_JOBS, FINAL_JOB]
ALL_TASKS = {f"trigger_{j}" for j in JOBS} | {f"wait_{j}" for j in JOBS} | {"check_all_succeeded"}

# A scheduled run at 01:00 local (UTC+7) on 27 Nov covers the previous local day.
LOGICAL_DATE = "2026-11-27T01:00:00+07:00"
EXPECTED_DAY = "2026-11-26"

REAL_TRIGGER_URL = os.environ.get("ULA_BATCH_TRIGGER_URL", "").strip()
DAG_TEST_TIMEOUT = 900 if REAL_TRIGGER_URL else 300


class Stub:
    """The stand-in JobSink process (see jobsink_stub.py)."""

    def __init__(self, tmp_path: Path, extra_env: dict[str, str]) -> None:
        self.stderr = open(tmp_path / "jobsink-stub.log", "w")  # noqa: SIM115 (closed in stop)
        env = {**os.environ, "STUB_JOB_SECONDS": "1.0", **extra_env}
        self.proc = subprocess.Popen(
            [sys.executable, str(TESTS_DIR / "jobsink_stub.py"), "--port", "0", "--path", "/jobs/batch"],
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.startswith("LISTENING "):
            self.stop()
            raise RuntimeError(f"jobsink stub did not start: {line!r}")
        self.port = int(line.split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}"

    def events(self) -> list[dict]:
        with urllib.request.urlopen(f"{self.base_url}/_stub/events", timeout=10) as resp:
            return json.load(resp)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


@pytest.fixture
def start_stub(tmp_path):
    stubs: list[Stub] = []

    def start(**extra_env: str) -> Stub:
        stub = Stub(tmp_path, extra_env)
        stubs.append(stub)
        return stub

    yield start
    for stub in stubs:
        stub.stop()


def _target(url: str) -> tuple[str, str]:
    """(AIRFLOW_CONN_BATCH_JOBSINK JSON, JobSink path) for a trigger service URL."""
    parts = urlsplit(url)
    conn = {"conn_type": "http", "host": parts.hostname, "schema": parts.scheme or "http"}
    if parts.port:
        conn["port"] = parts.port
    path = parts.path.rstrip("/") or "/jobs/batch"
    return json.dumps(conn), path


def run_dag_test(tmp_path: Path, trigger_url: str, conf: dict | None = None) -> tuple[int, str, float]:
    conn, path = _target(trigger_url)
    env = {
        **os.environ,
        **AIRFLOW_ENV,
        "AIRFLOW_CONN_BATCH_JOBSINK": conn,
        "ULA_JOBSINK_PATH": path,
        "ULA_AIRFLOW_POKE_INTERVAL_SECONDS": "1",
        "ULA_AIRFLOW_RETRIES": "0",
        "ULA_AIRFLOW_RETRY_DELAY_SECONDS": "1",
        "ULA_AIRFLOW_MAX_RETRY_DELAY_SECONDS": "2",
        "ULA_AIRFLOW_SENSOR_TIMEOUT_SECONDS": "600",
    }
    cmd = [str(AIRFLOW_BIN), "dags", "test", DAG_ID, LOGICAL_DATE]
    if conf is not None:
        cmd += ["--conf", json.dumps(conf)]
    log_file = tmp_path / "dags-test.log"
    started = time.monotonic()
    with open(log_file, "w") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=DAG_TEST_TIMEOUT)
    elapsed = time.monotonic() - started
    output = log_file.read_text()
    print(f"`airflow dags test` exit {proc.returncode} in {elapsed:.1f}s (log: {log_file})")
    return proc.returncode, output, elapsed


def latest_run(db: Path) -> tuple[str, str, dict[str, str]]:
    """(run_id, run state, {task_id: state}) of the newest run of the DAG in the metadata DB."""
    with sqlite3.connect(db) as con:
        run_id, state = con.execute(
            "SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (DAG_ID,)
        ).fetchone()
        rows = con.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?", (DAG_ID, run_id)
        ).fetchall()
    return run_id, state, dict(rows)


def _tail(output: str, lines: int = 60) -> str:
    return "\n".join(output.splitlines()[-lines:])


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

    rc, output, _ = run_dag_test(tmp_path, url)

    run_id, run_state, states = latest_run(airflow_db)
    assert rc == 0, _tail(output)
    assert run_state == "success", states
    assert states == {task_id: "success" for task_id in ALL_TASKS}
    assert "all 6 batch jobs succeeded" in output
    if stub is None:
        return  # the real service's received events are not observable from here
    events = stub.events()
    _assert_structured_events(events, run_id, JOBS, EXPECTED_DAY, EXPECTED_DAY)
    # student_course_analytics is requested only after the five others finished
    assert events[-1]["event"]["data"]["job"] == FINAL_JOB


@pytest.mark.skipif(bool(REAL_TRIGGER_URL), reason="needs the stub to make a job fail on purpose")
def test_failed_job_fails_the_run(tmp_path, start_stub, airflow_db):
    # The stub answers with absolute Location URLs here, and the conf overrides the dates (backfill).
    stub = start_stub(STUB_FAIL_JOB="video", STUB_LOCATION_STYLE="absolute")

    rc, output, _ = run_dag_test(tmp_path, f"{stub.base_url}/jobs/batch", conf={"from": "2026-10-01", "to": "2026-10-07"})

    run_id, run_state, states = latest_run(airflow_db)
    assert rc != 0, _tail(output)
    assert run_state == "failed"
    assert states["wait_video"] == "failed"
    assert states["check_all_succeeded"] == "failed"
    assert states[f"trigger_{FINAL_JOB}"] == "upstream_failed"
    assert states[f"wait_{FINAL_JOB}"] == "upstream_failed"
    for job in ("auth", "assessment", "course", "profile_notification"):
        assert states[f"trigger_{job}"] == states[f"wait_{job}"] == "success", job
    assert "batch jobs did not all succeed" in output
    # the final job was never requested
    _assert_structured_events(stub.events(), run_id, PARALLEL_JOBS, "2026-10-01", "2026-10-07")
