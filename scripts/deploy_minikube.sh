#!/usr/bin/env bash
# Deploys University Learning Analytics to Minikube: Knative Serving + Eventing + eventing-kafka-broker,
# Strimzi Kafka and the topics, MinIO (lake), Cassandra (views) and its schema, Trino and the lake's
# Trino tables and views (lake.raw, lake.events, lake.serving), Airflow, monitoring (Prometheus,
# Pushgateway, Grafana with the dashboards of scripts/k8s/manifests/monitoring/dashboards/), then
# builds the five functions and applies eventing/ (Knative Services, KafkaSources, dead-letter
# KafkaSink, the category KafkaSinks of the xapi function, JobSink). Idempotent: run it again after a change; nothing that holds data is deleted and
# Secrets are generated (random) only when absent.
#
# Usage:
#   scripts/deploy_minikube.sh                    deploy (starts minikube if needed)
#   scripts/deploy_minikube.sh --dry-run [DIR]    render every manifest, placeholders resolved, into DIR
#                                                 (default .cache/k8s-render); needs no cluster and no tools
#                                                 beyond bash/coreutils. Secrets get placeholder values.
#   scripts/deploy_minikube.sh --no-minikube      deploy to the current kubectl context instead
#   scripts/deploy_minikube.sh --skip-build       reuse images already built for IMAGE_TAG
#   scripts/deploy_minikube.sh --help
# Settings (environment): MINIKUBE_PROFILE (ula), MINIKUBE_CPUS (6), MINIKUBE_MEMORY (14336 MiB),
#   MINIKUBE_DISK (40g), MINIKUBE_DRIVER (docker), ULA_NAMESPACE (ula), REGISTRY (dev.local = build
#   into minikube's Docker, no push; anything else = func build --push to that registry), IMAGE_TAG
#   (git commit), ULA_TIMEZONE (Asia/Ho_Chi_Minh), ULA_CORS_ORIGINS, ULA_XAPI_HOME_PAGE (the LMS's account
#   home page, https://lms.example.edu: docs/xapi.md#identities), ULA_PII (drop) and ULA_PSEUDONYMIZE (off)
#   (docs/privacy.md; the pseudonym key is the generated Secret ula-privacy), FUNCTION_MAX_SCALE (4),
#   KAFKA_STORAGE (10Gi), MINIO_STORAGE (20Gi), CASSANDRA_STORAGE (10Gi), PROMETHEUS_STORAGE (5Gi),
#   WAIT_TIMEOUT (600s).
set -euo pipefail

# ---------------------------------------------------------------------------------------------------
# Pinned versions (scripts/k8s/check.sh checks that the JSON schemas were generated for the same ones)
K8S_VERSION="v1.34.4"          # Kubernetes run by minikube
KNATIVE_VERSION="1.23.0"       # Knative Serving, Eventing, net-kourier, eventing-kafka-broker
STRIMZI_VERSION="1.2.0"        # Strimzi operator (API kafka.strimzi.io/v1); Kafka = its default version
CASSANDRA_VERSION="5.0.8"
TRINO_VERSION="476"
AIRFLOW_VERSION="3.3.2"
POSTGRES_VERSION="17.6"
MINIO_VERSION="RELEASE.2025-04-22T22-12-26Z"
MC_VERSION="RELEASE.2025-04-16T18-13-26Z"
PROMETHEUS_VERSION="v3.5.0"     # Prometheus LTS
PUSHGATEWAY_VERSION="v1.11.0"
GRAFANA_VERSION="12.1.0"

# shellcheck disable=SC2034 # the images are read through ${!name} when manifests are rendered
{
  CASSANDRA_IMAGE="docker.io/library/cassandra:${CASSANDRA_VERSION}"
  TRINO_IMAGE="docker.io/trinodb/trino:${TRINO_VERSION}"
  AIRFLOW_IMAGE="docker.io/apache/airflow:${AIRFLOW_VERSION}"
  POSTGRES_IMAGE="docker.io/library/postgres:${POSTGRES_VERSION}"
  MINIO_IMAGE="quay.io/minio/minio:${MINIO_VERSION}"
  MC_IMAGE="quay.io/minio/mc:${MC_VERSION}"
  PROMETHEUS_IMAGE="docker.io/prom/prometheus:${PROMETHEUS_VERSION}"
  PUSHGATEWAY_IMAGE="docker.io/prom/pushgateway:${PUSHGATEWAY_VERSION}"
  GRAFANA_IMAGE="docker.io/grafana/grafana:${GRAFANA_VERSION}"
}

KNATIVE_SERVING_URL="https://github.com/knative/serving/releases/download/knative-v${KNATIVE_VERSION}"
KNATIVE_KOURIER_URL="https://github.com/knative/net-kourier/releases/download/knative-v${KNATIVE_VERSION}"
KNATIVE_EVENTING_URL="https://github.com/knative/eventing/releases/download/knative-v${KNATIVE_VERSION}"
KNATIVE_KAFKA_URL="https://github.com/knative-extensions/eventing-kafka-broker/releases/download/knative-v${KNATIVE_VERSION}"
STRIMZI_URL="https://github.com/strimzi/strimzi-kafka-operator/releases/download/${STRIMZI_VERSION}/strimzi-cluster-operator-${STRIMZI_VERSION}.yaml"

# ---------------------------------------------------------------------------------------------------
# Settings
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MANIFESTS="$ROOT/scripts/k8s/manifests"
MINIKUBE_PROFILE="${MINIKUBE_PROFILE:-ula}"
MINIKUBE_CPUS="${MINIKUBE_CPUS:-6}"
MINIKUBE_MEMORY="${MINIKUBE_MEMORY:-14336}"
MINIKUBE_DISK="${MINIKUBE_DISK:-40g}"
MINIKUBE_DRIVER="${MINIKUBE_DRIVER:-docker}"
ULA_NAMESPACE="${ULA_NAMESPACE:-ula}"
ULA_TIMEZONE="${ULA_TIMEZONE:-Asia/Ho_Chi_Minh}"
ULA_CORS_ORIGINS="${ULA_CORS_ORIGINS:-http://localhost:8081}"
ULA_XAPI_HOME_PAGE="${ULA_XAPI_HOME_PAGE:-https://lms.example.edu}"
ULA_PII="${ULA_PII:-drop}"
ULA_PSEUDONYMIZE="${ULA_PSEUDONYMIZE:-off}"
REGISTRY="${REGISTRY:-dev.local}"
FUNCTION_MAX_SCALE="${FUNCTION_MAX_SCALE:-4}"
KAFKA_STORAGE="${KAFKA_STORAGE:-10Gi}"
MINIO_STORAGE="${MINIO_STORAGE:-20Gi}"
CASSANDRA_STORAGE="${CASSANDRA_STORAGE:-10Gi}"
PROMETHEUS_STORAGE="${PROMETHEUS_STORAGE:-5Gi}"
WAIT_TIMEOUT="${WAIT_TIMEOUT:-600s}"
# The SASL/SCRAM-over-TLS listener `tls` (scripts/k8s/manifests/kafka/kafka.yaml); credentials: Secret ula-kafka.
KAFKA_BOOTSTRAP="ula-kafka-kafka-bootstrap.kafka.svc.cluster.local:9093"
BATCH_JOB_SCRIPT="${BATCH_JOB_SCRIPT:-build/index.js}"  # functions/batch: the job entry point
FUNCTIONS=(ingest speed serving batch xapi)

