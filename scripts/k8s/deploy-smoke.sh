#!/usr/bin/env bash
# Runs scripts/deploy_minikube.sh end to end with stand-ins for minikube, kubectl, kn, func, curl and
# npm that only record their arguments (nothing is contacted), then checks the recorded calls: every
# step ran, in order, Secrets were created once with generated values, every wait targets a real
# condition, each function was built. This exercises the non-dry-run code path under
# `set -euo pipefail` (unbound variables, typos, quoting) without a cluster.
# Usage: scripts/k8s/deploy-smoke.sh   (exit 1 on a problem)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap '[[ -n "${KEEP:-}" ]] || rm -rf "$work"' EXIT
bin="$work/bin"
mkdir -p "$bin"
log="$work/calls.log"
: >"$log"

# One stand-in for every CLI; its behaviour depends on the name it is called by.
cat >"$bin/stub" <<'EOF'
#!/usr/bin/env bash
name="$(basename "$0")"
printf '%s %s\n' "$name" "$*" >>"$STUB_LOG"
args=" $* "
case "$name" in
  minikube)
    case "$1" in
      status) exit 1 ;;                                  # not running yet → start
      ip) echo 198.51.100.7 ;;
      docker-env) echo 'export DOCKER_HOST="tcp://198.51.100.7:2376"' ;;
    esac ;;
  kubectl)
    # Manifests given on stdin or with -f must exist / be non-empty.
    if [[ "$args" == *" -f - "* ]]; then
      input="$(cat)"
      [[ -n "$input" ]] || { echo "stub kubectl: empty stdin" >&2; exit 1; }
      if [[ "$args" == *" create "* ]]; then printf '%s\n' "$input" >>"$STUB_LOG.secrets"; fi
    fi
    prev=""
    for a in "$@"; do
      if [[ "$prev" == "-f" && "$a" != "-" && ! -e "$a" ]]; then echo "stub kubectl: no such file $a" >&2; exit 1; fi
      if [[ "$prev" == "-k" && ! -f "$a/kustomization.yaml" ]]; then echo "stub kubectl: no kustomization in $a" >&2; exit 1; fi
      prev="$a"
    done
    case "$args" in
      *" create secret generic "*"--dry-run=client"*)       # rendered for `kubectl apply -f -`
        printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n' "$4" ;;
      *" get secret ula -n kafka "* | *" get secret ula-kafka-cluster-ca-cert -n kafka "*)
        printf 'made-by-strimzi' | base64 ;;               # the KafkaUser's password, the cluster CA
      *" get secret "*)                                    # absent → generated; STUB_EXISTING → kept
        [[ -n "${STUB_EXISTING:-}" ]] || exit 1
        if [[ "$args" == *jsonpath* ]]; then printf 'kept-value' | base64; fi ;;
      *" get job "*) echo "Complete " ;;
      *" get ksvc serving "*) echo "http://serving.ula.198.51.100.7.sslip.io" ;;
      *" get ksvc xapi "*) echo "http://xapi.ula.198.51.100.7.sslip.io" ;;
      *" get kafkatopic "*) echo "auth_topic assessment_topic" ;;
      *" get configmap config-domain "*) echo "{}" ;;
      *" config current-context "*) echo stub ;;
    esac ;;
  curl)
    printf 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: x\n  namespace: myproject\n' ;;
  kn | func | npm) : ;;
esac
exit 0
EOF
chmod +x "$bin/stub"
for name in minikube kubectl kn func curl npm; do ln -s stub "$bin/$name"; done

status=0
if ! STUB_LOG="$log" PATH="$bin:$PATH" IMAGE_TAG=smoke bash "$ROOT/scripts/deploy_minikube.sh" >"$work/out.log" 2>&1; then
  cat "$work/out.log"
  echo "deploy-smoke: deploy_minikube.sh failed with the stand-in CLIs" >&2
  exit 1
fi

expect() { # expect REGEX DESCRIPTION: a recorded call matches
  if ! grep -Eq -- "$1" "$log"; then
    echo "deploy-smoke: missing call: $2 (/$1/)" >&2
    status=1
  fi
}
expect_order() { # expect_order REGEX1 REGEX2: first match of 1 comes before first match of 2
  local a b
  a="$(grep -En -- "$1" "$log" | head -1 | cut -d: -f1)"
  b="$(grep -En -- "$2" "$log" | head -1 | cut -d: -f1)"
  if [[ -z "$a" || -z "$b" || "$a" -ge "$b" ]]; then
    echo "deploy-smoke: expected /$1/ before /$2/" >&2
    status=1
  fi
}

