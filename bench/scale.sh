#!/usr/bin/env bash
# bench/scale.sh — scale-out (`outbreak run --workers N`, docs/deploy.md "Scale-out"):
# what a second load generator adds, and what the merge costs.
#
#  1. Full speed (--rate max) through one nats-server, 1 worker against 2 workers
#     started together (`--workers 2`, the same run id, meeting in MongoDB): records/s of
#     the merged result (`outbreak merge --json`: sent / duration_s), and the ratio
#     2 workers / 1. Core NATS, then JetStream async publish (file storage). The 1-worker
#     run is a cohort of one (`--workers 1 --worker 0`), so both pay the same start and
#     the same writes to MongoDB every second. No sink runs: persisted stays 0 and every
#     record counts as lost, so the runs and the merges exit 1; the bench checks instead
#     that every worker finished and nothing failed.
#  2. The merge: 16 workers of a short paced run (BENCH_SCALE_WORKERS, --rate 1600 -t
#     5s, core NATS), then `outbreak merge --run ID` timed (wall ms from here, the merge's
#     own "merged in" figure, CPU and peak RSS from /usr/bin/time), with the publish
#     histogram's buckets: the workers' stored ones summed, and the merged one's. The
#     1- and 2-worker core NATS runs of part 1 are merged the same way, for comparison.
#
# Each comparison is BENCH_ROUNDS rounds (core NATS, default 3) or BENCH_JS_ROUNDS
# (JetStream, default 2), each round one run of each, taking turns; the ratio is of the
# medians (this machine is shared). outbreak runs BENCH_TIME (default 5s). The
# nats-server's CPU over each run (from /proc, when the stack's pid file is there) says
# whether the server is the limit. Everything goes into a MongoDB database of its own
# (obbench_scale_PID), dropped at the end with the streams. About 2 minutes on a quiet
# machine; the 16 workers' start and drain poll MongoDB, so a busy FerretDB makes them
# (and the whole bench) slower.
source "$(dirname "$0")/lib.sh"
TIME=${BENCH_TIME:-5s}
ROUNDS=${BENCH_ROUNDS:-3}
JS_ROUNDS=${BENCH_JS_ROUNDS:-2}
SCALE_N=${BENCH_SCALE_WORKERS:-16}
SCALE_RATE=${BENCH_SCALE_RATE:-1600}
SCALE_TIME=${BENCH_SCALE_TIME:-5s}
DB=obbench_scale_$$
MONGO="mongodb://127.0.0.1:27017/$DB"
MONGO_TOOL="python3 $ROOT/tests/integration/mongo_tool.py"
NATS=$("$ROOT/scripts/tools" natscli 2>/dev/null) || NATS=
NATS_PID=$(cat "${OUTBREAK_STACK_DIR:-$HOME/.cache/outbreak/stack}/nats.pid" 2>/dev/null) || NATS_PID=
[ -n "$NATS_PID" ] && [ -r "/proc/$NATS_PID/stat" ] || NATS_PID=
TICK=$(getconf CLK_TCK)
TIMECMD=()
[ -x /usr/bin/time ] && TIMECMD=(/usr/bin/time -f '%U %S %M' -o)
# The JetStream runs' streams, one per run (removed after it: they hold its records).
stream_of() { local s="OBSCALE_$$_${1##*-$$-}"; echo "${s//-/_}"; }
drop_stream() { [ -z "$NATS" ] || "$NATS" -s nats://127.0.0.1:4222 stream rm -f "$1" >/dev/null 2>&1 || true; }
cleanup() {
    local round n
    for round in $(seq 1 "$JS_ROUNDS"); do
        for n in 1 2; do drop_stream "$(stream_of "scale-$$-jetstream-${n}w-$round")"; done
    done
    $MONGO_TOOL dropdb 127.0.0.1 27017 "$DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT
echo "$(nproc) cores; $(nats_server_version); MongoDB database $DB; outbreak runs $TIME per run, $ROUNDS rounds"

# The nats-server's CPU time so far, in clock ticks (0 when its pid is not known).
server_ticks() {
    [ -n "$NATS_PID" ] || { echo 0; return; }
    awk '{print $14 + $15}' "/proc/$NATS_PID/stat" 2>/dev/null || echo 0
}

# workers ID N URL RATE TIME: N `outbreak run --workers N` processes with run id ID,
# started together; waits for all, checks that each finished with nothing failed. Sets
# SERVER_CPU (the nats-server's CPU seconds over the run, or "-").
workers() {
    local id=$1 n=$2 url=$3 rate=$4 time=$5 i pids=() t0 rc extra=()
    t0=$(server_ticks)
    for i in $(seq 0 $((n - 1))); do
        # a cohort of one needs its index; N > 1 claim theirs in MongoDB, as in a real
        # deployment
        [ "$n" -eq 1 ] && extra=(--worker 0)
        "$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO" --run-id "$id" \
            --workers "$n" "${extra[@]}" --rate "$rate" -t "$time" --stop-timeout 1s \
            --json "$OUT/scale-$id-w$i.json" >"$OUT/scale-$id-w$i.txt" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        rc=0
        wait "${pids[$i]}" || rc=$?
        # 1: records "lost" (no sink), 3: unconfirmed; anything else is a failure
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 3 ]; then
            echo "bench: worker $i of $id exited $rc (see $OUT/scale-$id-w$i.txt)" >&2
            exit 1
        fi
    done
    # nothing failed; a worker that sent nothing is said (it learnt the common start
    # only after its schedule was over: MongoDB too slow to answer)
    python3 - "$OUT/scale-$id" "$n" <<'EOF'
import json, sys
ws = [json.load(open("%s-w%d.json" % (sys.argv[1], i))) for i in range(int(sys.argv[2]))]
bad = [i for i, w in enumerate(ws) if w["failed"]]
if bad:
    sys.exit("bench: workers %s of %s had failed records (%s-w*.txt)" % (bad, sys.argv[1], sys.argv[1]))
idle = [w["load"]["worker"] for w in ws if w["sent"] == 0]
if idle:
    print("  note: worker(s) %s of %d sent nothing: behind by %s s" % (idle, len(ws),
          [w["behind_s"] for w in ws if w["sent"] == 0]))
EOF
    if [ -n "$NATS_PID" ]; then
        SERVER_CPU=$(python3 -c "print('%.2f' % (($(server_ticks) - $t0) / $TICK))")
    else
        SERVER_CPU=-
    fi
}

# merge ID: `outbreak merge --run ID --json`, timed; checks that every worker finished.
# Sets MERGE_WALL (ms, from here), MERGE_OWN (ms, the merge's own figure), MERGE_CPU (ms,
# user + system) and MERGE_RSS (MB), or "-" for what /usr/bin/time would have given.
merge() {
    local id=$1 t0 t1 rc=0 own
    t0=$(date +%s%N)
    "${TIMECMD[@]}" ${TIMECMD:+"$OUT/scale-$id-time.txt"} "$OUTBREAK" merge --run "$id" --mongo "$MONGO" \
        --json "$OUT/scale-$id-merged.json" >"$OUT/scale-$id-merge.txt" 2>"$OUT/scale-$id-merge.err" || rc=$?
    t1=$(date +%s%N)
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 3 ]; then
        echo "bench: outbreak merge --run $id exited $rc (see $OUT/scale-$id-merge.err)" >&2
        exit 1
    fi
    MERGE_WALL=$(( (t1 - t0) / 1000000 ))
    own=$(sed -n "s/.*merged [0-9]* workers' results in \([0-9.]*\) ms.*/\1/p" "$OUT/scale-$id-merge.err" | tail -1)
    MERGE_OWN=${own:--}
    # the merged run's records/s (sent / duration_s), sent, and /usr/bin/time's figures
    read -r MERGE_RATE MERGE_SENT MERGE_CPU MERGE_RSS < <(python3 - "$OUT/scale-$id" <<'EOF'
import json, os, sys
d = json.load(open(sys.argv[1] + "-merged.json"))
if not d["workers"]["complete"]:
    sys.exit("bench: the merge of %s is not complete (%s-merge.txt)" % (sys.argv[1], sys.argv[1]))
cpu = rss = "-"
if os.path.exists(sys.argv[1] + "-time.txt"):
    u, s, m = open(sys.argv[1] + "-time.txt").read().split()[-3:]
    cpu, rss = "%.0f" % ((float(u) + float(s)) * 1000), "%.1f" % (int(m) / 1024)
print(d["sent"] / d["duration_s"], d["sent"], cpu, rss)
EOF
    ) && [ -n "${MERGE_RSS:-}" ] || exit 1
}
# buckets ID: "IN OUT", the publish histogram's buckets stored by the workers (summed)
# and the merged one's (the ","-separated pairs after "h1:").
buckets() {
    $MONGO_TOOL workers 127.0.0.1 27017 "$DB" "$1" >"$OUT/scale-$1-workers.json"
    python3 - "$OUT/scale-$1-workers.json" "$OUT/scale-$1-merged.json" <<'EOF'
import json, sys
def n(text):
    return len([p for p in (text or "")[3:].split(",") if p])
stored = sum(n(json.loads(d["result"])["publish"]) for d in json.load(open(sys.argv[1])))
print(stored, n(json.load(open(sys.argv[2]))["histograms"]["publish"]))
EOF
}

