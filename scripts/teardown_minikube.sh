#!/usr/bin/env bash
# Removes what scripts/deploy_minikube.sh deployed, keeping the data unless --wipe:
#
#   removed: the Knative Services (ingest, speed, serving), KafkaSources, the dead-letter KafkaSink, the
#            JobSink and its batch Jobs, ConfigMap ula-config (everything of eventing/ in ULA_NAMESPACE);
#            the Deployments, StatefulSets, Services, Jobs and generated ConfigMaps of Kafka (the Kafka and
#            KafkaNodePool resources; KafkaTopics are kept), MinIO, Cassandra, Trino, Airflow and monitoring
#            (Prometheus, Pushgateway, Grafana, and Prometheus' ClusterRole/ClusterRoleBinding).
#   kept:    PersistentVolumeClaims (Kafka log, MinIO lake bucket, Cassandra views, Airflow's PostgreSQL,
#            Prometheus' metrics),
#            Secrets (generated credentials: a redeploy reuses them), KafkaTopics (their retention
#            settings), the namespaces, and the platform installed from upstream releases (Knative,
#            eventing-kafka-broker, Strimzi operator): scripts/deploy_minikube.sh brings the rest back with
#            the same data and credentials.
#
# Usage:
#   scripts/teardown_minikube.sh                   remove the workloads, keep data and credentials
#   scripts/teardown_minikube.sh --wipe            also delete the PVCs, Secrets, KafkaTopics and the
#                                                  namespaces of the project (ula, kafka, minio, cassandra,
#                                                  trino, airflow, monitoring): all data is lost
#   scripts/teardown_minikube.sh --delete-cluster  delete the whole minikube profile (implies everything)
#   scripts/teardown_minikube.sh --dry-run         print the kubectl/minikube commands instead of running them
#   scripts/teardown_minikube.sh --help
# Idempotent: whatever is already gone is skipped (--ignore-not-found). Uses the current kubectl context
# (the minikube profile's when it runs). Environment: ULA_NAMESPACE (ula), MINIKUBE_PROFILE (ula),
# WAIT_TIMEOUT (300s).
set -euo pipefail

ULA_NAMESPACE="${ULA_NAMESPACE:-ula}"
MINIKUBE_PROFILE="${MINIKUBE_PROFILE:-ula}"
WAIT_TIMEOUT="${WAIT_TIMEOUT:-300s}"
PLATFORM_NAMESPACES=(kafka minio cassandra trino airflow monitoring)

WIPE=""
DELETE_CLUSTER=""
DRY_RUN=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wipe) WIPE=1 ;;
    --delete-cluster) DELETE_CLUSTER=1 ;;
    --dry-run) DRY_RUN=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
run() { # run CMD...: runs it, or prints it with --dry-run
  if [[ -n "$DRY_RUN" ]]; then
    printf '    + %s\n' "$*" >&2
  else
    "$@"
  fi
}

if [[ -n "$DELETE_CLUSTER" ]]; then
  command -v minikube >/dev/null 2>&1 || { echo "minikube not found" >&2; exit 2; }
  step "delete minikube profile $MINIKUBE_PROFILE (every resource and volume of the cluster)"
  if [[ -n "$DRY_RUN" ]] || minikube profile list -o json 2>/dev/null | grep -q "\"Name\":\"$MINIKUBE_PROFILE\""; then
    run minikube delete -p "$MINIKUBE_PROFILE"
  else
    info "profile $MINIKUBE_PROFILE does not exist (nothing to do)"
  fi
  exit 0
fi

command -v kubectl >/dev/null 2>&1 || { echo "kubectl not found" >&2; exit 2; }
if [[ -z "$DRY_RUN" ]] && ! kubectl version --request-timeout=10s >/dev/null 2>&1; then
  echo "no reachable cluster in kubectl context '$(kubectl config current-context 2>/dev/null || echo none)'" >&2
  exit 1
fi

