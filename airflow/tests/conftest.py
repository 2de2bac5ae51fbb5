"""pytest setup of the Airflow DAG tests: see ula_airflow_support.py (imported first, so the
stack's Airflow settings are in the environment before Airflow is imported)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from ula_airflow_support import AIRFLOW_BIN, AIRFLOW_DB, AIRFLOW_HOME


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """The stack's migrated metadata DB (migrated here if airflow_start was not run)."""
    if not AIRFLOW_BIN.exists():
        pytest.fail(f"{AIRFLOW_BIN} missing: run scripts/stack/airflow.sh airflow_install first")
    if not AIRFLOW_DB.exists():
        AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(AIRFLOW_BIN), "db", "migrate"], check=True, capture_output=True, timeout=300)
    return AIRFLOW_DB


@pytest.fixture
def start_stub(tmp_path):
    """``start_stub(**env)`` starts a stand-in JobSink (dag_run_support.Stub); stopped after the test."""
    from dag_run_support import Stub

    stubs: list[Stub] = []

    def start(**extra_env: str) -> Stub:
        stub = Stub(tmp_path, extra_env)
        stubs.append(stub)
        return stub

    yield start
    for stub in stubs:
        stub.stop()
