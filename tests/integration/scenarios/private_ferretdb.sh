# scenarios/private_ferretdb.sh — sourced after lib.sh: starts a private FerretDB on
# 127.0.0.1:$PORT (27019) with a data directory under $WORK, so that a test can kill it
# (kill -9 "$FDB_PID") and start it again (start_ferretdb) while the shared one is left
# alone. Sets PORT, FDB_PID; start_ferretdb waits until it answers (10 s at most).
PORT=27019
FERRETDB=${OUTBREAK_TOOLS_DIR:-$HOME/.cache/outbreak/tools}/bin/ferretdb
[ -x "$FERRETDB" ] || FERRETDB=$(command -v ferretdb) \
    || { echo "FAIL: no ferretdb binary (scripts/stack up mongo installs it)" >&2; exit 1; }
data="$WORK/ferretdb"
mkdir -p "$data"
start_ferretdb() {
    "$FERRETDB" --handler=sqlite --sqlite-url="file:$data/" --listen-addr=127.0.0.1:$PORT \
        --state-dir="$data" --telemetry=disable --debug-addr=- --log-level=error \
        >>"$WORK/ferretdb.log" 2>&1 &
    FDB_PID=$!
    PIDS+=("$FDB_PID")
    for _ in $(seq 100); do
        python3 "$OB_SOURCE_DIR/scripts/mongo_ping.py" 127.0.0.1 $PORT --timeout 1 >/dev/null 2>&1 \
            && return 0
        sleep 0.1
    done
    echo "FAIL: private FerretDB did not start" >&2; cat "$WORK/ferretdb.log" >&2; exit 1
}
start_ferretdb
