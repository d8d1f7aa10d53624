# compose.sh — compose.yaml with a real Docker daemon: the same file users run, with only
# the image variables changed to the local stand-ins of docker/local/ (official images
# cannot be pulled on these machines). Phases, each timed:
#   setup    scripts/docker up (the daemon, the Compose plugin, the base image)
#   images   the outbreak image (docker/Dockerfile) and the stand-ins (docker/local/build.sh)
#   config   `docker compose config` clean for the default and for every profile
#   up       `up -d --wait`: every server healthy
#   warm     short runs through the LB (not counted) until one has no failure and a
#            publish p99 under 1 s: the JVM brokers' first records take seconds
#   lb       `docker compose run --rm loadgen run -H http://lb/ ...` with --mongo: every
#            acked record persisted, lost 0; the records spread over the five ways
#   web      the web UI's dashboard over that run, and a test started from its form
#   monitoring  the profile's Prometheus (Debian's, as a stand-in) with
#            docker/prometheus/prometheus.yml: every target it discovers is up (5 sinks,
#            5 gateways, the web UI, RabbitMQ's plugin, itself), PromQL's persisted total
#            of the LB run equals MongoDB's count, and every query of the Grafana
#            dashboard (docker/grafana/dashboards/outbreak.json) runs and has data
#   faults   the same through the LB while rabbitmq restarts and sink-kafka is killed and
#            started again: every acked record persisted (lost 0, unconfirmed 0)
#   compare  `outbreak compare` of the five middlewares inside the network: exit 0
#   scale    `up -d --scale gateway-nats=3`: the LB spreads the NATS share over three
#   down     `down -v`: no container, network or volume of the project left
# Label "docker"; run by make test (ctest), which CI runs.
set -u
WORK_PREFIX=outbreak-docker
source "$(dirname "$0")/lib.sh"
PROJECT=obtest$$

# the stand-ins for the official images, and the outbreak image built on the local base
export OUTBREAK_IMAGE=outbreak:compose-test
export OUTBREAK_BASE_IMAGE=outbreak-base:bookworm
export NATS_IMAGE=outbreak-local/nats:latest
export RABBITMQ_IMAGE=outbreak-local/rabbitmq:latest
export KAFKA_IMAGE=outbreak-local/kafka:latest
export MONGO_IMAGE=outbreak-local/mongo:latest
export PUBSUB_IMAGE=outbreak-local/pubsub:latest
export NGINX_IMAGE=outbreak-local/nginx:latest
export PROMETHEUS_IMAGE=outbreak-local/prometheus:latest
export PROMETHEUS_PORT=$(free_port)
export LB_PORT=$(free_port)
export WEB_PORT=$(free_port)
MONGO_PORT=$(free_port)
export COMPOSE_PROFILES=all
# the test's own addition: MongoDB published on loopback, to count the records from here
cat >"$WORK/compose.test.yaml" <<EOF
services:
  mongo:
    ports: ["127.0.0.1:$MONGO_PORT:27017"]
EOF
DC=(docker compose -p "$PROJECT" --project-directory "$SRC" -f "$SRC/compose.yaml" -f "$WORK/compose.test.yaml")

cleanup() {
    if [ -n "${UP:-}" ]; then
        COMPOSE_PROFILES=all,monitoring "${DC[@]}" logs --no-color >"$WORK/compose.log" 2>&1
        COMPOSE_PROFILES=all,monitoring "${DC[@]}" down -v --remove-orphans >/dev/null 2>&1
    fi
    if [ "$FAILED" -gt 0 ]; then
        keep="${TMPDIR:-/tmp}/outbreak-failed-docker-$$"
        mv "$WORK" "$keep" && echo "logs of the failed test kept in $keep" >&2
    else
        rm -rf "$WORK"
    fi
    [ -z "${DAEMON_STARTED:-}" ] || "$SRC/scripts/docker" daemon-down >/dev/null 2>&1
}
trap cleanup EXIT

