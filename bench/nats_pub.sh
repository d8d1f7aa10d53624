#!/usr/bin/env bash
# bench/nats_pub.sh — outbreak run at full speed against `nats bench`, same broker, same
# message size, core NATS and JetStream async publish. Prints the ratios (goal: >= 0.9).
# The reference is natscli v0.5.0 (scripts/tools natscli): `nats bench pub` and
# `nats bench js pub async` (--batch messages in flight, as outbreak's max_pending).
#
# Each comparison is BENCH_ROUNDS rounds (default 3), each round one run of each tool
# back to back, taking turns; the ratio is of the medians, and every round's figures are
# printed too (this machine is shared: one round can catch another process's burst).
# nats bench publishes BENCH_MSGS (core, default 5 000 000) or BENCH_JS_MSGS (JetStream,
# default 300 000) messages; outbreak runs BENCH_TIME (default 5s) unpaced.
# Each tool runs under /usr/bin/time: its CPU (user + system, its own process) per record
# is printed per round, then over all rounds (CPU seconds summed / records summed) with
# the ratio outbreak / nats bench (issue 19's goal: <= 1.0).
source "$(dirname "$0")/lib.sh"
NATS=$("$ROOT/scripts/tools" natscli)
MSGS=${BENCH_MSGS:-5000000}
JS_MSGS=${BENCH_JS_MSGS:-300000}
ROUNDS=${BENCH_ROUNDS:-3}
SIZE=$(record_size)
echo "message size: $SIZE bytes (one encoded record, or BENCH_RECORD_SIZE); $("$NATS" --version) against $(nats_server_version)"

# nats bench prints e.g. "NATS Core NATS publisher stats: 1,234,567 msgs/sec ~ 222 MiB/sec ~ ..."
nats_rate() { grep -E 'publisher stats:' "$1" | head -1 | sed -E 's/.*stats: *([0-9,]+) msgs\/sec.*/\1/' | tr -d ,; }

# compare LABEL TOOL_LABEL BROKER_URL MSGS NATS_BENCH_ARGS... — ROUNDS rounds of one nats bench
# run and one outbreak run --rate max on the same server; each round's rates, then the
# medians and their ratio.
compare() {
    local label=$1 tool_label=$2 url=$3 round tool ours tools=() ourss=()
    local tn ocpu pcpu on ocpus=0 pcpus=0 ons=0 pns=0
    tn=$4 # the messages nats bench publishes
    shift 4
    for round in $(seq 1 "$ROUNDS"); do
        timed "$OUT/nats-$label-$round.cpu" "$NATS" bench -s nats://127.0.0.1:4222 "$@" --size "$SIZE" --no-progress \
            >"$OUT/nats-$label-$round.txt" 2>&1
        tool=$(nats_rate "$OUT/nats-$label-$round.txt")
        [ -n "$tool" ] || { echo "bench: nats bench printed no rate (see $OUT/nats-$label-$round.txt)" >&2; exit 1; }
        [ -z "$STREAM" ] || "$NATS" -s nats://127.0.0.1:4222 stream rm -f "$STREAM" >/dev/null 2>&1 || true
        timed "$OUT/outbreak-$label-$round.cpu" \
            "$OUTBREAK" run --headless "${OB_SIZE_ARGS[@]}" --broker "$url" --rate max -t "${BENCH_TIME:-5s}" --only-summary \
            --json "$OUT/outbreak-$label-$round.json" >"$OUT/outbreak-$label-$round.txt" 2>&1 || true
        ours=$(json "$OUT/outbreak-$label-$round.json" 'd["throughput"]["acked_per_s"]')
        on=$(json "$OUT/outbreak-$label-$round.json" 'd["acked"]')
        ocpu=$(cpu_secs "$OUT/outbreak-$label-$round.cpu") pcpu=$(cpu_secs "$OUT/nats-$label-$round.cpu")
        printf '  round %s: %-24s %9.0f msgs/s   outbreak %9.0f records/s   ratio %s   CPU µs/record %s / %s\n' \
            "$round" "$tool_label" "$tool" "$ours" "$(ratio "$ours" "$tool")" \
            "$(cpu_us "$pcpu" "$tn")" "$(cpu_us "$ocpu" "$on")"
        ocpus=$(python3 -c "print($ocpus + $ocpu)") pcpus=$(python3 -c "print($pcpus + $pcpu)")
        ons=$((ons + on)) pns=$((pns + tn))
        tools+=("$tool") ourss+=("$ours")
    done
    tool=$(median "${tools[@]}") ours=$(median "${ourss[@]}")
    printf '%-27s%.0f msgs/s (median)\n' "$tool_label:" "$tool"
    printf '%-27s%.0f records/s (median)\n' "outbreak run ($label):" "$ours"
    printf '%-27s%s\n' "ratio $label:" "$(ratio "$ours" "$tool")"
    cpu_report "$label" "nats bench" "$ocpus" "$ons" "$pcpus" "$pns" "$(ratio "$ours" "$tool")"
}

# The streams of the JetStream comparison are removed before each of outbreak's runs (nats
# bench purges its own with --purge) and at the end: they would hold every run's messages.
STREAM=
trap '"$NATS" -s nats://127.0.0.1:4222 stream rm -f OBBENCH >/dev/null 2>&1; "$NATS" -s nats://127.0.0.1:4222 stream rm -f OBBENCHJS >/dev/null 2>&1' EXIT

echo "== core NATS publish =="
compare core "nats bench pub" 'nats://127.0.0.1:4222?subject=outbreak.bench.core' "$MSGS" \
    pub outbreak.bench.core --msgs "$MSGS"

echo "== JetStream async publish (file storage) =="
STREAM=OBBENCH
compare jetstream "nats bench js pub async" \
    'nats://127.0.0.1:4222?jetstream=1&stream=OBBENCH&subject=outbreak.bench.ob&max_pending=4096' "$JS_MSGS" \
    js pub async outbreak.bench.js --stream OBBENCHJS --create --purge --storage file \
    --batch 4096 --msgs "$JS_MSGS"
