# locust_lb.sh — the course project's deployment on one machine: three gateways (NATS
# JetStream, RabbitMQ, Kafka) sharing one --run-id behind scripts/stack's nginx (lb), a
# sink per middleware into one fresh database, and the real Locust (scripts/deps locust)
# running tests/locust/locustfile.py headless with 50 users until traffic.json's 1000
# records are sent: Locust reports 0 failures, and MongoDB holds exactly Locust's
# request count of records for the gateways' run id, spread over the three ways, each of
# traffic.json's records once with its five fields unchanged. Then `outbreak run` in
# HTTP mode through the same nginx, with --mongo: its records keep the run's metadata
# through the gateways (the gateways stamp only records without it), so the run finds
# them under its own run id: acked = persisted, lost 0.
source "$(dirname "$0")/lib.sh"
require_servers
require_rabbitmq
require_kafka
require_service lb "nginx load balancer on 127.0.0.1:8000"
source "$(dirname "$0")/lib_gateway.sh"
"$OB_SOURCE_DIR/scripts/deps" locust >/dev/null || { fail "scripts/deps locust"; finish; exit 1; }
LOCUST=${OUTBREAK_TOOLS_DIR:-$HOME/.cache/outbreak/tools}/bin/locust
RUN=gwlb-$$

# three gateways with one run id, nginx in front of them
gateways_behind_lb lb --run-id "$RUN" || { finish; exit 1; }
check "nginx reloaded with the three gateways (${LB_PORTS[*]})" grep -q "gateway(s): ${LB_PORTS[*]}" <<<"$LB_OUT"

# --- Locust, the real one, 50 users, until the records run out (at most 60 s)
rc=0
(cd "$WORK" && timeout 120 "$LOCUST" -f "$OB_SOURCE_DIR/tests/locust/locustfile.py" --headless \
    -u 50 -r 10 -H http://127.0.0.1:8000 --run-time 60s --csv "$WORK/locust" --only-summary \
    >"$WORK/locust.out" 2>&1) || rc=$?
check "locust exits 0 (got $rc)" test "$rc" -eq 0
read -r reqs fails < <(python3 -c '
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    if row["Name"] == "Aggregated": print(row["Request Count"], row["Failure Count"])' "$WORK/locust_stats.csv")
check "Locust: $reqs requests (every record of traffic.json), 0 failures (got $fails)" \
    test "$reqs" = 1000 -a "$fails" = 0
wait_persisted "$RUN" "$reqs" 60
check "MongoDB holds exactly Locust's $reqs records of run $RUN (got $PERSISTED)" test "$PERSISTED" = "$reqs"
$MONGO_TOOL ways 127.0.0.1 27017 "$MONGO_DB" "$RUN" >"$WORK/ways.txt"
echo "records by way: $(tr '\n' ' ' <"$WORK/ways.txt")"
check "spread over the three ways, each with a share (round robin)" \
    python3 -c 'import sys
n = dict(l.split() for l in open(sys.argv[1]))
sys.exit(not (sorted(n) == ["kafka", "nats", "rabbitmq"] and all(int(v) >= 200 for v in n.values())))' "$WORK/ways.txt"
out=$($MONGO_TOOL samefields 127.0.0.1 27017 "$MONGO_DB" "$RUN" "$OB_SOURCE_DIR/examples/traffic.json")
check "each of traffic.json's records once, the five fields unchanged ($out)" test "$out" = "ok 1000"

# --- outbreak run's HTTP mode through the same nginx, persisted accounting by its own id
rc=0
"$OUTBREAK" run --headless -H http://127.0.0.1:8000/ --rate 300 -t 5s --mongo "$MONGO_URL" --only-summary \
    --run-id "lbrun-$$" --json "$WORK/run.json" --csv "$WORK/run" >"$WORK/run.out" 2>&1 || rc=$?
check "outbreak run through nginx exits 0 (got $rc)" test "$rc" -eq 0
check "acked 1500 = persisted, failed 0, lost 0, unconfirmed 0" \
    test "$(json "$WORK/run.json" 'd["acked"], d["persisted"], d["failed"], d["lost"], d["unconfirmed"]')" = "1500 1500 0 0 0"
check "MongoDB holds the run's 1500 under its own run id" \
    test "$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "lbrun-$$")" = 1500
check "end-to-end latency for every record (from the run's intended send time)" \
    test "$(json "$WORK/run.json" 'd["e2e_latency_ms"]["count"]')" = 1500
$MONGO_TOOL ways 127.0.0.1 27017 "$MONGO_DB" "lbrun-$$" >"$WORK/ways-run.txt"
echo "the run's records by way: $(tr '\n' ' ' <"$WORK/ways-run.txt")"
check "the run's records went all three ways" test "$(wc -l <"$WORK/ways-run.txt")" = 3
# the run's durability says which ways answered behind nginx, how often, and what each
# one's 2xx means: the answers per way are the records MongoDB holds per way
answers=$(json "$WORK/run.json" '" ".join("%s %d" % (k[8:], v) for k, v in sorted(d["durability"].items()) if k.startswith("answers_"))')
check "the run's durability: answers per way ($answers) = MongoDB's records per way" \
    test "$answers" = "$(sort "$WORK/ways-run.txt" | tr '\n' ' ' | sed 's/ $//')"
check "  each with what its 2xx means" \
    test "$(json "$WORK/run.json" 'sorted(k for k in d["durability"] if k.startswith("behind_") and d["durability"][k])')" = \
    "['behind_kafka', 'behind_nats', 'behind_rabbitmq']"
check "  and the summary's lines: one per way" test "$(grep -c '^behind       [a-z]*: [0-9]* answers, ' "$WORK/run.out")" = 3
persisted=$(json "$WORK/run.json" '" ".join("%s %d" % kv for kv in sorted(d["persisted_by_way"].items()))')
check "the sinks' counts by way ($persisted) = MongoDB's records per way" \
    test "$persisted" = "$(sort "$WORK/ways-run.txt" | tr '\n' ' ' | sed 's/ $//')"
check "  on the summary's line" grep -qE '^persisted    by way \(the sinks. counts\): [a-z]+ [0-9]+, [a-z]+ [0-9]+, [a-z]+ [0-9]+$' "$WORK/run.out"
check "none of the run's records was stamped with the gateways' id (Locust's 1000 still)" \
    test "$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$RUN")" = 1000
finish
