# rate_kept.sh — a rate that is not kept is said (docs/measurement.md): the open model
# through real NATS with a window too small for the rate (JetStream, --max-inflight 1,
# 20 000/s asked) warns while running, and its summary and JSON say NOT KEPT, how far
# behind, and the cause the tool sees (the in-flight window full) with the knob; a rate
# that is kept says so (behind 0, no cause, no warning); one no thread can keep is not
# kept either; an adapter whose own window blocks its publish (gRPC with inflight=1,
# through a real gRPC sink) is named as the cause; the closed model has no target (null);
# and rate_achieved / behind_s are figures thresholds can hold the run to. A run that ends
# by itself (--once's 1 000 records at full speed) lasts until its last worker finished:
# its duration and rate are not those of the controlling thread's 50 ms look; a timed run
# at a low rate lasts -t, not until its last record (3/s for 2 s: 6 records at 3.0/s, not
# 3.6/s over the 1.67 s to the last one).
source "$(dirname "$0")/lib.sh"
require_servers

JS="$NATS_URL?jetstream=1&stream=OBITRK_$$&subject=obit.rk.$$"
rc=0
"$OUTBREAK" run --headless --broker "$JS" --rate 20000 -t 4s --max-inflight 1 --only-summary \
    --threshold 'rate_achieved>=19000' --threshold 'behind_s<1' \
    --json "$WORK/behind.json" >"$WORK/behind.out" 2>"$WORK/behind.err" || rc=$?
grep -E "^rate|behind the target" "$WORK/behind.out" "$WORK/behind.err"
check "the warning while running" grep -q "outbreak run: behind the target rate: [0-9]* records sent in the last second, the target is 20000/s (3 s in a row)" "$WORK/behind.err"
check "the summary: NOT KEPT, how far behind, the cause and its knob" \
    grep -Eq "^rate +NOT KEPT: [0-9.]+/s of 20000.0/s \([0-9]+ %\), [0-9.]+ s of the schedule behind; cause: the in-flight window was full [0-9]+ % of the time: raise --max-inflight \(now 1\)" "$WORK/behind.out"
read -r target achieved kept behind share < <(json "$WORK/behind.json" 'd["rate_target"], d["rate_achieved"], d["rate_kept"], d["behind_s"], d["window_full_share"]')
echo "JSON: rate_target $target, rate_achieved $achieved, rate_kept $kept, behind_s $behind, window_full_share $share"
check "JSON: target 20000, achieved under half, not kept" \
    python3 -c "import sys; sys.exit(not ($target == 20000 and $achieved < 10000 and '$kept' == 'False'))"
check "JSON: behind_s is the schedule not sent ((20000 x duration - sent) / 20000)" \
    test "$(json "$WORK/behind.json" 'abs(d["behind_s"] - (20000 * d["duration_s"] - d["sent"]) / 20000) < 0.01')" = True
check "JSON: the window was full most of the time ($share)" python3 -c "import sys; sys.exit(not $share > 0.5)"
check "JSON: the cause names the window" test "$(json "$WORK/behind.json" '"in-flight window" in d["cause"]')" = True
check "thresholds on rate_achieved and behind_s fail: exit 99 (got $rc)" test "$rc" = 99
check "... both" test "$(json "$WORK/behind.json" '[t["pass"] for t in d["thresholds"]]')" = "[False, False]"

rc=0
"$OUTBREAK" run --headless --broker "$NATS_URL?subject=obit.rk2.$$" --rate 500 -t 3s --only-summary \
    --threshold 'rate_achieved>=490' --threshold 'behind_s<0.1s' \
    --json "$WORK/kept.json" >"$WORK/kept.out" 2>"$WORK/kept.err" || rc=$?
grep -E "^rate" "$WORK/kept.out"
check "a kept rate: exit 0 (got $rc)" test "$rc" = 0
check "a kept rate: the summary says kept" grep -Eq "^rate +kept: 500.0/s of 500.0/s$" "$WORK/kept.out"
check "a kept rate: behind 0, no cause" \
    test "$(json "$WORK/kept.json" '(d["rate_kept"], d["behind_s"], d["cause"])')" = "(True, 0, None)"
check "a kept rate: no warning" bash -c "! grep -q 'behind the target' '$WORK/kept.err'"

