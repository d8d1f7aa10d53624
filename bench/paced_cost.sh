#!/usr/bin/env bash
# bench/paced_cost.sh — what a paced run costs against one at full speed, per middleware
# (issue 19: "paced runs cost what they send, not what the timer does": CPU per record at
# 10 000/s within 3x of CPU per record at full speed, for every middleware).
#
# For each middleware of the local stack, two outbreak runs on one thread, each under
# /usr/bin/time (outbreak's process only; never the broker's or a sink's):
#   full    --rate max  -t BENCH_FULL_TIME (5s)
#   paced   --rate BENCH_PACED_RATE (10000) -t BENCH_PACED_TIME (10s), as a user types it
#           (--tick auto: each record at its own time, except NATS, core and JetStream,
#           where the default above 3 000/s a thread is a 1 ms step: docs/measurement.md)
#   tick 0  NATS only: the same with --tick 0 (each record at its own time)
#   tick T  the same with --tick T, for each T of BENCH_TICKS ("1ms 10ms")
#   tick T thr  core NATS only: the same with io=threads (cnats' reader and flusher
#           threads), where io=auto picks the publisher's own loop (docs/brokers/nats.md)
# and prints, per middleware, µs of CPU per acked record for each, its ratio to full
# speed (goal <= 3), its publish p50, and the marginal CPU per record: each paced run is
# made again for BENCH_SHORT_TIME (3s), and (CPU long - CPU short) / (records long -
# records short) is what one more record costs, without the fixed costs (start-up: about
# 17 ms of CPU, as much as 100 000 records at full speed; connecting; the summary) that a
# 10 s paced run of 100 000 records charges to every record and a full-speed run of
# millions does not (goal <= 3 again, on that figure). Two runs make that figure noisy
# (each has its own hour), so the last columns, "steady", take it from one run: the
# process's CPU (the sum of its threads' /proc/PID/task/TID/schedstat, to the
# nanosecond) from 3 s after the start to 2 s before the end of the long paced run,
# over the records its rate paces in that window (goal <= 3 on that figure too).
# CPU is read to the microsecond
# (getrusage, bench/lib.sh timed_fine) (a tick of T delays the records due within it
# by up to T, which the latency from the intended send time shows). The goal compares
# outbreak with itself; core NATS also gets the peer below. gRPC's server is `outbreak sink` (with a fresh MongoDB database), started here;
# its CPU is not counted. BENCH_MIDDLEWARES picks (default: "core jetstream rabbitmq
# kafka pubsub grpc").
#
# For core NATS the peer paces too: natscli v0.5.0's `nats bench pub --throughput RATE
# --duration PTIME` (scripts/tools natscli; it publishes without any round trip, so it
# pays for its sends and its flusher only), timed as outbreak, and again for
# BENCH_SHORT_TIME; the script prints its CPU per message (and marginal) and the ratio of
# outbreak's paced runs to it (both ways) (issue 19:
# "CPU per record <= 1.0x natscli's ... paced at 10 000/s").
#
# First, the floor: ob_timer_floor (bench/timer_floor.c, built beside outbreak) paces a
# thread at BENCH_PACED_RATE wake-ups a second doing nothing, then the same with one and
# with two other threads woken at each tick (what a client library's own I/O threads add
# at the least), and prints the CPU per wake-up. At one record per wake-up (no --tick)
# that is a floor under the paced CPU per record; the table divides it by each
# middleware's full-speed figure ("floor/full": above 3, the goal cannot be met without
# sending more than one record per wake-up).
source "$(dirname "$0")/lib.sh"
RATE=${BENCH_PACED_RATE:-10000}
PTIME=${BENCH_PACED_TIME:-10s}
[[ $PTIME =~ ^[0-9]+s$ ]] || { echo "bench: BENCH_PACED_TIME is whole seconds, as 10s (not $PTIME)" >&2; exit 2; }
STIME=${BENCH_SHORT_TIME:-3s}
[[ $STIME =~ ^[0-9]+s$ && ${STIME%s} -lt ${PTIME%s} ]] ||
    { echo "bench: BENCH_SHORT_TIME is whole seconds, shorter than BENCH_PACED_TIME (not $STIME)" >&2; exit 2; }