MERGES=() # "label id" of the runs whose merge is timed in part 2

# compare LABEL URL_OF_ROUND ROUNDS: ROUNDS rounds of 1 worker then 2 workers at --rate max;
# each round's merged records/s, then the medians and the ratio. URL_OF_ROUND is a
# function printing the broker URL for a run id (a fresh stream per run for JetStream).
compare() {
    local label=$1 url_of=$2 rounds=$3 round id n rate ones=() twos=() cpu1=() cpu2=() one two
    for round in $(seq 1 "$rounds"); do
        for n in 1 2; do
            id="scale-$$-$label-${n}w-$round"
            workers "$id" "$n" "$($url_of "$id")" max "$TIME"
            merge "$id"
            rate=$MERGE_RATE
            [ "$label" != jetstream ] || drop_stream "$(stream_of "$id")"
            if [ "$n" -eq 1 ]; then ones+=("$rate") cpu1+=("$SERVER_CPU"); else twos+=("$rate") cpu2+=("$SERVER_CPU"); fi
        done
        [ "$round" -eq 1 ] && [ "$label" = core ] && MERGES+=("core-1 scale-$$-core-1w-1" "core-2 scale-$$-core-2w-1")
        printf '  round %s: 1 worker %9.0f records/s   2 workers %9.0f records/s   ratio %s   (nats-server CPU s: %s / %s)\n' \
            "$round" "${ones[-1]}" "${twos[-1]}" "$(ratio "${twos[-1]}" "${ones[-1]}")" "${cpu1[-1]}" "${cpu2[-1]}"
    done
    one=$(median "${ones[@]}") two=$(median "${twos[@]}")
    printf '%-27s%.0f records/s (median)\n' "1 worker ($label):" "$one"
    printf '%-27s%.0f records/s (median)\n' "2 workers ($label):" "$two"
    printf '%-27s%s\n' "ratio $label 2/1:" "$(ratio "$two" "$one")"
}

