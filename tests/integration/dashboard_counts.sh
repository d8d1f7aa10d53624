# dashboard_counts.sh — `outbreak web`'s data dashboard against the records themselves.
# Loads go through every middleware (gRPC, NATS JetStream, RabbitMQ, Pub/Sub, Kafka) into
# this test's own database; then a JetStream sink is killed (SIGKILL) in the middle of a
# run and another takes over, so that records are redelivered (duplicates) and the dead
# sink's last counts were never saved. The dashboard's figures are the sinks' counts
# (sink_stats.dash): for every way and for all, they must equal what this test computes
# itself from every record in MongoDB (mongo_tool.py dash): the count, each department,
# state, infectedtype and age range, and the newest case. Also: the course project's API
# (its routes and shapes, CORS only there), the login, the monitor listing the sink, and
# the command's bad input.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_gateway.sh"
require_servers
require_rabbitmq
require_kafka
require_pubsub

WEB_PORT=18189

# load LABEL URL: a sink for URL, a run of 600 records through it, the sink stopped.
load() {
    local label=$1 url=$2 run="dash-$1-$$"
    start_sink "$url" "$WORK/sink-$label.log"
    "$OUTBREAK" run --headless --broker "$url" --rate 300 -t 2s --mongo "$MONGO_URL" --run-id "$run" \
        --only-summary --json "$WORK/run-$label.json" >"$WORK/run-$label.out" 2>&1
    check "$label: 600 records persisted, none lost ($(json "$WORK/run-$label.json" '(d["persisted"], d["lost"])'))" \
        test "$(json "$WORK/run-$label.json" '(d["persisted"], d["lost"])')" = "(600, 0)"
    kill -TERM "$SINK_PID"
    wait "$SINK_PID"
}

load grpc "grpc://127.0.0.1:50191"
load jetstream "$NATS_URL?jetstream=1&stream=OBITDASH_$$&subject=obit.dash.$$&durable=obit-dash-$$"
load rabbitmq "${RABBIT_URL}?queue=$(rabbit_queue "obit.dash.$$")"
load pubsub "pubsub://outbreak-local/obit-dash-$$?subscription=obit-dash-$$-sink"
load kafka "kafka://127.0.0.1:9092?topic=$(kafka_topic "obit.dash.$$")&group=obit-dash-$$"

# A sink killed mid-run: its unacked deliveries come again (duplicates for those it had
# inserted), and its counts since its last save are lost until someone recounts it.
JS="$NATS_URL?jetstream=1&stream=OBITDASHK_$$&subject=obit.dashk.$$&durable=obit-dashk-$$&ack_wait=2000"
start_sink "$JS" "$WORK/sink-killed.log"
KILLED=$SINK_PID
"$OUTBREAK" run --headless --broker "$JS" --rate 500 -t 4s --mongo "$MONGO_URL" --run-id "dash-kill-$$" \
    --only-summary --json "$WORK/run-kill.json" >"$WORK/run-kill.out" 2>&1 &
RUN=$!
sleep 2
kill -KILL "$KILLED"
wait "$KILLED" 2>/dev/null
start_sink "$JS" "$WORK/sink-after.log"
wait "$RUN"
echo "kill run: $(json "$WORK/run-kill.json" '"persisted %s (%s), duplicates %s, lost %s" % (d["persisted"], d["persisted_source"], d["duplicates"], d["lost"])')"
check "kill run: every record persisted, none lost" \
    test "$(json "$WORK/run-kill.json" '(d["persisted"], d["lost"])')" = "(2000, 0)"
# the dead sink is seen once its heartbeat is 3 intervals + 2 s old; checked every 10 s
for _ in $(seq 1 40); do
    grep -q "recounted sink" "$WORK/sink-after.log" && break
    sleep 1
done
RECOUNT=$(grep "recounted sink" "$WORK/sink-after.log" | head -1)
echo "$RECOUNT"
check "the next sink recounted the killed one" test -n "$RECOUNT"
kill -TERM "$SINK_PID"
wait "$SINK_PID"

# Duplicates for sure: the same record, with its metadata, POSTed three times to a
# gateway: the sink inserts it once and counts two duplicates, which the dashboard must
# not count.
start_sink "$JS" "$WORK/sink-dups.log"
start_gateway dups "$JS" -q
DUP='{"name":"Ana Duplicada","location":"Petén","age":90,"infectedtype":"imported","state":"symptomatic","run":"dash-dups-'$$'","producer":7,"seq":1,"sent_ns":1}'
for _ in 1 2 3; do curl -s -o /dev/null -d "$DUP" "http://127.0.0.1:$GW_PORT/"; done
stop_gateway
for _ in $(seq 1 50); do
    [ "$($MONGO_TOOL sinkdone 127.0.0.1 27017 "$MONGO_DB" "dash-dups-$$" 1)" = 1 ] && break
    sleep 0.2
