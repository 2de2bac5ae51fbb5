# shellcheck shell=bash
# Local Apache Airflow 3 for the batch-layer DAG (airflow/dags) and its tests (airflow/tests).
#
# Sourced by scripts/stack/stack.sh (which calls airflow_install, airflow_start, airflow_health,
# airflow_stop); self-contained, so it can also be sourced on its own:
#
#   bash -c 'source scripts/stack/airflow.sh; airflow_install; airflow_start; airflow_health'
#   .cache/airflow-venv/bin/python -m pytest airflow/tests -q
#
# - airflow_install: venv at .cache/airflow-venv, installs apache-airflow + the HTTP provider + pytest
#   pinned by the committed airflow/constraints.txt. The pinned packages are downloaded once into
#   .cache/pip/airflow-wheelhouse; installs after that are offline from it. Skipped when the venv
#   already holds exactly that pin set (a stamp file stores the pin file's hash).
# - airflow_start: no long-running server is needed (tests use `airflow dags test`, which runs a
#   whole DAG run in one process). It only prepares AIRFLOW_HOME=.stack/airflow: writes airflow.cfg
#   (dags folder = airflow/dags, no examples, SQLite DB at an absolute path) and runs
#   `airflow db migrate`. Every process that sets AIRFLOW_HOME to that folder sees the same config.
# - airflow_health: the venv matches the pin file, the installed apache-airflow version, and
#   `airflow db check-migrations -t 0` (Airflow imports, the DB answers and is migrated to head).
# - airflow_stop: nothing runs, nothing to stop (state is kept; `airflow_clean` removes it).
#
# Safe under `set -euo pipefail`. Overridable: AIRFLOW_PYTHON (interpreter for the venv),
# ULA_AIRFLOW_VENV, ULA_AIRFLOW_HOME, ULA_AIRFLOW_PIP_CACHE (a caller's own AIRFLOW_HOME is ignored on purpose).

_ula_airflow_sh_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="${REPO_ROOT:-$(cd "${_ula_airflow_sh_dir}/../.." && pwd)}"

AIRFLOW_PIN_VERSION="3.3.2"
AIRFLOW_CONSTRAINTS_FILE="${REPO_ROOT}/airflow/constraints.txt"
# STACK_CACHE / STACK_RUN: set by scripts/stack/lib.sh when sourced through stack.sh (same defaults).
ULA_AIRFLOW_VENV="${ULA_AIRFLOW_VENV:-${STACK_CACHE:-${REPO_ROOT}/.cache}/airflow-venv}"
ULA_AIRFLOW_HOME="${ULA_AIRFLOW_HOME:-${STACK_RUN:-${REPO_ROOT}/.stack}/airflow}"
ULA_AIRFLOW_PIP_CACHE="${ULA_AIRFLOW_PIP_CACHE:-${STACK_CACHE:-${REPO_ROOT}/.cache}/pip}"

_airflow_log() { printf '[airflow] %s\n' "$*" >&2; }

_airflow_python() {
  local candidate
  for candidate in "${AIRFLOW_PYTHON:-}" python3.11 python3.12 python3.10 python3.13 python3; do
    [[ -n "${candidate}" ]] || continue
    if command -v "${candidate}" >/dev/null 2>&1 &&
      "${candidate}" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; then
      printf '%s\n' "${candidate}"
      return 0
    fi
  done
  _airflow_log "no Python 3.10-3.13 interpreter found (Airflow ${AIRFLOW_PIN_VERSION} needs one)"
  return 1
}

_airflow_stamp_value() {
  # What the venv must have been built from: the pin file and the requested packages.
  {
    cat "${AIRFLOW_CONSTRAINTS_FILE}"
    printf 'apache-airflow==%s apache-airflow-providers-http pytest\n' "${AIRFLOW_PIN_VERSION}"
  } | sha256sum | cut -d' ' -f1
}

# Export the environment every Airflow process of the stack uses (also the pytest processes'
# children inherit it; the tests set the same defaults themselves when it is absent).
airflow_env() {
  export AIRFLOW_HOME="${ULA_AIRFLOW_HOME}"
  export AIRFLOW__CORE__DAGS_FOLDER="${REPO_ROOT}/airflow/dags"
  export AIRFLOW__CORE__LOAD_EXAMPLES="False"
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="sqlite:///${ULA_AIRFLOW_HOME}/airflow.db"
  export PATH="${ULA_AIRFLOW_VENV}/bin:${PATH}"
}