core_url() { echo "nats://127.0.0.1:4222?subject=obbench.scale.$$"; }
js_url() {
    local s
    s=$(stream_of "$1")
    echo "nats://127.0.0.1:4222?jetstream=1&stream=$s&subject=obbench.scale.js.$$.${s##*_$$_}&max_pending=4096"
}

echo "== core NATS publish, --rate max: 1 worker vs 2 (--workers 2) =="
compare core core_url "$ROUNDS"
echo "== JetStream async publish (file storage, no sink), --rate max: 1 worker vs 2 =="
compare jetstream js_url "$JS_ROUNDS"

echo "== merge: $SCALE_N workers (--rate $SCALE_RATE -t $SCALE_TIME, core NATS) =="
id="scale-$$-merge-${SCALE_N}w"
workers "$id" "$SCALE_N" "nats://127.0.0.1:4222?subject=obbench.scale.m.$$" "$SCALE_RATE" "$SCALE_TIME"
auto=$(grep -h "merged [0-9]* workers' results in" "$OUT"/scale-"$id"-w*.txt | sed -n "s/.*results in \([0-9.]*\) ms.*/\1/p" | tail -1)
echo "  the last worker's own merge: ${auto:-?} ms"
MERGES+=("core-$SCALE_N $id")

printf '%-15s %9s %10s %10s %9s %9s %8s %8s\n' run records "buckets in" "merged" "wall ms" "merge ms" "CPU ms" "RSS MB"
declare -A WALL CPU
med() { if [ "$1" = - ]; then echo -; else median "$@"; fi; }
for entry in "${MERGES[@]}"; do
    read -r label id <<<"$entry"
    walls=() owns=() cpus=() rsss=()
    for round in $(seq 1 "$ROUNDS"); do
        merge "$id"
        walls+=("$MERGE_WALL") owns+=("$MERGE_OWN") cpus+=("$MERGE_CPU") rsss+=("$MERGE_RSS")
    done
    read -r bin bout < <(buckets "$id")
    WALL[$label]=$(median "${walls[@]}") CPU[$label]=$(med "${cpus[@]}")
    printf '%-15s %9s %10s %10s %9.0f %9s %8s %8s\n' "$label" "$MERGE_SENT" \
        "$bin" "$bout" "${WALL[$label]}" "$(med "${owns[@]}")" "${CPU[$label]}" "$(med "${rsss[@]}")"
done
echo "(medians of $ROUNDS merges each; buckets: the publish histogram's, stored by the workers / merged)"
printf '%-27s%s\n' "merge wall $SCALE_N/1 workers:" "$(ratio "${WALL[core-$SCALE_N]}" "${WALL[core-1]}")"
printf '%-27s%s\n' "merge wall 2/1 workers:" "$(ratio "${WALL[core-2]}" "${WALL[core-1]}")"
if [ "${CPU[core-1]}" != - ]; then
    printf '%-27s%s\n' "merge CPU $SCALE_N/1 workers:" "$(ratio "${CPU[core-$SCALE_N]}" "${CPU[core-1]}")"
    printf '%-27s%s\n' "merge CPU 2/1 workers:" "$(ratio "${CPU[core-2]}" "${CPU[core-1]}")"
fi
echo "bench/scale.sh took ${SECONDS} s"