done
sleep 1.5 # the two duplicates follow the first in the same stream
kill -TERM "$SINK_PID"
wait "$SINK_PID"
check "dups: the sink inserted 1, refused 2 as duplicates ($(grep -o 'stopped: .*duplicates' "$WORK/sink-dups.log"))" \
    grep -q 'stopped: 1 persisted .*, 2 duplicates' "$WORK/sink-dups.log"

# The dashboard against the records.
"$OUTBREAK" web --mongo "$MONGO_URL" --web-port $WEB_PORT --course-api >"$WORK/web.log" 2>&1 &
WEB=$!
PIDS+=("$WEB")
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$WEB_PORT/healthz" >/dev/null && break; sleep 0.1; done

# same WAY: the dashboard's figures for WAY ("" = all) equal the records' own
same() {
    local way=$1 q=${1:+?way=$1}
    curl -sf "http://127.0.0.1:$WEB_PORT/api/dashboard$q" >"$WORK/web-${way:-all}.json"
    $MONGO_TOOL dash 127.0.0.1 27017 "$MONGO_DB" $way >"$WORK/db-${way:-all}.json"
    python3 - "$WORK/web-${way:-all}.json" "$WORK/db-${way:-all}.json" <<'PY' >"$WORK/diff-${way:-all}.txt"
import json, sys
web, db = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
pairs = lambda a: {x["_id"]: x["count"] for x in a}
diffs = []
def cmp(what, a, b):
    if a != b:
        diffs.append("%s: dashboard %s, records %s" % (what, a, b))
cmp("records", web["records"], db["records"])
cmp("departments", pairs(web["departments"]), db["location"])
cmp("states", pairs(web["by_state"]), db["state"])
cmp("infectedtypes", pairs(web["by_infectedtype"]), db["infectedtype"])
cmp("age ranges", pairs(web["age_ranges"]), db["age"])
cmp("newest", web["latest"][0]["persisted_at_ms"] if web["latest"] else 0, db["newest_ms"])
counts = [x["count"] for x in web["departments"]]
cmp("departments sorted", counts, sorted(counts, reverse=True))
print("%d records" % db["records"] if not diffs else "; ".join(diffs))
PY
    local got
    got=$(cat "$WORK/diff-${way:-all}.txt")
    check "dashboard ${way:-all}: equal to the records ($got)" grep -qx '[0-9]* records' "$WORK/diff-${way:-all}.txt"
}
same ""
for w in grpc nats rabbitmq pubsub kafka; do same $w; done
check "all: 5 x 600 + 2000 + 1 records" test "$(json "$WORK/web-all.json" 'd["records"]')" = 5001
curl -sf "http://127.0.0.1:$WEB_PORT/api/dashboard?run=dash-dups-$$" >"$WORK/web-dups.json"
check "the duplicated record counted once in its run ($(json "$WORK/web-dups.json" 'd["records"]'))" \
    test "$(json "$WORK/web-dups.json" '(d["records"], d["latest"][0]["name"])')" = "(1, 'Ana Duplicada')"

# The course project's API: shapes, order, CORS on its routes only.
C="http://127.0.0.1:$WEB_PORT"
curl -s -D "$WORK/h-top5" "$C/consulta/getTop5DerpartamentosInfectados" >"$WORK/top5.json"
check "getTop5DerpartamentosInfectados: the 5 first of the dashboard's departments" \
    python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))['departments'][:5]; sys.exit(a != b or len(a) != 5)" "$WORK/top5.json" "$WORK/web-all.json"
check "course routes allow any origin" grep -qi '^Access-Control-Allow-Origin: \*' "$WORK/h-top5"
curl -s -D "$WORK/h-api" -o /dev/null "$C/api/dashboard"
check "the dashboard's own route does not" bash -c "! grep -qi '^Access-Control-Allow-Origin' '$WORK/h-api'"
curl -s "$C/consulta/getAllMsg/kafka" >"$WORK/allmsg-kafka.json"
check "getAllMsg/kafka: 50 records, all canal kafka, newest first, with fecha" python3 -c "
import json,sys; a=json.load(open(sys.argv[1]))
ok = len(a) == 50 and all(x['canal'] == 'kafka' and x['fecha'].endswith('Z') for x in a)
ok = ok and [x['fecha'] for x in a] == sorted((x['fecha'] for x in a), reverse=True)
sys.exit(not ok)" "$WORK/allmsg-kafka.json"
curl -s "$C/consulta/getAllMsg/Google%20Pub-Sub" >"$WORK/allmsg-pubsub.json"
check "getAllMsg/Google Pub-Sub: the Pub/Sub records" \
    test "$(json "$WORK/allmsg-pubsub.json" 'sorted(set(x["canal"] for x in d))')" = "['Google Pub-Sub']"
