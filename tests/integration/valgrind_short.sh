# valgrind_short.sh — short runs of outbreak run and outbreak sink under valgrind, for
# each middleware, of the web UI's test runner, and of outbreak compare (with its sink and run children under
# valgrind too) and outbreak report, and core NATS with io=loop: no invalid reads or writes and no definitely or
# indirectly lost memory.
source "$(dirname "$0")/lib.sh"
require_servers
require_rabbitmq
require_kafka
require_pubsub
command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed (scripts/deps)" >&2; exit 1; }
VG=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --error-exitcode=99)

# through LABEL URL — a sink and a 2 s run at 500/s, both under valgrind.
through() {
    local label=$1 url=$2 sink rc
    "${VG[@]}" "$OUTBREAK" sink --broker "$url" --mongo "$MONGO_URL" >"$WORK/sink-$label.log" 2>&1 &
    sink=$!
    PIDS+=("$sink")
    sleep 3
    "${VG[@]}" "$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 500 -t 2s --headless \
        --only-summary --json "$WORK/$label.json" --csv "$WORK/$label" >"$WORK/run-$label.log" 2>&1
    rc=$?
    check "$label run under valgrind exits 0 (got $rc; 99 = valgrind error)" test $rc -eq 0
    check "  and lost nothing" test "$(json "$WORK/$label.json" 'd["lost"]')" = 0
    kill -TERM "$sink"
    wait "$sink"
    rc=$?
    check "$label sink under valgrind exits 0 after SIGTERM (got $rc; 99 = valgrind error)" test $rc -eq 0
}

through JetStream "$NATS_URL?jetstream=1&stream=OBITV_$$&subject=obit.v.$$&durable=obit-v-$$"
# RabbitMQ: confirms read on the publishing thread, acks queued from the sink's thread
through RabbitMQ "${RABBIT_URL}?queue=$(rabbit_queue "obit.valgrind.$$")"
# Kafka: delivery reports served on the publishing thread, librdkafka's own threads
through Kafka "kafka://127.0.0.1:9092?topic=$(kafka_topic "obit.valgrind.$$")&group=obit-valgrind-$$"
# Pub/Sub: requests on a curl multi handle, pull and ack threads
through PubSub "pubsub://outbreak-local/obit-valgrind-$$?subscription=obit-valgrind-$$-sink"
# gRPC: the sink is the server; the run's calls are answered after the insert
through gRPC "grpc://127.0.0.1:50193"
"${VG[@]}" "$OUTBREAK" run --headless --broker "$NATS_URL" -u 5 -r 50 --wait 0.01-0.02 -t 1s --headless \
    >"$WORK/run-core.log" 2>&1
rc=$?
check "core closed-model run under valgrind exits 0 (got $rc)" test $rc -eq 0
# core NATS with io=loop: the publishing thread reads and writes the socket (cnats'
# event-loop mode), markers from a sync subscription
"${VG[@]}" "$OUTBREAK" run --headless --broker "$NATS_URL?io=loop" --rate 2000 --tick 10ms -t 1s --headless \
    --only-summary --json "$WORK/core-loop.json" >"$WORK/run-core-loop.log" 2>&1
rc=$?
check "core io=loop run under valgrind exits 0 (got $rc)" test $rc -eq 0
check "  and every record acked ($(json "$WORK/core-loop.json" '"%d of %d" % (d["acked"], d["sent"])'))" \
    test "$(json "$WORK/core-loop.json" 'd["acked"] == d["sent"] > 0')" = True
# scale-out: two workers of one run (the cohort, the stored figures and series), one of
# them under valgrind, then outbreak merge under valgrind
wurl="$NATS_URL?jetstream=1&stream=OBITVW_$$&subject=obit.vw.$$&durable=obit-vw-$$"
"$OUTBREAK" sink --broker "$wurl" --mongo "$MONGO_URL" >"$WORK/sink-workers.log" 2>&1 &
wsink=$!
PIDS+=("$wsink")
sleep 1
"${VG[@]}" "$OUTBREAK" run --headless --only-summary --broker "$wurl" --mongo "$MONGO_URL" --run-id "vgw-$$" \
    --workers 2 --rate 400 -t 2s >"$WORK/run-w0.log" 2>&1 &
w0=$!
"$OUTBREAK" run --headless --only-summary --broker "$wurl" --mongo "$MONGO_URL" --run-id "vgw-$$" \
    --workers 2 --rate 400 -t 2s >"$WORK/run-w1.log" 2>&1
wait "$w0"
rc=$?
check "a worker of two under valgrind exits 0 (got $rc; 99 = valgrind error)" test $rc -eq 0
"${VG[@]}" "$OUTBREAK" merge --run "vgw-$$" --mongo "$MONGO_URL" --json "$WORK/vgw.json" >"$WORK/merge.log" 2>&1
rc=$?
check "outbreak merge under valgrind exits 0 (got $rc; 99 = valgrind error)" test $rc -eq 0
check "  and merged 800 records, lost 0" test "$(json "$WORK/vgw.json" '[d["sent"], d["lost"]]')" = "[800, 0]"
kill -TERM "$wsink"
wait "$wsink"
"${VG[@]}" "$OUTBREAK" run --headless --records /nonexistent.json >/dev/null 2>&1
rc=$?
check "a usage error under valgrind exits 2 without leaks (got $rc)" test $rc -eq 2
# compare: the parent (spawning, /proc sampling, results.json, the report) and, through
# --trace-children, the sink and the run it starts
"${VG[@]}" --trace-children=yes "$OUTBREAK" compare --brokers nats \
    --url "nats=$NATS_URL?jetstream=1&stream=OBITVC_$$&subject=obit.vc.$$" --rate 300 -t 2s \
    --mongo "$MONGO_URL" --out "$WORK/compare" --sink-ready-timeout 120 >"$WORK/compare.log" 2>&1
