#!/usr/bin/env bash
# Local, loopback-only, single-node stack of REAL services for development and integration tests.
#
#   bash scripts/stack/stack.sh up      [svc...]   install what is missing (.cache/), start, wait for health
#   bash scripts/stack/stack.sh status  [svc...]   real health check of each service
#   bash scripts/stack/stack.sh down    [svc...] [--wipe]   stop what this script started; --wipe deletes .stack/<svc>
#
# Services (STACK_SERVICES, space separated; default: kafka cassandra s3 trino, plus airflow when
# scripts/stack/airflow.sh exists). Ports: Kafka 9092 (SASL_SSL 9094, controller 9093), Cassandra 9042 (storage 7000),
# S3 9000, Trino 8443 (https; 8080 internal). Each service lives in scripts/stack/<svc>.sh and defines
# <svc>_install, <svc>_start, <svc>_health, <svc>_stop (optionally <svc>_init, <svc>_describe).
# See docs/stack.md.
set -euo pipefail

# shellcheck source=scripts/stack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_SERVICES="kafka cassandra s3 trino"
[[ -f "$STACK_SCRIPTS/airflow.sh" ]] && ALL_SERVICES="$ALL_SERVICES airflow"
for f in kafka cassandra s3 trino airflow; do
  # shellcheck disable=SC1090
  [[ -f "$STACK_SCRIPTS/$f.sh" ]] && source "$STACK_SCRIPTS/$f.sh"
done

# Start order on 2 cores: the JVM services are CPU-bound while they start (class loading, JIT), and
# starting them all at once made each one several times slower (measured: 121 s vs ~50 s in total).
# So downloads/installs of all services overlap, S3 and Kafka start at once, and a service listed
# here starts only when the ones it names are healthy (or have failed). STACK_PARALLEL=1 disables it.
declare -A START_AFTER=([cassandra]="kafka" [trino]="kafka cassandra" [airflow]="kafka cassandra")

# Per-service timeouts for becoming healthy (seconds).
declare -A HEALTH_TIMEOUT=([kafka]=180 [s3]=60 [cassandra]=420 [trino]=600 [airflow]=900)

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

cmd="${1:-}"
[[ -n "$cmd" ]] || usage
shift
WIPE=0
ARGS=()
for a in "$@"; do
  case "$a" in
    --wipe) WIPE=1 ;;
    -h | --help) usage ;;
    -*) die "unknown option $a" ;;
    *) ARGS+=("$a") ;;
  esac
