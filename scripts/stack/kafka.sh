# shellcheck shell=bash
# Apache Kafka 4.x, KRaft, one combined broker+controller node on 127.0.0.1:9092 (controller 9093).
# Installed from Maven Central (org.apache.kafka:kafka_2.13 + runtime deps), run as `kafka.Kafka`.

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
KAFKA_HEAP="${KAFKA_HEAP:-640m}"
KAFKA_HOME="$STACK_CACHE/kafka-$KAFKA_VERSION"
# topic:partitions (replication factor 1: one broker)
KAFKA_TOPICS="${KAFKA_TOPICS:-auth_topic:3 assessment_topic:5 video_topic:5 course_topic:3 profile_topic:2 notification_topic:3 dead_letter_topic:3}"

# Kafka's own producer benchmark (kafka-tools ProducerPerformance), kept apart from the broker's classpath:
# the peer of the generator's Kafka benchmark (scripts/bench/generator.bench.ts).
KAFKA_TOOLS="$KAFKA_HOME/tools"

kafka_install() {
  if [[ ! -f "$KAFKA_HOME/.complete" ]]; then
    log "kafka: fetching kafka_2.13:$KAFKA_VERSION and runtime deps from Maven"
    rm -rf "$KAFKA_HOME"
    mvn_copy_deps "kafka-$KAFKA_VERSION" "$KAFKA_HOME/libs" "
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>" || return 1
    # One slf4j binding only (log4j2's); drop any stray ones.
    rm -f "$KAFKA_HOME"/libs/slf4j-reload4j-*.jar "$KAFKA_HOME"/libs/logback-classic-*.jar "$KAFKA_HOME"/libs/slf4j-simple-*.jar
    touch "$KAFKA_HOME/.complete"
  fi
  if [[ ! -f "$KAFKA_TOOLS/.complete" ]]; then
    log "kafka: fetching kafka-tools:$KAFKA_VERSION (producer benchmark) from Maven"
    rm -rf "$KAFKA_TOOLS"
    mvn_copy_deps "kafka-tools-$KAFKA_VERSION" "$KAFKA_TOOLS" "
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>" || return 1
    touch "$KAFKA_TOOLS/.complete"
  fi
}

_kafka_java() {
  local d
  d="$(svc_dir kafka)"
  "$(java17)" -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
    -Dlog4j2.configurationFile="$d/log4j2.properties" -Dkafka.logs.dir="$d/logs" \
    -cp "$KAFKA_HOME/libs/*" "$@"
}

kafka_start() {
  local d
  d="$(svc_dir kafka)"
  mkdir -p "$d/data" "$d/logs"
  port_free_or_die kafka "$KAFKA_PORT"
  port_free_or_die kafka "$KAFKA_CONTROLLER_PORT"
  cat >"$d/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$d/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=24
log.segment.bytes=67108864
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
EOF
  cat >"$d/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $d/logs/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.apache.name = org.apache.kafka
logger.apache.level = INFO
logger.zk.name = state.change.logger
logger.zk.level = WARN
logger.req.name = kafka.request.logger
logger.req.level = WARN
EOF
  if [[ ! -f "$d/data/meta.properties" ]]; then
    local cid
    cid="$(_kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
    [[ -n "$cid" ]] || { err "kafka: StorageTool random-uuid failed"; return 1; }
    _kafka_java kafka.tools.StorageTool format --standalone --ignore-formatted -t "$cid" -c "$d/server.properties" \
      >>"$d/kafka.log" 2>&1 || { err "kafka: storage format failed (see $d/kafka.log)"; tail -5 "$d/kafka.log" >&2; return 1; }
  fi
  # shellcheck disable=SC2086 # KAFKA_JIT_OPTS: word list; default C1 only (faster start on 2 cores), "" = full JIT
  start_bg kafka "$d/kafka.log" "$(java17)" -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 ${KAFKA_JIT_OPTS--XX:TieredStopAtLevel=1} \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
    -Dlog4j2.configurationFile="$d/log4j2.properties" -Dkafka.logs.dir="$d/logs" \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$d/server.properties"
}

# Health = a real Metadata request answered by the broker (topic list through kafkajs' admin client).
kafka_health() { probe kafka "127.0.0.1:$KAFKA_PORT"; }

# Creates the project's topics (idempotent: existing topics are left as they are).
# shellcheck disable=SC2086 # KAFKA_TOPICS is a list of topic specs, split on purpose
kafka_init() { probe kafka-topics "127.0.0.1:$KAFKA_PORT" $KAFKA_TOPICS; }

kafka_stop() { stop_pidfile kafka 30; }

kafka_describe() { printf 'Kafka %s (KRaft) 127.0.0.1:%s, controller :%s' "$KAFKA_VERSION" "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; }