FTIME=${BENCH_FULL_TIME:-5s}
WHICH=${BENCH_MIDDLEWARES:-core jetstream rabbitmq kafka pubsub grpc}
TICKS=${BENCH_TICKS:-1ms 10ms}
GRPC_ADDR=127.0.0.1:${BENCH_GRPC_PORT:-50151}
export PUBSUB_EMULATOR_HOST=${PUBSUB_EMULATOR_HOST:-127.0.0.1:8085}
SINK_PID=
# What the runs leave on the servers goes with them: a paced run publishes a million
# records or more that nothing consumes (a RabbitMQ queue of them per run, a JetStream
# stream of half a gigabyte), and the servers would keep them, run after run.
cleanup() {
    [ -z "$SINK_PID" ] || { kill "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null; } || true
    local m
    for m in $WHICH; do
        case $m in
        jetstream) python3 "$ROOT/tests/integration/nats_tool.py" rmstreams 127.0.0.1 4222 "OBPACED_$$" >/dev/null 2>&1 ;;
        rabbitmq) "$ROOT/scripts/rabbitmqctl" -q delete_queue "obbench.paced.$$" </dev/null >/dev/null 2>&1 ;;
        kafka) "$(dirname "$("$ROOT/scripts/tools" kafka)")/kafka-topics" --bootstrap-server 127.0.0.1:9092 \
            --delete --topic "obbench-paced-$$" >/dev/null 2>&1 ;;
        grpc) python3 "$ROOT/tests/integration/mongo_tool.py" dropdb 127.0.0.1 27017 "obbench_paced_$$" >/dev/null 2>&1 ;;
        esac || echo "bench: could not remove what the $m runs left (obbench.paced.$$)" >&2
    done
}
trap cleanup EXIT

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

# one LABEL URL RATE TIME [ARGS...]: one run under time; prints "µs_per_record acked p50_ms
# cpu_s steady_µs_per_record". The steady figure (paced runs of 6 s or more; else nan):
# the process's CPU from 3 s after its start to 2 s before its end (timed_steady), over
# the RATE x that window records it paces in it.
one() {
    local label=$1 f="$OUT/paced-$1" url=$2 rate=$3 time=$4
    shift 4
    local from=3 to=$((${time%s} - 2))
    [ "$rate" != max ] && [ "$to" -gt "$from" ] || to=$((from + 1))
    timed_steady "$f.cpu" "$from" "$to" "$OUTBREAK" run --headless --broker "$url" --rate "$rate" -t "$time" "$@" \
        --only-summary --json "$f.json" >"$f.txt" 2>&1 || true
    [ -s "$f.json" ] || { echo "bench: no summary from $label (see $f.txt)" >&2; tail -3 "$f.txt" >&2; return 1; }
    local cpu acked steady=nan
    cpu=$(cpu_secs "$f.cpu")
    acked=$(json "$f.json" 'd["acked"]')
    if [ "$rate" != max ] && [ $((${time%s} - 2)) -gt 3 ]; then
        steady=$(awk -v r="$rate" '{ printf "%.3f\n", $3 == "nan" ? "nan" : $3 * 1e6 / (r * $4) }' "$f.cpu")
    fi
    echo "$(cpu_us "$cpu" "$acked") $acked $(json "$f.json" '"%.3f" % d["publish_latency_ms"]["p50"]') $cpu $steady"
}
# marginal CPU_LONG N_LONG CPU_SHORT N_SHORT: µs of CPU per record between a long and a
# short run of the same kind (what one more record costs: start-up, connecting and the
# summary cancel out)
marginal() { python3 -c "import sys; a, n, b, m = map(float, sys.argv[1:]); print('%.3f' % ((a - b) * 1e6 / (n - m)) if n > m else 'nan')" "$@"; }
# met RATIO: "met" when RATIO <= 3 (the goal), else "NOT met" (a nan too)
met() { python3 -c "import sys; r = float(sys.argv[1]); print('met' if r <= 3 else 'NOT met')" "$1"; }

FLOOR_BIN=${OB_TIMER_FLOOR:-$(dirname "$OUTBREAK")/bench/ob_timer_floor}
[ -x "$FLOOR_BIN" ] || { echo "bench: $FLOOR_BIN missing (cmake --build build --target ob_timer_floor)" >&2; exit 1; }
echo "the timer alone at $RATE wake-ups/s, 5 s each (bench/timer_floor.c):"
"$FLOOR_BIN" "$RATE" 5 | tee "$OUT/paced-floor.txt" | sed 's/^/  /'
FLOOR=$(awk '$1 == "sleep" {print $2}' "$OUT/paced-floor.txt")
echo
echo "paced at $RATE/s for $PTIME (and with --tick: $TICKS) against --rate max for $FTIME, one thread, CPU of outbreak's process"
printf '%-10s %10s  %-12s %10s %7s %-8s %9s %7s  %8s %7s %-8s  %7s %7s %-8s\n' middleware "full µs/rec" run "µs/rec" \
    "/full" "goal <= 3" "p50 ms" "acked" "marginal" "/full" "goal <= 3" "steady" "/full" "goal <= 3"
