#!/usr/bin/env bash
# `make image-check`: the image built from a clean copy of the tree and run the way the chart runs it.
#
#   1. A Docker engine: the one answering on this project's socket, or a dockerd started here (and stopped at
#      the end, by its pid) with no bridge network and its own data and exec roots. docker.io, debootstrap
#      and docker-compose are installed with apt-get when missing (root only).
#   2. The base image node:22-bookworm-slim, or a stand-in built from Debian's and npm's packages when the
#      store lacks it and no registry can be reached (base-image.sh; cached in the engine's store).
#   3. The Dockerfile built from the files git tracks or would track (no node_modules, dist, .env, keys),
#      tagged as the chart's default image. A CA that this machine adds to its trust store
#      (/usr/local/share/ca-certificates, or NPM_CA_FILE) goes to the build's npm as the npm_ca secret, as a
#      user behind a TLS-intercepting proxy would hand it over; it never lands in a layer.
#      compose.yaml must resolve there too (docker-compose config), with no .env and no key files.
#   4. The scenarios of scenarios.ts, each a rendered Pod run in a container (run-as-rendered.ts, under tap),
#      compose.yaml brought up by docker-compose (compose-up.ts), then the table of figures (report.mjs).
#
# Any failed step or check exits non-zero. Add a chart mode to check by adding an entry to scenarios.ts.
# Settings: DOCKER_SOCKET, DOCKER_DATA_ROOT, IMAGE_CHECK_SCENARIOS (comma-separated names), NPM_CA_FILE.
set -euo pipefail
cd "$(dirname "$0")/../.."

DOCKER_SOCKET=${DOCKER_SOCKET:-/run/openai-proxy-docker/docker.sock}
DOCKER_DATA_ROOT=${DOCKER_DATA_ROOT:-/var/lib/openai-proxy-docker}
export DOCKER_HOST="unix://$DOCKER_SOCKET"
# Debian's client, which talks BuildKit to its own dockerd without the buildx plugin.
export DOCKER=/usr/bin/docker
say() { echo "[image-check] $*"; }

install_missing() {
  local missing=()
  [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || missing+=(docker.io)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || { echo "missing ${missing[*]}: run as root, or install them first" >&2; exit 1; }
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

dockerd_pid=
start_engine() {
  if "$DOCKER" version >/dev/null 2>&1; then say "using the engine on $DOCKER_SOCKET"; return; fi
  mkdir -p "$(dirname "$DOCKER_SOCKET")" "$DOCKER_DATA_ROOT"
  local exec_root
  exec_root="$(dirname "$DOCKER_SOCKET")/exec"
  say "starting dockerd on $DOCKER_SOCKET (data in $DOCKER_DATA_ROOT, log in $DOCKER_DATA_ROOT/dockerd.log)"
  # No bridge and no iptables: containers use the host's network (loopback) or none, nothing else exists.
  dockerd --host "$DOCKER_HOST" --data-root "$DOCKER_DATA_ROOT/data" --exec-root "$exec_root" \
    --pidfile "$(dirname "$DOCKER_SOCKET")/dockerd.pid" --bridge=none --iptables=false --ip6tables=false \
    >"$DOCKER_DATA_ROOT/dockerd.log" 2>&1 &
  dockerd_pid=$!
  trap stop_engine EXIT
  for _ in $(seq 1 120); do
    "$DOCKER" version >/dev/null 2>&1 && return
    kill -0 "$dockerd_pid" 2>/dev/null || { tail -n 20 "$DOCKER_DATA_ROOT/dockerd.log" >&2; exit 1; }
    sleep 0.5
  done
  echo "dockerd did not answer within 60 s" >&2
  exit 1
}

stop_engine() {
  [ -n "$dockerd_pid" ] || return 0
  say "stopping the dockerd started here (pid $dockerd_pid)"
  kill "$dockerd_pid" 2>/dev/null || true
  wait "$dockerd_pid" 2>/dev/null || true
}

build_image() {
  local image=$1 context ca
  context=$(mktemp -d /var/tmp/openai-proxy-context.XXXXXX)
  ca=$(mktemp /var/tmp/openai-proxy-npm-ca.XXXXXX)
  # Tracked and untracked-but-not-ignored files: the tree as a fresh clone of it would be.
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -c | tar -x -C "$context"
  local secret=()
  if [ -n "${NPM_CA_FILE:-}" ]; then cp "$NPM_CA_FILE" "$ca"; else find /usr/local/share/ca-certificates -name '*.crt' -exec cat {} + >"$ca" 2>/dev/null || true; fi
  [ -s "$ca" ] && secret=(--secret "id=npm_ca,src=$ca") && say "handing $(grep -c 'BEGIN CERTIFICATE' "$ca") local CA certificate(s) to npm as the npm_ca build secret"
  say "building $image from a clean copy of the tree"
  local started=$SECONDS
  DOCKER_BUILDKIT=1 "$DOCKER" build --network host --progress plain "${secret[@]}" -t "$image" "$context" >"$RESULTS/build.log" 2>&1 ||
    { tail -n 40 "$RESULTS/build.log" >&2; rm -rf "$context" "$ca"; exit 1; }
  BUILD_SECONDS=$((SECONDS - started))
  # compose.yaml as a fresh clone has it: no .env, no key files yet.
  (cd "$context" && docker-compose config --quiet) || { echo "compose.yaml does not resolve on a clean copy" >&2; exit 1; }
  say "compose.yaml resolves on a clean copy without .env"
  rm -rf "$context" "$ca"
}

RESULTS=image-results
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
install_missing
start_engine
BASE_IMAGE=$(sed -n 's/^ARG NODE_IMAGE=//p' Dockerfile)
BASE_IMAGE=$BASE_IMAGE test/image/base-image.sh
IMAGE="$(sed -n 's/^  repository: //p' chart/values.yaml):$(sed -n 's/^appVersion: "\(.*\)"/\1/p' chart/Chart.yaml)"
build_image "$IMAGE"
size() { "$DOCKER" image inspect --format '{{.Size}}' "$1"; }
printf '{"base":"%s","baseBytes":%s,"image":"%s","imageBytes":%s,"buildSeconds":%s}\n' \
  "$BASE_IMAGE" "$(size "$BASE_IMAGE")" "$IMAGE" "$(size "$IMAGE")" "$BUILD_SECONDS" >"$RESULTS/image.json"

say "running the scenarios"
npx tap --disable-coverage --timeout 600 --reporter tap test/image/run-as-rendered.ts test/image/compose-up.ts
node test/image/report.mjs "$RESULTS"
