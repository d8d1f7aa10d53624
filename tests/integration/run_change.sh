# run_change.sh — the load of a running run changes (ob_run_change_load, Locust's edit
# of a running test), on the stack's NATS: run_change_driver runs the engine in a thread
# and changes the load at chosen seconds, then prints the answers, the per-second
# series and the totals (tests/integration/run_change.c).
#  * closed model on JetStream (acks that users wait for), 2 threads: 2 users -> 20 at
#    spawn rate 10 at t=2.5 (more users than the workers' arrays were made for): the
#    users ramp (7 at t=3, 17 at t=4, 20 from t=5: the series is sampled every second,
#    the sampler's wake-up may be late by a few ms, the counts by one) and sends per
#    second grow; 20 -> 3 at t=6.5: 3 users from t=7; 3 -> 8 at t=9.5: 8 users from
#    t=10 (or 7 there) and never more (no user runs twice); nothing failed, sent =
#    acked; the result's targets are the last change's;
#  * open model on core NATS, 2 threads: 200/s -> 1000/s at t=4 -> 100/s at t=9: each
#    second within 10 % of its rate, the total within 1 % of the schedule's (a burst
#    or a gap at a change would show there);
#  * --once: every record of the pool sent exactly once while the users change;
#  * errors: users in the open model, rate in the closed model, a change of --rate max,
#    users 0 are usage errors; a change before the run sends and after it ended is
#    rejected.
source "$(dirname "$0")/lib.sh"
require_servers

DRIVER=${OB_BUILD_DIR:?run through ctest (OB_BUILD_DIR = the build tree)}/tests/run_change_driver
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER is not built" >&2; exit 1; }

# pt FILE T FIELD — the series point t=T's FIELD: the second's sample, the first point from
# T.000 to T.049 (a sample comes under a millisecond after its second, a few ms on a busy CI)
pt() { sed -n "s/^point t=$2\.0[0-4][0-9] .*\b$3=\([0-9-]*\).*/\1/p" "$1" | head -n 1; }
# end_pt FILE T FIELD — the run's last point (its end, standing in for the last second's
# sample) if it came in second T, whenever in it: a busy CI printed "12.050"
end_pt() { tail_pt=$(grep '^point ' "$1" | tail -n 1); case $tail_pt in
    "point t=$2."*) printf '%s\n' "$tail_pt" | sed -n "s/.*\b$3=\([0-9-]*\).*/\1/p" ;; esac; }
# tot FILE FIELD — the totals line's FIELD
tot() { sed -n "s/^total .*\b$2=\([0-9.e+-]*\).*/\1/p" "$1"; }
within() { python3 -c "import sys; v, want, tol = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); sys.exit(not abs(v - want) <= want * tol)" "$@"; }

# --- closed model: up, down, up again ---------------------------------------------------
js="$NATS_URL?jetstream=1&stream=OBIT_RC_$$&subject=obit.rc.$$"
out="$WORK/closed.out"
timeout 120 "$DRIVER" --before users=5 --at 2.5 users=20,spawn_rate=10 --at 6.5 users=3 --at 9.5 users=8 \
    --after users=4 -- run --broker "$js" --threads 2 -u 2 -r 100 --wait 0.1-0.2 -t 12s --headless \
    --only-summary >"$out" 2>"$WORK/closed.err"
rc=$?
cat "$out"
check "closed run: driver exits 0 (got $rc)" test "$rc" -eq 0
check "change before the run sends: rejected" grep -q '^change before users=5: rc=-1 kind=rejected' "$out"
check "the three changes while sending: accepted" test "$(grep -c '^change at .*: rc=0$' "$out")" -eq 3
check "change after the run ended: rejected" grep -q '^change after users=4: rc=-1 kind=rejected' "$out"
check "ob_run_targets after the change at 2.5 s: 20 users at 10/s" \
    grep -q '^targets at 2.5 .*: users=20 spawn_rate=10 rate=-1' "$out"
u2=$(pt "$out" 2 users) u3=$(pt "$out" 3 users) u4=$(pt "$out" 4 users) u5=$(pt "$out" 5 users) u6=$(pt "$out" 6 users)
echo "users at t=2..6: $u2 $u3 $u4 $u5 $u6"
check "2 users before the change (t=2: $u2)" test "$u2" = 2
check "ramping at 10/s half a second after the change: 6-8 users (t=3: $u3)" test "$u3" -ge 6 -a "$u3" -le 8
check "ramping at 10/s 1.5 s after the change: 16-18 users (t=4: $u4)" test "$u4" -ge 16 -a "$u4" -le 18
check "20 users two seconds after the change (t=5: $u5, t=6: $u6)" test "$u5" = 20 -a "$u6" = 20
s2=$(pt "$out" 2 sent) s5=$(pt "$out" 6 sent)
check "sent per second grows with the users: t=6 $s5 >= 6 x t=2 $s2" test "$s5" -ge $((6 * s2))
u7=$(pt "$out" 7 users) u8=$(pt "$out" 8 users) u9=$(pt "$out" 9 users) s8=$(pt "$out" 8 sent)
check "20 -> 3 users: 3 at t=7, 8, 9 ($u7 $u8 $u9)" test "$u7" = 3 -a "$u8" = 3 -a "$u9" = 3
check "sent per second falls with the users: t=8 $s8 <= t=6 $s5 / 4" test $((4 * s8)) -le "$s5"
u10=$(pt "$out" 10 users) u11=$(pt "$out" 11 users) u12=$(end_pt "$out" 12 users)
check "3 -> 8 users again: 7-8 at t=10, 8 at t=11, 12 ($u10 $u11 $u12)" \
    test "$u10" -ge 7 -a "$u10" -le 8 -a "$u11" = 8 -a "$u12" = 8
