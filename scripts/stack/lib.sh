# shellcheck shell=bash
# Shared helpers for scripts/stack/*.sh. Sourced, never executed.
#
# Layout:
#   .cache/          downloads (git-ignored, reused across runs): .cache/m2 is the Maven local repo,
#                    .cache/<svc>/ the unpacked/installed service.
#   .stack/<svc>/    runtime: data/, logs, pid file (git-ignored). `stack.sh down --wipe` deletes it.

STACK_ROOT="${STACK_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
STACK_SCRIPTS="$STACK_ROOT/scripts/stack"
STACK_CACHE="${STACK_CACHE:-$STACK_ROOT/.cache}"
STACK_RUN="${STACK_RUN:-$STACK_ROOT/.stack}"
STACK_M2="${STACK_M2:-$STACK_CACHE/m2}"

# Local development credentials for the S3 server (and the clients/Trino that talk to it).
# They only protect a loopback-bound test server; override them through the environment.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-ula-local-access}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-ula-local-secret-key}"
export AWS_REGION="${AWS_REGION:-us-east-1}"

JAVA17="${JAVA17:-}"
JAVA25_HOME="${JAVA25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"

if [[ -t 1 ]]; then _B=$'\033[1m'; _R=$'\033[31m'; _G=$'\033[32m'; _Y=$'\033[33m'; _N=$'\033[0m'; else _B=; _R=; _G=; _Y=; _N=; fi

now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

log() { printf '%s[stack %6ss]%s %s\n' "$_B" "$(elapsed "$STACK_T0")" "$_N" "$*" >&2; }
warn() { printf '%s[stack %6ss] WARN%s %s\n' "$_Y" "$(elapsed "$STACK_T0")" "$_N" "$*" >&2; }
err() { printf '%s[stack %6ss] ERROR%s %s\n' "$_R" "$(elapsed "$STACK_T0")" "$_N" "$*" >&2; }
die() { err "$*"; exit 1; }
STACK_T0="${STACK_T0:-$(now_s)}"

svc_dir() { printf '%s/%s' "$STACK_RUN" "$1"; }
pid_file() { printf '%s/%s/pid' "$STACK_RUN" "$1"; }

# ---------------------------------------------------------------- prerequisites

# Prints the path of a Java 17+ `java` (JAVA17 env, JAVA_HOME, then PATH) or fails with a clear message.
java17() {
  local j
  for j in "$JAVA17" "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/java-17-openjdk-amd64/bin/java "$(command -v java 2>/dev/null)"; do
    [[ -n "$j" && -x "$j" ]] || continue
    local v
    v="$("$j" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}')"
    if [[ "$v" == 17 ]]; then printf '%s' "$j"; return 0; fi
  done
  # Any 17+ is acceptable for Kafka; Cassandra 5.0 needs exactly 11 or 17.
  die "Java 17 not found (needed by Kafka and Cassandra 5.0). Install it: apt-get install -y openjdk-17-jdk-headless, or set JAVA17=/path/to/bin/java"
}

java25() {
  [[ -x "$JAVA25_HOME/bin/java" ]] || die "Java 25 not found at $JAVA25_HOME (needed by Trino 476). Set JAVA25_HOME to a JDK 24+ home."
  printf '%s' "$JAVA25_HOME/bin/java"
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH: $2"
}

need_node_modules() {
  need_cmd node "Node.js is required (health checks and schema apply use the npm clients; run through npm run stack:up for Node.js 24)."
  local m
  for m in kafkajs cassandra-driver @aws-sdk/client-s3; do
    [[ -d "$STACK_ROOT/node_modules/$m" ]] || die "node_modules/$m missing: run 'npm ci' (or 'npm install') in $STACK_ROOT first"
  done
}

# ---------------------------------------------------------------- downloads