done
if ((${#ARGS[@]})); then SERVICES="${ARGS[*]}"; else SERVICES="${STACK_SERVICES:-$ALL_SERVICES}"; fi
for s in $SERVICES; do
  declare -F "${s}_health" >/dev/null || die "unknown service '$s' (no scripts/stack/$s.sh defining ${s}_health); known: $ALL_SERVICES"
done
has() { [[ " $SERVICES " == *" $1 "* ]]; }
describe() { if declare -F "${1}_describe" >/dev/null; then "${1}_describe"; else printf '%s' "$1"; fi; }

mkdir -p "$STACK_RUN" "$STACK_CACHE"

# ------------------------------------------------------------------ up

# Waits until the services that SVC starts after (START_AFTER, only those being brought up) are
# healthy or have given up; at most 10 minutes.
wait_start_turn() {
  local svc="$1" dep i
  [[ "${STACK_PARALLEL:-0}" == 1 ]] && return 0
  for dep in ${START_AFTER[$svc]:-}; do
    has "$dep" || continue
    for ((i = 0; i < 1200; i++)); do
      [[ -e "$(svc_dir "$dep")/up.healthy" || -e "$(svc_dir "$dep")/up.result" ]] && break
      sleep 0.5
    done
  done
}

# One service's whole pipeline: [install] -> start -> wait for health -> [init]. Writes
# .stack/<svc>/up.result = "<ok|fail> <seconds> <detail>".
pipeline() {
  local svc="$1" t0 res d
  t0="$(now_s)"
  d="$(svc_dir "$svc")"
  mkdir -p "$d"
  res="$d/up.result"
  rm -f "$res" "$d/up.healthy"
  local state=started
  if "${svc}_health" >/dev/null 2>&1; then
    state=running
    log "$svc: already healthy, left as is"
  elif svc_alive "$svc"; then
    # Started by us but not healthy yet (e.g. a previous `up` was interrupted): wait for it.
    log "$svc: process running but not healthy yet; waiting"
  else
    if ! "${svc}_install"; then echo "fail $(elapsed "$t0") install failed" >"$res"; return 1; fi
    local ti
    ti="$(elapsed "$t0")"
    awk -v t="$ti" 'BEGIN { exit !(t > 1) }' && log "$svc: installed (${ti}s)"
    wait_start_turn "$svc"
    log "$svc: starting"
    if ! "${svc}_start"; then echo "fail $(elapsed "$t0") start failed" >"$res"; return 1; fi
  fi
  local th
  if [[ "$state" == started ]]; then
    if ! wait_healthy "$svc" "${HEALTH_TIMEOUT[$svc]:-300}"; then
      echo "fail $(elapsed "$t0") not healthy (log: $d/$svc.log)" >"$res"
      return 1
    fi
    th="$(elapsed "$t0")"
    log "$svc: healthy (${th}s): $("${svc}_health" 2>&1 | head -n1)"
  fi
  touch "$d/up.healthy"
  if declare -F "${svc}_init" >/dev/null; then
    local io
    if io="$("${svc}_init" 2>&1)"; then
      [[ -n "$io" ]] && log "$svc: init: $(echo "$io" | tr '\n' ' ')"
    else
      err "$svc: init failed: $io"
      echo "fail $(elapsed "$t0") init failed" >"$res"
      return 1
    fi
  fi
  if [[ "$state" == started ]]; then
    echo "ok $(elapsed "$t0") started (healthy after ${th}s)" >"$res"
  else
    echo "ok $(elapsed "$t0") already running (left as is)" >"$res"
  fi
}

cmd_up() {
  need_node_modules
  need_cmd setsid "util-linux setsid is required."
  local svc pids=() failed=0
  # Prerequisites first, with clear messages (each fails the whole `up`).
  if has kafka || has cassandra; then java17 >/dev/null || exit 1; fi
  if has trino; then java25 >/dev/null || exit 1; fi
  if { has kafka && [[ ! -f "$KAFKA_HOME/.complete" ]]; } || { has cassandra && [[ ! -f "$CASSANDRA_HOME/.complete" ]]; } ||
    { has trino && [[ ! -f "$TRINO_HOME/.complete" ]]; }; then
    need_cmd mvn "Apache Maven is required to download Kafka/Cassandra/Trino from Maven Central (apt-get install -y maven)."
  fi
  if has s3 && [[ ! -x "$S3_BIN" ]]; then
    need_cmd go "Go 1.25+ is required to build the S3 server (go install github.com/versity/versitygw/cmd/versitygw)."
  fi
  log "up: $SERVICES (load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus)"
  for svc in $SERVICES; do
    pipeline "$svc" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  printf '\n%-10s %-6s %8s  %s\n' SERVICE STATE SECONDS DETAIL
  for svc in $SERVICES; do
    local st secs detail
    read -r st secs detail <"$(svc_dir "$svc")/up.result" 2>/dev/null || { st=fail; secs='?'; detail="no result"; }
    printf '%-10s %-6s %8s  %s — %s\n' "$svc" "$st" "$secs" "$(describe "$svc")" "$detail"
  done
  log "up: done in $(elapsed "$STACK_T0")s (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
  if ((failed)); then err "up: some services failed (their logs are in $STACK_RUN/<svc>/)"; exit 1; fi
}

# ------------------------------------------------------------------ status / down

cmd_status() {
  local svc out bad=0
  need_node_modules
  for svc in $SERVICES; do
    if out="$("${svc}_health" 2>&1 | head -n1)"; then
      printf '%-10s %-9s %s — %s\n' "$svc" healthy "$(describe "$svc")" "$out"
    else
      local note="not running"
      svc_alive "$svc" && note="process running (pid $(cat "$(pid_file "$svc")")), not healthy: $out"
      printf '%-10s %-9s %s — %s\n' "$svc" DOWN "$(describe "$svc")" "$note"
      bad=1
    fi
  done
  return "$bad"
}

cmd_down() {
  local svc list=()
  for svc in $SERVICES; do list=("$svc" "${list[@]}"); done # reverse order
  for svc in "${list[@]}"; do
    if [[ -s "$(pid_file "$svc")" ]]; then
      log "$svc: stopping"
      "${svc}_stop" || warn "$svc: stop reported an error"
    fi
    if ((WIPE)); then
      rm -rf "${STACK_RUN:?}/$svc"
      log "$svc: data wiped"
    fi
  done
}

case "$cmd" in
  up) cmd_up ;;
  status) cmd_status ;;
  down) cmd_down ;;
  *) usage ;;
esac
