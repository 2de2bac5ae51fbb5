"""Settings shared by the Airflow DAG tests (imported by conftest.py before anything imports Airflow).

Run after the stack's Airflow is installed and prepared::

    bash -c 'source scripts/stack/airflow.sh; airflow_install; airflow_start'
    .cache/airflow-venv/bin/python -m pytest airflow/tests -q

The same Airflow settings as scripts/stack/airflow.sh are put into the environment here, BEFORE
Airflow is imported, so this process and the `airflow dags test` children use the stack's
AIRFLOW_HOME (ULA_AIRFLOW_HOME, else $STACK_RUN/airflow, else .stack/airflow), its SQLite DB and the repo's dags folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_FOLDER = REPO_ROOT / "airflow" / "dags"
TESTS_DIR = Path(__file__).resolve().parent
AIRFLOW_HOME = Path(
    os.environ.get("ULA_AIRFLOW_HOME") or Path(os.environ.get("STACK_RUN") or REPO_ROOT / ".stack") / "airflow"
).resolve()
AIRFLOW_DB = AIRFLOW_HOME / "airflow.db"
AIRFLOW_BIN = Path(sys.executable).parent / "airflow"

AIRFLOW_ENV = {
    "AIRFLOW_HOME": str(AIRFLOW_HOME),
    "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{AIRFLOW_DB}",
}
os.environ.update(AIRFLOW_ENV)

# The DAG files import their shared module (dags/ula_jobsink.py) by name, as Airflow's DAG processor and
# task runner allow (they put the DAGs folder, the bundle, on sys.path); an in-process DagBag does not.
if str(DAGS_FOLDER) not in sys.path:
    sys.path.append(str(DAGS_FOLDER))

# The in-process DAG import must see the production defaults, whatever the caller's shell holds;
# the run tests pass their own overrides to the `airflow dags test` child explicitly.
DAG_TUNING_ENV = (
    "ULA_TIMEZONE",
    "ULA_JOBSINK_PATH",
    "ULA_AIRFLOW_RETRIES",
    "ULA_AIRFLOW_RETRY_DELAY_SECONDS",
    "ULA_AIRFLOW_MAX_RETRY_DELAY_SECONDS",
    "ULA_AIRFLOW_POKE_INTERVAL_SECONDS",
    "ULA_AIRFLOW_SENSOR_TIMEOUT_SECONDS",
    "ULA_AIRFLOW_SENSOR_MODE",
    "ULA_AIRFLOW_HTTP_TIMEOUT_SECONDS",
)
for _name in DAG_TUNING_ENV:
    os.environ.pop(_name, None)