for m in $WHICH; do
    "$ROOT/scripts/stack" up "$(server_of "$m")" >/dev/null
    if [ "$m" = grpc ]; then
        "$OUTBREAK" sink --broker "grpc://$GRPC_ADDR" --mongo "mongodb://127.0.0.1:27017/obbench_paced_$$" \
            >"$OUT/paced-grpc-sink.txt" 2>&1 &
        SINK_PID=$!
        for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/${GRPC_ADDR%:*}/${GRPC_ADDR#*:}") 2>/dev/null && break; sleep 0.1; done
    fi
    url=$(url_of "$m")
    if read -r fu fa fp _ < <(one "$m-full" "$url" max "$FTIME"); then
        printf '%-10s %10s  %-12s %10s %7s %-8s %9s  %s\n' "$m" "$fu" "full" "$fu" "1.00" "" "$fp" "$fa"
        printf '%-10s %10s  %-12s %10s %7s %-8s %9s  %s\n' "$m" "$fu" "floor" "$FLOOR" "$(ratio "$FLOOR" "$fu")" \
            "(a bare timer's wake-up per record)" "" ""
        if [ "$m" = core ]; then
            natscli=$("$ROOT/scripts/tools" natscli)
            size=$(record_size)
            for d in "$PTIME" "$STIME"; do
                timed_fine "$OUT/paced-natscli-$d.cpu" "$natscli" bench pub "obbench.paced.ref.$$" \
                    --server nats://127.0.0.1:4222 --size "$size" --throughput "$RATE" --duration "$d" \
                    --no-progress >"$OUT/paced-natscli-$d.txt" 2>&1 || { tail -3 "$OUT/paced-natscli-$d.txt" >&2; exit 1; }
            done
            pn=$(python3 -c "print(round($RATE * ${PTIME%s}))") sn=$(python3 -c "print(round($RATE * ${STIME%s}))")
            PEER_US=$(cpu_us "$(cpu_secs "$OUT/paced-natscli-$PTIME.cpu")" "$pn")
            PEER_MARG=$(marginal "$(cpu_secs "$OUT/paced-natscli-$PTIME.cpu")" "$pn" \
                "$(cpu_secs "$OUT/paced-natscli-$STIME.cpu")" "$sn")
            printf '%-10s %10s  %-12s %10s %7s %s\n' "$m" "$fu" "natscli" "$PEER_US" "$(ratio "$PEER_US" "$fu")" \
                "(nats bench pub --throughput $RATE --duration $PTIME: its CPU per message; marginal $PEER_MARG)"
        fi
        # core NATS: each tick with io=auto (the publisher's own loop at 2 records a
        # wake-up or more) and again with io=threads (cnats' reader and flusher threads)
        variants="none $TICKS"
        [ "$m" != jetstream ] || variants="none 0 $TICKS"
        [ "$m" != core ] || variants="none 0 $TICKS $(printf '%s:threads ' $TICKS)"
        for v in $variants; do
            t=${v%%:*} vurl=$url label=paced
            case $v in *:threads) vurl="$url&io=threads" ;; esac
            if [ "$t" = none ]; then
                set --
                [ "$m" != core ] && [ "$m" != jetstream ] || label="paced auto"
            else
                label="tick $t"
                set -- --tick "$t"
            fi
            case $v in *:threads) label="$label thr" ;; esac
            read -r pu pa pp pc su < <(one "$m-paced-${v/:/-}" "$vurl" "$RATE" "$PTIME" "$@") || continue
            read -r _ sa _ sc _ < <(one "$m-short-${v/:/-}" "$vurl" "$RATE" "$STIME" "$@") || continue
            mu=$(marginal "$pc" "$pa" "$sc" "$sa")
            r=$(ratio "$pu" "$fu") mr=$(ratio "$mu" "$fu") sr=$(ratio "$su" "$fu")
            printf '%-10s %10s  %-12s %10s %7s %-8s %9s %7s  %8s %7s %-8s  %7s %7s %-8s%s\n' "$m" "$fu" "$label" "$pu" \
                "$r" "$(met "$r")" "$pp" "$pa" "$mu" "$mr" "$(met "$mr")" "$su" "$sr" "$(met "$sr")" \
                "$([ "$m" = core ] && echo "  vs natscli $(ratio "$pu" "$PEER_US"), marginal $(ratio "$mu" "$PEER_MARG") (goal <= 1.0)")"
        done
    fi
    if [ -n "$SINK_PID" ]; then
        kill "$SINK_PID" 2>/dev/null || true
        wait "$SINK_PID" 2>/dev/null || true
        SINK_PID=
    fi
done
