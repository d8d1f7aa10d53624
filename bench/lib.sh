# bench/lib.sh — shared helpers for the side-by-side benchmarks (sourced).
# Each benchmark runs outbreak and the field's own tool against the same local server,
# same message size, in one run, and prints the ratio outbreak / tool.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUTBREAK=${OUTBREAK:-$ROOT/build/outbreak}
OUT=${BENCH_OUT:-$ROOT/out/bench}
mkdir -p "$OUT"
[ -x "$OUTBREAK" ] || { echo "bench: build first (make)" >&2; exit 1; }
"$ROOT/scripts/stack" up nats mongo >/dev/null

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
# The size in bytes of one encoded record with its metadata, as outbreak sends it.
record_size() {
    "$OUTBREAK" run --headless --rate 1000 -t 1s --only-summary --json "$OUT/size.json" >/dev/null 2>&1
    json "$OUT/size.json" 'round(d["avg_record_bytes"])'
}
# median X...: the middle value (the mean of the two middle ones for an even count).
median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }
# The version the local nats-server gives in its INFO line.
nats_server_version() {
    local line
    line=$(exec 8<>/dev/tcp/127.0.0.1/4222 && IFS= read -r -t 2 line <&8 && echo "$line") || true
    echo "nats-server $(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' <<<"$line")"
}
