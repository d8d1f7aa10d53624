#!/usr/bin/env bash
# docker/local/build.sh — build the local stand-ins for the official images that
# compose.yaml uses, for machines that cannot pull those (see docs/docker-local.md):
#
#   outbreak-local/nats:latest       for nats:2.15-alpine
#   outbreak-local/rabbitmq:latest   for rabbitmq:3-management
#   outbreak-local/kafka:latest      for apache/kafka (KRaft)
#   outbreak-local/mongo:latest      for mongo:7 (FerretDB)
#   outbreak-local/pubsub:latest     for google/cloud-sdk:emulators (Pub/Sub emulator)
#   outbreak-local/nginx:latest      for nginx:1.27
#   outbreak-local/prometheus:latest for prom/prometheus (Debian's prometheus)
#
# Usage: docker/local/build.sh [--force] [--no-cache] [NAME...]   (no NAME: all seven)
#
# Every image is built FROM outbreak-base:bookworm (OUTBREAK_DOCKER_BASE overrides it), a
# Debian bookworm root file system imported into Docker, and installs Debian's packages
# with apt-get. What comes from elsewhere is made sure of the way scripts/stack does
# (scripts/tools nats-server, scripts/tools kafka, scripts/tools ferretdb, scripts/deps
# pubsub) and copied into a
# build context assembled outside the working tree, in
# ${OUTBREAK_DOCKER_CONTEXT_DIR:-~/.cache/outbreak/docker-local}/NAME: this directory's
# NAME/ plus the nats-server binary (nats), Kafka's jars and Log4j 2 files (kafka), the
# FerretDB binary and
# scripts/mongo_ping.py (mongo), the Pub/Sub emulator's platform directory (pubsub).
#
# An image is rebuilt only when its inputs changed: the hash of the assembled context
# (names, modes and contents of its files) and of the base image's id is stored in the
# image as the label org.outbreak.local.inputs, and an image whose label matches is
# kept ("up to date"). --force rebuilds anyway; --no-cache (implies --force) rebuilds
# without Docker's layer cache, every apt-get again. One line per image: built or up to
# date, its size, and the build's duration.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
. "$repo/scripts/lib.sh"

ALL=(nats rabbitmq kafka mongo pubsub nginx prometheus)
BASE=${OUTBREAK_DOCKER_BASE:-outbreak-base:bookworm}
CTX_ROOT=${OUTBREAK_DOCKER_CONTEXT_DIR:-$(dirname "$OB_TOOLS_DIR")/docker-local}
LABEL=org.outbreak.local.inputs

force=0 nocache=() names=()
for a in "$@"; do
    case $a in
        --force) force=1 ;;
        --no-cache) force=1; nocache=(--no-cache) ;;
        -h|--help) sed -n '2,29s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "build.sh: unknown option $a" >&2; exit 2 ;;
        *)
            case " ${ALL[*]} " in
                *" $a "*) names+=("$a") ;;
                *) echo "build.sh: unknown image '$a' (known: ${ALL[*]})" >&2; exit 2 ;;
            esac ;;
    esac
