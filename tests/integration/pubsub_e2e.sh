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
got=$(json "$WORK/s.json" '"%s|%s" % (d["durability"]["ack_deadline_s"], d["durability"]["subscription_origin"])')
check "durability: the subscription the sink made, its ack deadline ($got)" test "$got" = "60|existed"

# an existing subscription is taken as the server has it: a subscription made with a
# 20 s deadline is reported with 20 by a URL that does not name one; a URL that names
# another deadline, or a subscription on another topic, fails at start in one line
sub2="obit-e2e-$$-short"
curl -sf -X PUT -H 'Content-Type: application/json' \
    -d "{\"topic\":\"projects/outbreak-local/topics/$topic\",\"ackDeadlineSeconds\":20}" \
    "http://$PUBSUB_EMULATOR_HOST/v1/projects/outbreak-local/subscriptions/$sub2" >/dev/null
"$OUTBREAK" run --headless --broker "pubsub://outbreak-local/$topic?subscription=$sub2" --rate 100 -t 1s \
    --only-summary --json "$WORK/short.json" >"$WORK/short.log" 2>&1
got=$(json "$WORK/short.json" '"%s|%s" % (d["durability"]["ack_deadline_s"], d["durability"]["subscription_origin"])')
check "a subscription made with 20 s: the run says 20, not the URL's default 60 ($got)" test "$got" = "20|existed"
fails_fast 1 "subscriptions/$sub2 at http://$PUBSUB_EMULATOR_HOST exists with ack deadline 20 s, the URL asks for ack_deadline=30" \
    sink --broker "pubsub://outbreak-local/$topic?subscription=$sub2&ack_deadline=30" --mongo "$MONGO_URL"
fails_fast 1 "exists on topic projects/outbreak-local/topics/$topic, not projects/outbreak-local/topics/$topic-other" \
    sink --broker "pubsub://outbreak-local/$topic-other?subscription=$sub2" --mongo "$MONGO_URL"
curl -sf -X DELETE "http://$PUBSUB_EMULATOR_HOST/v1/projects/outbreak-local/subscriptions/$sub2" >/dev/null
finish
