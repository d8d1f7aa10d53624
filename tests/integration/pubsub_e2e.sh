# pubsub_e2e.sh — outbreak run -> Pub/Sub (the emulator, REST) -> outbreak sink ->
# MongoDB: a run of 20 000 records ends with lost = 0 and MongoDB's count of the run =
# acked; the acks are the message ids of the publish responses; the summary names the
# settings; the topic and subscription are created if missing.
source "$(dirname "$0")/lib.sh"
require_pubsub

topic="obit-e2e-$$"
id="pubsub-e2e-$$-$(date +%s)"
url="pubsub://outbreak-local/$topic?subscription=$topic-sink"
start_sink "$url" "$WORK/sink.log"
# exactly 20 000 records: each of a pool of 20 000 once, at up to 4 000/s
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 4000 --pool 20000 --once --headless \
    --run-id "$id" --json "$WORK/s.json" --csv "$WORK/s" >"$WORK/run.log" 2>&1
rc=$?
tail -14 "$WORK/run.log"
check_delivered "$rc" "$WORK/s.json" "$id" 20000
acked=$ACKED
check "durability: the emulator, message ids as acks" test \
    "$(json "$WORK/s.json" '[d["durability"][k] for k in ("mode","publish_ack","credentials")]')" = "['emulator', 'message id', 'none (emulator)']"
check "the emulator has the topic" sh -c "curl -sf 'http://$PUBSUB_EMULATOR_HOST/v1/projects/outbreak-local/topics/$topic' | grep -q '$topic'"
check "the emulator has the subscription" sh -c "curl -sf 'http://$PUBSUB_EMULATOR_HOST/v1/projects/outbreak-local/subscriptions/$topic-sink' | grep -q '$topic-sink'"
finish