airflow_install() {
  local started=${SECONDS} python stamp
  if [[ ! -f "${AIRFLOW_CONSTRAINTS_FILE}" ]]; then
    _airflow_log "missing pin file ${AIRFLOW_CONSTRAINTS_FILE}"
    return 1
  fi
  stamp="$(_airflow_stamp_value)"
  if [[ -x "${ULA_AIRFLOW_VENV}/bin/airflow" && -f "${ULA_AIRFLOW_VENV}/.ula-stamp" &&
    "$(cat "${ULA_AIRFLOW_VENV}/.ula-stamp")" == "${stamp}" ]] &&
    "${ULA_AIRFLOW_VENV}/bin/python" -c '' 2>/dev/null; then
    _airflow_log "venv up to date (${ULA_AIRFLOW_VENV})"
    return 0
  fi
  python="$(_airflow_python)"
  if [[ ! -x "${ULA_AIRFLOW_VENV}/bin/python" ]]; then
    _airflow_log "creating venv ${ULA_AIRFLOW_VENV} with $(${python} --version 2>&1)"
    mkdir -p "$(dirname "${ULA_AIRFLOW_VENV}")"
    "${python}" -m venv "${ULA_AIRFLOW_VENV}"
  fi
  # The registry's responses are not kept by pip's HTTP cache here (they come back uncacheable), so
  # the pinned wheels are downloaded once into a wheelhouse under the pip cache folder and every
  # (re)install after that is offline from it.
  local venv_py="${ULA_AIRFLOW_VENV}/bin/python" wheelhouse wh_stamp
  local -a reqs=("apache-airflow==${AIRFLOW_PIN_VERSION}" apache-airflow-providers-http pytest)
  wheelhouse="${ULA_AIRFLOW_PIP_CACHE}/airflow-wheelhouse"
  wh_stamp="${stamp} $("${venv_py}" -c 'import sys, sysconfig; print(sys.implementation.cache_tag, sysconfig.get_platform())')"
  mkdir -p "${wheelhouse}"
  if [[ "$(cat "${wheelhouse}/.ula-stamp" 2>/dev/null)" != "${wh_stamp}" ]]; then
    _airflow_log "downloading the pinned packages into ${wheelhouse}"
    rm -f "${wheelhouse}/.ula-stamp"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "${venv_py}" -m pip download --quiet \
      --cache-dir "${ULA_AIRFLOW_PIP_CACHE}" --dest "${wheelhouse}" \
      -c "${AIRFLOW_CONSTRAINTS_FILE}" "${reqs[@]}"
    printf '%s\n' "${wh_stamp}" >"${wheelhouse}/.ula-stamp"
  fi
  _airflow_log "installing apache-airflow==${AIRFLOW_PIN_VERSION} (+http provider, pytest) pinned by airflow/constraints.txt"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "${venv_py}" -m pip install --quiet \
    --no-index --find-links "${wheelhouse}" --cache-dir "${ULA_AIRFLOW_PIP_CACHE}" \
    -c "${AIRFLOW_CONSTRAINTS_FILE}" "${reqs[@]}"
  printf '%s\n' "${stamp}" >"${ULA_AIRFLOW_VENV}/.ula-stamp"
  _airflow_log "installed in $((SECONDS - started))s"
}

_airflow_write_cfg() {
  # A minimal airflow.cfg: Airflow fills every other option with its defaults. Written on every
  # start so a moved checkout or a changed repo path is picked up.
  cat >"${ULA_AIRFLOW_HOME}/airflow.cfg" <<EOF
# Written by scripts/stack/airflow.sh (airflow_start); regenerated on every start.
[core]
dags_folder = ${REPO_ROOT}/airflow/dags
load_examples = False

[database]
sql_alchemy_conn = sqlite:///${ULA_AIRFLOW_HOME}/airflow.db

[logging]
base_log_folder = ${ULA_AIRFLOW_HOME}/logs
EOF
}

airflow_start() {
  local started=${SECONDS}
  if [[ ! -x "${ULA_AIRFLOW_VENV}/bin/airflow" ]]; then
    _airflow_log "not installed; run airflow_install first"
    return 1
  fi
  mkdir -p "${ULA_AIRFLOW_HOME}/logs"
  _airflow_write_cfg
  (
    airflow_env
    airflow db migrate >"${ULA_AIRFLOW_HOME}/airflow.log" 2>&1
  ) || {
    _airflow_log "airflow db migrate failed; last lines of ${ULA_AIRFLOW_HOME}/airflow.log:"
    tail -n 30 "${ULA_AIRFLOW_HOME}/airflow.log" >&2 || true
    return 1
  }
  _airflow_log "AIRFLOW_HOME=${ULA_AIRFLOW_HOME} ready, DB migrated ($((SECONDS - started))s)"
}

airflow_health() {
  local version
  if [[ ! -x "${ULA_AIRFLOW_VENV}/bin/airflow" ]]; then
    _airflow_log "unhealthy: not installed"
    return 1
  fi
  if [[ "$(cat "${ULA_AIRFLOW_VENV}/.ula-stamp" 2>/dev/null)" != "$(_airflow_stamp_value)" ]]; then
    _airflow_log "unhealthy: venv does not match airflow/constraints.txt; run airflow_install"
    return 1
  fi
  # The installed version from the package metadata (cheap); the CLI call below imports Airflow for real.
  version="$("${ULA_AIRFLOW_VENV}/bin/python" -c \
    'import importlib.metadata as m; print(m.version("apache-airflow"))' 2>/dev/null)" || {
    _airflow_log "unhealthy: apache-airflow not installed in ${ULA_AIRFLOW_VENV}"
    return 1
  }
  if [[ ! -f "${ULA_AIRFLOW_HOME}/airflow.db" || ! -f "${ULA_AIRFLOW_HOME}/airflow.cfg" ]]; then
    _airflow_log "unhealthy: ${ULA_AIRFLOW_HOME} not prepared; run airflow_start"
    return 1
  fi
  if ! (airflow_env && airflow db check-migrations -t 0 >/dev/null 2>&1); then
    _airflow_log "unhealthy: DB not reachable or not migrated (AIRFLOW_HOME=${ULA_AIRFLOW_HOME}); run airflow_start"
    return 1
  fi
  _airflow_log "healthy: airflow ${version}, DB ok"
}

airflow_describe() {
  # shellcheck disable=SC2016 # the backticks are text
  printf 'Airflow %s (no server; DAG runs via `airflow dags test`, AIRFLOW_HOME %s)' \
    "${AIRFLOW_PIN_VERSION}" "${ULA_AIRFLOW_HOME#"${REPO_ROOT}/"}"
}

airflow_stop() {
  # No long-running Airflow process is started (DAG runs use `airflow dags test`).
  _airflow_log "nothing to stop"
}

# Not called by stack.sh: remove the local Airflow state (DB, logs, config); the venv is kept.
airflow_clean() {
  rm -rf "${ULA_AIRFLOW_HOME}"
}
