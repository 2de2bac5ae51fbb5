"""Helpers of the REAL `airflow dags test` runs (test_dag_run.py, test_lake_compaction.py): the stand-in
JobSink process (jobsink_stub.py), the child's environment and the metadata DB read-back.

* With env ``ULA_BATCH_TRIGGER_URL`` (e.g. ``http://127.0.0.1:8084/jobs/batch``: the project's
  trigger service, functions/batch) the runs go against it.
* Without it they go against ``jobsink_stub.py``, which ONLY TESTS THE DAG'S HTTP CONTRACT (structured
  CloudEvents in, 202 + Location, polling 202/200/400): its "jobs" are child processes that sleep
  briefly and exit 0, or 1 for the job named in ``STUB_FAIL_JOB``.

Tuned for speed through the DAGs' env overrides: poke interval 1 s, no retries.
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

from ula_airflow_support import AIRFLOW_BIN, AIRFLOW_ENV, TESTS_DIR

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


def _target(url: str) -> tuple[str, str]:
    """(AIRFLOW_CONN_BATCH_JOBSINK JSON, JobSink path) for a trigger service URL."""
    parts = urlsplit(url)
    conn = {"conn_type": "http", "host": parts.hostname, "schema": parts.scheme or "http"}
    if parts.port:
        conn["port"] = parts.port
    path = parts.path.rstrip("/") or "/jobs/batch"
    return json.dumps(conn), path


def run_dag_test(
    tmp_path: Path, dag_id: str, logical_date: str, trigger_url: str, conf: dict | None = None
) -> tuple[int, str, float]:
    """`airflow dags test <dag_id> <logical_date>` against ``trigger_url``: (exit code, output, seconds)."""
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
    cmd = [str(AIRFLOW_BIN), "dags", "test", dag_id, logical_date]
    if conf is not None:
        cmd += ["--conf", json.dumps(conf)]
    log_file = tmp_path / "dags-test.log"
    started = time.monotonic()
    with open(log_file, "w") as out:
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=DAG_TEST_TIMEOUT)
    elapsed = time.monotonic() - started
    output = log_file.read_text()
    print(f"`airflow dags test {dag_id}` exit {proc.returncode} in {elapsed:.1f}s (log: {log_file})")
    return proc.returncode, output, elapsed


def latest_run(db: Path, dag_id: str) -> tuple[str, str, dict[str, str]]:
    """(run_id, run state, {task_id: state}) of the newest run of the DAG in the metadata DB."""
    with sqlite3.connect(db) as con:
        run_id, state = con.execute(
            "SELECT run_id, state FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1", (dag_id,)
        ).fetchone()
        rows = con.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = ?", (dag_id, run_id)
        ).fetchall()
    return run_id, state, dict(rows)


def tail(output: str, lines: int = 60) -> str:
    return "\n".join(output.splitlines()[-lines:])
