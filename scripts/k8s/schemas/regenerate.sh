#!/usr/bin/env bash
# Regenerates scripts/k8s/schemas/json/ (the JSON schemas kubeconform validates against) from sources
# reachable through package registries only:
#   Kubernetes built-ins  k8s.io/kubernetes@$K8S_MODULE (Go module proxy): api/openapi-spec/swagger.json
#   Knative Service       knative.dev/serving@$SERVING_MODULE: config/core/300-resources/service.yaml
#   JobSink               knative.dev/eventing@$EVENTING_MODULE: config/core/resources/jobsink.yaml
#   Strimzi CRDs          io.strimzi:api + io.strimzi:crd-generator $STRIMZI_VERSION (Maven Central), run
#                         with a JDK >= 21 (the generator's class files are Java 21)
#   KafkaSource/KafkaSink handwritten/kafka-source-sink.crd.yaml (the eventing-kafka-broker Go module is
#                         not served), or the release's CRDs when given: --kafka-crds FILE...
# Usage: scripts/k8s/schemas/regenerate.sh [--kafka-crds eventing-kafka-controller.yaml ...]
# Versions must match scripts/deploy_minikube.sh (check.sh compares them).
set -euo pipefail

K8S_MODULE=v1.34.4        # Kubernetes minor deployed by deploy_minikube.sh (K8S_VERSION)
SERVING_MODULE=v0.50.0    # = Knative Serving knative-v1.23.x
EVENTING_MODULE=v0.50.0   # = Knative Eventing knative-v1.23.x
STRIMZI_VERSION=1.2.0

here="$(cd "$(dirname "$0")" && pwd)"
kafka_crds=("$here/handwritten/kafka-source-sink.crd.yaml")
if [[ "${1:-}" == "--kafka-crds" ]]; then
  shift
  kafka_crds=("$@")
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

module_dir() { # module@version → extracted directory in the Go module cache
  go mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit(d.get("Error")))'
}

echo "Go modules: k8s.io/kubernetes@$K8S_MODULE knative.dev/serving@$SERVING_MODULE knative.dev/eventing@$EVENTING_MODULE" >&2
k8s="$(module_dir "k8s.io/kubernetes@$K8S_MODULE")"
serving="$(module_dir "knative.dev/serving@$SERVING_MODULE")"
eventing="$(module_dir "knative.dev/eventing@$EVENTING_MODULE")"

echo "Maven: io.strimzi:api and io.strimzi:crd-generator $STRIMZI_VERSION" >&2
mvn -q -f "$here/strimzi-crds.pom.xml" -Dstrimzi.version="$STRIMZI_VERSION" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$work/lib"
java="${JAVA_21_PLUS:-}"
if [[ -z "$java" ]]; then
  for candidate in /usr/lib/jvm/temurin-25*/bin/java /usr/lib/jvm/*-2[1-9]*/bin/java "$(command -v java || true)"; do
    [[ -x "$candidate" ]] || continue
    major="$("$candidate" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
    if [[ "${major:-0}" -ge 21 ]]; then java="$candidate"; break; fi
  done
fi
[[ -n "$java" ]] || { echo "need a JDK >= 21 for Strimzi's CRD generator (set JAVA_21_PLUS=/path/to/java)" >&2; exit 1; }
"$java" -cp "$work/lib/*" io.strimzi.crdgenerator.CrdGenerator --yaml --api-versions v1 --storage-version v1 \
  io.strimzi.api.kafka.model.kafka.Kafka="$work/strimzi-kafka.yaml" \
  io.strimzi.api.kafka.model.nodepool.KafkaNodePool="$work/strimzi-kafkanodepool.yaml" \
  io.strimzi.api.kafka.model.topic.KafkaTopic="$work/strimzi-kafkatopic.yaml" \
  io.strimzi.api.kafka.model.user.KafkaUser="$work/strimzi-kafkauser.yaml"

crd_args=()
for f in "$serving/config/core/300-resources/service.yaml" "$eventing/config/core/resources/jobsink.yaml" \
  "$work/strimzi-kafka.yaml" "$work/strimzi-kafkanodepool.yaml" "$work/strimzi-kafkatopic.yaml" \
  "$work/strimzi-kafkauser.yaml" "${kafka_crds[@]}"; do
  crd_args+=(--crd "$f")
done
rm -rf "$here/json"
python3 "$here/generate.py" --swagger "$k8s/api/openapi-spec/swagger.json" --out "$here/json" "${crd_args[@]}"
echo "schemas written to $here/json" >&2
