# shellcheck shell=bash
# scripts/lib.sh — helpers shared by scripts/deps, scripts/tools and scripts/stack:
# where things live (state and tools directories), messages, and installing Debian
# packages only when they are missing. Sourced, never run.

# shellcheck disable=SC2034  # used by the scripts that source this file
OB_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OB_STACK_DIR=${OUTBREAK_STACK_DIR:-$HOME/.cache/outbreak/stack}
OB_TOOLS_DIR=${OUTBREAK_TOOLS_DIR:-$HOME/.cache/outbreak/tools}
# Absolute paths: servers run from their data directories and pids are recognised by
# the data directory in their command lines.
mkdir -p "$OB_STACK_DIR" "$OB_TOOLS_DIR"
OB_STACK_DIR=$(cd "$OB_STACK_DIR" && pwd -P)
OB_TOOLS_DIR=$(cd "$OB_TOOLS_DIR" && pwd -P)

# The Go toolchain of these machines lives in /usr/local/go; a non-login shell
# (CI, make) may not have it on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
    PATH=$PATH:/usr/local/go/bin
fi

ob_die() { printf '%s\n' "$*" >&2; exit 1; }

# Run as root, or through sudo when there is one.
ob_sudo() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else ob_die "need root (or sudo) to run: $*"
    fi
}

ob_have_pkg() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# ob_apt_install PKG...: install the packages that are not installed yet, running
# `apt-get update` first (once per process). Prints one line per package installed.
OB_APT_UPDATED=0
ob_apt_install() {
    local missing=() p log
    for p in "$@"; do ob_have_pkg "$p" || missing+=("$p"); done
    [ ${#missing[@]} -gt 0 ] || return 0
    log=$(mktemp)
    if [ "$OB_APT_UPDATED" -eq 0 ]; then
        echo "deps: apt-get update" >&2
        ob_sudo apt-get update -q >"$log" 2>&1 || { tail -n 20 "$log" >&2; rm -f "$log"; ob_die "deps: apt-get update failed"; }
        OB_APT_UPDATED=1
    fi
    if ! ob_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            "${missing[@]}" >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        rm -f "$log"
        ob_die "deps: apt-get install ${missing[*]} failed"
    fi
    rm -f "$log"
    for p in "${missing[@]}"; do echo "deps: installed $p (apt)"; done
}

# ob_logged LOG FN ARG...: run FN ARG... in a subshell, all output to LOG; returns its
# status. (errexit does not work inside `if`, so FN chains its steps with &&.)
ob_logged() {
    local log=$1; shift
    ( "$@" ) >"$log" 2>&1
}

# The local stack's RabbitMQ (scripts/stack's `rabbitmq`) is one Erlang node. The server
# and every CLI call (scripts/rabbitmqctl, the health check) must agree on its name, on
# the Erlang cookie and on the epmd port, so this is the one place that sets them.
OB_RABBITMQ_NODE=rabbit@localhost
# epmd (the Erlang port mapper) on a port of our own, not the usual 4369: it cannot clash
# with a system RabbitMQ's or another Erlang program's epmd, and `down` can stop it.
OB_RABBITMQ_EPMD_PORT=14369

# ob_rabbitmq_env: export the environment of our node for Debian's RabbitMQ scripts and
# Erlang. HOME is the node's data directory, because Erlang keeps the cookie in
# $HOME/.erlang.cookie (the server creates it on its first start; rabbitmq-server 3.10
# has no other non-deprecated way to place it). Call it in a subshell or before exec.
ob_rabbitmq_env() {
    export HOME=$OB_STACK_DIR/rabbitmq
    export RABBITMQ_NODENAME=$OB_RABBITMQ_NODE
    export ERL_EPMD_PORT=$OB_RABBITMQ_EPMD_PORT
    export ERL_EPMD_ADDRESS=127.0.0.1
    # Not /etc/rabbitmq/rabbitmq-env.conf: the machine's settings stay out of the stack.
    export RABBITMQ_CONF_ENV_FILE=$HOME/rabbitmq-env.conf
    # The CLI is an Erlang node too: its distribution listener on loopback only.
    export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    # Erlang and the CLI want a UTF-8 locale (file names, the CLI's output).
    export LC_ALL=C.UTF-8
    unset XDG_CONFIG_HOME  # Erlang 25 looks for the cookie there too
}

# pubsub_emulator_home: print the emulator's directory (the one with
# bin/cloud-pubsub-emulator): OUTBREAK_PUBSUB_EMULATOR_HOME when set, else the
# platform/pubsub-emulator of the Google Cloud CLI that `gcloud` belongs to, else
# Debian's /usr/lib/google-cloud-sdk. Fails when there is none. (scripts/deps installs
# it, scripts/stack runs it, tests/integration/pubsub_restart.sh starts one of its own.)
pubsub_emulator_home() {
    local d sdk=/usr/lib/google-cloud-sdk
    if command -v gcloud >/dev/null 2>&1; then
        sdk=$(dirname "$(dirname "$(readlink -f "$(command -v gcloud)")")")
    fi
    if [ -n "${OUTBREAK_PUBSUB_EMULATOR_HOME:-}" ]; then
        [ -x "$OUTBREAK_PUBSUB_EMULATOR_HOME/bin/cloud-pubsub-emulator" ] || return 1
        echo "$OUTBREAK_PUBSUB_EMULATOR_HOME"
        return 0
    fi
    for d in "$sdk/platform/pubsub-emulator" /usr/lib/google-cloud-sdk/platform/pubsub-emulator; do
        [ -x "$d/bin/cloud-pubsub-emulator" ] && { echo "$d"; return 0; }
    done
    return 1
}
