# jetstream_deleted.sh — JetStream resources deleted under a sink in the middle of a run.
# The sink's pull requests to a consumer that is gone go unanswered and nothing else says
# so; the sink asks the server after a second without a delivery and, when the consumer
# (or its stream) is not there, makes them again as at open, on one line, and consumes.
#   1. the durable consumer deleted (the stream stays): nothing fails, nothing is lost:
#      the records wait in the stream for the new consumer (which, new, delivers the
#      stream from its start: what was inserted before comes as duplicates, kept out by
#      their _id);
#   2. the whole stream deleted: the publisher's records that find no stream are
#      failures it saw ("no responders", and "no PubAck" for those published as it
#      went or swallowed by the deletion: a few seconds' worth at most), what the
#      stream held is gone with it and counted lost; every record after the stream is
#      made again is acked and persisted.
# Before, the sink, still running, consumed nothing more after either.
source "$(dirname "$0")/lib.sh"
require_servers
NATS_TOOL="python3 $OB_SOURCE_DIR/tests/integration/nats_tool.py"

# scenario NAME WHAT — a sink, a run of 12 s at 300/s, WHAT deleted 3 s in
scenario() {
    local name=$1 what=$2 stream="OBITDEL_${1}_$$" durable="obit-del-$1-$$"
    # puback_timeout 2 s: a publish the deletion swallows (neither a PubAck nor "no
    # responders": seen once in a hundred-odd runs) fails by t=5, before the last 5 s
    url="$NATS_URL?jetstream=1&stream=$stream&subject=obit.del.$1.$$&durable=$durable&puback_timeout=2000"
    start_sink "$url" "$WORK/sink-$name.log"
    id="jetstream-$name-$$-$(date +%s)"
    run_in_background "$id" "$url" --rate 300 -t 12s --stop-timeout 30s
    sleep 3
    if [ "$what" = consumer ]; then
        $NATS_TOOL rmconsumer 127.0.0.1 4222 "$stream" "$durable"
    else
        $NATS_TOOL rmstreams 127.0.0.1 4222 "$stream"
    fi
    rc=0
    wait "$RUN_PID" || rc=$?
    kill "$SINK_PID" 2>/dev/null
    wait "$SINK_PID" 2>/dev/null
    mv "$WORK/run.json" "$WORK/run-$name.json"
    grep -E '^delivery|^failure' "$WORK/run.log"
    grep -v '^outbreak sink: [0-9]' "$WORK/sink-$name.log"
    read -r sent acked failed persisted lost < <(json "$WORK/run-$name.json" \
        '" ".join(str(d[k]) for k in ("sent", "acked", "failed", "persisted", "lost"))')
    check "$name: the sink said what was gone and made it again" \
        grep -q "outbreak: nats: the durable consumer $durable of stream $stream at 127.0.0.1:4222 is gone" \
        "$WORK/sink-$name.log"
    check "$name: sent $sent = acked $acked + failed $failed" test "$sent" -eq $((acked + failed))
    check "$name: persisted $persisted + lost $lost = acked $acked" test $((persisted + lost)) -eq "$acked"
    count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
    check "$name: MongoDB holds $count documents of the run = persisted $persisted" test "$count" = "$persisted"
    check_seconds_acked "$name: the last 5 s were all acked and persisted" "$WORK/run-$name.json" 8 12
}

scenario consumer consumer
check "consumer: the run exits 0, nothing failed or lost (got $rc, failed $failed, lost $lost)" \
    test "$rc" -eq 0 -a "$failed" -eq 0 -a "$lost" -eq 0
scenario stream stream
check "stream: the records that found no stream failed, at most 3 s of them: $failed <= 900" \
    test "$failed" -gt 0 -a "$failed" -le 900
check "stream: every failure is 'no responders' (or, published as it went, no PubAck)" python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["failures"]
sys.exit(0 if f and all(x["error"].startswith(("no responders", "no PubAck before the timeout", "no PubAck within")) for x in f) else 1)' \
    "$WORK/run-stream.json"
check "stream: lost $lost: at most what the stream held when it was deleted (<= 300)" test "$lost" -le 300
finish
