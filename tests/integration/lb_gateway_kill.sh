# lb_gateway_kill.sh — a gateway killed (SIGKILL) in the middle of an `outbreak run`
# HTTP-mode load behind scripts/stack's nginx: three gateways (NATS JetStream, RabbitMQ,
# Kafka) with a sink each into one fresh database; at 3 s of an 8 s run at 400 records/s
# the RabbitMQ gateway is killed. Every record the client saw answered 2xx is in MongoDB
# (the run's lost = 0); the requests the dead gateway had are failures the client saw
# (HTTP 502 from nginx, counted by code), never silent: sent = acked + failed; after the
# kill nginx sends everything to the two others (their ways carry on).
source "$(dirname "$0")/lib.sh"
require_servers
require_rabbitmq
require_kafka
require_service lb "nginx load balancer on 127.0.0.1:8000"
source "$(dirname "$0")/lib_gateway.sh"
RUN=lbkill-$$

gateways_behind_lb lk || { finish; exit 1; }
VICTIM=$GW_PID_rabbitmq

rc=0
"$OUTBREAK" run --headless -H http://127.0.0.1:8000/ --rate 400 -t 8s --mongo "$MONGO_URL" --run-id "$RUN" \
    --stop-timeout 30s --only-summary --json "$WORK/run.json" --csv "$WORK/run" >"$WORK/run.out" 2>&1 &
RUN_PID=$!
sleep 3
kill -KILL "$VICTIM"
wait "$RUN_PID" || rc=$?
cat "$WORK/run_failures.csv"
read -r sent acked failed persisted lost < <(json "$WORK/run.json" \
    '" ".join(str(d[k]) for k in ("sent", "acked", "failed", "persisted", "lost"))')
echo "sent $sent acked $acked failed $failed persisted $persisted lost $lost (exit $rc)"
check "all 3200 records sent" test "$sent" = 3200
check "nothing silent: sent = acked + failed" test "$sent" = $((acked + failed))
check "every 2xx in MongoDB: lost 0" test "$lost" = 0
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$RUN")
check "MongoDB holds at least the $acked acked records (holds $count)" test "$count" -ge "$acked"
check "most records acked after the kill (acked $acked >= 3000)" test "$acked" -ge 3000
check "the failures are by code (HTTP 5xx) or none" \
    sh -c "! tail -n +2 '$WORK/run_failures.csv' | grep -v '^publish,http (http),\"HTTP 50[23]' | grep -q ."
$MONGO_TOOL ways 127.0.0.1 27017 "$MONGO_DB" "$RUN" >"$WORK/ways.txt"
echo "records by way: $(tr '\n' ' ' <"$WORK/ways.txt")"
check "the two live ways carried the rest (each over 1000)" python3 -c 'import sys
n = {k: int(v) for k, v in (l.split() for l in open(sys.argv[1]))}
sys.exit(not (n.get("nats", 0) > 1000 and n.get("kafka", 0) > 1000))' "$WORK/ways.txt"
finish