"$OUTBREAK" run --headless --broker "$NATS_URL?subject=obit.rk3.$$" --rate 50M -t 3s --only-summary \
    --json "$WORK/fast.json" >"$WORK/fast.out" 2>&1
grep -E "^rate" "$WORK/fast.out"
check "50 000 000/s on one thread: not kept, with a cause" \
    test "$(json "$WORK/fast.json" '(d["rate_kept"], d["cause"] is not None)')" = "(False, True)"

# gRPC's own window of 1 call: the worker waits inside the adapter's publish
GRPC_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_sink "grpc://127.0.0.1:$GRPC_PORT" "$WORK/grpc-sink.log"
"$OUTBREAK" run --headless --broker "grpc://127.0.0.1:$GRPC_PORT?inflight=1" --rate 3000 -t 3s --only-summary \
    --json "$WORK/grpc.json" >"$WORK/grpc.out" 2>&1
grep -E "^rate" "$WORK/grpc.out"
check "gRPC inflight=1 at 3000/s: NOT KEPT, the cause the adapter's publish, with the knob" \
    grep -Eq "^rate +NOT KEPT: .*cause: a worker waited inside the adapter's publish [0-9]+ % of the time .*raise the adapter's window \(docs/brokers/grpc.md\)" "$WORK/grpc.out"
check "... publish_blocked_share in the JSON ($(json "$WORK/grpc.json" 'd["publish_blocked_share"]')) >= 0.3, the window of --max-inflight not full" \
    test "$(json "$WORK/grpc.json" 'd["publish_blocked_share"] >= 0.3 and d["window_full_share"] < 0.2')" = True

"$OUTBREAK" run --headless --broker "$NATS_URL?subject=obit.rk4.$$" -u 2 -r 2 -t 2s --only-summary \
    --json "$WORK/closed.json" >"$WORK/closed.out" 2>&1
check "the closed model has no target rate: null" \
    test "$(json "$WORK/closed.json" '(d["rate_target"], d["rate_kept"], d["behind_s"], d["cause"])')" = "(None, None, None, None)"
check "the closed model: no rate line" bash -c "! grep -q '^rate ' '$WORK/closed.out'"

# --once at full speed: 1 000 records take a few ms; the controlling thread looks at its
# workers every 50 ms, and the run's duration used to be when it looked (0.05 s, so
# 20 000/s whatever the speed). Now the last worker's end: at least the slowest ack, and
# the rate is acked / duration.
"$OUTBREAK" run --headless --broker "$NATS_URL?subject=obit.rk5.$$" --rate max \
    --records "$OB_SOURCE_DIR/examples/traffic.json" --once \
    --json "$WORK/once.json" >"$WORK/once.out" 2>&1
grep -E "^(duration|throughput)" "$WORK/once.out"
read -r dur pmax rate acked < <(json "$WORK/once.json" \
    'd["duration_s"], d["publish_latency_ms"]["max"] / 1e3, d["throughput"]["acked_per_s"], d["acked"]')
echo "once: duration $dur s, slowest ack $pmax s, $acked acked, $rate/s"
check "--once: 1000 acked" test "$acked" = 1000
check "--once: the duration ($dur s) is at least the slowest ack ($pmax s) and under the 50 ms look" \
    python3 -c "import sys; sys.exit(not ($pmax <= $dur < 0.045))"
check "--once: the rate is acked / duration" python3 -c "import sys; sys.exit(not abs($rate - 1000 / $dur) <= 0.001 * $rate + 1)"
check "--once: the summary prints the duration to 0.1 ms" grep -Eq "^duration +0\.0[0-4][0-9]{2} s sending$" "$WORK/once.out"
"$OUTBREAK" run --headless --only-summary --broker "$NATS_URL" --rate 3 -t 2s --json "$WORK/slow.json" \
    >"$WORK/slow.out" 2>&1
got=$(json "$WORK/slow.json" '"%d %g %g %g %s" % (d["sent"], d["duration_s"], d["throughput"]["sent_per_s"], d["rate_achieved"], d["rate_kept"])')
check "a timed run at 3/s for 2 s: 6 records over 2 s, 3.0/s, kept ($got)" test "$got" = "6 2 3 3 True"
finish
