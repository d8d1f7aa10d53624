#!/usr/bin/env bash
# bench/paced_cost.sh — what a paced run costs against one at full speed, per middleware
# (issue 19: "paced runs cost what they send, not what the timer does": CPU per record at
# 10 000/s within 3x of CPU per record at full speed, for every middleware).
#
# For each middleware of the local stack, two outbreak runs on one thread, each under
# /usr/bin/time (outbreak's process only; never the broker's or a sink's):
#   full    --rate max  -t BENCH_FULL_TIME (5s)
#   paced   --rate BENCH_PACED_RATE (10000) -t BENCH_PACED_TIME (10s)
#   ticked  the same with --tick BENCH_TICK (1ms)
# and prints, per middleware, µs of CPU per acked record for each and the ratios
# paced / full and ticked / full (goal <= 3), with the publish p50 of both paced runs. The peer (natscli's `nats bench pub` has no paced mode in the
# version bench/nats_pub.sh uses) is not in this one: the goal compares outbreak with
# itself. gRPC's server is `outbreak sink` (with a fresh MongoDB database), started here;
# its CPU is not counted. BENCH_MIDDLEWARES picks (default: "core jetstream rabbitmq
# kafka pubsub grpc").
source "$(dirname "$0")/lib.sh"
RATE=${BENCH_PACED_RATE:-10000}
PTIME=${BENCH_PACED_TIME:-10s}
FTIME=${BENCH_FULL_TIME:-5s}
WHICH=${BENCH_MIDDLEWARES:-core jetstream rabbitmq kafka pubsub grpc}
TICK=${BENCH_TICK:-1ms}
GRPC_ADDR=127.0.0.1:${BENCH_GRPC_PORT:-50151}
export PUBSUB_EMULATOR_HOST=${PUBSUB_EMULATOR_HOST:-127.0.0.1:8085}
SINK_PID=
trap '[ -z "$SINK_PID" ] || kill "$SINK_PID" 2>/dev/null || true' EXIT

url_of() {
    case $1 in
    core) echo "nats://127.0.0.1:4222?subject=obbench.paced.$$" ;;
    jetstream) echo "nats://127.0.0.1:4222?jetstream=1&stream=OBPACED_$$&subject=obbench.paced.js.$$" ;;
    rabbitmq) echo "amqp://guest:guest@127.0.0.1:5672?queue=obbench.paced.$$" ;;
    kafka) echo "kafka://127.0.0.1:9092?topic=obbench-paced-$$" ;;
    pubsub) echo "pubsub://outbreak-local/obbench-paced-$$" ;;
    grpc) echo "grpc://$GRPC_ADDR" ;;
    esac
}
server_of() {
    case $1 in core | jetstream) echo nats ;; grpc) echo mongo ;; *) echo "$1" ;; esac
}

# one LABEL URL RATE TIME [ARGS...]: one run under time; prints "µs_per_record acked p50_ms".
one() {
    local label=$1 f="$OUT/paced-$1" url=$2 rate=$3 time=$4
    shift 4
    timed "$f.cpu" "$OUTBREAK" run --headless --broker "$url" --rate "$rate" -t "$time" "$@" --only-summary \
        --json "$f.json" >"$f.txt" 2>&1 || true
    [ -s "$f.json" ] || { echo "bench: no summary from $label (see $f.txt)" >&2; tail -3 "$f.txt" >&2; return 1; }
    local cpu acked
    cpu=$(cpu_secs "$f.cpu")
    acked=$(json "$f.json" 'd["acked"]')
    echo "$(cpu_us "$cpu" "$acked") $acked $(json "$f.json" '"%.3f" % d["publish_latency_ms"]["p50"]')"
}

echo "paced at $RATE/s for $PTIME (and with --tick $TICK) against --rate max for $FTIME, one thread, CPU of outbreak's process"
printf '%-10s %12s %12s %12s %8s %8s %s\n' middleware "full µs/rec" "paced" "ticked" "paced/" "ticked/" "full (goal <= 3); publish p50 paced / ticked"
for m in $WHICH; do
    "$ROOT/scripts/stack" up "$(server_of "$m")" >/dev/null
    if [ "$m" = grpc ]; then
        "$OUTBREAK" sink --broker "grpc://$GRPC_ADDR" --mongo "mongodb://127.0.0.1:27017/obbench_paced_$$" \
            >"$OUT/paced-grpc-sink.txt" 2>&1 &
        SINK_PID=$!
        for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/${GRPC_ADDR%:*}/${GRPC_ADDR#*:}") 2>/dev/null && break; sleep 0.1; done
    fi
    url=$(url_of "$m")
    if read -r fu fa fp < <(one "$m-full" "$url" max "$FTIME") &&
        read -r pu pa pp < <(one "$m-paced" "$url" "$RATE" "$PTIME") &&
        read -r tu ta tp < <(one "$m-ticked" "$url" "$RATE" "$PTIME" --tick "$TICK"); then
        r=$(ratio "$pu" "$fu")
        rt=$(ratio "$tu" "$fu")
        v=$(python3 -c "print('met' if $r <= 3 else 'NOT met', '/', 'met' if $rt <= 3 else 'NOT met')")
        printf '%-10s %12s %12s %12s %8s %8s %s; p50 %s / %s ms (acked %s, %s, %s)\n' "$m" "$fu" "$pu" "$tu" "$r" "$rt" \
            "$v" "$pp" "$tp" "$fa" "$pa" "$ta"
    fi
    if [ -n "$SINK_PID" ]; then
        kill "$SINK_PID" 2>/dev/null || true
        wait "$SINK_PID" 2>/dev/null || true
        SINK_PID=
    fi
done
