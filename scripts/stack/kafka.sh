# shellcheck shell=bash
# Apache Kafka 4.x, KRaft, one combined broker+controller node on 127.0.0.1:9092 (controller 9093).
# Installed from Maven Central (org.apache.kafka:kafka_2.13 + runtime deps), run as `kafka.Kafka`.
# A second listener, SASL_SSL with SCRAM-SHA-512 on 127.0.0.1:9094, is the deploy's client security
# (Strimzi's `tls` listener) on a real broker: its self-signed certificate, its user's password and the
# client settings (.stack/kafka/sasl/client.env, ULA_KAFKA_* variables) are generated at the first start,
# files 0600; the SCRAM credential is (re)applied by kafka_init. The plaintext listener stays as it was.

KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_SASL_PORT="${KAFKA_SASL_PORT:-9094}"
KAFKA_SASL_USER="${KAFKA_SASL_USER:-ula}"
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

# The SASL_SSL listener's secrets, generated once per state dir (0600, never in the repository): a
# self-signed certificate for 127.0.0.1 in a PKCS#12 keystore, the SCRAM user's password, and client.env
# (the ULA_KAFKA_* settings of a client of that listener; its CA file is the certificate).
_kafka_sasl_material() {
  local s ks_pass password
  s="$(svc_dir kafka)/sasl"
  [[ -f "$s/client.env" && -f "$s/keystore.p12" && -f "$s/keystore.pass" ]] && return 0
  need_cmd openssl "openssl is required to make the Kafka SASL_SSL listener's certificate."
  rm -rf "$s"
  (
    umask 077
    mkdir -p "$s"
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=ula-local-kafka" \
      -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$s/key.pem" -out "$s/ca.pem" 2>/dev/null || exit 1
    ks_pass="$(openssl rand -hex 24)"
    password="$(openssl rand -hex 24)"
    printf '%s' "$ks_pass" >"$s/keystore.pass"
    openssl pkcs12 -export -in "$s/ca.pem" -inkey "$s/key.pem" -name kafka -out "$s/keystore.p12" \
      -passout "pass:$ks_pass" || exit 1
    rm -f "$s/key.pem"
    printf 'SCRAM-SHA-512=iterations=8192,password=%s\n' "$password" >"$s/scram.properties"
    cat >"$s/client.env" <<EOF
ULA_KAFKA_BROKERS=127.0.0.1:$KAFKA_SASL_PORT
ULA_KAFKA_SASL_MECHANISM=scram-sha-512
ULA_KAFKA_USERNAME=$KAFKA_SASL_USER
ULA_KAFKA_PASSWORD=$password
ULA_KAFKA_CA_FILE=$s/ca.pem
EOF
  ) || { err "kafka: could not generate the SASL_SSL listener's certificate and credentials"; return 1; }
}

kafka_start() {
  local d ks_pass
  d="$(svc_dir kafka)"
  mkdir -p "$d/data" "$d/logs"
  port_free_or_die kafka "$KAFKA_PORT"
  port_free_or_die kafka "$KAFKA_CONTROLLER_PORT"
  port_free_or_die kafka "$KAFKA_SASL_PORT"
  _kafka_sasl_material || return 1
  ks_pass="$(cat "$d/sasl/keystore.pass")"
  # It holds the keystore password: readable by this user only.
  rm -f "$d/server.properties"
  (umask 077 && : >"$d/server.properties")
  cat >"$d/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,SASL_SSL://127.0.0.1:$KAFKA_SASL_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PKCS12
listener.name.sasl_ssl.ssl.keystore.location=$d/sasl/keystore.p12
listener.name.sasl_ssl.ssl.keystore.password=$ks_pass
listener.name.sasl_ssl.ssl.key.password=$ks_pass
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
# Then upserts the SASL_SSL listener's SCRAM user (kept in the cluster metadata) through the plaintext
# listener with kafka-tools' ConfigCommand, once per password (sasl/scram.applied marks it done).
kafka_init() {
  probe kafka-topics "127.0.0.1:$KAFKA_PORT" $KAFKA_TOPICS || return 1
  local s
  s="$(svc_dir kafka)/sasl"
  [[ -f "$s/scram.properties" ]] || return 0
  if ! cmp -s "$s/scram.properties" "$s/scram.applied" 2>/dev/null; then
    _kafka_tools org.apache.kafka.tools.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter \
      --entity-type users --entity-name "$KAFKA_SASL_USER" --add-config-file "$s/scram.properties" \
      >"$s/../logs/config-command.log" 2>&1 || { tail -n 5 "$s/../logs/config-command.log"; return 1; }
    (umask 077 && cp "$s/scram.properties" "$s/scram.applied")
  fi
  echo "SASL_SSL/SCRAM-SHA-512 on 127.0.0.1:$KAFKA_SASL_PORT as $KAFKA_SASL_USER (client settings: $s/client.env)"
}

_kafka_tools() {
  "$(java17)" -Xmx256m -XX:TieredStopAtLevel=1 -Djava.net.preferIPv4Stack=true -cp "$KAFKA_TOOLS/*" "$@"
}

kafka_stop() { stop_pidfile kafka 30; }

kafka_describe() { printf 'Kafka %s (KRaft) 127.0.0.1:%s, SASL_SSL :%s, controller :%s' "$KAFKA_VERSION" "$KAFKA_PORT" "$KAFKA_SASL_PORT" "$KAFKA_CONTROLLER_PORT"; }
