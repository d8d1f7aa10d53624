#!/usr/bin/env bash
# bench/paced_wire.sh — what a paced core NATS publisher puts on the wire, and what it
# costs: natscli and outbreak side by side, each seen by the same subscriber (issue 19:
# "CPU per record <= 1.0x natscli's ... paced at 10 000/s", and the default tick,
# docs/measurement.md "The tick").
#
# Each round, three publishers paced at BENCH_PACED_RATE (10000) messages a second for
# BENCH_PACED_TIME (5s) on one connection, one after the other, each under /usr/bin/time:
#   natscli       nats bench pub --throughput RATE --duration TIME (natscli v0.5.0)
#   outbreak      outbreak run --rate RATE -i RATE*TIME, as a user types it (--tick auto:
#                 for core NATS above 3 000/s a thread, a 1 ms step)
#   outbreak t0   the same with --tick 0 (each record handed over at its own time)
# and, for each, a subscriber on plain sockets (ob_nats_raw arrivals, bench/nats_raw.c)
# that stamps every message with the read it came in and prints how the publisher
# reached it: reads (how many batches), batched (the share of messages that came in the
# same read as the one before), and the lateness of message i after the schedule
# t + i / RATE (p50, p99). Then per publisher the CPU µs per message, and outbreak's
# publish latency p50 from the intended time; at the end the ratios of the CPU to
# natscli's over all rounds (goal <= 1.0), with the median lateness of each.
# BENCH_ROUNDS (3) rounds, taking turns.
source "$(dirname "$0")/lib.sh"
RATE=${BENCH_PACED_RATE:-10000}
TIME=${BENCH_PACED_TIME:-5s}
[[ $TIME =~ ^[0-9]+s$ ]] || { echo "bench: BENCH_PACED_TIME is whole seconds, as 5s (not $TIME)" >&2; exit 2; }
ROUNDS=${BENCH_ROUNDS:-3}
NATS=$("$ROOT/scripts/tools" natscli)
RAW=${OB_NATS_RAW:-$(dirname "$OUTBREAK")/bench/ob_nats_raw}
[ -x "$RAW" ] || { echo "bench: $RAW missing (cmake --build build --target ob_nats_raw)" >&2; exit 1; }
N=$(python3 -c "print(round($RATE * ${TIME%s}))")
SIZE=$(record_size)
echo "paced at $RATE/s for $TIME ($N messages of $SIZE bytes), one connection each; $("$NATS" --version) against $(nats_server_version)"
printf '%-6s %-12s %9s %7s %9s %12s %12s %14s\n' round publisher "µs/msg" reads batched "late p50 ms" "late p99 ms" "publish p50 ms"

# run LABEL ROUND COMMAND...: the subscriber first (until it is subscribed), then the
# publisher under timed_fine; prints "µs/msg reads batched p50 p99" for the table.
run() {
    local label=$1 round=$2 subject="obbench.wire.$$.$1.$2" f="$OUT/wire-$1-$2"
    shift 2
    "$RAW" arrivals "$subject" "$RATE" "${TIME%s}" "$SIZE" >"$f.arrivals" 2>&1 &
    local sub=$!
    for _ in $(seq 1 50); do grep -q ready "$f.arrivals" 2>/dev/null && break; sleep 0.1; done
    grep -q ready "$f.arrivals" || { echo "bench: the subscriber did not start (see $f.arrivals)" >&2; exit 1; }
    local cmd=("$@")
    cmd=("${cmd[@]//SUBJECT/$subject}")
    timed_fine "$f.cpu" "${cmd[@]}" >"$f.txt" 2>&1 || { tail -3 "$f.txt" >&2; exit 1; }
    wait "$sub" || { echo "bench: the subscriber failed (see $f.arrivals)" >&2; exit 1; }
    python3 - "$f.arrivals" "$(cpu_secs "$f.cpu")" "$N" <<'EOF'
import re, sys
line = [l for l in open(sys.argv[1]) if l.startswith("arrivals ")][-1]
v = dict(re.findall(r"(\w+)=([0-9.]+)%?", line))
print("%.3f %s %s %s %s" % (float(sys.argv[2]) * 1e6 / int(sys.argv[3]), v["reads"], v["batched"],
                            v["lateness_p50_ms"], v["p99_ms"]))
EOF
}

declare -A CPU P50 P99
for round in $(seq 1 "$ROUNDS"); do
    for who in natscli outbreak t0; do
        pub_p50=-
        case $who in
        natscli)
            set -- "$NATS" bench pub SUBJECT --server nats://127.0.0.1:4222 --size "$SIZE" --throughput "$RATE" \
                --duration "$TIME" --no-progress ;;
        outbreak)
            set -- "$OUTBREAK" run --headless "${OB_SIZE_ARGS[@]}" --broker "nats://127.0.0.1:4222?subject=SUBJECT" \
                --rate "$RATE" -i "$N" --only-summary --json "$OUT/wire-$who-$round.json" ;;
        t0)
            set -- "$OUTBREAK" run --headless "${OB_SIZE_ARGS[@]}" --broker "nats://127.0.0.1:4222?subject=SUBJECT" \
                --rate "$RATE" -i "$N" --tick 0 --only-summary --json "$OUT/wire-$who-$round.json" ;;
        esac
        read -r us reads batched p50 p99 < <(run "$who" "$round" "$@")
        [ "$who" = natscli ] || pub_p50=$(json "$OUT/wire-$who-$round.json" '"%.3f" % d["publish_latency_ms"]["p50"]')
        label=$who
        [ "$who" = t0 ] && label="outbreak t0"
        printf '%-6s %-12s %9s %7s %8s%% %12s %12s %14s\n' "$round" "$label" "$us" "$reads" "$batched" "$p50" "$p99" "$pub_p50"
        CPU[$who]="${CPU[$who]:-} $us" P50[$who]="${P50[$who]:-} $p50" P99[$who]="${P99[$who]:-} $p99"
    done
done
echo
for who in natscli outbreak t0; do
    # shellcheck disable=SC2086
    c=$(median ${CPU[$who]}) l=$(median ${P50[$who]}) h=$(median ${P99[$who]})
    label=$who
    [ "$who" = t0 ] && label="outbreak --tick 0"
    [ "$who" = outbreak ] && label="outbreak (default)"
    # shellcheck disable=SC2086
    printf '%-20s CPU %7.3f µs/msg (median)  lateness p50 %s ms, p99 %s ms (medians)%s\n' "$label" "$c" "$l" "$h" \
        "$([ "$who" = natscli ] || echo "   CPU / natscli's: $(ratio "$c" "$(median ${CPU[natscli]})") (goal <= 1.0)")"
done
