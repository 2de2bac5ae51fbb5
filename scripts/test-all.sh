#!/usr/bin/env bash
# `npm test`: lint, unit tests, then the real local stack (Kafka, Cassandra, S3, Trino, Airflow) and
# every integration test against it, the Airflow DAG tests and the deployment's static checks.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m (%ss)\n' "$1" "$SECONDS"; }

step lint
npm run -s lint
step build
npm run -s build
step "unit tests"
npx vitest run --project unit

step "local stack up"
bash scripts/stack/stack.sh up
if [[ "${ULA_KEEP_STACK:-}" != "1" ]]; then trap 'bash scripts/stack/stack.sh down' EXIT; fi
# shellcheck source=scripts/stack/lib.sh
source scripts/stack/lib.sh # the local stack's S3 credentials (AWS_ACCESS_KEY_ID, …)
export ULA_KAFKA_BROKERS="${ULA_KAFKA_BROKERS:-127.0.0.1:9092}"
export ULA_CASSANDRA_CONTACT_POINTS="${ULA_CASSANDRA_CONTACT_POINTS:-127.0.0.1}"
export ULA_S3_ENDPOINT="${ULA_S3_ENDPOINT:-http://127.0.0.1:9000}"
# Trino: the tests log in as the stack's users (.stack/trino/credentials/<user>.env, trino-access.ts).

step "integration tests"
npx vitest run --project integration

step "function images: each folder installed and started as the Node buildpack does, on the local stack"
npx tsx scripts/image-check/main.ts

step "post-deploy check against the local stack"
bash scripts/verify_deploy.sh --local --timeout 30

step "airflow DAG tests"
.cache/airflow-venv/bin/python -m pytest airflow/tests -q

step "deployment static checks"
bash scripts/k8s/check.sh

step "all tests passed"