# exists NAMESPACE: the namespace is there (with --dry-run: assume so, to print every command).
exists() { [[ -n "$DRY_RUN" ]] || kubectl get namespace "$1" >/dev/null 2>&1; }
# has_kind KIND: the cluster knows the resource kind (its CRD may be gone already).
has_kind() { [[ -n "$DRY_RUN" ]] || kubectl api-resources -o name 2>/dev/null | grep -qx "$1"; }
delete() { # delete NAMESPACE KIND[,KIND…] [selector args…]
  local namespace="$1" kinds="$2"
  shift 2
  run kubectl delete "$kinds" -n "$namespace" --ignore-not-found --wait=true --timeout="$WAIT_TIMEOUT" "$@"
}

step "functions and eventing (namespace $ULA_NAMESPACE)"
if exists "$ULA_NAMESPACE"; then
  # Sources first (they stop consuming and keep their committed offsets in Kafka), then sinks, services, jobs.
  for kind in kafkasources.sources.knative.dev jobsinks.sinks.knative.dev kafkasinks.eventing.knative.dev \
    services.serving.knative.dev; do
    if has_kind "$kind"; then delete "$ULA_NAMESPACE" "$kind" --all; else info "no $kind in this cluster"; fi
  done
  delete "$ULA_NAMESPACE" jobs -l sinks.knative.dev/job-sink-name=batch-jobs
  delete "$ULA_NAMESPACE" configmaps ula-config
else
  info "namespace $ULA_NAMESPACE does not exist"
fi

step "platform workloads (data volumes and Secrets kept)"
if exists kafka; then
  # Strimzi deletes the broker pods with the Kafka resource; its PVCs stay (deleteClaim: false).
  for kind in kafkas.kafka.strimzi.io kafkanodepools.kafka.strimzi.io; do
    if has_kind "$kind"; then delete kafka "$kind" --all; fi
  done
fi
for namespace in minio cassandra trino airflow monitoring; do
  exists "$namespace" || { info "namespace $namespace does not exist"; continue; }
  delete "$namespace" deployments,statefulsets,jobs,services -l app.kubernetes.io/part-of=university-learning-analytics
  delete "$namespace" deployments,statefulsets,jobs,services -l app.kubernetes.io/name
  delete "$namespace" configmaps -l app.kubernetes.io/part-of=university-learning-analytics
done
# Prometheus' pod discovery permissions (cluster-scoped).
run kubectl delete clusterrolebindings,clusterroles -l app.kubernetes.io/part-of=university-learning-analytics --ignore-not-found

if [[ -z "$WIPE" ]]; then
  step "kept"
  info "PVCs:    kubectl get pvc -A | grep -E '^(${PLATFORM_NAMESPACES[*]// /|}) '"
  info "Secrets: ula-lake, ula-cassandra, ula-api, … (scripts/deploy_minikube.sh reuses them)"
  info "redeploy with scripts/deploy_minikube.sh; delete the data too with --wipe"
  exit 0
fi

step "--wipe: PVCs, Secrets, KafkaTopics and the project's namespaces (all data is lost)"
if exists kafka && has_kind kafkatopics.kafka.strimzi.io; then
  delete kafka kafkatopics.kafka.strimzi.io -l strimzi.io/cluster=ula-kafka
fi
for namespace in "$ULA_NAMESPACE" "${PLATFORM_NAMESPACES[@]}"; do
  exists "$namespace" || continue
  delete "$namespace" persistentvolumeclaims --all
  delete "$namespace" secrets -l app.kubernetes.io/part-of=university-learning-analytics
done
# The namespaces last; kafka also holds the Strimzi operator (installed by the deploy script into it).
for namespace in "$ULA_NAMESPACE" "${PLATFORM_NAMESPACES[@]}"; do
  if exists "$namespace"; then
    run kubectl delete namespace "$namespace" --ignore-not-found --wait=true --timeout="$WAIT_TIMEOUT"
  fi
done
info "the upstream platform (Knative, eventing-kafka-broker) stays installed; --delete-cluster removes everything"
