# lib.sh — shared helpers for the integration tests (sourced, not a test itself).
# Environment from ctest: OUTBREAK (the binary), OB_SOURCE_DIR. The servers come from
# scripts/stack (make test starts them); a missing server is a failure, never a skip.
set -u
: "${OUTBREAK:?run through ctest (OUTBREAK = path of the outbreak binary)}"
NATS_URL=nats://127.0.0.1:4222
RABBIT_URL=amqp://guest:guest@127.0.0.1:5672/
RABBITMQCTL=$OB_SOURCE_DIR/scripts/rabbitmqctl
MONGO_TOOL="python3 $OB_SOURCE_DIR/tests/integration/mongo_tool.py"
# every test script gets a database of its own, dropped when it ends
MONGO_DB=obit_$$
MONGO_URL=mongodb://127.0.0.1:27017/$MONGO_DB
WORK=$(mktemp -d "${TMPDIR:-/tmp}/outbreak-it.XXXXXX")
FAILED=0
PASSED=0
PIDS=()

cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    delete_rabbit_queues
    python3 "$OB_SOURCE_DIR/tests/integration/mongo_tool.py" dropdb 127.0.0.1 27017 "$MONGO_DB" 2>/dev/null
    if [ "$FAILED" -gt 0 ]; then  # keep the logs of a failure for a look
        keep="${TMPDIR:-/tmp}/outbreak-failed-$(basename "$0" .sh)-$$"
        mv "$WORK" "$keep" && echo "logs of the failed test kept in $keep" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

require_servers() {
    python3 "$OB_SOURCE_DIR/scripts/mongo_ping.py" 127.0.0.1 27017 >/dev/null 2>&1 \
        || { echo "FAIL: no MongoDB-wire server on 127.0.0.1:27017 (scripts/stack up)" >&2; exit 1; }
    (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null \
        || { echo "FAIL: no NATS server on 127.0.0.1:4222 (scripts/stack up)" >&2; exit 1; }
}

require_rabbitmq() {
    python3 "$OB_SOURCE_DIR/scripts/mongo_ping.py" 127.0.0.1 27017 >/dev/null 2>&1 \
        || { echo "FAIL: no MongoDB-wire server on 127.0.0.1:27017 (scripts/stack up)" >&2; exit 1; }
    "$OB_SOURCE_DIR/scripts/stack" status rabbitmq >/dev/null 2>&1 \
        || { echo "FAIL: no RabbitMQ on 127.0.0.1:5672 (scripts/stack up rabbitmq)" >&2; exit 1; }
}

# rabbit_queue NAME — a queue this test uses, deleted when the test ends.
RABBIT_QUEUES=()
rabbit_queue() { RABBIT_QUEUES+=("$1"); echo "$1"; }
delete_rabbit_queues() {
    for q in "${RABBIT_QUEUES[@]:-}"; do
        [ -n "$q" ] && "$RABBITMQCTL" delete_queue "$q" >/dev/null 2>&1
    done
}

# json FILE EXPR — evaluates a Python expression on the JSON document `d`.
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# start_sink BROKER_URL LOG — starts `outbreak sink` in the background; sets SINK_PID.
start_sink() {
    "$OUTBREAK" sink --broker "$1" --mongo "$MONGO_URL" >"$2" 2>&1 &
    SINK_PID=$!
    PIDS+=("$SINK_PID")
    sleep 1
}
