# shellcheck shell=bash
# Apache Cassandra 5.0.x, one node on 127.0.0.1 (CQL 9042, storage 7000, JMX 7199 on loopback), Java 17.
# Installed from Maven Central: org.apache.cassandra:cassandra-all + its runtime dependencies (the same
# jars as the binary distribution's lib/), run as org.apache.cassandra.service.CassandraDaemon.
# After it is healthy, cassandra/schema.cql is applied with scripts/stack/apply-schema.mjs.

CASSANDRA_VERSION="${CASSANDRA_VERSION:-5.0.8}"
CASSANDRA_PORT=9042
CASSANDRA_STORAGE_PORT=7000
CASSANDRA_JMX_PORT=7199
CASSANDRA_HEAP="${CASSANDRA_HEAP:-1G}"
CASSANDRA_HEAP_NEW="${CASSANDRA_HEAP_NEW:-256M}"
CASSANDRA_HOME="$STACK_CACHE/cassandra-$CASSANDRA_VERSION"
CASSANDRA_SCHEMA="${CASSANDRA_SCHEMA:-$STACK_ROOT/cassandra/schema.cql}"

cassandra_install() {
  [[ -f "$CASSANDRA_HOME/.complete" ]] && return 0
  log "cassandra: fetching cassandra-all:$CASSANDRA_VERSION and runtime deps from Maven"
  rm -rf "$CASSANDRA_HOME"
  mvn_copy_deps "cassandra-$CASSANDRA_VERSION" "$CASSANDRA_HOME/lib" "
    <dependency><groupId>org.apache.cassandra</groupId><artifactId>cassandra-all</artifactId><version>$CASSANDRA_VERSION</version></dependency>" || return 1
  ls "$CASSANDRA_HOME"/lib/jamm-*.jar >/dev/null 2>&1 || { err "cassandra: jamm jar missing from the resolved deps"; return 1; }
  touch "$CASSANDRA_HOME/.complete"
}

_cassandra_config() {
  local d="$1"
  mkdir -p "$d/conf" "$d/data" "$d/logs"
  cat >"$d/conf/cassandra.yaml" <<EOF
cluster_name: ula-local
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:$CASSANDRA_STORAGE_PORT"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $CASSANDRA_STORAGE_PORT
native_transport_port: $CASSANDRA_PORT
start_native_transport: true
data_file_directories:
  - $d/data/data
commitlog_directory: $d/data/commitlog
saved_caches_directory: $d/data/saved_caches
hints_directory: $d/data/hints
cdc_raw_directory: $d/data/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 8MiB
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 8
concurrent_compactors: 1
# The speed layer writes a steady stream of small rows: with 128 MiB of on-heap memtables Cassandra flushed
# a 2 MB SSTable every ~3 s and compacted them as often. Cells off-heap, larger memtables, fewer flushes.
memtable_allocation_type: offheap_objects
memtable_heap_space: 256MiB
memtable_offheap_space: 512MiB
key_cache_size: 16MiB
counter_cache_size: 8MiB
# Small single-node test cluster: no materialized views / SASI limits relaxed for dev use.
materialized_views_enabled: true
sasi_indexes_enabled: true
user_defined_functions_enabled: false
# One node: no gossip wait, no hinted handoff needed.
hinted_handoff_enabled: false
dynamic_snitch: false
auto_snapshot: false
snapshot_on_duplicate_row_detection: false
disk_access_mode: mmap_index_only
read_request_timeout: 10000ms
write_request_timeout: 5000ms
range_request_timeout: 20000ms
request_timeout: 20000ms
# The speed function writes one window's fact rows as single-partition batches of up to 400 rows.
batch_size_warn_threshold: 64KiB
batch_size_fail_threshold: 640KiB
EOF
  cat >"$d/conf/logback.xml" <<EOF
<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>$d/logs/system.log</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>WARN</level></filter>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="FILE"/><appender-ref ref="STDOUT"/></root>
  <logger name="org.apache.cassandra" level="INFO"/>
</configuration>
EOF
}

