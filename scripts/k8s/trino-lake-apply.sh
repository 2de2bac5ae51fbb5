#!/usr/bin/env bash
# Creates the lake's Trino objects from the generated SQL files with the Trino CLI. Run in the cluster by
# the Job trino/trino-lake of scripts/deploy_minikube.sh (image trinodb/trino, which carries the CLI as
# `trino`; this script and the files come from the ConfigMap trino-lake), and usable by hand:
#
#   TRINO_SERVER=https://127.0.0.1:8443 TRINO_USER=ula_admin TRINO_PASSWORD=… TRINO_TRUSTSTORE=ca.pem \
#     TRINO_CLI="java -jar trino-cli-476-executable.jar" bash scripts/k8s/trino-lake-apply.sh DIR
#
# TRINO_PASSWORD set: the CLI logs in with it (it reads the variable itself: --password), trusting the PEM
# CA of TRINO_TRUSTSTORE; the user must be allowed to create the lake's objects (trino/security: ula_admin).
#
# DIR holds raw_tables.sql (lake.raw.<category> tables with partition projection, lake.events.<category>
# views) and serving_views.sql (lake.serving.* merged views, time zone filled in), i.e. trino/lake/*.sql as
# the deploy renders them. Both are generated from TypeScript (`npx tsx scripts/trino-lake.ts --write`).
#
# Steps: wait until Trino answers queries (it answers "still initializing" for a while after a start);
# drop every lake.raw table whose comment differs from the one in raw_tables.sql (created by an older
# version: the comment carries a [layout …] hash of the DDL, and Hive tables cannot be altered in place;
# the tables are external, so their Parquet files stay); apply raw_tables.sql, then serving_views.sql
# (CREATE … IF NOT EXISTS / CREATE OR REPLACE VIEW: idempotent); finally check that every table and view
# the files name exists. Exits non-zero on any failure (the Job then fails and the deploy shows its log).
# Pure bash + the CLI: the image has no awk/sed guarantees.
set -euo pipefail

dir="${1:-/etc/trino-lake}"
server="${TRINO_SERVER:-https://trino.trino.svc.cluster.local:8443}"
user="${TRINO_USER:-ula_admin}"
attempts="${TRINO_WAIT_ATTEMPTS:-60}"
read -r -a cli <<<"${TRINO_CLI:-trino}"

auth=()
if [[ -n "${TRINO_PASSWORD:-}" ]]; then auth+=(--password); fi
if [[ -n "${TRINO_TRUSTSTORE:-}" ]]; then auth+=(--truststore-path "$TRINO_TRUSTSTORE"); fi
trino_cli() { "${cli[@]}" --server "$server" --user "$user" "${auth[@]}" "$@"; }
query() { trino_cli --output-format TSV --execute "$1"; }

for file in raw_tables.sql serving_views.sql; do
  [[ -s "$dir/$file" ]] || { echo "trino-lake: $dir/$file is missing or empty" >&2; exit 1; }
done

# 1. Trino answers queries.
for ((i = 1; ; i++)); do
  if out="$(query 'SELECT 1')" && [[ "$out" == 1 ]]; then break; fi
  if ((i >= attempts)); then
    echo "trino-lake: Trino at $server does not answer queries (last answer: ${out:-none})" >&2
    exit 1
  fi
  echo "trino-lake: waiting for Trino at $server ($i/$attempts)"
  sleep 5
done

# 2. Expected comment of each raw table, and every object the files create.
declare -A comment_of=()
objects=()
table=""
while IFS= read -r line; do
  if [[ "$line" =~ ^CREATE\ TABLE\ IF\ NOT\ EXISTS\ ([A-Za-z0-9_.]+) ]]; then
    table="${BASH_REMATCH[1]}"
    objects+=("$table")
  elif [[ -n "$table" && "$line" =~ ^COMMENT\ \'(.*)\'$ ]]; then
    comment_of[$table]="${BASH_REMATCH[1]}"
    table=""
  elif [[ "$line" =~ ^CREATE\ OR\ REPLACE\ VIEW\ ([A-Za-z0-9_.]+) ]]; then
    objects+=("${BASH_REMATCH[1]}")
  fi
done < <(cat "$dir/raw_tables.sql" "$dir/serving_views.sql")
((${#comment_of[@]} > 0)) || { echo "trino-lake: no raw table found in $dir/raw_tables.sql" >&2; exit 1; }

# 3. Raw tables of an older layout: dropped (external tables: the files stay), re-created below.
existing="$(query "SELECT 'lake.raw.' || table_name, coalesce(comment, '') FROM system.metadata.table_comments
  WHERE catalog_name = 'lake' AND schema_name = 'raw'")"
while IFS=$'\t' read -r name comment; do
  [[ -n "$name" && -n "${comment_of[$name]+set}" ]] || continue
  if [[ "$comment" != "${comment_of[$name]}" ]]; then
    echo "trino-lake: $name has an older layout: drop and re-create (its Parquet files stay)"
    query "DROP TABLE IF EXISTS $name" >/dev/null
  fi
done <<<"$existing"

# 4. Apply (the CLI stops at the first failing statement and exits non-zero).
echo "trino-lake: applying raw_tables.sql (lake.raw tables, lake.events views)"
trino_cli -f "$dir/raw_tables.sql" >/dev/null
echo "trino-lake: applying serving_views.sql (lake.serving views)"
trino_cli -f "$dir/serving_views.sql" >/dev/null

# 5. Everything named in the files exists.
present="$(query "SELECT 'lake.' || table_schema || '.' || table_name FROM lake.information_schema.tables
  WHERE table_schema IN ('raw', 'events', 'serving')")"
declare -A have=()
while IFS= read -r name; do [[ -n "$name" ]] && have[$name]=1; done <<<"$present"
missing=()
for name in "${objects[@]}"; do
  [[ -n "${have[$name]+set}" ]] || missing+=("$name")
done
if ((${#missing[@]} > 0)); then
  echo "trino-lake: missing after apply: ${missing[*]}" >&2
  exit 1
fi
echo "trino-lake: ${#objects[@]} tables and views present (lake.raw, lake.events, lake.serving)"
