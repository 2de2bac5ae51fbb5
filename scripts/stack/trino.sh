# shellcheck shell=bash
# Trino 476, one coordinator+worker node on 127.0.0.1:8080, on the Temurin 25 JDK.
# Installed from Maven Central: io.trino:trino-server:476:tar.gz (the whole server, ~821 MB; 476 is the
# last release on Central, and io.trino:trino-cassandra is not served there as a separate plugin zip).
# Only lib/, bin/ and the plugins cassandra, hive and tpch are kept (.cache/trino-server-476, ~410 MB);
# the tarball is deleted after unpacking (TRINO_KEEP_TARBALL=1 keeps it).
# Catalogs: trino/catalog/local/*.properties are copied into .stack/trino/etc/catalog/ at each start.
# Init: lake.raw.<category> and lake.events.<category> (scripts/trino-lake.ts) once Trino is healthy.

TRINO_VERSION="${TRINO_VERSION:-476}"
TRINO_PORT=8080
TRINO_HEAP="${TRINO_HEAP:-2G}"
TRINO_HOME="$STACK_CACHE/trino-server-$TRINO_VERSION"
TRINO_PLUGINS="${TRINO_PLUGINS:-cassandra hive tpch}"
TRINO_CATALOGS="${TRINO_CATALOGS:-$STACK_ROOT/trino/catalog/local}"

trino_install() {
  [[ -f "$TRINO_HOME/.complete" ]] && return 0
  need_cmd tar "tar is required to unpack Trino"
  log "trino: fetching io.trino:trino-server:$TRINO_VERSION:tar.gz (~821 MB) from Maven"
  local tgz tmp
  tgz="$(mvn_get_file "io.trino:trino-server:$TRINO_VERSION:tar.gz")" || return 1
  log "trino: unpacking (plugins: $TRINO_PLUGINS)"
  tmp="$STACK_CACHE/.trino-unpack.$$"
  rm -rf "$tmp" "$TRINO_HOME"
  mkdir -p "$tmp"
  # Plugin jars are hard links across plugin folders in the tarball, so unpack everything, then prune.
  tar xzf "$tgz" -C "$tmp" || { err "trino: could not unpack $tgz"; rm -rf "$tmp"; return 1; }
  local root="$tmp/trino-server-$TRINO_VERSION" p keep
  for p in "$root"/plugin/*; do
    keep=0
    for k in $TRINO_PLUGINS; do [[ "$(basename "$p")" == "$k" ]] && keep=1; done
    ((keep)) || rm -rf "$p"
  done
  mv "$root" "$TRINO_HOME"
  rm -rf "$tmp"
  [[ "${TRINO_KEEP_TARBALL:-0}" == 1 ]] || rm -f "$tgz"
  touch "$TRINO_HOME/.complete"
}

_trino_etc() {
  local d="$1"
  mkdir -p "$d/etc/catalog" "$d/data" "$d/logs"
  cat >"$d/etc/node.properties" <<EOF
node.environment=ula_local
node.id=ula-local-1
node.data-dir=$d/data
node.bind-ip=127.0.0.1
node.internal-address=127.0.0.1
EOF
  cat >"$d/etc/jvm.config" <<EOF
-server
-Xms$TRINO_HEAP
-Xmx$TRINO_HEAP
-XX:InitialRAMPercentage=10
-XX:G1HeapRegionSize=32M
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
-XX:+EnableDynamicAgentLoading
--add-modules=jdk.incubator.vector
-XX:+UseG1GC
${TRINO_JIT_OPTS--XX:TieredStopAtLevel=1}
-Djava.net.preferIPv4Stack=true
EOF
  cat >"$d/etc/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$TRINO_PORT
discovery.uri=http://127.0.0.1:$TRINO_PORT
query.max-memory=1GB
query.max-memory-per-node=768MB
task.concurrency=2
task.max-worker-threads=4
http-server.log.enabled=false
EOF
  cat >"$d/etc/log.properties" <<EOF
io.trino=INFO
io.airlift=WARN
org.apache.parquet=WARN
com.datastax=WARN
EOF
  rm -f "$d/etc/catalog/"*.properties
  cp "$TRINO_CATALOGS"/*.properties "$d/etc/catalog/"
}

trino_start() {
  local d java
  d="$(svc_dir trino)"
  java="$(java25)"
  port_free_or_die trino "$TRINO_PORT"
  [[ -d "$TRINO_CATALOGS" ]] || { err "trino: catalog folder $TRINO_CATALOGS missing"; return 1; }
  _trino_etc "$d"
  local jvm=() line
  while IFS= read -r line; do [[ -n "$line" ]] && jvm+=("$line"); done <"$d/etc/jvm.config"
  local props=()
  while IFS= read -r line; do [[ -n "$line" && "$line" != \#* ]] && props+=("-D$line"); done <"$d/etc/node.properties"
  start_bg trino "$d/trino.log" env AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
    "$java" -cp "$TRINO_HOME/lib/*" "${jvm[@]}" "${props[@]}" \
    "-Dlog.levels-file=$d/etc/log.properties" "-Dconfig=$d/etc/config.properties" \
    "-Dlog.output-file=$d/logs/server.log" -Dlog.enable-console=false \
    "-Dcatalog.config-dir=$d/etc/catalog" "-Dplugin.dir=$TRINO_HOME/plugin" \
    io.trino.server.TrinoServer
}

# Health = GET /v1/info not starting, then SELECT 1 through the statement API (result must be 1).
trino_health() { probe trino "http://127.0.0.1:$TRINO_PORT"; }

# Init = the lake's Trino objects, scripts/trino-lake.ts (idempotent): the raw lake's tables (partition
# projection; a raw table of an older layout is re-created) and one-row-per-event views lake.events.*, then
# the merged views lake.serving.* over the Cassandra keyspace. Needs S3 (the file metastore lives there);
# the serving views need Cassandra's schema, which cassandra_init applies: wait for its result first.
trino_init() {
  if ! declare -F s3_health >/dev/null || ! s3_health >/dev/null 2>&1; then
    echo "notice: S3 is not up; lake.raw / lake.events / lake.serving not applied (npx tsx scripts/trino-lake.ts)"
    return 0
  fi
  local serving=() i
  if declare -F cassandra_health >/dev/null && cassandra_health >/dev/null 2>&1; then
    # Being brought up in this run: its init (the schema) writes up.result when done.
    if declare -F has >/dev/null && has cassandra; then
      for ((i = 0; i < 600; i++)); do
        [[ -e "$(svc_dir cassandra)/up.result" ]] && break
        sleep 0.5
      done
    fi
  else
    echo "notice: Cassandra is not up; lake.serving views not applied (npx tsx scripts/trino-lake.ts)"
    serving=(--no-serving)
  fi
  (cd "$STACK_ROOT" && node --no-warnings --import tsx scripts/trino-lake.ts "${serving[@]}")
}

trino_stop() { stop_pidfile trino 30; }

trino_describe() { printf 'Trino %s http://127.0.0.1:%s' "$TRINO_VERSION" "$TRINO_PORT"; }
