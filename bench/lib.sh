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
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
# BENCH_RECORD_SIZE=N: every message of both tools N bytes (outbreak run --record-size N,
# in OB_SIZE_ARGS); unset, one record's own size (about 190 bytes)
OB_SIZE_ARGS=()
[ -n "${BENCH_RECORD_SIZE:-}" ] && OB_SIZE_ARGS=(--record-size "$BENCH_RECORD_SIZE")
# The size in bytes of one encoded record with its metadata, as outbreak sends it.
record_size() {
    if [ -n "${BENCH_RECORD_SIZE:-}" ]; then
        echo "$BENCH_RECORD_SIZE"
        return
    fi
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

# --- CPU per record (issue 19: the instrument must cost less than the tools it is compared
# with). Each tool runs under /usr/bin/time, which gives the user + system CPU of the
# process and of every child it waited for (a launcher script's JVM, say): the tool's own
# process tree, never the broker's. Start-up and shutdown are included for every tool.
TIMECPU=/usr/bin/time
[ -x "$TIMECPU" ] || { echo "bench: needs /usr/bin/time (GNU time) for the CPU figures" >&2; exit 1; }
# timed FILE CMD...: CMD under /usr/bin/time; FILE gets its "user system" CPU seconds.
timed() { local f=$1; shift; "$TIMECPU" -f '%U %S' -o "$f" "$@"; }
# timed_fine FILE CMD...: the same to the microsecond (getrusage of the children, where
# time rounds to 10 ms): for differences between runs (bench/paced_cost.sh's marginal CPU).
timed_fine() {
    python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%.6f %.6f\n" % (u.ru_utime, u.ru_stime))
sys.exit(rc)' "$@"
}
# timed_steady FILE FROM TO CMD...: as timed_fine, and also the CPU the process spent
# between FROM and TO seconds after its start (the sum over its threads of
# /proc/PID/task/TID/schedstat, nanoseconds on the CPU): its steady state, without the
# start-up, the connecting, the end's drain and the summary. FILE's line: "user system
# steady_seconds window_seconds" (steady "nan" when the process was gone before TO).
timed_steady() {
    python3 -c 'import glob, resource, subprocess, sys, time
def cpu(pid):
    total = 0
    for f in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            total += int(open(f).read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total
f, a, b = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[4:])
steady = "nan"
time.sleep(max(0.0, t0 + a - time.monotonic()))
c0, w0 = cpu(p.pid), time.monotonic()
time.sleep(max(0.0, t0 + b - time.monotonic()))
c1, w1 = cpu(p.pid), time.monotonic()
if p.poll() is None:
    steady = "%.6f" % ((c1 - c0) / 1e9)
rc = p.wait()
u = resource.getrusage(resource.RUSAGE_CHILDREN)
open(f, "w").write("%.6f %.6f %s %.6f\n" % (u.ru_utime, u.ru_stime, steady, w1 - w0))
sys.exit(rc)' "$@"
}
# cpu_secs FILE: user + system seconds from a FILE written by timed (the last line: time
# puts "Command exited with non-zero status N" before it).
cpu_secs() { tail -1 "$1" | awk '{ printf "%.6f\n", $1 + $2 }'; }
# cpu_us CPU_S RECORDS: CPU microseconds per record.
cpu_us() { python3 -c "import sys; n = float(sys.argv[2]); print('%.3f' % (float(sys.argv[1]) * 1e6 / n if n else float('nan')))" "$1" "$2"; }
# cpu_report LABEL PEER OB_CPU_S OB_RECORDS PEER_CPU_S PEER_RECORDS [RATE_RATIO]: two lines,
# each tool's CPU seconds and µs per record, then the ratio outbreak / PEER of the CPU
# per record beside the rate ratio (goal: CPU ratio <= 1.0).
cpu_report() {
    python3 - "$@" <<'PY'
import sys
label, peer, oc, on, pc, pn = sys.argv[1:7]
rr = sys.argv[7] if len(sys.argv) > 7 else None
oc, on, pc, pn = float(oc), float(on), float(pc), float(pn)
ou = oc * 1e6 / on if on else float("nan")
pu = pc * 1e6 / pn if pn else float("nan")
r = ou / pu if pu else float("nan")
print("%-36soutbreak %.2f s / %d = %.3f µs/record; %s %.2f s / %d = %.3f µs/record"
      % ("CPU (user+sys) %s:" % label, oc, on, ou, peer, pc, pn, pu))
print("%-36s%.2f (outbreak / %s; goal <= 1.0: %s)%s"
      % ("ratio CPU/record %s:" % label, r, peer, "met" if r <= 1.0 else "NOT met",
         "   [rate ratio %s]" % rr if rr else ""))
PY
}