# the records of RUN per way in the project's MongoDB: "grpc 12 kafka 30 ..."
ways() { $MONGO_TOOL ways 127.0.0.1 "$MONGO_PORT" outbreak "$1" | sort | tr '\n' ' '; }
# wait_count RUN N SECONDS — until MongoDB holds at least N records of RUN; sets COUNT
# and WAITED (seconds)
wait_count() {
    local t0=$SECONDS
    COUNT=0
    while [ $((SECONDS - t0)) -le "$3" ]; do
        COUNT=$($MONGO_TOOL count 127.0.0.1 "$MONGO_PORT" outbreak records "$1" 2>/dev/null || echo 0)
        [ "$COUNT" -ge "$2" ] && break
        sleep 2
    done
    WAITED=$((SECONDS - t0))
}
# loadgen ARGS...: `docker compose run --rm loadgen ARGS` with $WORK at /work
loadgen() { "${DC[@]}" run --rm -T -v "$WORK:/work" loadgen "$@"; }

# ---- setup ---------------------------------------------------------------------------
phase setup
docker info >/dev/null 2>&1 || DAEMON_STARTED=1
if ! "$SRC/scripts/docker" up >"$WORK/setup.log" 2>&1; then
    fail "scripts/docker up: $(tail -n 3 "$WORK/setup.log")"
    exit 1
fi
pass "scripts/docker up: $(docker compose version 2>&1 | head -n 1)"

# ---- images --------------------------------------------------------------------------
phase images
if ! bash "$SRC/docker/local/build.sh" >"$WORK/standins.log" 2>&1; then
    fail "docker/local/build.sh: $(tail -n 5 "$WORK/standins.log")"
    exit 1
fi
pass "the stand-ins built: $(docker image ls --format '{{.Repository}}' 'outbreak-local/*' | sort | tr '\n' ' ')"
if ! "${DC[@]}" build >"$WORK/build.log" 2>&1; then
    fail "docker compose build: $(tail -n 5 "$WORK/build.log")"
    exit 1
fi
pass "docker compose build: $OUTBREAK_IMAGE, $(docker image inspect -f '{{.Size}}' "$OUTBREAK_IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"

# ---- config --------------------------------------------------------------------------
phase config
for profiles in all nats rabbitmq kafka pubsub grpc db lb tools monitoring all,monitoring; do
    out=$(COMPOSE_PROFILES=$profiles docker compose --project-directory "$SRC" -f "$SRC/compose.yaml" config -q 2>&1)
    check "docker compose config clean, profile $profiles" test -z "$out"
    out=$(COMPOSE_PROFILES=$profiles docker compose --project-directory "$SRC" -f "$SRC/compose.yaml" \
        -f "$SRC/docker/compose.vm.yaml" config -q 2>&1)
    check "with docker/compose.vm.yaml too, profile $profiles" test -z "$out"
done
# the official images by default: no stand-in in the file
defaults=$(env -u NATS_IMAGE -u RABBITMQ_IMAGE -u KAFKA_IMAGE -u MONGO_IMAGE -u PUBSUB_IMAGE -u NGINX_IMAGE \
    -u PROMETHEUS_IMAGE COMPOSE_PROFILES=all,monitoring docker compose --project-directory "$SRC" -f "$SRC/compose.yaml" config --images 2>&1 | sort -u | tr '\n' ' ')
check "the official images by default ($defaults)" \
    test "$(grep -o 'outbreak-local' <<<"$defaults" | wc -l)" -eq 0
published=$("${DC[@]}" config --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(n for n, s in d["services"].items() if s.get("ports"))))')
check "only lb and web (and the test's mongo) publish a port (got: $published)" test "$published" = "lb mongo web"

# ---- up ------------------------------------------------------------------------------
phase up
UP=1
if ! "${DC[@]}" up -d --wait --wait-timeout 300 >"$WORK/up.log" 2>&1; then
    fail "docker compose up -d --wait: $(tail -n 5 "$WORK/up.log")"
    "${DC[@]}" ps -a >&2
    exit 1
