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

echo "== core NATS publish =="
"$NATS" bench -s nats://127.0.0.1:4222 outbreak.bench.core --pub 1 --msgs "$MSGS" --size "$SIZE" \
    --no-progress >"$OUT/nats-core.txt" 2>&1
tool=$(nats_rate "$OUT/nats-core.txt")
"$OUTBREAK" run --broker 'nats://127.0.0.1:4222?subject=outbreak.bench.core' \
    --rate max -t "${BENCH_TIME:-10s}" --only-summary \
    --json "$OUT/outbreak-core.json" >"$OUT/outbreak-core.txt" 2>&1 || true
ours=$(json "$OUT/outbreak-core.json" 'd["throughput"]["acked_per_s"]')
echo "nats bench --pub 1:        $tool msgs/s"
echo "outbreak run (core):       $ours records/s"
echo "ratio core:                $(ratio "$ours" "$tool")"

echo "== JetStream async publish (file storage) =="
"$NATS" bench -s nats://127.0.0.1:4222 outbreak.bench.js --js --purge --pub 1 --msgs "$JS_MSGS" \
    --size "$SIZE" --pubbatch 4096 --storage file --no-progress >"$OUT/nats-js.txt" 2>&1
tool=$(nats_rate "$OUT/nats-js.txt")
"$OUTBREAK" run --broker 'nats://127.0.0.1:4222?jetstream=1&stream=OBBENCH&subject=outbreak.bench.ob&max_pending=4096' \
    --rate max -t "${BENCH_TIME:-10s}" --only-summary \
    --json "$OUT/outbreak-js.json" >"$OUT/outbreak-js.txt" 2>&1 || true
ours=$(json "$OUT/outbreak-js.json" 'd["throughput"]["acked_per_s"]')
echo "nats bench --js --pub 1:   $tool msgs/s"
echo "outbreak run (jetstream):  $ours records/s"
echo "ratio jetstream:           $(ratio "$ours" "$tool")"