default_tag() {
  local sha
  sha="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo dev)"
  if [[ -n "$(git -C "$ROOT" status --porcelain -- functions 2>/dev/null)" ]]; then
    sha="${sha}-dirty-$(date -u +%Y%m%d%H%M%S)"
  fi
  echo "$sha"
}

DRY_RUN=""
RENDER_DIR=""
USE_MINIKUBE=1
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run)
      DRY_RUN=1
      if [[ $# -gt 1 && "$2" != --* ]]; then RENDER_DIR="$2"; shift; fi
      ;;
    --no-minikube) USE_MINIKUBE="" ;;
    --skip-build) BUILD="" ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

[[ "$WAIT_TIMEOUT" =~ ^[0-9]+s$ ]] || { echo "WAIT_TIMEOUT must be seconds like 600s, not '$WAIT_TIMEOUT'" >&2; exit 2; }
if [[ -n "$DRY_RUN" ]]; then
  IMAGE_TAG="${IMAGE_TAG:-dry-run}"
else
  IMAGE_TAG="${IMAGE_TAG:-$(default_tag)}"
fi
INGEST_IMAGE="${REGISTRY}/ula-ingest:${IMAGE_TAG}"
SPEED_IMAGE="${REGISTRY}/ula-speed:${IMAGE_TAG}"
SERVING_IMAGE="${REGISTRY}/ula-serving:${IMAGE_TAG}"
BATCH_IMAGE="${REGISTRY}/ula-batch:${IMAGE_TAG}"
XAPI_IMAGE="${REGISTRY}/ula-xapi:${IMAGE_TAG}"

# Every ${NAME} a manifest may contain; anything else left as ${UPPER_CASE} is an error.
PLACEHOLDERS=(ULA_NAMESPACE ULA_TIMEZONE ULA_CORS_ORIGINS ULA_XAPI_HOME_PAGE ULA_PII ULA_PSEUDONYMIZE KAFKA_BOOTSTRAP FUNCTION_MAX_SCALE
  INGEST_IMAGE SPEED_IMAGE SERVING_IMAGE BATCH_IMAGE XAPI_IMAGE BATCH_JOB_SCRIPT
  STRIMZI_VERSION KAFKA_STORAGE MINIO_IMAGE MC_IMAGE MINIO_STORAGE
  CASSANDRA_VERSION CASSANDRA_IMAGE CASSANDRA_STORAGE TRINO_VERSION TRINO_IMAGE
  AIRFLOW_VERSION AIRFLOW_IMAGE POSTGRES_IMAGE
  PROMETHEUS_VERSION PROMETHEUS_IMAGE PROMETHEUS_STORAGE PUSHGATEWAY_VERSION PUSHGATEWAY_IMAGE
  GRAFANA_VERSION GRAFANA_IMAGE)

# ---------------------------------------------------------------------------------------------------
# Output helpers
step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------
# Rendering (pure bash: --dry-run must work on a machine with no kubectl)

# render_file SRC DST: copies SRC with every ${PLACEHOLDER} replaced; fails on an unknown one.
render_file() {
  local src="$1" dst="$2" content var
  content="$(<"$src")"
  for var in "${PLACEHOLDERS[@]}"; do
    content="${content//"\${$var}"/"${!var}"}"
  done
  if grep -nE '\$\{[A-Z][A-Z0-9_]*\}' <<<"$content" >&2; then
    die "unresolved placeholder(s) above in $src (add them to PLACEHOLDERS in $0)"
  fi
  mkdir -p "$(dirname "$dst")"
  printf '%s\n' "$content" >"$dst"
}