fi
pass "up -d --wait: $("${DC[@]}" ps --format '{{.Service}}:{{.Health}}' | sort | tr '\n' ' ')"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LB_PORT/nginx-health")
check "the LB answers on its published port ($code)" test "$code" = 200

# ---- warm-up: every way answers quickly before the measured run ----------------------
# Right after `up` the JVM brokers (Kafka, the Pub/Sub emulator) take seconds for their
# first records (topic creation, JIT); a gateway then answers 503 after its 3 s ack
# timeout, and the record may still arrive later. Like OpenMessaging Benchmark's warm-up,
# short runs through the LB (another run id, not counted) until one has no failure and a
# publish p99 under a second; at most 90 s.
phase warm
warm_ok=0
WARM_ACKED=0 # the gateways' counters include these
for i in $(seq 1 15); do
    rm -f "$WORK/warm.json"
    loadgen run --headless -H http://lb/ --connections 32 --rate 50 -t 3s --run-id "warm-$$-$i" \
        --only-summary --json "/work/warm.json" >"$WORK/warm.out" 2>&1 || true
    if [ -s "$WORK/warm.json" ]; then
        read -r wacked wfailed wp99 < <(json "$WORK/warm.json" 'd["acked"], d["failed"], d["publish_latency_ms"]["p99"]')
        WARM_ACKED=$((WARM_ACKED + wacked))
        echo "warm-up $i: acked $wacked, failed $wfailed, publish p99 $wp99 ms"
        if [ "$wfailed" = 0 ] && python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < 1000)' "$wp99"; then
            warm_ok=1
            break
        fi
    fi
    [ "$(date +%s)" -lt $((PHASE_T + 90)) ] || break
done
check "warm-up: a run through the LB with no failure and publish p99 < 1 s (after $i runs)" test "$warm_ok" = 1

# ---- a load through the LB into every middleware -------------------------------------
phase lb
rc=0
loadgen run --headless -H http://lb/ --connections 32 --rate 100 -t 10s --mongo mongodb://mongo:27017/outbreak \
    --run-id lb-$$ --only-summary --json /work/lb.json >"$WORK/lb.out" 2>&1 || rc=$?
if [ -s "$WORK/lb.json" ]; then
    read -r sent acked persisted failed lost < <(json "$WORK/lb.json" 'd["sent"], d["acked"], d["persisted"], d["failed"], d["lost"]')
    echo "through the LB: exit $rc, sent $sent, acked $acked, failed $failed, persisted $persisted, lost $lost"
    check "through the LB: sent $sent = acked $acked = 1000, failed $failed = 0" \
        test "$sent" = 1000 -a "$acked" = 1000 -a "$failed" = 0
    # the run's own drain gives up after 10 s without progress; the Pub/Sub emulator may
    # hold a delivery longer (redelivered after its ack deadline), which the run then
    # calls lost: the system's delivery is judged by MongoDB, given 90 s
    wait_count "lb-$$" "$acked" 90
    check "MongoDB holds every acked record of the LB run: $COUNT of $acked (after ${WAITED} s more; the run's drain said persisted $persisted, lost $lost)" \
        test "$COUNT" = "$acked"
    w=$(ways "lb-$$")
    echo "records by way: $w"
    check "the records went all five ways, each with a share ($w)" python3 -c '
import sys
w = sys.argv[1].split(); n = dict(zip(w[::2], map(int, w[1::2])))
sys.exit(not (sorted(n) == ["grpc", "kafka", "nats", "pubsub", "rabbitmq"] and all(v >= 100 for v in n.values())))' "$w"
else
    fail "no summary from the loadgen: $(tail -n 5 "$WORK/lb.out")"
fi

# ---- the web UI: the dashboard over the LB run, a test started from its form ------------
phase web
WEB=http://127.0.0.1:$WEB_PORT
# the sinks save their counts at most once a second: give them a few
for _ in $(seq 1 15); do
    curl -s "$WEB/api/dashboard?run=lb-$$" >"$WORK/dash.json"
    [ "$(json "$WORK/dash.json" 'd.get("records")')" = "$COUNT" ] && break
    sleep 1