# mvn_copy_deps NAME OUTDIR DEPENDENCIES_XML
# Resolves the given <dependency> elements with their runtime dependencies through a throw-away POM
# and copies the jars into OUTDIR. Uses the Maven local repo .cache/m2 so the cache is self-contained.
mvn_copy_deps() {
  local name="$1" out="$2" deps="$3"
  need_cmd mvn "Apache Maven is required to fetch $name (apt-get install -y maven)."
  local work="$STACK_CACHE/poms/$name"
  mkdir -p "$work" "$out"
  cat >"$work/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.ula.stack</groupId>
  <artifactId>$name-deps</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
$deps
  </dependencies>
</project>
EOF
  if ! mvn -B -q -f "$work/pom.xml" -Dmaven.repo.local="$STACK_M2" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$out" >"$work/mvn.log" 2>&1; then
    err "mvn could not resolve $name; last lines of $work/mvn.log:"
    grep -E 'ERROR|Could not' "$work/mvn.log" | head -20 >&2
    return 1
  fi
}

# mvn_get_file GAV(group:artifact:version:packaging[:classifier]) -> prints the path of the file in .cache/m2
mvn_get_file() {
  local gav="$1" g a v p c
  IFS=: read -r g a v p c <<<"$gav"
  local f="$STACK_M2/${g//.//}/$a/$v/$a-$v${c:+-$c}.$p"
  if [[ ! -s "$f" ]]; then
    need_cmd mvn "Apache Maven is required to fetch $gav"
    mkdir -p "$STACK_CACHE/poms"
    if ! mvn -B -q -Dmaven.repo.local="$STACK_M2" dependency:get -Dtransitive=false -Dartifact="$g:$a:$v:$p${c:+:$c}" \
      >"$STACK_CACHE/poms/get-$a-$v.log" 2>&1; then
      err "mvn could not fetch $gav:"
      grep -E 'ERROR' "$STACK_CACHE/poms/get-$a-$v.log" | head -3 >&2
      return 1
    fi
  fi
  printf '%s' "$f"
}

# ---------------------------------------------------------------- processes

# start_bg SVC LOGFILE CMD... : starts CMD in its own session (= own process group), records its pid.
start_bg() {
  local svc="$1" logf="$2"
  shift 2
  mkdir -p "$(svc_dir "$svc")"
  setsid "$@" >>"$logf" 2>&1 </dev/null &
  echo $! >"$(pid_file "$svc")"
}

# Is the recorded process of SVC alive?
svc_alive() {
  local pf
  pf="$(pid_file "$1")"
  [[ -s "$pf" ]] && kill -0 "$(cat "$pf")" 2>/dev/null
}

# stop_pidfile SVC [TIMEOUT_S]: TERM the whole process group recorded for SVC, KILL after the timeout.
stop_pidfile() {
  local svc="$1" timeout="${2:-30}" pf pid i
  pf="$(pid_file "$svc")"
  [[ -s "$pf" ]] || return 0
  pid="$(cat "$pf")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 5; i++)); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 -- "-$pid" 2>/dev/null; then
      warn "$svc (pgid $pid) did not stop in ${timeout}s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pf"
}

# port_open PORT [HOST]
port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# Fails when something that this script did not start already listens on PORT.
port_free_or_die() {
  local svc="$1" port="$2"
  if port_open "$port"; then
    die "$svc: port $port on 127.0.0.1 is already in use by a process this script did not start (see: ss -ltnp 'sport = :$port')"
  fi
}

# wait_healthy SVC TIMEOUT_S : polls <svc>_health until it succeeds; fails early if the process died.
wait_healthy() {
  local svc="$1" timeout="$2" t0
  t0="$(now_s)"
  while true; do
    if "${svc}_health" >/dev/null 2>&1; then return 0; fi
    if [[ -s "$(pid_file "$svc")" ]] && ! svc_alive "$svc"; then
      err "$svc: process exited during startup; tail of its log:"
      tail -n 30 "$(svc_dir "$svc")/$svc.log" >&2 2>/dev/null || true
      return 1
    fi
    if awk -v a="$t0" -v b="$(now_s)" -v t="$timeout" 'BEGIN { exit !(b - a > t) }'; then
      err "$svc: not healthy after ${timeout}s; tail of its log:"
      tail -n 30 "$(svc_dir "$svc")/$svc.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 1
  done
}

# probe KIND [ARGS...]: the Node health/probe helper (real client calls).
probe() { node --no-warnings "$STACK_SCRIPTS/probe.mjs" "$@"; }