maxu=$(sed -n 's/^point .* users=\([0-9]*\) .*/\1/p' "$out" | sort -n | tail -1)
check "never more users than asked for (max $maxu)" test "$maxu" = 20
sent=$(tot "$out" sent) acked=$(tot "$out" acked) failed=$(tot "$out" failed)
check "closed: failed = 0 ($failed)" test "$failed" = 0
check "closed: sent $sent = acked $acked" test "$sent" = "$acked" -a "$sent" -gt 0
check "closed: the series' sends add up to sent" \
    test "$(awk '/^point/ { sub(/.* sent=/, ""); n += $1 } END { print n }' "$out")" = "$sent"
check "result's targets: 8 users at 10/s" grep -q '^total .* target_users=8 target_spawn_rate=10 target_rate=0$' "$out"

# --- open model: 200/s -> 1000/s -> 100/s ----------------------------------------------
out="$WORK/open.out"
timeout 120 "$DRIVER" --at 1 users=5 --at 2 spawn_rate=5 --at 4 rate=1000 --at 9 rate=100 --after rate=50 \
    -- run --broker "$NATS_URL" --threads 2 --rate 200 -t 12s --headless --only-summary \
    >"$out" 2>"$WORK/open.err"
rc=$?
cat "$out"
check "open run: driver exits 0 (got $rc)" test "$rc" -eq 0
check "users in the open model: usage error" grep -q '^change at 1 .* users=5: rc=-1 kind=usage' "$out"
check "spawn rate in the open model: usage error" grep -q '^change at 2 .* spawn_rate=5: rc=-1 kind=usage' "$out"
check "rate changes while sending: accepted" test "$(grep -c '^change at .* rate=[0-9]*: rc=0$' "$out")" -eq 2
check "ob_run_targets after the change at 4 s: 1000/s" grep -q '^targets at 4 .*: users=-1 spawn_rate=-1 rate=1000$' "$out"
check "rate change after the run ended: rejected" grep -q '^change after rate=50: rc=-1 kind=rejected' "$out"
secs=""
for t in 1 2 3 4 5 6 7 8 9 10 11; do secs="$secs $(pt "$out" $t sent)"; done
secs="$secs $(end_pt "$out" 12 sent)"
echo "sent per second:$secs"
set -- $secs
for t in 1 2 3 4; do v=$(eval echo "\${$t}"); check "second $t at 200/s: $v" within "$v" 200 0.10; done
for t in 5 6 7 8 9; do v=$(eval echo "\${$t}"); check "second $t at 1000/s: $v" within "$v" 1000 0.10; done
for t in 10 11 12; do v=$(eval echo "\${$t}"); check "second $t at 100/s: $v" within "$v" 100 0.10; done
sent=$(tot "$out" sent) acked=$(tot "$out" acked) failed=$(tot "$out" failed)
check "open: total $sent within 1 % of the schedule's 4x200 + 5x1000 + 3x100 = 6100 (no burst, no gap)" \
    within "$sent" 6100 0.01
check "open: failed = 0 ($failed), sent = acked ($acked)" test "$failed" = 0 -a "$sent" = "$acked"
check "result's targets: 100/s" grep -q '^total .* target_users=0 target_spawn_rate=0 target_rate=100$' "$out"

# --- --once: each record once while the users change ---------------------------------
out="$WORK/once.out"
timeout 120 "$DRIVER" --at 1 users=20,spawn_rate=50 --at 2 users=4 -- run --broker "$js" --threads 2 \
    -u 2 -r 100 --wait 0.05-0.1 --pool 600 --once --headless --only-summary >"$out" 2>"$WORK/once.err"
rc=$?
tail -3 "$out"
check "once run: driver exits 0 (got $rc)" test "$rc" -eq 0
check "once: both changes accepted" test "$(grep -c '^change at .*: rc=0$' "$out")" -eq 2
sent=$(tot "$out" sent) acked=$(tot "$out" acked) failed=$(tot "$out" failed)
check "once: the 600 records sent once each (sent $sent, acked $acked, failed $failed)" \
    test "$sent" = 600 -a "$acked" = 600 -a "$failed" = 0

# --- errors of the closed model and of --rate max ---------------------------------------
out="$WORK/errors.out"
timeout 60 "$DRIVER" --at 0.5 rate=100 --at 0.6 users=0 --at 0.7 spawn_rate=0 --at 0.8 users=1000001 \
    -- run --broker "$NATS_URL" -u 2 --wait 0.1-0.2 -t 2s --headless --only-summary >"$out" 2>"$WORK/errors.err"
rc=$?
cat "$out" | grep -v '^point'
check "errors run: driver exits 0 (got $rc)" test "$rc" -eq 0
check "rate in the closed model: usage error" grep -q '^change at 0.5 .* rate=100: rc=-1 kind=usage' "$out"
check "users 0: usage error" grep -q '^change at 0.6 .* users=0: rc=-1 kind=usage' "$out"
check "spawn rate 0: usage error" grep -q '^change at 0.7 .* spawn_rate=0: rc=-1 kind=usage' "$out"
check "users 1000001: usage error" grep -q '^change at 0.8 .* users=1000001: rc=-1 kind=usage' "$out"
check "the failed changes left the load as it was: 2 users" grep -q '^total .* target_users=2 ' "$out"
out="$WORK/max.out"
timeout 60 "$DRIVER" --at 0.5 rate=100 -- run --broker "$NATS_URL" --rate max -t 1s --headless --only-summary \
    >"$out" 2>"$WORK/max.err"
rc=$?
grep '^change' "$out"
check "rate max run: driver exits 0 (got $rc)" test "$rc" -eq 0
check "a change of --rate max: usage error" grep -q '^change at 0.5 .* rate=100: rc=-1 kind=usage' "$out"
finish