done
check "web: the dashboard of the LB run counts MongoDB's records ($(json "$WORK/dash.json" 'd.get("records")') = $COUNT)" \
    test "$(json "$WORK/dash.json" 'd.get("records")')" = "$COUNT"
curl -s "$WEB/api/run/state" >"$WORK/state.json"
check "web: the form offers the LB and the five middlewares ($(json "$WORK/state.json" 'len(d["form"]["brokers"])'))" \
    test "$(json "$WORK/state.json" 'len(d["form"]["brokers"])')" = 6
check "web: RabbitMQ's password is masked in the form" \
    bash -c "grep -q 'amqp://outbreak:\*\*\*@rabbitmq' '$WORK/state.json' && ! grep -q 'outbreak:outbreak@' '$WORK/state.json'"
code=$(curl -s -o "$WORK/start.json" -w '%{http_code}' -X POST -H 'X-Outbreak: 1' \
    --data-urlencode 'broker=nats://nats:4222?jetstream=1' -d rate=100 -d run_time=3s "$WEB/api/run/start")
check "web: a JetStream test started from the form: 200 (got $code)" test "$code" = 200
for _ in $(seq 1 60); do
    curl -s "$WEB/api/run/state" >"$WORK/state.json"
    [ "$(json "$WORK/state.json" 'd["status"]')" = stopped ] && break
    sleep 1
done
row=$(json "$WORK/state.json" '(d["stats"][0]["acked"], d["stats"][0]["persisted"], d["stats"][0]["lost"]) if d["stats"] else None')
check "web: the test ended with 300 acked, persisted, none lost (got $row)" test "$row" = "(300, 300, 0)"