# configmap_from_files NAME NAMESPACE FILE...: a ConfigMap whose keys are the files' base names and
# whose values are their contents (YAML literal blocks; an explicit indentation indicator keeps
# leading spaces, and keep-chomping keeps the file's exact trailing newlines).
configmap_from_files() {
  local name="$1" namespace="$2" file key
  shift 2
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\n' "$name" "$namespace"
  printf '  labels:\n    app.kubernetes.io/part-of: university-learning-analytics\n'
  if [[ $# -eq 0 ]]; then
    printf 'data: {}\n'
    return
  fi
  printf 'data:\n'
  for file in "$@"; do
    key="$(basename "$file")"
    [[ "$key" =~ ^[-._a-zA-Z0-9]+$ ]] || die "$file: not a valid ConfigMap key"
    if [[ ! -s "$file" ]]; then
      printf '  %s: ""\n' "$key"
      continue
    fi
    printf '  %s: |2+\n' "$key"
    # Every line indented by 4; lines are copied byte for byte (awk keeps tabs and trailing spaces).
    awk '{ print "    " $0 }' "$file"
    # A file without a final newline: YAML cannot say "no newline" with keep-chomping, so note it.
    if [[ -n "$(tail -c 1 "$file")" ]]; then
      info "note: $file has no final newline; the ConfigMap value gets one"
    fi
  done
}

# secret_manifest NAMESPACE NAME KEY=VALUE...: a Secret (stringData) on stdout.
secret_manifest() {
  local namespace="$1" name="$2" pair
  shift 2
  printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: %s\n  namespace: %s\n' "$name" "$namespace"
  printf '  labels:\n    app.kubernetes.io/part-of: university-learning-analytics\n'
  printf "  annotations:\n    ula/generated-by: scripts/deploy_minikube.sh\ntype: Opaque\nstringData:\n"
  for pair in "$@"; do
    if [[ "${pair#*=}" == *$'\n'* ]]; then
      # A PEM or a password file: a literal block.
      printf '  %s: |\n' "${pair%%=*}"
      printf '%s\n' "${pair#*=}" | sed 's/^/    /'
    else
      # Values are generated hex/base64 strings, user names or host names: single-quote them for YAML.
      printf "  %s: '%s'\n" "${pair%%=*}" "${pair#*=}"
    fi
  done
}

files_in() { # files_in DIR GLOB: the matching files, sorted (none → nothing)
  local dir="$1" glob="$2" f
  [[ -d "$dir" ]] || return 0
  for f in "$dir"/$glob; do
    if [[ -f "$f" ]]; then printf '%s\n' "$f"; fi
  done
}

# render_all DIR: every manifest the deployment applies, in apply order, into DIR.
render_all() {
  local out="$1" src files
  mkdir -p "$out"
  render_file "$MANIFESTS/platform/namespaces.yaml" "$out/00-platform/namespaces.yaml"
  render_file "$MANIFESTS/kafka/kafka.yaml" "$out/10-kafka/kafka.yaml"
  render_file "$MANIFESTS/kafka/topics.yaml" "$out/10-kafka/topics.yaml"
  render_file "$MANIFESTS/kafka/user.yaml" "$out/10-kafka/user.yaml"
  render_file "$MANIFESTS/minio/minio.yaml" "$out/20-minio/minio.yaml"
  render_file "$MANIFESTS/minio/bucket-job.yaml" "$out/20-minio/bucket-job.yaml"

  [[ -f "$ROOT/cassandra/schema.cql" ]] || die "cassandra/schema.cql is missing"
  mkdir -p "$out/30-cassandra"
  configmap_from_files cassandra-schema cassandra "$ROOT/cassandra/schema.cql" >"$out/30-cassandra/schema-configmap.yaml"
  render_file "$MANIFESTS/cassandra/cassandra.yaml" "$out/30-cassandra/cassandra.yaml"
  render_file "$MANIFESTS/cassandra/schema-job.yaml" "$out/30-cassandra/schema-job.yaml"

  mapfile -t files < <(files_in "$ROOT/trino/catalog/k8s" '*.properties')
  if [[ ${#files[@]} -eq 0 ]]; then
    [[ -n "$DRY_RUN" ]] || die "trino/catalog/k8s/*.properties: no Trino catalog to deploy"
    info "warning: no trino/catalog/k8s/*.properties yet; rendering an empty trino-catalog"
  fi
  mkdir -p "$out/40-trino"
  configmap_from_files trino-catalog trino "${files[@]}" >"$out/40-trino/catalog-configmap.yaml"
  # Trino's security (docs/trino-security.md): its config files and the users' groups and rules.
  mapfile -t files < <(files_in "$ROOT/trino/etc/k8s" '*.properties')
  configmap_from_files trino-etc trino "${files[@]}" >"$out/40-trino/etc-configmap.yaml"
  mapfile -t files < <(files_in "$ROOT/trino/security" '*')
  configmap_from_files trino-security trino "${files[@]}" >"$out/40-trino/security-configmap.yaml"
  render_file "$MANIFESTS/trino/trino.yaml" "$out/40-trino/trino.yaml"

  # The lake's Trino objects (lake.raw tables, lake.events and lake.serving views): the SQL generated from
  # TypeScript (trino/lake/*.sql, `npx tsx scripts/trino-lake.ts --write`), ${ULA_TIMEZONE} filled in, and
  # the script the Job trino-lake runs with the Trino CLI.
  for src in raw_tables.sql serving_views.sql; do
    [[ -f "$ROOT/trino/lake/$src" ]] || die "trino/lake/$src is missing (npx tsx scripts/trino-lake.ts --write)"
    render_file "$ROOT/trino/lake/$src" "$out/45-trino-lake/sql/$src"
  done
  configmap_from_files trino-lake trino "$ROOT/scripts/k8s/trino-lake-apply.sh" \
    "$out/45-trino-lake/sql/raw_tables.sql" "$out/45-trino-lake/sql/serving_views.sql" \
    >"$out/45-trino-lake/lake-configmap.yaml"
  render_file "$MANIFESTS/trino/lake-job.yaml" "$out/45-trino-lake/lake-job.yaml"

  mapfile -t files < <(files_in "$ROOT/airflow/dags" '*.py')
  if [[ ${#files[@]} -eq 0 ]]; then
    [[ -n "$DRY_RUN" ]] || die "airflow/dags/*.py: no DAG to deploy"
    info "warning: no airflow/dags/*.py yet; rendering an empty airflow-dags"
  fi
  mkdir -p "$out/50-airflow"
  configmap_from_files airflow-dags airflow "${files[@]}" >"$out/50-airflow/dags-configmap.yaml"
  render_file "$MANIFESTS/airflow/postgres.yaml" "$out/50-airflow/postgres.yaml"
  render_file "$MANIFESTS/airflow/airflow.yaml" "$out/50-airflow/airflow.yaml"

  # Monitoring: Prometheus (scrapes the functions' pods and the Pushgateway), the Pushgateway (batch Jobs
  # push their runs), Grafana with the datasource and the dashboards of monitoring/dashboards/*.json.
  mapfile -t files < <(files_in "$MANIFESTS/monitoring/dashboards" '*.json')
  [[ ${#files[@]} -gt 0 ]] || die "scripts/k8s/manifests/monitoring/dashboards/*.json: no dashboard to deploy"
  mkdir -p "$out/60-monitoring"
  configmap_from_files grafana-dashboards monitoring "${files[@]}" >"$out/60-monitoring/dashboards-configmap.yaml"
  for src in prometheus pushgateway grafana; do
    render_file "$MANIFESTS/monitoring/$src.yaml" "$out/60-monitoring/$src.yaml"
  done

  for src in "$ROOT"/eventing/*.yaml; do
    render_file "$src" "$out/eventing/$(basename "$src")"
  done

  cat >"$out/RELEASES.txt" <<EOF
# Upstream release manifests applied by scripts/deploy_minikube.sh (not rendered: they need the network).
${KNATIVE_SERVING_URL}/serving-crds.yaml
${KNATIVE_SERVING_URL}/serving-core.yaml
${KNATIVE_KOURIER_URL}/kourier.yaml
${KNATIVE_SERVING_URL}/serving-default-domain.yaml
${KNATIVE_EVENTING_URL}/eventing-crds.yaml
${KNATIVE_EVENTING_URL}/eventing-core.yaml
${KNATIVE_KAFKA_URL}/eventing-kafka-controller.yaml
${KNATIVE_KAFKA_URL}/eventing-kafka-source.yaml
${KNATIVE_KAFKA_URL}/eventing-kafka-sink.yaml
${KNATIVE_KAFKA_URL}/eventing-kafka-broker.yaml
${STRIMZI_URL}
EOF
}

# ---------------------------------------------------------------------------------------------------
# Secrets: random values, created only when absent, the same value copied to every namespace that
# needs it. Deploy mode never writes them to disk.

rand_hex() { openssl rand -hex "$1"; }

secret_get() { # secret_get NAMESPACE NAME KEY → decoded value, or nothing
  local value
  value="$(kubectl get secret "$2" -n "$1" -o "jsonpath={.data.$3}" 2>/dev/null || true)"
  if [[ -n "$value" ]]; then printf '%s' "$value" | base64 -d; fi
}

ensure_secret() { # ensure_secret NAMESPACE NAME KEY=VALUE...
  local namespace="$1" name="$2"
  if [[ -n "$DRY_RUN" ]]; then
    secret_manifest "$@" >"$RENDER_DIR/secrets/${namespace}-${name}.yaml"
  elif kubectl get secret "$name" -n "$namespace" >/dev/null 2>&1; then
    info "secret $namespace/$name exists (kept)"
  else
    secret_manifest "$@" | kubectl create -f - >/dev/null
    info "secret $namespace/$name created"
  fi
}

# The Secret ula-kafka of the functions' namespace, made from Strimzi's Secrets on every run (the User
# Operator owns the KafkaUser's password, the Cluster Operator the CA, and either may renew them): the keys
# KafkaSink reads (protocol, sasl.mechanism, user, password, ca.crt), KafkaSource's (user, password,
# saslType, ca.crt) and the functions' ULA_KAFKA_* (user, password, ca.crt as a file).
sync_kafka_secret() {
  if [[ -n "$DRY_RUN" ]]; then
    secret_manifest "$ULA_NAMESPACE" ula-kafka protocol=SASL_SSL sasl.mechanism=SCRAM-SHA-512 \
      saslType=SCRAM-SHA-512 user=ula password=DRY-RUN-NOT-A-SECRET ca.crt=DRY-RUN-NOT-A-CERTIFICATE \
      >"$RENDER_DIR/secrets/$ULA_NAMESPACE-ula-kafka.yaml"
    return 0
  fi
  local dir
  dir="$(mktemp -d)"
  (
    umask 077
    printf 'SASL_SSL' >"$dir/protocol"
    printf 'SCRAM-SHA-512' >"$dir/sasl.mechanism"
    printf 'SCRAM-SHA-512' >"$dir/saslType"
    printf 'ula' >"$dir/user"
    secret_get kafka ula password >"$dir/password"
    secret_get kafka ula-kafka-cluster-ca-cert ca.crt >"$dir/ca.crt"
  )
  if [[ ! -s "$dir/password" || ! -s "$dir/ca.crt" ]]; then
    rm -rf "$dir"
    die "Strimzi has not made the Secrets kafka/ula (password) and kafka/ula-kafka-cluster-ca-cert (ca.crt) yet"
  fi
  kubectl create secret generic ula-kafka -n "$ULA_NAMESPACE" --from-file="$dir" --dry-run=client -o yaml |
    kubectl apply -f - >/dev/null
  rm -rf "$dir"
  info "secret $ULA_NAMESPACE/ula-kafka synced from kafka/ula and the cluster CA"
}

ensure_secrets() {
  local root_user root_password lake_key lake_secret cassandra_user cassandra_password admin_password
  local read_token admin_token privacy_token api_tokens pg_password fernet jwt airflow_password grafana_password xapi_user xapi_password pseudonym_key
  if [[ -n "$DRY_RUN" ]]; then
    mkdir -p "$RENDER_DIR/secrets"
    root_user=minio-admin root_password=DRY-RUN-NOT-A-SECRET lake_key=ula-lake lake_secret=DRY-RUN-NOT-A-SECRET
    cassandra_user=ula cassandra_password=DRY-RUN-NOT-A-SECRET admin_password=DRY-RUN-NOT-A-SECRET
    read_token=DRY-RUN-NOT-A-SECRET-READ admin_token=DRY-RUN-NOT-A-SECRET-ADMIN
    privacy_token=DRY-RUN-NOT-A-SECRET-PRIVACY pg_password=DRY-RUN-NOT-A-SECRET fernet=DRY-RUN-NOT-A-SECRET
    jwt=DRY-RUN-NOT-A-SECRET airflow_password=DRY-RUN-NOT-A-SECRET grafana_password=DRY-RUN-NOT-A-SECRET
    xapi_user=lms xapi_password=DRY-RUN-NOT-A-SECRET pseudonym_key=DRY-RUN-NOT-A-SECRET-BUT-32-CHARACTERS-LONG
  else
    root_user="$(secret_get minio minio-root root-user)"; root_user="${root_user:-minio-admin}"
    root_password="$(secret_get minio minio-root root-password)"; root_password="${root_password:-$(rand_hex 24)}"
    lake_key="$(secret_get "$ULA_NAMESPACE" ula-lake access-key-id)"; lake_key="${lake_key:-ula-lake-$(rand_hex 4)}"
    lake_secret="$(secret_get "$ULA_NAMESPACE" ula-lake secret-access-key)"; lake_secret="${lake_secret:-$(rand_hex 24)}"
    cassandra_user="$(secret_get "$ULA_NAMESPACE" ula-cassandra username)"; cassandra_user="${cassandra_user:-ula}"
    cassandra_password="$(secret_get "$ULA_NAMESPACE" ula-cassandra password)"; cassandra_password="${cassandra_password:-$(rand_hex 24)}"
    admin_password="$(secret_get cassandra cassandra-admin password)"; admin_password="${admin_password:-$(rand_hex 24)}"
    # The API's scoped tokens (docs/serving.md#auth-and-cors); the one `token` of an earlier deploy becomes the read token.
    read_token="$(secret_get "$ULA_NAMESPACE" ula-api read-token)"; read_token="${read_token:-$(secret_get "$ULA_NAMESPACE" ula-api token)}"
    read_token="${read_token:-$(rand_hex 32)}"
    admin_token="$(secret_get "$ULA_NAMESPACE" ula-api admin-token)"; admin_token="${admin_token:-$(rand_hex 32)}"
    privacy_token="$(secret_get "$ULA_NAMESPACE" ula-api privacy-token)"; privacy_token="${privacy_token:-$(rand_hex 32)}"
    # Secrets of an earlier deploy without the scoped tokens: replaced (the values above are kept).
    for name in ula-api serving-api; do
      if [[ -z "$(secret_get "$ULA_NAMESPACE" "$name" tokens)" ]] && kubectl get secret "$name" -n "$ULA_NAMESPACE" >/dev/null 2>&1; then
        kubectl delete secret "$name" -n "$ULA_NAMESPACE" >/dev/null
        info "secret $ULA_NAMESPACE/$name: replaced by one with scoped tokens"
      fi
    done
    pg_password="$(secret_get airflow airflow-secrets postgres-password)"; pg_password="${pg_password:-$(rand_hex 24)}"
    fernet="$(secret_get airflow airflow-secrets fernet-key)"; fernet="${fernet:-$(openssl rand -base64 32 | tr '+/' '-_')}"
    jwt="$(secret_get airflow airflow-secrets jwt-secret)"; jwt="${jwt:-$(rand_hex 32)}"
    airflow_password="$(secret_get airflow airflow-secrets admin-password)"; airflow_password="${airflow_password:-$(rand_hex 12)}"
    grafana_password="$(secret_get monitoring grafana-admin admin-password)"; grafana_password="${grafana_password:-$(rand_hex 12)}"
    xapi_user="$(secret_get "$ULA_NAMESPACE" ula-xapi username)"; xapi_user="${xapi_user:-lms}"
    xapi_password="$(secret_get "$ULA_NAMESPACE" ula-xapi password)"; xapi_password="${xapi_password:-$(rand_hex 24)}"
    pseudonym_key="$(secret_get "$ULA_NAMESPACE" ula-privacy pseudonym-key)"; pseudonym_key="${pseudonym_key:-$(rand_hex 32)}"
  fi
  local lake=(access-key-id="$lake_key" secret-access-key="$lake_secret"
    endpoint=http://minio.minio.svc.cluster.local:9000 bucket=lake region=us-east-1)
  local cassandra=(username="$cassandra_user" password="$cassandra_password"
    contact-points=cassandra.cassandra.svc.cluster.local local-dc=datacenter1 keyspace=lms_analytics)
  ensure_secret minio minio-root root-user="$root_user" root-password="$root_password"
  ensure_secret minio ula-lake "${lake[@]}"
  ensure_secret "$ULA_NAMESPACE" ula-lake "${lake[@]}"
  ensure_secret trino ula-lake "${lake[@]}"
  ensure_secret cassandra cassandra-admin password="$admin_password"
  ensure_secret cassandra ula-cassandra "${cassandra[@]}"
  ensure_secret "$ULA_NAMESPACE" ula-cassandra "${cassandra[@]}"
  ensure_secret trino ula-cassandra "${cassandra[@]}"
  # ULA_API_TOKENS of the serving function: `dashboard` reads (the analytics and the dashboard), `ops` also
  # administers, `privacy` only resolves pseudonyms; each token also under its own key for people and tools.
  api_tokens="dashboard:$read_token:read,ops:$admin_token:read+admin,privacy:$privacy_token:privacy"
  ensure_secret "$ULA_NAMESPACE" ula-api tokens="$api_tokens" read-token="$read_token" \
    admin-token="$admin_token" privacy-token="$privacy_token"
  # functions/serving/func.yaml reads the tokens from serving-api (for `func deploy`): same values.
  ensure_secret "$ULA_NAMESPACE" serving-api tokens="$api_tokens"
  sync_kafka_secret
  ensure_secret airflow airflow-secrets postgres-password="$pg_password" fernet-key="$fernet" \
    jwt-secret="$jwt" admin-password="$airflow_password" passwords.json="{\"admin\": \"$airflow_password\"}"
  ensure_secret monitoring grafana-admin admin-password="$grafana_password"
  # The LRS's HTTP Basic credentials (functions/xapi): the LMS is configured with username and password;
  # the function reads `credentials` (key:secret:scopes, docs/xapi.md#credentials), the same pair with the
  # one scope an LMS needs.
  ensure_secret "$ULA_NAMESPACE" ula-xapi username="$xapi_user" password="$xapi_password" \
    credentials="$xapi_user:$xapi_password:statements/write"
  # The key of ULA_PSEUDONYMIZE=hmac (docs/privacy.md): generated once and kept; changing it changes every
  # pseudonym, so views written before and after no longer join.
  ensure_secret "$ULA_NAMESPACE" ula-privacy pseudonym-key="$pseudonym_key"
  ensure_trino_secrets
}

# Trino (docs/trino-security.md): a password per user of trino/security/group.txt (Secret trino/trino-users,
# one key per user), the password file Trino checks them against and the internal shared secret
# (trino-auth), a CA and a server certificate for the Service's names and 127.0.0.1 (port-forwards) (trino-tls:
# ca.pem for clients, server.pem = key + certificate; the CA's key is not kept). Each Secret is created only
# when absent: a user added to group.txt later needs `kubectl delete secret -n trino trino-users trino-auth`
# and a deploy (every password renewed). The certificate is made in a temporary folder, deleted at once.
ensure_trino_secrets() {
  local users=() pairs=() lines="" u pw db shared ca server tmp
  mapfile -t users < <(awk -F: '!/^[[:space:]]*(#|$)/ { n = split($2, u, ","); for (i = 1; i <= n; i++) print u[i] }' \
    "$ROOT/trino/security/group.txt" | sort -u)
  for u in "${users[@]}"; do
    if [[ -n "$DRY_RUN" ]]; then pw=DRY-RUN-NOT-A-SECRET; else pw="$(secret_get trino trino-users "$u")"; fi
    pw="${pw:-$(rand_hex 24)}"
    pairs+=("$u=$pw")
    lines+="$u $pw"$'\n'
  done
  if [[ -n "$DRY_RUN" ]]; then
    db=DRY-RUN-NOT-A-PASSWORD-FILE shared=DRY-RUN-NOT-A-SECRET ca=DRY-RUN-NOT-A-CERTIFICATE server=DRY-RUN-NOT-A-KEY
  else
    shared="$(secret_get trino trino-auth internal-shared-secret)"; shared="${shared:-$(rand_hex 32)}"
    db="$(printf '%s' "$lines" | node "$ROOT/scripts/trino-password-file.mjs")"
    ca="$(secret_get trino trino-tls 'ca\.pem')"
    server="$(secret_get trino trino-tls 'server\.pem')"
    if [[ -z "$ca" || -z "$server" ]]; then
      tmp="$(mktemp -d)"
      if ! { openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=ula Trino CA" \
        -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null &&
        openssl req -newkey rsa:2048 -nodes -subj "/CN=trino.trino.svc.cluster.local" \
          -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null &&
        openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -days 825 \
          -extfile <(printf '%s\n' 'subjectAltName=DNS:trino.trino.svc.cluster.local,DNS:trino.trino.svc,DNS:trino.trino,DNS:trino,DNS:localhost,IP:127.0.0.1' 'extendedKeyUsage=serverAuth') \
          -out "$tmp/server.crt" 2>/dev/null; }; then
        rm -rf "$tmp"
        die "openssl could not make Trino's certificate"
      fi
      ca="$(cat "$tmp/ca.pem")"
      server="$(cat "$tmp/server.key" "$tmp/server.crt")"
      rm -rf "$tmp"
    fi
  fi
  ensure_secret trino trino-users "${pairs[@]}"
  ensure_secret trino trino-auth password.db="$db" internal-shared-secret="$shared"
  ensure_secret trino trino-tls ca.pem="$ca" server.pem="$server"
}

# ---------------------------------------------------------------------------------------------------
# Dry run: render and stop.
if [[ -n "$DRY_RUN" ]]; then
  RENDER_DIR="${RENDER_DIR:-$ROOT/.cache/k8s-render}"
  rm -rf "$RENDER_DIR"
  mkdir -p "$RENDER_DIR"
  RENDER_DIR="$(cd "$RENDER_DIR" && pwd)"
  render_all "$RENDER_DIR"
  ensure_secrets
  step "rendered $(find "$RENDER_DIR" -name '*.yaml' | wc -l) manifest files into $RENDER_DIR"
  info "images: $INGEST_IMAGE $SPEED_IMAGE $SERVING_IMAGE $BATCH_IMAGE $XAPI_IMAGE"
  info "apply order: 00-platform, 10-kafka (after Strimzi), 20-minio, 30-cassandra, 40-trino, 45-trino-lake (Job), 50-airflow, 60-monitoring, eventing"
  exit 0
fi

# ---------------------------------------------------------------------------------------------------
# Cluster helpers

need() { # need COMMAND HOW-TO-INSTALL
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found. $2"
}

preflight() {
  step "preflight"
  if [[ -n "$USE_MINIKUBE" ]]; then
    need minikube "Install minikube: https://minikube.sigs.k8s.io/docs/start/"
  fi
  need kubectl "Install kubectl: https://kubernetes.io/docs/tasks/tools/ (or alias 'minikube kubectl --')"
  need kn "Install the Knative CLI: https://knative.dev/docs/client/install-kn/"
  need curl "Install curl (release manifests are downloaded from GitHub)."
  need openssl "Install openssl (random credentials)."
  need node "Install Node.js (Trino's password file is hashed with scripts/trino-password-file.mjs; scripts/toolchain.mjs provides Node.js 24)."
  if [[ -n "$BUILD" ]]; then
    need func "Install the Knative func CLI (or kn-func as 'func'): https://knative.dev/docs/functions/install-func/"
    need npm "Install Node.js and npm (the functions are bundled on the host before func build; scripts/toolchain.mjs provides Node.js 24)."
    local name
    for name in "${FUNCTIONS[@]}"; do
      [[ -f "$ROOT/functions/$name/func.yaml" ]] || die "functions/$name/func.yaml is missing: cannot build the $name image"
    done
  fi
  if ! kn source kafka --help >/dev/null 2>&1; then
    info "note: the kn plugin 'kn-source-kafka' is not installed; 'kn source kafka list' will not work (optional)"
  fi
  info "minikube profile $MINIKUBE_PROFILE: ${MINIKUBE_CPUS} CPUs, ${MINIKUBE_MEMORY} MiB, disk ${MINIKUBE_DISK}, driver ${MINIKUBE_DRIVER}"
}

start_minikube() {
  [[ -n "$USE_MINIKUBE" ]] || { info "using kubectl context $(kubectl config current-context)"; return; }
  step "minikube"
  if minikube status -p "$MINIKUBE_PROFILE" >/dev/null 2>&1; then
    info "profile $MINIKUBE_PROFILE already running"
  else
    minikube start -p "$MINIKUBE_PROFILE" --kubernetes-version="$K8S_VERSION" \
      --cpus="$MINIKUBE_CPUS" --memory="$MINIKUBE_MEMORY" --disk-size="$MINIKUBE_DISK" \
      --driver="$MINIKUBE_DRIVER" --container-runtime=docker
  fi
  kubectl config use-context "$MINIKUBE_PROFILE" >/dev/null
  kubectl wait node --all --for=condition=Ready --timeout="$WAIT_TIMEOUT"
}

apply_url() { # apply_url URL [kubectl apply args...]
  local url="$1"
  shift
  info "apply $url"
  curl -fsSL --retry 3 "$url" | kubectl apply "$@" -f - >/dev/null
}

wait_deployments() { # wait_deployments NAMESPACE
  info "waiting for deployments in $1 to be Available"
  kubectl wait deployment --all -n "$1" --for=condition=Available --timeout="$WAIT_TIMEOUT" >/dev/null
}

# run_job FILE NAMESPACE NAME: (re)runs a one-shot Job and waits until it succeeded (or shows why not).
run_job() {
  local file="$1" namespace="$2" name="$3" deadline status
  kubectl delete job "$name" -n "$namespace" --ignore-not-found --wait=true >/dev/null
  kubectl apply -f "$file" >/dev/null
  info "waiting for job $namespace/$name"
  deadline=$((SECONDS + ${WAIT_TIMEOUT%s}))
  while ((SECONDS < deadline)); do
    status="$(kubectl get job "$name" -n "$namespace" \
      -o 'jsonpath={range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}')"
    case " $status " in
      *" Complete "*) info "job $namespace/$name complete"; return 0 ;;
      *" Failed "*) kubectl logs -n "$namespace" "job/$name" --tail=50 >&2 || true; die "job $namespace/$name failed" ;;
    esac
    sleep 5
  done
  kubectl logs -n "$namespace" "job/$name" --tail=50 >&2 || true
  die "job $namespace/$name did not finish within $WAIT_TIMEOUT"
}

install_knative() {
  step "Knative Serving ${KNATIVE_VERSION} (+ Kourier)"
  apply_url "$KNATIVE_SERVING_URL/serving-crds.yaml"
  kubectl wait crd services.serving.knative.dev --for=condition=Established --timeout=120s >/dev/null
  apply_url "$KNATIVE_SERVING_URL/serving-core.yaml"
  apply_url "$KNATIVE_KOURIER_URL/kourier.yaml"
  kubectl patch configmap/config-network -n knative-serving --type merge \
    -p '{"data":{"ingress-class":"kourier.ingress.networking.knative.dev"}}' >/dev/null
  wait_deployments knative-serving
  wait_deployments kourier-system
  # <ip>.sslip.io domain for public services (reachable with `minikube tunnel`).
  if ! kubectl get configmap config-domain -n knative-serving -o jsonpath='{.data}' | grep -q sslip.io; then
    kubectl delete job default-domain -n knative-serving --ignore-not-found >/dev/null
    apply_url "$KNATIVE_SERVING_URL/serving-default-domain.yaml"
  fi

  step "Knative Eventing ${KNATIVE_VERSION} (+ JobSink) and eventing-kafka-broker"
  apply_url "$KNATIVE_EVENTING_URL/eventing-crds.yaml"
  kubectl wait crd jobsinks.sinks.knative.dev --for=condition=Established --timeout=120s >/dev/null
  apply_url "$KNATIVE_EVENTING_URL/eventing-core.yaml"
  wait_deployments knative-eventing
  apply_url "$KNATIVE_KAFKA_URL/eventing-kafka-controller.yaml"
  apply_url "$KNATIVE_KAFKA_URL/eventing-kafka-source.yaml"
  apply_url "$KNATIVE_KAFKA_URL/eventing-kafka-sink.yaml"
  apply_url "$KNATIVE_KAFKA_URL/eventing-kafka-broker.yaml"
  kubectl wait crd kafkasources.sources.knative.dev kafkasinks.eventing.knative.dev \
    --for=condition=Established --timeout=120s >/dev/null
  tune_kafka_source_dispatch
  wait_deployments knative-eventing
}

# The KafkaSource dispatcher's in-flight limit (eventing/kafka-source-ingest.yaml says why ingest needs
# hundreds of requests in flight): its unordered consumer polls while fewer than max.poll.records (default
# 50) are in flight, and its HTTP client keeps at most maxPoolSize (default 100) connections per host. Both
# live in one global ConfigMap of eventing-kafka-broker (no per-source field): set the two keys in it.
KAFKA_SOURCE_MAX_POLL_RECORDS=500
KAFKA_SOURCE_MAX_POOL_SIZE=1000
set_property() { # set_property KEY VALUE < properties → properties with KEY=VALUE (replaced or appended)
  awk -v k="$1" -v v="$2" -F= '$1 == k { print k "=" v; done = 1; next } { print } END { if (!done) print k "=" v }'
}
tune_kafka_source_dispatch() {
  local cm=config-kafka-source-data-plane consumer webclient
  consumer=$(kubectl get configmap "$cm" -n knative-eventing -o 'jsonpath={.data.config-kafka-source-consumer\.properties}' |
    set_property max.poll.records "$KAFKA_SOURCE_MAX_POLL_RECORDS")
  webclient=$(kubectl get configmap "$cm" -n knative-eventing -o 'jsonpath={.data.config-kafka-source-webclient\.properties}' |
    set_property maxPoolSize "$KAFKA_SOURCE_MAX_POOL_SIZE")
  kubectl create configmap "$cm" -n knative-eventing --dry-run=client -o yaml \
    --from-literal="config-kafka-source-consumer.properties=$consumer" \
    --from-literal="config-kafka-source-webclient.properties=$webclient" |
    kubectl patch configmap "$cm" -n knative-eventing --type merge --patch-file /dev/stdin >/dev/null
  info "KafkaSource dispatch: max.poll.records=$KAFKA_SOURCE_MAX_POLL_RECORDS, maxPoolSize=$KAFKA_SOURCE_MAX_POOL_SIZE"
}

install_kafka() {
  step "Strimzi ${STRIMZI_VERSION} and Kafka cluster ula-kafka"
  kubectl apply -f "$RENDER_DIR/00-platform/namespaces.yaml" >/dev/null
  info "apply $STRIMZI_URL (namespace kafka)"
  # The release's RoleBindings name namespace "myproject"; the operator watches its own namespace.
  curl -fsSL --retry 3 "$STRIMZI_URL" | sed 's/namespace: myproject/namespace: kafka/' |
    kubectl apply -n kafka --server-side --force-conflicts -f - >/dev/null
  kubectl wait deployment/strimzi-cluster-operator -n kafka --for=condition=Available --timeout="$WAIT_TIMEOUT" >/dev/null
  kubectl apply -f "$RENDER_DIR/10-kafka/kafka.yaml" >/dev/null
  info "waiting for kafka/ula-kafka Ready (first start pulls images; up to 15 min)"
  kubectl wait kafka/ula-kafka -n kafka --for=condition=Ready --timeout=900s >/dev/null
  kubectl apply -f "$RENDER_DIR/10-kafka/topics.yaml" >/dev/null
  kubectl wait kafkatopic --all -n kafka --for=condition=Ready --timeout="$WAIT_TIMEOUT" >/dev/null
  info "topics: $(kubectl get kafkatopic -n kafka -o 'jsonpath={.items[*].spec.topicName}')"
  kubectl apply -f "$RENDER_DIR/10-kafka/user.yaml" >/dev/null
  kubectl wait kafkauser/ula -n kafka --for=condition=Ready --timeout="$WAIT_TIMEOUT" >/dev/null
  info "Kafka user ula (SCRAM-SHA-512) ready"
}

install_storage() {
  step "MinIO (lake) and bucket"
  kubectl apply -f "$RENDER_DIR/20-minio/minio.yaml" >/dev/null
  kubectl wait deployment/minio -n minio --for=condition=Available --timeout="$WAIT_TIMEOUT" >/dev/null
  run_job "$RENDER_DIR/20-minio/bucket-job.yaml" minio minio-bucket

  step "Cassandra ${CASSANDRA_VERSION} and schema"
  kubectl apply -f "$RENDER_DIR/30-cassandra/schema-configmap.yaml" -f "$RENDER_DIR/30-cassandra/cassandra.yaml" >/dev/null
  kubectl rollout status statefulset/cassandra -n cassandra --timeout="$WAIT_TIMEOUT" >/dev/null
  run_job "$RENDER_DIR/30-cassandra/schema-job.yaml" cassandra cassandra-schema
}

install_query_and_orchestration() {
  step "Trino ${TRINO_VERSION}"
  kubectl apply -f "$RENDER_DIR/40-trino/" >/dev/null
  # A changed catalog ConfigMap only takes effect in a new pod.
  kubectl rollout restart deployment/trino -n trino >/dev/null
  kubectl rollout status deployment/trino -n trino --timeout="$WAIT_TIMEOUT" >/dev/null

  step "Trino lake objects: lake.raw tables, lake.events and lake.serving views (Job trino-lake)"
  kubectl apply -f "$RENDER_DIR/45-trino-lake/lake-configmap.yaml" >/dev/null
  run_job "$RENDER_DIR/45-trino-lake/lake-job.yaml" trino trino-lake

  step "Airflow ${AIRFLOW_VERSION}"
  kubectl apply -f "$RENDER_DIR/50-airflow/dags-configmap.yaml" -f "$RENDER_DIR/50-airflow/postgres.yaml" >/dev/null
  kubectl rollout status statefulset/airflow-postgres -n airflow --timeout="$WAIT_TIMEOUT" >/dev/null
  kubectl apply -f "$RENDER_DIR/50-airflow/airflow.yaml" >/dev/null
  kubectl rollout status deployment/airflow -n airflow --timeout="$WAIT_TIMEOUT" >/dev/null
}

install_monitoring() {
  step "Monitoring: Prometheus ${PROMETHEUS_VERSION}, Pushgateway ${PUSHGATEWAY_VERSION}, Grafana ${GRAFANA_VERSION}"
  kubectl apply -f "$RENDER_DIR/60-monitoring/" >/dev/null
  # A changed scrape config or provisioning file only takes effect in a new pod (dashboards reload by themselves).
  kubectl rollout restart deployment/prometheus deployment/grafana -n monitoring >/dev/null
  kubectl rollout status deployment/pushgateway -n monitoring --timeout="$WAIT_TIMEOUT" >/dev/null
  kubectl rollout status deployment/prometheus -n monitoring --timeout="$WAIT_TIMEOUT" >/dev/null
  kubectl rollout status deployment/grafana -n monitoring --timeout="$WAIT_TIMEOUT" >/dev/null
}

build_functions() {
  [[ -n "$BUILD" ]] || { info "--skip-build: using images tagged $IMAGE_TAG"; return; }
  step "build functions (tag $IMAGE_TAG)"
  (cd "$ROOT" && { [[ -d node_modules ]] || npm ci; } && npm run -s build)
  local push=() name image
  if [[ "$REGISTRY" == "dev.local" ]]; then
    [[ -n "$USE_MINIKUBE" ]] || die "REGISTRY=dev.local builds into minikube's Docker; set REGISTRY for another cluster"
    # Build straight into minikube's Docker daemon: no registry, and Knative skips tag resolution
    # for dev.local images (config-deployment registries-skipping-tag-resolving).
    eval "$(minikube -p "$MINIKUBE_PROFILE" docker-env)"
  else
    push=(--push)
  fi
  for name in "${FUNCTIONS[@]}"; do
    image="${REGISTRY}/ula-${name}:${IMAGE_TAG}"
    info "func build functions/$name → $image"
    func build --path "$ROOT/functions/$name" --image "$image" "${push[@]}"
  done
}

deploy_functions() {
  step "functions and eventing (namespace $ULA_NAMESPACE)"
  kubectl apply -k "$RENDER_DIR/eventing" >/dev/null
  info "waiting for Knative Services, KafkaSinks (dead letters, xapi's categories), KafkaSources and JobSink to be Ready"
  kubectl wait ksvc --all -n "$ULA_NAMESPACE" --for=condition=Ready --timeout="$WAIT_TIMEOUT" >/dev/null
  kubectl wait kafkasink --all -n "$ULA_NAMESPACE" --for=condition=Ready --timeout="$WAIT_TIMEOUT" >/dev/null
  kubectl wait kafkasource --all -n "$ULA_NAMESPACE" --for=condition=Ready --timeout="$WAIT_TIMEOUT" >/dev/null
  kubectl wait jobsink/batch-jobs -n "$ULA_NAMESPACE" --for=condition=Ready --timeout="$WAIT_TIMEOUT" >/dev/null
}

print_access() {
  local url xapi_url ip=""
  url="$(kubectl get ksvc serving -n "$ULA_NAMESPACE" -o jsonpath='{.status.url}')"
  xapi_url="$(kubectl get ksvc xapi -n "$ULA_NAMESPACE" -o jsonpath='{.status.url}')"
  if [[ -n "$USE_MINIKUBE" ]]; then ip="$(minikube -p "$MINIKUBE_PROFILE" ip)"; fi
  step "deployed"
  cat >&2 <<EOF
    API + dashboard  $url
                     (run 'minikube tunnel -p $MINIKUBE_PROFILE' in another terminal first; or:
                      kubectl port-forward -n kourier-system svc/kourier 8081:80 and
                      curl -H "Host: ${url#http://}" http://localhost:8081/ )
                     API tokens (docs/serving.md#auth-and-cors): read (the dashboard), admin, privacy:
                     kubectl get secret ula-api -n $ULA_NAMESPACE -o jsonpath='{.data.read-token}' | base64 -d
    xAPI (LRS)       ${xapi_url}/xapi   (the LMS's LRS endpoint; HTTP Basic, docs/xapi.md)
                     user:     kubectl get secret ula-xapi -n $ULA_NAMESPACE -o jsonpath='{.data.username}' | base64 -d
                     password: kubectl get secret ula-xapi -n $ULA_NAMESPACE -o jsonpath='{.data.password}' | base64 -d
    Airflow UI       kubectl port-forward -n airflow svc/airflow 8082:8080  → http://localhost:8082 (user admin)
                     password: kubectl get secret airflow-secrets -n airflow -o jsonpath='{.data.admin-password}' | base64 -d
    Trino            kubectl port-forward -n trino svc/trino 8443:8443      → https://localhost:8443/ui
                     (users and passwords: kubectl get secret trino-users -n trino -o yaml; CA: secret trino-tls)
    Grafana          kubectl port-forward -n monitoring svc/grafana 3000:3000 → http://localhost:3000 (user admin)
                     password: kubectl get secret grafana-admin -n monitoring -o jsonpath='{.data.admin-password}' | base64 -d
    Prometheus       kubectl port-forward -n monitoring svc/prometheus 9090:9090 → http://localhost:9090/targets
    MinIO console    kubectl port-forward -n minio svc/minio 9001:9001      → http://localhost:9001
                     user: kubectl get secret minio-root -n minio -o jsonpath='{.data.root-user}' | base64 -d
    Cassandra        kubectl exec -it -n cassandra cassandra-0 -- cqlsh -u ula -p "\$(kubectl get secret ula-cassandra -n cassandra -o jsonpath='{.data.password}' | base64 -d)"
    Kafka (host)     ${ip:-<node ip>}:30092   (in cluster: $KAFKA_BOOTSTRAP); SASL/SCRAM-SHA-512 over TLS:
                     user, password and ca.crt in the Secret ula-kafka (docs/deployment.md#kafka-security)

    kn service list -n $ULA_NAMESPACE
    kn service describe ingest -n $ULA_NAMESPACE
    kn source kafka list -n $ULA_NAMESPACE        (plugin kn-source-kafka)
    kn source list -n $ULA_NAMESPACE
    kubectl get kafkasink,jobsink -n $ULA_NAMESPACE
    kn func invoke --path functions/ingest -t remote -f cloudevent --type edu.lms.video.video_watched --source /lms/video --data '{...}'
    More in docs/deployment.md.
EOF
}

# ---------------------------------------------------------------------------------------------------
preflight
start_minikube
RENDER_DIR="$(mktemp -d)"
trap 'rm -rf "$RENDER_DIR"' EXIT
render_all "$RENDER_DIR"
install_knative
install_kafka
step "secrets (generated only when absent)"
kubectl apply -f "$RENDER_DIR/eventing/namespace.yaml" >/dev/null
ensure_secrets
install_storage
install_query_and_orchestration
install_monitoring
build_functions
deploy_functions
print_access
