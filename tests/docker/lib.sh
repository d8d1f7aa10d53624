# lib.sh — what the Docker tests (compose.sh, swarm.sh) share: the work directory, the
# counters and their checks, timed phases, a JSON reader and a free port. Sourced after
# `set -u`; WORK_PREFIX names the work directory ("outbreak-docker", ...).
: "${OB_SOURCE_DIR:?run through ctest}"
SRC=$OB_SOURCE_DIR
WORK=$(mktemp -d "${TMPDIR:-/tmp}/${WORK_PREFIX:-outbreak-docker}.XXXXXX")
chmod 777 "$WORK"
MONGO_TOOL="python3 $SRC/tests/integration/mongo_tool.py"
FAILED=0
PASSED=0
T0=$(date +%s)
PHASE_T=$T0
PHASES=()

pass() { PASSED=$((PASSED + 1)); echo "ok: $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
phase() { # phase NAME: closes the previous phase's clock
    local now
    now=$(date +%s)
    [ -z "${PHASE:-}" ] || PHASES+=("$PHASE $((now - PHASE_T)) s")
    PHASE=$1
    PHASE_T=$now
    echo "==== phase $1 ($(date -u +%H:%M:%S))"
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
