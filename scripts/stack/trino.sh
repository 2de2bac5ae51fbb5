# shellcheck shell=bash
# Trino 476, one coordinator+worker node on the Temurin 25 JDK: clients on https://127.0.0.1:8443 with a
# password (file authenticator) and file-based access control; plain http://127.0.0.1:8080 only carries the
# node's internal traffic (shared secret) and GET /v1/info. Both ports are overridable (TRINO_HTTPS_PORT,
# TRINO_PORT), so a second instance can run beside the stack's with its own STACK_RUN.
# Installed from Maven Central: io.trino:trino-server:476:tar.gz (the whole server, ~821 MB; 476 is the
# last release on Central, and io.trino:trino-cassandra is not served there as a separate plugin zip).
# Only lib/, bin/ and the plugins cassandra, hive, tpch and password-authenticators (the password file and the
# group file) are kept (.cache/trino-server-476, ~410 MB); the tarball is deleted after unpacking
# (TRINO_KEEP_TARBALL=1 keeps it). An install missing a listed plugin gets it from a new download.
# Security (trino/security/, docs/trino-security.md): users and their groups = group.txt, rules = rules.json.
# At the first start each user gets a random password and the node a self-signed CA + server certificate;
# they live in .stack/trino/credentials/<user>.env (0600: ULA_TRINO_URL, _USER, _PASSWORD, _CA_FILE, what
# the project's Trino clients read) and .stack/trino/tls/, and are kept across restarts (--wipe renews them).
# Catalogs: trino/catalog/local/*.properties are copied into .stack/trino/etc/catalog/ at each start.
# Init: lake.raw.<category> and lake.events.<category> (scripts/trino-lake.ts) once Trino is healthy.

TRINO_VERSION="${TRINO_VERSION:-476}"
TRINO_PORT="${TRINO_PORT:-8080}"
TRINO_HTTPS_PORT="${TRINO_HTTPS_PORT:-8443}"
TRINO_HEAP="${TRINO_HEAP:-2G}"
TRINO_HOME="$STACK_CACHE/trino-server-$TRINO_VERSION"
TRINO_PLUGINS="${TRINO_PLUGINS:-cassandra hive tpch password-authenticators}"
TRINO_CATALOGS="${TRINO_CATALOGS:-$STACK_ROOT/trino/catalog/local}"
TRINO_SECURITY="${TRINO_SECURITY:-$STACK_ROOT/trino/security}"
# The user stack init and the health check run as (trino/security/group.txt, group admin).
TRINO_ADMIN_USER=ula_admin

# The listed plugins an existing install lacks (it predates the list), or nothing.
_trino_missing_plugins() {
  local p
  for p in $TRINO_PLUGINS; do [[ -d "$TRINO_HOME/plugin/$p" ]] || printf '%s ' "$p"; done
}