done
[ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")

command -v docker >/dev/null 2>&1 || ob_die "build.sh: no docker"
docker info >/dev/null 2>&1 || ob_die "build.sh: the Docker daemon does not answer (docker info)"
base_id=$(docker image inspect -f '{{.Id}}' "$BASE" 2>/dev/null) ||
    ob_die "build.sh: no base image $BASE (see docs/docker-local.md: a debootstrap bookworm imported with docker import)"

# copy SRC... DEST: hard links when possible (the tools cache is on the same file system),
# else copies.
copy() {
    cp -al "$@" 2>/dev/null || cp -a "$@"
}

# pubsub_emulator_dir: the Pub/Sub emulator's platform directory, looked up as
# scripts/deps and scripts/stack do.
pubsub_emulator_dir() {
    local sdk=/usr/lib/google-cloud-sdk
    if [ -n "${OUTBREAK_PUBSUB_EMULATOR_HOME:-}" ]; then
        echo "$OUTBREAK_PUBSUB_EMULATOR_HOME"
        return
    fi
    if command -v gcloud >/dev/null 2>&1; then
        sdk=$(dirname "$(dirname "$(readlink -f "$(command -v gcloud)")")")
    fi
    if [ -x "$sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator" ]; then
        echo "$sdk/platform/pubsub-emulator"
    else
        echo /usr/lib/google-cloud-sdk/platform/pubsub-emulator
    fi
}

# stage NAME: assemble NAME's build context in $CTX_ROOT/NAME.
stage() {
    local name=$1 ctx=$CTX_ROOT/$1 dir
    rm -rf "$ctx"
    mkdir -p "$ctx"
    cp -a "$here/$name/." "$ctx/"
    case $name in
        nats)
            copy "$("$OB_SCRIPTS/tools" nats-server)" "$ctx/nats-server"
            ;;
        kafka)
            "$OB_SCRIPTS/tools" kafka >/dev/null
            mkdir -p "$ctx/libs" "$ctx/config"
            copy "$OB_TOOLS_DIR"/kafka/lib/*.jar "$ctx/libs/"
            copy "$OB_TOOLS_DIR/kafka/config/log4j2.yaml" \
                 "$OB_TOOLS_DIR/kafka/config/tools-log4j2.yaml" "$ctx/config/"
            ;;
        mongo)
            copy "$("$OB_SCRIPTS/tools" ferretdb)" "$ctx/ferretdb"
            cp -a "$OB_SCRIPTS/mongo_ping.py" "$ctx/mongo_ping.py"
            ;;
        pubsub)
            "$OB_SCRIPTS/deps" pubsub
            dir=$(pubsub_emulator_dir)
            [ -x "$dir/bin/cloud-pubsub-emulator" ] || ob_die "build.sh: no Pub/Sub emulator in $dir"
            mkdir -p "$ctx/pubsub-emulator/bin" "$ctx/pubsub-emulator/lib"
            copy "$dir/bin/cloud-pubsub-emulator" "$ctx/pubsub-emulator/bin/"
            copy "$dir"/lib/*.jar "$ctx/pubsub-emulator/lib/"
            ;;
    esac
}

# inputs_hash NAME: the hash of the staged context and of the base image.
inputs_hash() {
    local ctx=$CTX_ROOT/$1
    {
        echo "base $base_id"
        (cd "$ctx" && find . -type f -printf '%p %m\n' | LC_ALL=C sort)
        (cd "$ctx" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    } | sha256sum | cut -c1-64
}

human() {
    awk -v b="$1" 'BEGIN { if (b >= 1e9) printf "%.2f GB", b / 1e9; else printf "%.0f MB", b / 1e6 }'
}

status=0
for name in "${names[@]}"; do
    image=outbreak-local/$name:latest
    stage "$name"
    hash=$(inputs_hash "$name")
    have=$(docker image inspect -f "{{index .Config.Labels \"$LABEL\"}}" "$image" 2>/dev/null || true)
    if [ "$force" -eq 0 ] && [ "$have" = "$hash" ]; then
        size=$(docker image inspect -f '{{.Size}}' "$image")
        echo "$image: up to date ($(human "$size"))"
        continue
    fi
    log=$CTX_ROOT/$name.build.log
    start=$(date +%s)
    # The legacy builder (no buildx here); RUN steps on the host's network, so that a
    # build does not need the default bridge (docker0), which another daemon started
    # with --bridge none removes.
    if ! DOCKER_BUILDKIT=0 docker build ${nocache[@]+"${nocache[@]}"} --network host --build-arg "BASE=$BASE" \
            --label "$LABEL=$hash" -t "$image" "$CTX_ROOT/$name" >"$log" 2>&1; then
        tail -n 25 "$log" >&2
        echo "$image: build FAILED (log: $log)" >&2
        status=1
        continue
    fi
    secs=$(( $(date +%s) - start ))
    size=$(docker image inspect -f '{{.Size}}' "$image")
    echo "$image: built in ${secs}s ($(human "$size"), log: $log)"
done
exit $status