check "ultimos5casos: 5 cases" test "$(curl -s "$C/consulta/ultimos5casos" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 5
curl -s "$C/consulta/regionMasInfectada" >"$WORK/region.json"
check "regionMasInfectada: the regions, most infected first, summing to the records" python3 -c "
import json,sys; a=json.load(open(sys.argv[1])); c=[x['count'] for x in a]
sys.exit(not (c == sorted(c, reverse=True) and sum(c) == 5001 and a[0]['_id'] in ('Metropolitana','Norte','Nororiente','Suroriente','Central','Suroccidente','Noroccidente','Petén')))" "$WORK/region.json"
check "rangoEdades sums to the records" test "$(curl -s "$C/consulta/rangoEdades" | python3 -c 'import json,sys; print(sum(x["count"] for x in json.load(sys.stdin)))')" = 5001
check "/prueba1: total, free, cache, used in KB" test "$(curl -s "$C/prueba1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(d), d["total"] > d["used"] > 0)')" = "['cache', 'free', 'total', 'used'] True"
check "/prueba2 lists this shell with its parent" test "$(curl -s "$C/prueba2" | python3 -c "import json,sys; print([x['parent'] for x in json.load(sys.stdin) if x['pid'] == $$])")" = "[$PPID]"
check "unknown canal: 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$C/consulta/getAllMsg/carrier-pigeon")" = 404
check "POST: 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$C/api/dashboard")" = 405
check "unknown way: 400 naming it" test "$(curl -s "$C/api/dashboard?way=bogus")" = '{"error":"unknown way \"bogus\" (all, grpc, nats, rabbitmq, pubsub, kafka)"}'

# The monitor lists a running sink with its role.
start_sink "$JS" "$WORK/sink-monitored.log"
check "the monitor lists the sink (pid $SINK_PID) with role sink" test \
    "$(curl -s "$C/api/monitor/processes?filter=sink" | python3 -c "import json,sys; print([x['role'] for x in json.load(sys.stdin) if x['pid'] == $SINK_PID])")" = "['sink']"
kill -TERM "$SINK_PID"
wait "$SINK_PID"
kill -TERM "$WEB"
wait "$WEB"
check "web exits 0 on SIGTERM and says what it answered ($(tail -1 "$WORK/web.log"))" grep -q "stopped; answered" "$WORK/web.log"

# The login: every route but /healthz and the course API.
"$OUTBREAK" web --mongo "$MONGO_URL" --web-port $WEB_PORT --web-login 'ann:s3cret' --course-api >"$WORK/web2.log" 2>&1 &
WEB=$!
PIDS+=("$WEB")
for _ in $(seq 1 50); do curl -sf "$C/healthz" >/dev/null && break; sleep 0.1; done
check "login: none -> 401 with a Basic challenge" test "$(curl -s -o /dev/null -w '%{http_code}' -D "$WORK/h-401" "$C/api/dashboard")" = 401
check "login: the challenge names the realm" grep -qi 'WWW-Authenticate: Basic realm="outbreak"' "$WORK/h-401"
check "login: a wrong password -> 401" test "$(curl -s -o /dev/null -w '%{http_code}' -u ann:wrong "$C/api/monitor/ram")" = 401
check "login: right -> 200" test "$(curl -s -o /dev/null -w '%{http_code}' -u ann:s3cret "$C/api/monitor/ram")" = 200
check "login: the course API stays open (its front end cannot log in)" test "$(curl -s -o /dev/null -w '%{http_code}' "$C/consulta/getForState")" = 200
kill -TERM "$WEB"
wait "$WEB"

# Bad input: one line, exit 2; MongoDB that is not there: exit 1 naming it, quickly.
fails_usage() {
    local what=$1; shift
    "$OUTBREAK" web "$@" >"$WORK/bad.out" 2>&1
    local rc=$? lines
    lines=$(wc -l <"$WORK/bad.out")
    check "$what: exit 2, one line ($(head -1 "$WORK/bad.out"))" test "$rc:$lines" = "2:1"
}
fails_usage "--web-login without a password" --web-login ann
fails_usage "--web-port 70000" --web-port 70000
fails_usage "--web-host not an address" --web-host nowhere --mongo "$MONGO_URL"
OUTBREAK_WEB_LOGIN=nocolon fails_usage "OUTBREAK_WEB_LOGIN without a colon"
t0=$(date +%s%N)
"$OUTBREAK" web --mongo mongodb://127.0.0.1:1/x --web-port 0 >"$WORK/nomongo.out" 2>&1
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "MongoDB on port 1: exit 1 in ${ms} ms naming 127.0.0.1:1 ($(head -1 "$WORK/nomongo.out"))" \
    bash -c "test $rc = 1 && test $ms -lt 8000 && grep -q '127.0.0.1:1' '$WORK/nomongo.out'"
finish