expect '^minikube start -p ula --kubernetes-version=v1\.34\.4 --cpus=6 --memory=14336 ' "minikube start with sized resources"
expect 'serving-core\.yaml' "Knative Serving installed"
expect 'eventing-core\.yaml' "Knative Eventing installed"
for part in controller source sink broker; do expect "eventing-kafka-$part\.yaml" "eventing-kafka $part installed"; done
expect 'strimzi-cluster-operator-1\.2\.0\.yaml' "Strimzi installed"
expect '^kubectl wait kafka/ula-kafka -n kafka --for=condition=Ready' "wait for Kafka Ready"
expect '^kubectl wait kafkatopic --all -n kafka --for=condition=Ready' "wait for topics Ready"
expect '^kubectl wait deployment/minio -n minio --for=condition=Available' "wait for MinIO"
expect '^kubectl rollout status statefulset/cassandra -n cassandra' "wait for Cassandra"
expect '^kubectl get job cassandra-schema -n cassandra' "schema job awaited"
expect '^kubectl get job minio-bucket -n minio' "bucket job awaited"
expect '^kubectl rollout status deployment/trino -n trino' "wait for Trino"
expect '^kubectl rollout status deployment/airflow -n airflow' "wait for Airflow"
expect '^kubectl apply -f .*/60-monitoring/' "monitoring applied"
for d in pushgateway prometheus grafana; do
  expect "^kubectl rollout status deployment/$d -n monitoring" "wait for $d"
done
expect_order 'apply .*00-platform/namespaces\.yaml' '^kubectl apply -f .*/60-monitoring/'
expect '^kubectl apply -f .*/45-trino-lake/lake-configmap\.yaml' "lake SQL ConfigMap applied"
expect '^kubectl get job trino-lake -n trino' "Trino lake objects Job awaited"
expect_order '^kubectl get job cassandra-schema -n cassandra' '^kubectl apply -f .*/45-trino-lake/lake-job\.yaml'
expect_order '^kubectl rollout status deployment/trino -n trino' '^kubectl apply -f .*/45-trino-lake/lake-job\.yaml'
for fn in ingest speed serving batch xapi; do
  expect "^func build --path $ROOT/functions/$fn --image dev\.local/ula-$fn:smoke" "build $fn"
done
expect '^kubectl apply -k .*/eventing' "eventing applied"
expect '^kubectl wait ksvc --all -n ula --for=condition=Ready' "wait for Knative Services"
expect '^kubectl wait kafkasink --all -n ula --for=condition=Ready' "wait for the KafkaSinks"
expect '^kubectl wait kafkasource --all -n ula --for=condition=Ready' "wait for KafkaSources"
expect '^kubectl wait jobsink/batch-jobs -n ula --for=condition=Ready' "wait for JobSink"
expect_order 'apply .*00-platform/namespaces\.yaml' '^kubectl create -f -'
expect_order '^kubectl create -f -' 'apply .*20-minio/minio\.yaml'
expect_order 'func build --path .*/functions/batch' '^kubectl apply -k'

secrets="$(grep -c '^kind: Secret' "$log.secrets" || true)"
# One Secret per ensure_secret call of the deploy script.
expected_secrets="$(grep -cE '^\s*ensure_secret [^(]' "$ROOT/scripts/deploy_minikube.sh")"
if [[ "$secrets" -ne "$expected_secrets" ]]; then
  echo "deploy-smoke: expected $expected_secrets generated Secrets, got $secrets" >&2
  status=1
fi
if grep -q 'DRY-RUN' "$log.secrets"; then
  echo "deploy-smoke: a deployed Secret holds a dry-run placeholder" >&2
  status=1
fi
# The lake secret is the same in every namespace (one generated value copied).
if [[ "$(grep 'secret-access-key:' "$log.secrets" | sort -u | wc -l)" -ne 1 ]]; then
  echo "deploy-smoke: ula-lake differs between namespaces" >&2
  status=1
fi
# Second run against a cluster where everything exists: no Secret may be created or changed.
: >"$log"
if ! STUB_LOG="$log" STUB_EXISTING=1 PATH="$bin:$PATH" IMAGE_TAG=smoke bash "$ROOT/scripts/deploy_minikube.sh" --skip-build >"$work/out2.log" 2>&1; then
  cat "$work/out2.log"
  echo "deploy-smoke: the second (idempotent) run failed" >&2
  exit 1
fi
# (ula-kafka is a copy of Strimzi's Secrets, re-synced on every run on purpose: not a generated one.)
if grep -E '^kubectl (create|apply) .*secret|^kubectl create -f -' "$log" | grep -vq 'secret generic ula-kafka '; then
  echo "deploy-smoke: the second run created or replaced a Secret (must keep existing ones)" >&2
  status=1
fi
if grep -Eq '^func build' "$log"; then
  echo "deploy-smoke: --skip-build still built images" >&2
  status=1
fi
if [[ $status -eq 0 ]]; then
  echo "deploy-smoke: first run and idempotent rerun went through every expected step"
fi
exit "$status"
