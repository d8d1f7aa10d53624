# lib.sh — shared helpers for the integration tests (sourced, not a test itself).
# Environment from ctest: OUTBREAK (the binary), OB_SOURCE_DIR. The servers come from
# scripts/stack (make test starts them); a missing server is a failure, never a skip.
set -u
: "${OUTBREAK:?run through ctest (OUTBREAK = path of the outbreak binary)}"
NATS_URL=nats://127.0.0.1:4222
RABBIT_URL=amqp://guest:guest@127.0.0.1:5672/
RABBITMQCTL=$OB_SOURCE_DIR/scripts/rabbitmqctl
# The nats-server the local stack runs (scripts/tools builds it), for tests that start a
# private one.
NATS_SERVER=$("$OB_SOURCE_DIR/scripts/tools" nats-server) || exit 1
MONGO_TOOL="python3 $OB_SOURCE_DIR/tests/integration/mongo_tool.py"
# The MongoDB driver keeps counters in /dev/shm/mongoc-<pid>; a process killed with
# SIGKILL (as some tests do) leaves its file, and a later process that gets the same pid
# prints "Falling back to malloc for counters" on stderr, which breaks the tests that
# want exactly one line there. Nothing reads the counters: off.
export MONGOC_DISABLE_SHM=1
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
    [ "$RABBIT_USED" = 0 ] || delete_rabbit_queues
    [ "$KAFKA_USED" = 0 ] || delete_kafka_topics
    # JetStream streams named ..._$$ (file storage: left behind, they pile up run after run)
    python3 "$OB_SOURCE_DIR/tests/integration/nats_tool.py" rmstreams 127.0.0.1 4222 "_$$" >/dev/null 2>&1
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

# require_service SERVICE WHAT — MongoDB and the scripts/stack service must be up; a
# missing server is a failure, never a skip.
require_service() {
    python3 "$OB_SOURCE_DIR/scripts/mongo_ping.py" 127.0.0.1 27017 >/dev/null 2>&1 \
        || { echo "FAIL: no MongoDB-wire server on 127.0.0.1:27017 (scripts/stack up)" >&2; exit 1; }
    "$OB_SOURCE_DIR/scripts/stack" status "$1" >/dev/null 2>&1 \
        || { echo "FAIL: no $2 (scripts/stack up $1)" >&2; exit 1; }
}

KAFKA_TOPICS=${OUTBREAK_TOOLS_DIR:-$HOME/.cache/outbreak/tools}/bin/kafka-topics
KAFKA_USED=0
require_kafka() { KAFKA_USED=1; require_service kafka "Kafka on 127.0.0.1:9092"; }

# kafka_topic NAME — the name of a topic for this test; it must end in ".$$": every
# topic so named is deleted when the test ends (so are the test's consumer groups'
# offsets with them).
kafka_topic() {
    case $1 in *".$$") echo "$1" ;; *) echo "FAIL: kafka_topic $1: the name must end in .$$" >&2; exit 1 ;; esac
}
delete_kafka_topics() {
    "$KAFKA_TOPICS" --bootstrap-server 127.0.0.1:9092 --delete --topic "obit\\..*\\.$$" >/dev/null 2>&1
}

# kafka_kraft_conf DIR CTL_PORT INTER_LISTENER — the lines of a private one-node Kafka's
# server.properties (KRaft: broker and controller) besides its listeners: data in
# DIR/data, the controller on 127.0.0.1:CTL_PORT, one replica of everything.
kafka_kraft_conf() {
    cat <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$2
controller.listener.names=CONTROLLER
inter.broker.listener.name=$3
log.dirs=$1/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
CONF
}

export PUBSUB_EMULATOR_HOST=${PUBSUB_EMULATOR_HOST:-127.0.0.1:8085}
require_pubsub() { require_service pubsub "Pub/Sub emulator on 127.0.0.1:8085"; }

RABBIT_USED=0
require_rabbitmq() { RABBIT_USED=1; require_service rabbitmq "RabbitMQ on 127.0.0.1:5672"; }

