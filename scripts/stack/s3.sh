# shellcheck shell=bash
# S3-compatible object store on 127.0.0.1:9000: Versity S3 Gateway (versitygw, Apache-2.0) with the
# posix backend (objects are plain files under .stack/s3/data/<bucket>/<key>, metadata in a sidecar dir).
# Installed with `go install` from the Go module proxy. Bucket `lake` is created at startup.
# Why not MinIO / moto: see docs/stack.md.

S3_VGW_VERSION="${S3_VGW_VERSION:-v1.8.0}"
S3_PORT=9000
S3_BUCKETS="${S3_BUCKETS:-lake}"
S3_BIN="$STACK_CACHE/bin/versitygw-$S3_VGW_VERSION"

s3_install() {
  [[ -x "$S3_BIN" ]] && return 0
  need_cmd go "Go 1.25+ is required to install versitygw (go install github.com/versity/versitygw/cmd/versitygw)."
  log "s3: go install github.com/versity/versitygw/cmd/versitygw@$S3_VGW_VERSION (compiles; ~2-3 min cold on 2 cores)"
  local gobin="$STACK_CACHE/gobin-$S3_VGW_VERSION" logf="$STACK_CACHE/poms/versitygw-install.log"
  mkdir -p "$gobin" "$STACK_CACHE/bin" "$STACK_CACHE/poms"
  # CGO off: a static binary, no C toolchain needed.
  if ! CGO_ENABLED=0 GOBIN="$gobin" go install "github.com/versity/versitygw/cmd/versitygw@$S3_VGW_VERSION" >"$logf" 2>&1; then
    err "s3: go install versitygw failed:"
    tail -n 20 "$logf" >&2
    return 1
  fi
  mv "$gobin/versitygw" "$S3_BIN"
  rmdir "$gobin" 2>/dev/null || true
}

s3_start() {
  local d
  d="$(svc_dir s3)"
  mkdir -p "$d/data" "$d/meta"
  port_free_or_die s3 "$S3_PORT"
  start_bg s3 "$d/s3.log" env ROOT_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" ROOT_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
    "$S3_BIN" --port "127.0.0.1:$S3_PORT" --region "$AWS_REGION" --quiet \
    posix --sidecar "$d/meta" "$d/data"
}

# Health = a signed ListBuckets answered by the server (@aws-sdk/client-s3).
s3_health() { probe s3 "http://127.0.0.1:$S3_PORT"; }

s3_init() {
  local b
  for b in $S3_BUCKETS; do probe s3-bucket "http://127.0.0.1:$S3_PORT" "$b" || return 1; done
}

s3_stop() { stop_pidfile s3 15; }

s3_describe() { printf 'versitygw %s (posix) http://127.0.0.1:%s' "$S3_VGW_VERSION" "$S3_PORT"; }