cassandra_start() {
  local d jamm
  d="$(svc_dir cassandra)"
  port_free_or_die cassandra "$CASSANDRA_PORT"
  port_free_or_die cassandra "$CASSANDRA_STORAGE_PORT"
  _cassandra_config "$d"
  jamm="$(find "$CASSANDRA_HOME/lib" -name 'jamm-*.jar' | head -n1)"
  # shellcheck disable=SC2206 # CASSANDRA_JIT_OPTS is a list of flags, split on purpose
  local opts=(
    -ea -da:net.openhft... -Xss256k -XX:+UseThreadPriorities -XX:+PerfDisableSharedMem
    -XX:+UseG1GC -XX:MaxGCPauseMillis=300 -XX:+ParallelRefProcEnabled -XX:+HeapDumpOnOutOfMemoryError -XX:+CrashOnOutOfMemoryError
    "-Xms$CASSANDRA_HEAP" "-Xmx$CASSANDRA_HEAP" "-Xmn$CASSANDRA_HEAP_NEW"
    -XX:ReservedCodeCacheSize=128M -XX:CICompilerCount=2 ${CASSANDRA_JIT_OPTS--XX:TieredStopAtLevel=1}
    -Djava.net.preferIPv4Stack=true -Djdk.attach.allowAttachSelf=true "-javaagent:$jamm"
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
    --add-exports java.sql/java.sql=ALL-UNNAMED
    --add-exports java.base/java.lang.ref=ALL-UNNAMED
    --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
    --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
    --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
    --add-opens java.base/java.lang.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
    --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
    --add-opens java.base/jdk.internal.math=ALL-UNNAMED
    --add-opens java.base/jdk.internal.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens java.base/java.io=ALL-UNNAMED
    --add-opens java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED
    --add-opens java.base/java.util=ALL-UNNAMED
    --add-opens java.base/java.nio=ALL-UNNAMED
    --add-opens java.base/java.util.concurrent=ALL-UNNAMED
    --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED
    -Dio.netty.tryReflectionSetAccessible=true -Dio.netty.allocator.useCacheForAllThreads=true -Dio.netty.allocator.maxOrder=11
    "-Dcassandra.config=file://$d/conf/cassandra.yaml"
    "-Dcassandra.storagedir=$d/data"
    "-Dcassandra.logdir=$d/logs"
    "-Dlogback.configurationFile=$d/conf/logback.xml"
    -Dcassandra-foreground=yes
    -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.ring_delay_ms=100 -Dcassandra.load_ring_state=false
    -Dcassandra.initial_token=0 -Dcassandra.superuser_setup_delay_ms=0
    "-Dcassandra.jmx.local.port=$CASSANDRA_JMX_PORT" -Dcom.sun.management.jmxremote.authenticate=false
    -Djava.rmi.server.hostname=127.0.0.1
    -Dcassandra.disable_auth_caches_remote_configuration=true
  )
  start_bg cassandra "$d/cassandra.log" "$(java17)" "${opts[@]}" -cp "$d/conf:$CASSANDRA_HOME/lib/*" \
    org.apache.cassandra.service.CassandraDaemon
}

# Health = the CQL query SELECT release_version FROM system.local answered (cassandra-driver).
cassandra_health() { probe cassandra "127.0.0.1:$CASSANDRA_PORT"; }

cassandra_init() {
  if [[ ! -f "$CASSANDRA_SCHEMA" ]]; then
    echo "notice: $CASSANDRA_SCHEMA not found; schema not applied"
    return 0
  fi
  node --no-warnings "$STACK_SCRIPTS/apply-schema.mjs" "$CASSANDRA_SCHEMA"
}

cassandra_stop() { stop_pidfile cassandra 45; }

cassandra_describe() { printf 'Cassandra %s 127.0.0.1:%s (storage :%s)' "$CASSANDRA_VERSION" "$CASSANDRA_PORT" "$CASSANDRA_STORAGE_PORT"; }