trino_install() {
  local missing
  if [[ -f "$TRINO_HOME/.complete" ]]; then
    missing="$(_trino_missing_plugins)"
    [[ -z "$missing" ]] && return 0
    # shellcheck disable=SC2086 # a list of plugin names
    _trino_add_plugins $missing
    return
  fi
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

# Adds plugins to an existing install from the tarball. Their jars are hard links to lib/ in the tarball,
# so lib/ is unpacked beside them (into a temporary folder) and the plugin folders are copied.
_trino_add_plugins() {
  log "trino: adding plugins $* (from io.trino:trino-server:$TRINO_VERSION:tar.gz)"
  local tgz tmp p paths=()
  tgz="$(mvn_get_file "io.trino:trino-server:$TRINO_VERSION:tar.gz")" || return 1
  tmp="$STACK_CACHE/.trino-plugins.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  for p in "$@"; do paths+=("trino-server-$TRINO_VERSION/plugin/$p"); done
  if ! tar xzf "$tgz" -C "$tmp" "trino-server-$TRINO_VERSION/lib" "${paths[@]}"; then
    err "trino: could not unpack plugins $* from $tgz"
    rm -rf "$tmp"
    return 1
  fi
  for p in "$@"; do cp -r "$tmp/trino-server-$TRINO_VERSION/plugin/$p" "$TRINO_HOME/plugin/$p"; done
  rm -rf "$tmp"
  [[ "${TRINO_KEEP_TARBALL:-0}" == 1 ]] || rm -f "$tgz"
}

# The users of group.txt (every member of a group), one per line.
_trino_users() { awk -F: '!/^[[:space:]]*(#|$)/ { n = split($2, u, ","); for (i = 1; i <= n; i++) print u[i] }' "$1" | sort -u; }

# Passwords (kept: read back from each user's .env), the password file, the CA and server certificate and
# the internal shared secret, all owner-only under $d; then the security properties files.
_trino_security() {
  local d="$1" creds="$1/credentials" tls="$1/tls"
  [[ -f "$TRINO_SECURITY/group.txt" && -f "$TRINO_SECURITY/rules.json" ]] ||
    { err "trino: $TRINO_SECURITY/group.txt or rules.json missing"; return 1; }
  need_cmd openssl "openssl is required to generate Trino's TLS certificate and passwords"
  (
    umask 077
    mkdir -p "$creds" "$tls"
    if [[ ! -s "$tls/ca.pem" || ! -s "$tls/server.pem" ]]; then
      if ! { openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=ula local stack Trino CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null &&
        openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/server.key" \
          -out "$tls/server.csr" 2>/dev/null &&
        openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 825 \
          -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n') \
          -out "$tls/server.crt" 2>/dev/null &&
        cat "$tls/server.key" "$tls/server.crt" >"$tls/server.pem"; }; then
        echo "trino: openssl could not make the certificate" >&2
        exit 1
      fi
      rm -f "$tls/server.csr" "$tls/ca.srl"
    fi
    [[ -s "$tls/internal-secret" ]] || openssl rand -hex 32 >"$tls/internal-secret"
    chmod 644 "$tls/ca.pem"
    local u pw f list=""
    for u in $(_trino_users "$TRINO_SECURITY/group.txt"); do
      f="$creds/$u.env"
      pw="$(sed -n 's/^ULA_TRINO_PASSWORD=//p' "$f" 2>/dev/null || true)"
      [[ -n "$pw" ]] || pw="$(openssl rand -hex 24)"
      printf 'ULA_TRINO_URL=https://127.0.0.1:%s\nULA_TRINO_USER=%s\nULA_TRINO_PASSWORD=%s\nULA_TRINO_CA_FILE=%s\n' \
        "$TRINO_HTTPS_PORT" "$u" "$pw" "$tls/ca.pem" >"$f"
      list+="$u $pw"$'\n'
    done
    printf '%s' "$list" | node --no-warnings "$STACK_ROOT/scripts/trino-password-file.mjs" >"$d/etc/password.db"
  ) || return 1
  cp "$TRINO_SECURITY/rules.json" "$TRINO_SECURITY/group.txt" "$d/etc/"
  cat >"$d/etc/password-authenticator.properties" <<EOF
password-authenticator.name=file
file.password-file=$d/etc/password.db
EOF
  cat >"$d/etc/group-provider.properties" <<EOF
group-provider.name=file
file.group-file=$d/etc/group.txt
EOF
  cat >"$d/etc/access-control.properties" <<EOF
access-control.name=file
security.config-file=$d/etc/rules.json
EOF
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
http-server.https.enabled=true
http-server.https.port=$TRINO_HTTPS_PORT
http-server.https.keystore.path=$d/tls/server.pem
http-server.authentication.type=PASSWORD
http-server.authentication.allow-insecure-over-http=false
internal-communication.shared-secret=$(cat "$d/tls/internal-secret")
password-authenticator.config-files=$d/etc/password-authenticator.properties
access-control.config-files=$d/etc/access-control.properties
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

# The credentials file of USER (default the admin): `set -a; . FILE` gives a shell the client settings.
trino_credentials() { printf '%s/credentials/%s.env' "$(svc_dir trino)" "${1:-$TRINO_ADMIN_USER}"; }

trino_start() {
  local d java
  d="$(svc_dir trino)"
  java="$(java25)"
  port_free_or_die trino "$TRINO_PORT"
  port_free_or_die trino "$TRINO_HTTPS_PORT"
  [[ -d "$TRINO_CATALOGS" ]] || { err "trino: catalog folder $TRINO_CATALOGS missing"; return 1; }
  mkdir -p "$d/etc"
  _trino_security "$d" || return 1
  _trino_etc "$d"
  local jvm=() line
  while IFS= read -r line; do [[ -n "$line" ]] && jvm+=("$line"); done <"$d/etc/jvm.config"
  local props=()
  while IFS= read -r line; do [[ -n "$line" && "$line" != \#* ]] && props+=("-D$line"); done <"$d/etc/node.properties"
  # Trino 476 reads the group provider from etc/group-provider.properties of its working directory (no
  # property names the file), hence the cd.
  (cd "$d" && start_bg trino "$d/trino.log" env AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
    "$java" -cp "$TRINO_HOME/lib/*" "${jvm[@]}" "${props[@]}" \
    "-Dlog.levels-file=$d/etc/log.properties" "-Dconfig=$d/etc/config.properties" \
    "-Dlog.output-file=$d/logs/server.log" -Dlog.enable-console=false \
    "-Dcatalog.config-dir=$d/etc/catalog" "-Dplugin.dir=$TRINO_HOME/plugin" \
    io.trino.server.TrinoServer)
}

# Health = GET /v1/info not starting, then SELECT 1 through the statement API, as the admin over HTTPS
# (result must be 1).
trino_health() {
  local f
  f="$(trino_credentials)"
  [[ -s "$f" ]] || { echo "no credentials ($f): not started by this script"; return 1; }
  # shellcheck source=/dev/null # written by _trino_security
  (set -a && . "$f" && probe trino "$ULA_TRINO_URL")
}

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
  # shellcheck source=/dev/null # written by _trino_security
  (set -a && . "$(trino_credentials)" && cd "$STACK_ROOT" &&
    node --no-warnings --import tsx scripts/trino-lake.ts "${serving[@]}")
}

trino_stop() { stop_pidfile trino 30; }

trino_describe() {
  printf 'Trino %s https://127.0.0.1:%s (credentials: %s/credentials/<user>.env)' "$TRINO_VERSION" \
    "$TRINO_HTTPS_PORT" "$(svc_dir trino)"
}