# ---- monitoring: Prometheus scrapes everything, the dashboard's queries have data ------
phase monitoring
PROM=http://127.0.0.1:$PROMETHEUS_PORT
# promql QUERY — the instant query's result as JSON lines "labels value" (status checked)
promql() {
    curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["status"] == "success", d
for r in d["data"]["result"]:
    print(json.dumps(r["metric"], sort_keys=True), r["value"][1])'
}
if COMPOSE_PROFILES=all,monitoring "${DC[@]}" up -d --wait --wait-timeout 120 prometheus >"$WORK/monitoring.log" 2>&1; then
    pass "Prometheus up (profile monitoring, $PROMETHEUS_IMAGE)"
    want="outbreak-gateway:5 outbreak-sink:5 outbreak-web:1 prometheus:1 rabbitmq:1"
    for _ in $(seq 1 60); do
        curl -sf "$PROM/api/v1/targets" >"$WORK/targets.json" || true
        got=$(python3 -c '
import collections, json, sys
t = json.load(open(sys.argv[1]))["data"]["activeTargets"]
up = collections.Counter(x["labels"]["job"] for x in t if x["health"] == "up")
print(" ".join("%s:%d" % kv for kv in sorted(up.items())), "| down:", " ".join(
    x["scrapeUrl"] for x in t if x["health"] != "up") or "none")' "$WORK/targets.json" 2>/dev/null)
        [ "$got" = "$want | down: none" ] && break
        sleep 2
    done
    check "every target Prometheus discovered is up: $got" test "$got" = "$want | down: none"
    sleep 11 # two scrapes (every 5 s) of each target: what rate() needs
    q=$(promql "sum(outbreak_records_persisted_total{run=\"lb-$$\"})" | awk '{print $2}')
    check "PromQL: the sinks' persisted total of the LB run ($q) = MongoDB's count ($COUNT)" test "$q" = "$COUNT"
    q=$(promql 'sum(outbreak_records_acked_total{role="gateway"})' | awk '{print $2}')
    check "PromQL: the gateways acked the LB run's 1000 records and the warm-up's $WARM_ACKED (got $q)" \
        test "$q" = $((1000 + WARM_ACKED))
    # every query of the dashboard: runs, and has data (NATS's series need its exporter,
    # which has no stand-in here; lost comes from load generators, none scraped here)
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["panels"]:
    for t in p.get("targets", []):
        print(t["expr"].replace("$__rate_interval", "5m"))' "$SRC/docker/grafana/dashboards/outbreak.json" >"$WORK/exprs"
    ok=0 empty=() bad=()
    while IFS= read -r e; do
        if ! promql "$e" >"$WORK/expr.out" 2>/dev/null; then bad+=("$e"); continue; fi
        if [ -s "$WORK/expr.out" ]; then ok=$((ok + 1))
        elif ! grep -q 'gnatsd_\|outbreak_records_lost' <<<"$e"; then empty+=("$e"); fi
    done <"$WORK/exprs"
    check "the Grafana dashboard's $(wc -l <"$WORK/exprs") queries all run (failed: ${bad[*]:-none})" test ${#bad[@]} = 0
    check "... and $ok have data; none empty but NATS's and lost (empty: ${empty[*]:-none})" test ${#empty[@]} = 0
else
    fail "up prometheus: $(tail -n 5 "$WORK/monitoring.log")"
fi

# ---- faults: a broker restarted and a sink killed in the middle of a run ---------------
phase faults
(
    sleep 4
    docker compose -p "$PROJECT" restart rabbitmq >"$WORK/restart.log" 2>&1
    echo "rabbitmq restarted at $(date -u +%T)" >>"$WORK/faults.log"
) &
fault1=$!
(
    sleep 6
    docker compose -p "$PROJECT" kill sink-kafka >"$WORK/kill.log" 2>&1
    echo "sink-kafka killed at $(date -u +%T)" >>"$WORK/faults.log"
    sleep 3
    docker compose -p "$PROJECT" start sink-kafka >>"$WORK/kill.log" 2>&1
    echo "sink-kafka started again at $(date -u +%T)" >>"$WORK/faults.log"
) &
fault2=$!
rc=0
loadgen run --headless -H http://lb/ --connections 32 --rate 100 -t 15s --mongo mongodb://mongo:27017/outbreak --run-id faults-$$ \
    --only-summary --stop-timeout 60s --json /work/faults.json --csv /work/faults >"$WORK/faults.out" 2>&1 || rc=$?
wait "$fault1" "$fault2"
cat "$WORK/faults.log"
if [ -s "$WORK/faults.json" ]; then
    read -r sent acked persisted failed lost unconfirmed < <(json "$WORK/faults.json" \
        'd["sent"], d["acked"], d["persisted"], d["failed"], d["lost"], d["unconfirmed"]')
    echo "faults: exit $rc, sent $sent, acked $acked, failed $failed, persisted $persisted, lost $lost, unconfirmed $unconfirmed"
    [ ! -s "$WORK/faults_failures.csv" ] || sed 's/^/  /' "$WORK/faults_failures.csv"
    # persisted may exceed acked: a request answered 503 after the gateway's ack timeout
    # whose record the broker took after all is stored, and counted, but not acked
    # what the run's drain called lost must turn up (see the LB phase), given 90 s
    wait_count "faults-$$" $((persisted + lost)) 90
    check "faults: every acked record persisted: persisted $persisted >= acked $acked, unconfirmed 0, lost $lost (MongoDB then held $COUNT after ${WAITED} s more)" \
        test $((persisted + lost)) -ge "$acked" -a "$unconfirmed" = 0 -a "$COUNT" -ge $((persisted + lost))
    check "faults: every record answered (sent $sent = acked + failed)" test "$sent" = $((acked + failed))
    check "faults: the run went on (acked $acked of 1500, at least 80 %)" test "$acked" -ge 1200
    w=$(ways "faults-$$")
    echo "records by way: $w"
    check "faults: MongoDB holds at least the persisted $persisted: $COUNT (by way: $w)" \
        test "$COUNT" -ge "$persisted"
else
    fail "no summary from the faults run: $(tail -n 5 "$WORK/faults.out")"
fi

# ---- compare inside the network -------------------------------------------------------
phase compare
rc=0
loadgen compare --brokers grpc,nats,rabbitmq,pubsub,kafka \
    --url "nats=nats://nats:4222?jetstream=1&stream=CMP$$&subject=outbreak.cmp.$$" \
    --url "rabbitmq=amqp://outbreak:outbreak@rabbitmq:5672/?queue=outbreak.cmp.$$" \
    --url "kafka=kafka://kafka:9092?topic=outbreak.cmp.$$&group=outbreak-cmp-$$" \
    --url "pubsub=pubsub://outbreak-local/outbreak-cmp-$$?subscription=outbreak-cmp-$$-sink&emulator=pubsub:8085" \
    --mongo mongodb://mongo:27017/outbreak --rate 200 -t 3s --out /work/compare >"$WORK/compare.out" 2>&1 || rc=$?
check "compare of the five inside the network: exit 0 (got $rc)" test "$rc" = 0
if [ -s "$WORK/compare/results.json" ]; then
    summary=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = d.get("middlewares") or d.get("results") or []
print(" ".join("%s:%s/%s" % (r.get("middleware"), r.get("acked"), r.get("persisted")) for r in rows))' \
        "$WORK/compare/results.json")
    echo "compare acked/persisted: $summary"
    check "compare: five middlewares, acked = persisted = 600 each ($summary)" python3 -c '
import sys
rows = sys.argv[1].split()
sys.exit(not (len(rows) == 5 and all(r.split(":")[1] == "600/600" for r in rows)))' "$summary"
else
    fail "compare wrote no results.json: $(tail -n 5 "$WORK/compare.out")"
fi

# ---- scale: three NATS gateways behind the LB ------------------------------------------
phase scale
if "${DC[@]}" up -d --wait --wait-timeout 180 --scale gateway-nats=3 >"$WORK/scale.log" 2>&1; then
    n=$("${DC[@]}" ps --format '{{.Service}}' gateway-nats | wc -l)
    check "gateway-nats scaled to 3 (got $n)" test "$n" = 3
    sleep 6 # the LB re-resolves names every 5 s
    rc=0
    loadgen run --headless -H http://lb/ --connections 32 --rate 100 -t 4s --only-summary --run-id scale-$$ --json /work/scale.json \
        >"$WORK/scale.out" 2>&1 || rc=$?
    check "through the LB with three NATS gateways: exit 0 (got $rc)" test "$rc" = 0
    replicas=$("${DC[@]}" exec -T lb getent hosts gateway-nats 2>/dev/null | awk '{print $1}' | sort -u | wc -l)
    check "the LB's resolver gives gateway-nats 3 addresses (got $replicas)" test "$replicas" = 3
    sleep 6 # each gateway prints its table every 5 s: "by code: 200 N; ..."
    per=$(for c in $("${DC[@]}" ps -q gateway-nats); do
        docker logs "$c" 2>&1 | sed -n 's/^ *by code: 200 \([0-9]*\).*/\1/p' | tail -n 1 | grep . || echo 0
    done | tr '\n' ' ')
    echo "200s answered by each NATS gateway replica: $per"
    check "each of the three NATS gateways answered some of the load ($per)" \
        python3 -c 'import sys; n = list(map(int, sys.argv[1:])); sys.exit(not (len(n) == 3 and min(n) > 0))' $per
else
    fail "up --scale gateway-nats=3: $(tail -n 5 "$WORK/scale.log")"
fi

# ---- down ----------------------------------------------------------------------------
phase down
# the monitoring profile's services too (Prometheus was started with it)
COMPOSE_PROFILES=all,monitoring "${DC[@]}" logs --no-color >"$WORK/compose.log" 2>&1
COMPOSE_PROFILES=all,monitoring "${DC[@]}" down -v --remove-orphans >"$WORK/down.log" 2>&1
UP=
left=$( (docker ps -aq --filter "label=com.docker.compose.project=$PROJECT"
    docker network ls -q --filter "label=com.docker.compose.project=$PROJECT"
    docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT") | wc -l)
check "down -v left no container, network or volume of $PROJECT (got $left)" test "$left" = 0
phase end
echo "phases: $(IFS=';'; echo "${PHASES[*]}"); total $(($(date +%s) - T0)) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
