#!/usr/bin/env bash
# Post-deploy check: sends one CloudEvent (unique id) through Kafka and checks that it reaches the lake
# (a Parquet object under raw/video/date=…/hour=…/ in S3, one row in Trino's lake.events.video) and a speed
# view (the serving API's course_popularity), triggers one batch run through the JobSink (a batch-request
# CloudEvent POSTed as the Airflow DAG does) and waits until batch_runs says it succeeded, and calls the
# serving API with its token (and without: 401), and posts one xAPI statement to the LRS (the xapi function,
# Basic credentials) that must reach lake.raw.xapi_statements and, as its COURSE_ENROLLED event through the
# KafkaSink and the topic, the speed view course_realtime_enrollment_rate. Each check prints ok/FAIL with its time; each wait has a
# timeout; the exit code is non-zero if any check fails. The checks are scripts/verify/checks.ts, the same
# code in both modes: only the endpoints differ.
#
# Usage:
#   scripts/verify_deploy.sh                 against the cluster of the current kubectl context (what
#                                            scripts/deploy_minikube.sh deployed), through port-forwards:
#                                            Trino (svc/trino), MinIO (svc/minio), the JobSink
#                                            (knative-eventing svc/job-sink), the API through Kourier
#                                            (svc/kourier, Host header of ksvc serving; the LRS likewise,
#                                            ksvc xapi); Kafka through its NodePort listener
#                                            <minikube ip>:30092 (SASL/SCRAM over TLS). Credentials from
#                                            the Secrets ula-api (read-token), ula-kafka (user, password,
#                                            cluster CA), ula-lake (S3 keys) and ula-xapi (Basic).
#   scripts/verify_deploy.sh --local         against the local stack (npm run stack:up): starts ingest, speed,
#                                            serving and xapi (their build/index.js under faas-js-runtime), the
#                                            KafkaSource stand-in and the JobSink stand-in
#                                            (functions/batch/src/trigger.ts) itself, stops them afterwards.
# Options:
#   --timeout SECONDS     per wait (default 60; the cluster may need more on a cold start)
#   --topic NAME          produce to NAME instead of video_topic (to see the checks fail)
#   --batch-job JOB       batch job to run: all (default) or one job name
#   --batch-date DATE     its local date (default yesterday)
#   --kafka HOST:PORT     Kafka bootstrap servers (cluster mode; default <minikube -p MINIKUBE_PROFILE ip>:30092)
#   -h, --help
# Environment: ULA_NAMESPACE (ula), MINIKUBE_PROFILE (ula). --local reads the local stack's endpoints from
#   ULA_KAFKA_BROKERS, ULA_S3_ENDPOINT, ULA_CASSANDRA_CONTACT_POINTS, AWS_ACCESS_KEY_ID and
#   AWS_SECRET_ACCESS_KEY (defaults: the local stack's, scripts/stack/lib.sh), and Trino as the stack's
#   ula_analyst (.stack/trino/credentials/ula_analyst.env). Cluster mode reads Trino as ula_analyst over
#   https (Secrets trino-users, trino-tls).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ULA_NAMESPACE="${ULA_NAMESPACE:-ula}"
MINIKUBE_PROFILE="${MINIKUBE_PROFILE:-ula}"

LOCAL=""
KAFKA=""
pass=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --local) LOCAL=1 ;;
    --kafka) KAFKA="${2:?--kafka needs HOST:PORT}"; shift ;;
    --timeout | --topic | --batch-job | --batch-date) pass+=("$1" "${2:?$1 needs a value}"); shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ -n "$LOCAL" ]]; then
  for name in ingest speed serving batch xapi; do
    if [[ ! -f "$ROOT/functions/$name/build/index.js" ]]; then
      echo "verify: functions/$name/build/index.js missing: building the functions" >&2
      (cd "$ROOT" && node scripts/toolchain.mjs npm run -s build)
      break
    fi
  done
  exec node "$ROOT/scripts/toolchain.mjs" tsx "$ROOT/scripts/verify/verify.ts" --local "${pass[@]}"
fi

# ---- cluster mode
command -v kubectl >/dev/null 2>&1 || { echo "verify: kubectl not found" >&2; exit 2; }
work="$(mktemp -d)"
forwards=()
# On exit: stop the port-forwards this script started (by pid), remove the temporary folder.
trap 'for pid in "${forwards[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"' EXIT

