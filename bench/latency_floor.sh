#!/usr/bin/env bash
# bench/latency_floor.sh — the instrument's own latency floor (issue 19): at 500 records/s,
# outbreak's publish p50 against a minimal raw-protocol client (bench/nats_raw.c,
# ob_nats_raw: plain sockets, no client library) measuring the same round trip on the
# same nats-server, same subject, same message size. Goal: outbreak's p50 within 0.2 ms of
# the raw client's, for JetStream and for core NATS.
#
#   JetStream   outbreak run --rate 500 (async publish, PubAck latency) vs ob_nats_raw js:
#               PUB with a reply inbox, wait for the PubAck on it; same stream (file
#               storage), same subject.
#   core NATS   outbreak run --rate 500: its "ack" is a marker's round trip (a paced
#               publisher sends a marker to its own inbox after each record and the record
#               is acked when it comes back; brokers/nats.c's header) vs ob_nats_raw ping
#               (PUB + PING, wait for the PONG) and ob_nats_raw marker (PUB + PUB to its
#               inbox, wait for that MSG: outbreak's very round trip).
#
# Both sides are paced at BENCH_FLOOR_RATE (500/s) for BENCH_FLOOR_SECS (10) seconds, one
# message at a time for the raw client; outbreak's figure is its publish latency (from the
# scheduled send time; at 500/s nothing queues, and the uncorrected one, from the send, is
# printed beside it). BENCH_ROUNDS rounds (default 2), each round outbreak then the raw
# client; the medians of the rounds' p50s and their difference are printed.
source "$(dirname "$0")/lib.sh"
NATS=$("$ROOT/scripts/tools" natscli)
RAW=${OB_NATS_RAW:-$(dirname "$OUTBREAK")/bench/ob_nats_raw}
[ -x "$RAW" ] || { echo "bench: no $RAW (build the bench/ targets: cmake --build BUILD)" >&2; exit 1; }
RATE=${BENCH_FLOOR_RATE:-500}
SECS=${BENCH_FLOOR_SECS:-10}
ROUNDS=${BENCH_ROUNDS:-2}
SIZE=$(record_size)
STREAM=OBFLOOR_$$
JS_SUBJ=obbench.floor.js.$$
CORE_SUBJ=obbench.floor.core.$$
trap '"$NATS" -s nats://127.0.0.1:4222 stream rm -f "$STREAM" >/dev/null 2>&1 || true' EXIT
echo "message size: $SIZE bytes (one encoded record); $(nats_server_version); $RATE/s for ${SECS}s, $ROUNDS rounds"

# ob LABEL URL: one outbreak run paced at RATE; prints "p50 p50_uncorrected p99" in ms.
ob() {
    "$OUTBREAK" run --headless --broker "$2" --rate "$RATE" -t "${SECS}s" --only-summary \
        --json "$OUT/floor-outbreak-$1.json" >"$OUT/floor-outbreak-$1.txt" 2>&1 || true
    json "$OUT/floor-outbreak-$1.json" \
        '"%.4f %.4f %.4f" % (d["publish_latency_ms"]["p50"], d["publish_latency_uncorrected_ms"]["p50"], d["publish_latency_ms"]["p99"])'
}
# raw LABEL MODE SUBJECT: one ob_nats_raw run; prints "p50 p99" in ms.
raw() {
    "$RAW" "$2" "$3" "$RATE" "$SECS" "$SIZE" >"$OUT/floor-raw-$1.txt" 2>&1 ||
        { cat "$OUT/floor-raw-$1.txt" >&2; exit 1; }
    sed -n 's/.* p50_ms=\([0-9.]*\) .* p99_ms=\([0-9.]*\) .*/\1 \2/p' "$OUT/floor-raw-$1.txt"
}

declare -A P50
add() { P50[$1]="${P50[$1]:-} $2"; }
for round in $(seq 1 "$ROUNDS"); do
    read -r a au a99 < <(ob "js-$round" "nats://127.0.0.1:4222?jetstream=1&stream=$STREAM&subject=$JS_SUBJ")
    read -r b b99 < <(raw "js-$round" js "$JS_SUBJ")
    printf '  round %s JetStream: outbreak p50 %s ms (uncorrected %s, p99 %s)   raw p50 %s ms (p99 %s)\n' \
        "$round" "$a" "$au" "$a99" "$b" "$b99"
    add ob-js "$a" && add ob-js-u "$au" && add raw-js "$b"
    read -r a au a99 < <(ob "core-$round" "nats://127.0.0.1:4222?subject=$CORE_SUBJ")
    read -r b b99 < <(raw "ping-$round" ping "$CORE_SUBJ")
    read -r c c99 < <(raw "marker-$round" marker "$CORE_SUBJ")
    printf '  round %s core NATS: outbreak p50 %s ms (uncorrected %s, p99 %s)   raw PUB+PING p50 %s ms (p99 %s)   raw PUB+marker p50 %s ms (p99 %s)\n' \
        "$round" "$a" "$au" "$a99" "$b" "$b99" "$c" "$c99"
    add ob-core "$a" && add ob-core-u "$au" && add raw-ping "$b" && add raw-marker "$c"
done

# line LABEL OUTBREAK_KEY RAW_KEY: the medians and the difference (goal: <= 0.2 ms)
line() {
    # shellcheck disable=SC2086  # the rounds' values, one argument each
    local o r
    o=$(median ${P50[$2]}) r=$(median ${P50[$3]})
    python3 - "$1" "$o" "$r" <<'EOF'
import sys
label, o, r = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
d = o - r
print("%-34soutbreak %.3f ms, raw %.3f ms: difference %+.3f ms (goal <= 0.2 ms: %s), ratio %.2f"
      % (label, o, r, d, "met" if d <= 0.2 else "NOT met", o / r if r else float("nan")))
EOF
}
echo "medians of the rounds' p50s:"
line "JetStream publish -> PubAck:" ob-js raw-js
line "  (outbreak uncorrected)" ob-js-u raw-js
line "core NATS vs PUB+PING->PONG:" ob-core raw-ping
line "  (outbreak uncorrected)" ob-core-u raw-ping
line "core NATS vs PUB+marker->MSG:" ob-core raw-marker
line "  (outbreak uncorrected)" ob-core-u raw-marker