rc=$?
check "compare under valgrind (children too) exits 0 (got $rc; 99 = valgrind error)" test $rc -eq 0
check "  and its results.json has nats with lost 0" \
    test "$(json "$WORK/compare/results.json" '[(r["middleware"], r["lost"]) for r in d["results"]]')" = "[('nats', 0)]"
for db in $(json "$WORK/compare/results.json" '" ".join("'"$MONGO_DB"'_%s_%s" % (d["id"], r["label"]) for r in d["results"])' 2>/dev/null); do
    $MONGO_TOOL dropdb 127.0.0.1 27017 "$db" >/dev/null 2>&1
done
"${VG[@]}" "$OUTBREAK" report "$WORK/compare/results.json" --html "$WORK/report.html" >/dev/null 2>&1
rc=$?
check "report under valgrind exits 0 (got $rc)" test $rc -eq 0
"${VG[@]}" "$OUTBREAK" compare --brokers nats --rate nope >/dev/null 2>&1
rc=$?
check "a compare usage error under valgrind exits 2 without leaks (got $rc)" test $rc -eq 2
# outbreak web: every route once (the dashboard over this test's sinks' counts, the
# course API, the monitor, errors), then SIGTERM.
"${VG[@]}" "$OUTBREAK" web --mongo "$MONGO_URL" --web-port 18191 --course-api --web-login a:b \
    >"$WORK/web.log" 2>&1 &
web=$!
PIDS+=("$web")
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18191/healthz >/dev/null && break; sleep 0.1; done
codes=
for u in /api/dashboard "/api/dashboard?way=nats&run=x" /api/monitor/ram "/api/monitor/processes?filter=sink" \
    /consulta/getAllMsg /consulta/getAllMsg/kafka /consulta/getAllMsg/zzz /consulta/ultimos5casos \
    /consulta/getTop5DerpartamentosInfectados /consulta/regionMasInfectada /consulta/getForState \
    /consulta/getForInfectedType /consulta/rangoEdades /prueba1 /prueba2 /nothing "/api/dashboard?way=zz"; do
    codes+="$(curl -s -u a:b -o /dev/null -w '%{http_code}' "http://127.0.0.1:18191$u") "
done
codes+="$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:18191/api/dashboard) "
codes+="$(curl -s -u a:b -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:18191/api/dashboard)"
check "web under valgrind answered every route ($codes)" \
    test "$codes" = "200 200 200 200 200 200 404 200 200 200 200 200 200 200 200 404 400 401 405"
kill -TERM "$web"
wait "$web"
rc=$?
check "web under valgrind exits 0 after SIGTERM (got $rc; 99 = valgrind error)" test $rc -eq 0
# the web UI's test runner: outbreak run without --headless (--autostart), the page and
# its scripts, the state, series and logs, an edit of the rate while it runs, the
# downloads, a new test refused with a bad field and then one started and stopped, SIGINT.
UIP=18192
"${VG[@]}" "$OUTBREAK" run --broker "$NATS_URL?subject=obit.vui.$$" --rate 200 -t 3s --autostart \
    --web-port $UIP >"$WORK/ui.log" 2>&1 &
ui=$!
PIDS+=("$ui")
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:$UIP/healthz >/dev/null && break; sleep 0.1; done
U=http://127.0.0.1:$UIP
POST=(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Outbreak: 1')
codes=
for u in / /ui.js /uplot.js /api/run/state "/api/run/series?from=0" "/api/run/logs?from=0"; do
    codes+="$(curl -s -o /dev/null -w '%{http_code}' "$U$u") "
done
sleep 1
codes+="$("${POST[@]}" -d rate=300 "$U/api/run/edit") "
for _ in $(seq 1 150); do curl -s "$U/api/run/state" | grep -q '"status":"stopped"' && break; sleep 0.2; done
codes+="$(curl -s -o /dev/null -w '%{http_code}' "$U/download/nats_stats.csv") "
codes+="$("${POST[@]}" "$U/api/run/new") $("${POST[@]}" -d users=x "$U/api/run/start") "
codes+="$("${POST[@]}" -d users=2 -d rate= -d run_time=5s "$U/api/run/start") "
sleep 2
codes+="$("${POST[@]}" "$U/api/run/stop") $(curl -s -o /dev/null -w '%{http_code}' -X POST "$U/api/run/stop")"
for _ in $(seq 1 150); do curl -s "$U/api/run/state" | grep -q '"status":"stopped"' && break; sleep 0.2; done
check "the web UI's runner under valgrind answered every route ($codes)" \
    test "$codes" = "200 200 200 200 200 200 200 200 200 400 200 200 403"
kill -INT "$ui"
wait "$ui"
rc=$?
check "run with the UI under valgrind exits 0 after SIGINT (got $rc; 99 = valgrind error)" test $rc -eq 0
[ "$FAILED" -eq 0 ] || tail -30 "$WORK"/*.log
finish