# rabbit_queue NAME — the name of a queue for this test; it must end in ".$$" (the
# test's pid): every queue and exchange so named is deleted when the test ends.
rabbit_queue() {
    case $1 in *".$$") echo "$1" ;; *) echo "FAIL: rabbit_queue $1: the name must end in .$$" >&2; exit 1 ;; esac
}
delete_rabbit_queues() {
    local name
    # (</dev/null: rabbitmqctl would read the rest of the list from stdin)
    "$RABBITMQCTL" -q list_queues name 2>/dev/null | grep -E "^obit\..*\.$$\$" |
        while read -r name; do "$RABBITMQCTL" -q delete_queue "$name" </dev/null >/dev/null 2>&1; done
    # rabbitmqctl has no delete_exchange: the node deletes it
    "$RABBITMQCTL" -q list_exchanges name 2>/dev/null | grep -E "^obit\..*\.$$\$" |
        while read -r name; do
            "$RABBITMQCTL" -q eval "rabbit_exchange:delete(rabbit_misc:r(<<\"/\">>, exchange, <<\"$name\">>), false, <<\"outbreak-tests\">>)." \
                </dev/null >/dev/null 2>&1
        done
}

# fails_fast WANT_RC TEXT ARGS... — `outbreak ARGS` must exit WANT_RC within 5 s with
# exactly one line on stderr, containing TEXT (an address, an option, a reason).
fails_fast() {
    local want=$1 text=$2; shift 2
    local err="$WORK/fails_fast.err" rc=0 t0 t1 ms lines
    t0=$(date +%s%N)
    timeout 20 "$OUTBREAK" "$@" >/dev/null 2>"$err" || rc=$?
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    lines=$(wc -l <"$err")
    if [ "$rc" -eq "$want" ] && [ "$ms" -lt 5000 ] && [ "$lines" -eq 1 ] && grep -qF -- "$text" "$err"; then
        pass "outbreak $1 ... -> exit $rc in ${ms} ms: $(cat "$err")"
    else
        fail "outbreak $*: exit $rc after ${ms} ms, $lines lines: $(cat "$err") (wanted exit $want within 5 s, one line with '$text')"
    fi
}

# silent_server PORT — something that accepts TCP connections on 127.0.0.1:PORT and never
# says a word (for 60 s), to show that a handshake times out instead of hanging.
silent_server() {
    python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept()[0])
    except OSError: pass
' "$1" &
    PIDS+=($!)
    sleep 0.5
}

# check_delivered RC JSON RUN_ID N — the checks of every end-to-end run: exit 0, acked
# = N (or >= N when N is written +N), nothing failed or lost, persisted = acked, MongoDB's
# own count of the run = acked, and an end-to-end latency for every record. Sets ACKED.
check_delivered() {
    local rc=$1 f=$2 id=$3 want=$4 count
    check "run exits 0 (got $rc)" test "$rc" -eq 0
    ACKED=$(json "$f" 'd["acked"]')
    case $want in
        +*) check "acked $ACKED >= ${want#+}" test "$ACKED" -ge "${want#+}" ;;
        *) check "acked $ACKED = $want" test "$ACKED" -eq "$want" ;;
    esac
    check "failed = 0" test "$(json "$f" 'd["failed"]')" = 0
    check "lost = 0" test "$(json "$f" 'd["lost"]')" = 0
    check "persisted = acked" test "$(json "$f" 'd["persisted"]')" = "$ACKED"
    count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
    check "MongoDB holds $count documents of the run = acked $ACKED" test "$count" = "$ACKED"
    check "e2e latency measured for every record" \
        test "$(json "$f" 'd["e2e_latency_ms"]["count"]')" = "$ACKED"
    check "the end-to-end histogram is over the run's own records (e2e_scope own)" \
        test "$(json "$f" 'd["e2e_scope"]')" = own
}

# run_workers N NAME RUN-ARGS... — N `outbreak run --headless --only-summary --workers N`
# processes at once with RUN-ARGS (the run id among them), worker i's summary in
# $WORK/NAME$i.json and its output in $WORK/NAME$i.log; waits for all of them. WORKERS_RC
# is 0 when every one exited 0, else the last non-zero status.
run_workers() {
    local n=$1 name=$2 i pid
    shift 2
    local pids=()
    for ((i = 0; i < n; i++)); do
        "$OUTBREAK" run --headless --only-summary --workers "$n" "$@" --json "$WORK/$name$i.json" \
            >"$WORK/$name$i.log" 2>&1 &
        pids+=($!)
    done
    WORKERS_RC=0
    for pid in "${pids[@]}"; do
        wait "$pid" || WORKERS_RC=$?
    done
}