# port_forward NAMESPACE RESOURCE REMOTE_PORT: starts kubectl port-forward on a port kubectl picks, sets
# PF_PORT to it (a global, not printed: the process must be this shell's child so the trap can stop it).
PF_PORT=""
port_forward() {
  local namespace="$1" resource="$2" remote="$3" log i pid
  log="$work/pf-${namespace}-${resource//\//-}.log"
  kubectl port-forward -n "$namespace" "$resource" ":$remote" --address 127.0.0.1 >"$log" 2>&1 &
  pid=$!
  forwards+=("$pid")
  PF_PORT=""
  for ((i = 0; i < 150; i++)); do
    PF_PORT="$(grep -o 'Forwarding from 127.0.0.1:[0-9]*' "$log" | head -1 | cut -d: -f2 || true)"
    [[ -n "$PF_PORT" ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "verify: kubectl port-forward -n $namespace $resource failed: $(cat "$log")" >&2
  return 1
}

secret() { # secret NAMESPACE NAME KEY
  kubectl get secret "$2" -n "$1" -o "jsonpath={.data.$3}" | base64 -d
}

if [[ -z "$KAFKA" ]]; then
  command -v minikube >/dev/null 2>&1 || { echo "verify: give --kafka HOST:PORT (no minikube to ask for the node IP)" >&2; exit 2; }
  KAFKA="$(minikube -p "$MINIKUBE_PROFILE" ip):30092"
fi
# The dashboard's read token (a deploy before scoped tokens: its single `token`).
token="$(secret "$ULA_NAMESPACE" ula-api read-token 2>/dev/null || true)"
[[ -n "$token" ]] || token="$(secret "$ULA_NAMESPACE" ula-api token)"
# Kafka's external listener takes the KafkaUser's SCRAM credentials over TLS (the cluster CA), as ULA_KAFKA_*.
ULA_KAFKA_SASL_MECHANISM=scram-sha-512
ULA_KAFKA_USERNAME="$(secret "$ULA_NAMESPACE" ula-kafka user)"
ULA_KAFKA_PASSWORD="$(secret "$ULA_NAMESPACE" ula-kafka password)"
ULA_KAFKA_CA_FILE="$work/kafka-ca.crt"
secret "$ULA_NAMESPACE" ula-kafka 'ca\.crt' >"$ULA_KAFKA_CA_FILE"
export ULA_KAFKA_SASL_MECHANISM ULA_KAFKA_USERNAME ULA_KAFKA_PASSWORD ULA_KAFKA_CA_FILE
AWS_ACCESS_KEY_ID="$(secret "$ULA_NAMESPACE" ula-lake access-key-id)"
AWS_SECRET_ACCESS_KEY="$(secret "$ULA_NAMESPACE" ula-lake secret-access-key)"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
serving_url="$(kubectl get ksvc serving -n "$ULA_NAMESPACE" -o jsonpath='{.status.url}')"
[[ -n "$serving_url" ]] || { echo "verify: ksvc serving in $ULA_NAMESPACE has no URL (not Ready?)" >&2; exit 1; }
xapi_url="$(kubectl get ksvc xapi -n "$ULA_NAMESPACE" -o jsonpath='{.status.url}')"
[[ -n "$xapi_url" ]] || { echo "verify: ksvc xapi in $ULA_NAMESPACE has no URL (not Ready?)" >&2; exit 1; }
ULA_XAPI_USER="$(secret "$ULA_NAMESPACE" ula-xapi username)"
ULA_XAPI_PASSWORD="$(secret "$ULA_NAMESPACE" ula-xapi password)"
export ULA_XAPI_USER ULA_XAPI_PASSWORD

# Trino: https with the analyst's password (read-only; trino/security), trusting the deploy's CA.
port_forward trino svc/trino 8443 && trino_port="$PF_PORT"
ULA_TRINO_USER=ula_analyst
ULA_TRINO_PASSWORD="$(secret trino trino-users ula_analyst)"
ULA_TRINO_CA_FILE="$work/trino-ca.pem"
secret trino trino-tls 'ca\.pem' >"$ULA_TRINO_CA_FILE"
export ULA_TRINO_USER ULA_TRINO_PASSWORD ULA_TRINO_CA_FILE
port_forward minio svc/minio 9000 && minio_port="$PF_PORT"
port_forward knative-eventing svc/job-sink 80 && jobsink_port="$PF_PORT"
port_forward kourier-system svc/kourier 80 && kourier_port="$PF_PORT"
echo "verify: port-forwards: Trino :$trino_port, MinIO :$minio_port, JobSink :$jobsink_port, Kourier :$kourier_port; Kafka $KAFKA"

status=0
ULA_S3_BUCKET=lake node "$ROOT/scripts/toolchain.mjs" tsx "$ROOT/scripts/verify/verify.ts" \
  --kafka "$KAFKA" \
  --trino "https://127.0.0.1:$trino_port" \
  --s3 "http://127.0.0.1:$minio_port" \
  --jobsink "http://127.0.0.1:$jobsink_port/$ULA_NAMESPACE/batch-jobs" \
  --serving "http://127.0.0.1:$kourier_port" --serving-host "${serving_url#*://}" \
  --token "$token" \
  --xapi "http://127.0.0.1:$kourier_port/xapi" --xapi-host "${xapi_url#*://}" \
  --keyspace "$(secret "$ULA_NAMESPACE" ula-cassandra keyspace)" \
  --timezone "$(kubectl get configmap ula-config -n "$ULA_NAMESPACE" -o jsonpath='{.data.ULA_TIMEZONE}')" \
  "${pass[@]}" || status=$?
echo "verify: batch Jobs created by the JobSink (newest last):"
kubectl get jobs -n "$ULA_NAMESPACE" -l sinks.knative.dev/job-sink-name=batch-jobs \
  --sort-by=.metadata.creationTimestamp 2>&1 | tail -3 || true
exit "$status"
