# stack_wipe.sh — `scripts/stack wipe SERVICE...` deletes the data directories of a
# state directory (OUTBREAK_STACK_DIR) so that the next `up` starts empty, and never
# touches a server it did not start: here the state directory is a new one, so the
# stack's NATS and MongoDB that the tests use are foreign to it, and must still answer
# afterwards. An unknown service is a usage error (exit 2, one line).
source "$(dirname "$0")/lib.sh"
require_servers
STACK="$OB_SOURCE_DIR/scripts/stack"

state="$WORK/state"
mkdir -p "$state/nats/jetstream/\$G" "$state/mongo" "$state/kafka"
head -c 200000 /dev/urandom >"$state/nats/jetstream/\$G/blk"
: >"$state/mongo/outbreak.sqlite"
echo "kept" >"$state/nats.log"
OUTBREAK_STACK_DIR=$state bash "$STACK" wipe nats mongo >"$WORK/wipe.log" 2>&1
rc=$?
cat "$WORK/wipe.log"
check "wipe exits 0 (got $rc)" test "$rc" -eq 0
check "the NATS and MongoDB data directories are gone" test ! -e "$state/nats" -a ! -e "$state/mongo"
check "a service not named keeps its data" test -d "$state/kafka"
check "the logs stay" grep -q kept "$state/nats.log"
check "it says what it removed" grep -q "^nats: data removed (.* in $state/nats)" "$WORK/wipe.log"
check "the servers it did not start are left running, and it says so" \
    grep -q "^nats: not started by scripts/stack, left running on 127.0.0.1:4222" "$WORK/wipe.log"
check "the stack's NATS still answers" bash "$STACK" status nats
check "the stack's MongoDB still answers" python3 "$OB_SOURCE_DIR/scripts/mongo_ping.py" 127.0.0.1 27017
OUTBREAK_STACK_DIR=$state bash "$STACK" wipe nats >"$WORK/again.log" 2>&1
check "a second wipe finds no data and exits 0 ($(tail -1 "$WORK/again.log"))" grep -q "^nats: no data" "$WORK/again.log"
OUTBREAK_STACK_DIR=$state bash "$STACK" wipe natz >"$WORK/bad.log" 2>&1
rc=$?
check "an unknown service: exit 2, one line ($(cat "$WORK/bad.log"))" \
    test "$rc" -eq 2 -a "$(wc -l <"$WORK/bad.log")" -eq 1
finish