# check_verdicts FILE N — a check for each "ok WHAT" / "BAD WHAT" line of FILE (verdicts
# a test computed itself, e.g. in Python), and one that there were N of them.
check_verdicts() {
    local verdict rest
    while read -r verdict rest; do
        check "$rest" test "$verdict" = ok
    done < <(grep -E '^(ok|BAD) ' "$1")
    check "the test's $2 verdicts were computed" test "$(grep -cE '^(ok|BAD) ' "$1")" -eq "$2"
}

# json FILE EXPR — evaluates a Python expression on the JSON document `d`.
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# run_in_background RUN_ID URL ARGS... — `outbreak run --headless --only-summary` through
# URL into $MONGO_URL, run id RUN_ID, with ARGS (the load), in the background: the
# summary in $WORK/run.json, the output in $WORK/run.log. Sets RUN_PID.
run_in_background() {
    local id=$1 url=$2
    shift 2
    "$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" --run-id "$id" \
        --json "$WORK/run.json" "$@" >"$WORK/run.log" 2>&1 &
    RUN_PID=$!
    PIDS+=("$RUN_PID")
}

# check_seconds_acked DESCRIPTION JSON FROM TO — a check that the run's seconds FROM..TO
# (the t of its series' points) all went through: no failure, over 250 records acked in
# each (the tests' runs are at 300/s), their persisted counts printed.
check_seconds_acked() {
    check "$1" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
lo, hi = int(sys.argv[2]), int(sys.argv[3])
tail = [p for p in d["series"] if lo <= p["t"] <= hi]
print("  t, acked, failed, persisted:", [(p["t"], p["acked"], p["failed"], p["persisted"]) for p in tail])
sys.exit(0 if len(tail) == hi - lo + 1 and all(p["failed"] == 0 and p["acked"] > 250 for p in tail) else 1)' \
        "$2" "$3" "$4"
}

# kill_hard PID — SIGKILL, then waits until it is gone; sets T_KILL (epoch seconds).
kill_hard() {
    kill -9 "$1"
    wait "$1" 2>/dev/null
    T_KILL=$(date +%s.%N)
}

# make_backlog BROKER_URL N — N records of run backlog-$$ published with no sink running,
# for a sink to work through before a later run's (checked: all N acked).
make_backlog() {
    "$OUTBREAK" run --headless --broker "$1" -u 1024 -r 1000000 --once --pool "$2" --run-id "backlog-$$" \
        --only-summary --json "$WORK/backlog.json" >"$WORK/backlog.log" 2>&1
    local acked
    acked=$(json "$WORK/backlog.json" 'd["acked"]')
    check "the backlog is in the stream: acked $acked = $2" test "$acked" = "$2"
}

# start_sink BROKER_URL LOG — starts `outbreak sink` in the background; sets SINK_PID.
start_sink() {
    "$OUTBREAK" sink --broker "$1" --mongo "$MONGO_URL" >"$2" 2>&1 &
    SINK_PID=$!
    PIDS+=("$SINK_PID")
    sleep 1
}

# web_start LOG ARGS... — starts outbreak ARGS with --web-port 0; sets WEB_PID and BASE.
web_start() {
    local log=$1; shift
    "$OUTBREAK" "$@" --web-port 0 >"$log" 2>&1 &
    WEB_PID=$!
    PIDS+=("$WEB_PID")
    BASE=
    for _ in $(seq 1 50); do
        BASE=$(grep -Eo 'https?://127.0.0.1:[0-9]+' "$log" | head -1)
        [ -n "$BASE" ] && break
        sleep 0.1
    done
}

# make_certs DIR — a private CA (DIR/ca.pem) and a certificate for 127.0.0.1 and
# localhost signed by it (DIR/server.pem, DIR/server.key); SPKI is set to the base64
# SHA-256 of the certificate's public key (what Chromium can be told to trust).
make_certs() {
    local d=$1
    mkdir -p "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=outbreak test CA" \
        -keyout "$d/ca.key" -out "$d/ca.pem" >/dev/null 2>&1 &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$d/server.key" -out "$d/server.csr" >/dev/null 2>&1 &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/server.ext" &&
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
        -extfile "$d/server.ext" -out "$d/server.pem" >/dev/null 2>&1 ||
        { echo "FAIL: openssl could not make the test's certificates" >&2; exit 1; }
    SPKI=$(openssl x509 -in "$d/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
        openssl dgst -sha256 -binary | base64)
}
