#!/usr/bin/env bash
# bench/nats_pub.sh — outbreak run at full speed against `nats bench`, same broker, same
# message size, one run each, core NATS and JetStream async publish. Prints the ratios
# (goal: >= 0.9). natscli v0.1.5 spells `nats bench pub` as `nats bench SUBJ --pub 1` and
# `nats bench js pub async` as `nats bench SUBJ --js --pub 1` (async, --pubbatch in flight).
source "$(dirname "$0")/lib.sh"
NATS=$("$ROOT/scripts/tools" natscli)
MSGS=${BENCH_MSGS:-1000000}
JS_MSGS=${BENCH_JS_MSGS:-200000}
SIZE=$(record_size)
echo "message size: $SIZE bytes (one encoded record)"

# nats bench prints e.g. "Pub stats: 1,234,567 msgs/sec ~ 150.00 MB/sec"
nats_rate() { grep -E '^(Pub stats|NATS Pub)' "$1" | head -1 | sed -E 's/.*: *([0-9,]+) msgs\/sec.*/\1/' | tr -d ,; }

# compare LABEL TOOL_LABEL BROKER_URL NATS_BENCH_ARGS... — one nats bench run, one
# outbreak run --rate max on the same server, then both rates and the ratio.
compare() {
    local label=$1 tool_label=$2 url=$3
    shift 3
    "$NATS" bench -s nats://127.0.0.1:4222 "$@" --size "$SIZE" --no-progress \
        >"$OUT/nats-$label.txt" 2>&1
    local tool ours
    tool=$(nats_rate "$OUT/nats-$label.txt")
    "$OUTBREAK" run --broker "$url" --rate max -t "${BENCH_TIME:-10s}" --only-summary \
        --json "$OUT/outbreak-$label.json" >"$OUT/outbreak-$label.txt" 2>&1 || true
    ours=$(json "$OUT/outbreak-$label.json" 'd["throughput"]["acked_per_s"]')
    printf '%-27s%s msgs/s\n' "$tool_label:" "$tool"
    printf '%-27s%s records/s\n' "outbreak run ($label):" "$ours"
    printf '%-27s%s\n' "ratio $label:" "$(ratio "$ours" "$tool")"
}

echo "== core NATS publish =="
compare core "nats bench --pub 1" 'nats://127.0.0.1:4222?subject=outbreak.bench.core' \
    outbreak.bench.core --pub 1 --msgs "$MSGS"

echo "== JetStream async publish (file storage) =="
compare jetstream "nats bench --js --pub 1" \
    'nats://127.0.0.1:4222?jetstream=1&stream=OBBENCH&subject=outbreak.bench.ob&max_pending=4096' \
    outbreak.bench.js --js --purge --pub 1 --msgs "$JS_MSGS" --pubbatch 4096 --storage file
