# broker_contract.sh — the adapter contract seen from outside: a bad option value is a
# usage error (exit 2, one line) found before connecting, for NATS too; a summary whose
# RabbitMQ queue, exchange and routing key are 255 characters long (the routing key with
# quotes and backslashes) is valid JSON holding the whole names, and the run is clean
# under valgrind; libob_brokers.a exports nothing outside the ob_ prefix; loadgen/ and
# compare name no middleware, port or URL (they ask the registry).
source "$(dirname "$0")/lib.sh"

# --- 1. options checked before connecting ---------------------------------------------
# 4299: nothing listens there, so connecting would be "cannot connect" with exit 1
fails_fast 2 'storage' run --broker 'nats://127.0.0.1:4299?storage=bogus' -t 1s --headless
fails_fast 2 'storage' run --broker 'nats://127.0.0.1:4299?jetstream=1&storage=bogus' -t 1s --headless
fails_fast 2 'replicas' run --broker 'nats://127.0.0.1:4299?jetstream=1&replicas=0' -t 1s --headless
fails_fast 2 'subject' run --broker 'nats://127.0.0.1:4299?subject=a..b' -t 1s --headless
fails_fast 2 'stream' run --broker 'nats://127.0.0.1:4299?jetstream=1&stream=a.b' -t 1s --headless
fails_fast 2 'jetstream' run --broker 'nats://127.0.0.1:4299?jetstream=maybe' -t 1s --headless
fails_fast 2 'storage' sink --broker 'nats://127.0.0.1:4299?storage=bogus' --mongo "$MONGO_URL"
fails_fast 2 'storage' compare --brokers nats --url 'nats=nats://127.0.0.1:4299?storage=bogus' -t 1s
require_servers
# the issue's URL, with a server there: still exit 2, one line
fails_fast 2 'nats: option storage must be one of file, memory, not "bogus"' \
    run --broker 'nats://127.0.0.1:4222?storage=bogus' -t 1s --headless
# and an unreachable port with good options is exit 1 (unavailable), as before
fails_fast 1 '127.0.0.1:4299' run --broker 'nats://127.0.0.1:4299?storage=memory' -t 1s --headless

# --- 2. 255-character names through RabbitMQ, under valgrind ----------------------------
require_rabbitmq
long() { # long PREFIX SUFFIX: PREFIX, x's, SUFFIX: 255 characters in all
    printf '%s%s%s' "$1" "$(head -c $((255 - ${#1} - ${#2})) /dev/zero | tr '\0' x)" "$2"
}
queue=$(rabbit_queue "$(long obit.q "q.$$")")
exchange=$(long obit.e "e.$$")
# the routing key holds what JSON must escape: " and \ (percent-encoded in the URL)
key=$(long 'k"\' '"\end')
key_url=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$key")
check "the names are 255 characters" test "${#queue}:${#exchange}:${#key}" = 255:255:255
url="${RABBIT_URL}?queue=$queue&exchange=$exchange&routing_key=$key_url"
valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect \
    "$OUTBREAK" run --headless --broker "$url" --rate 200 -t 1s --headless --only-summary --json "$WORK/long.json" \
    >"$WORK/long.log" 2>&1
rc=$?
check "the run under valgrind exits 0 (got $rc; 99 = valgrind error)" test $rc -eq 0
check "the summary is valid JSON (python3 -m json.tool)" python3 -m json.tool "$WORK/long.json" /dev/null
check "  it holds the whole queue name" test "$(json "$WORK/long.json" 'd["durability"]["queue"]')" = "$queue"
check "  the whole exchange name" test "$(json "$WORK/long.json" 'd["durability"]["exchange"]')" = "$exchange"
check "  the whole routing key, quotes and backslashes included" \
    test "$(json "$WORK/long.json" 'd["durability"]["routing_key"]')" = "$key"
check "  and the usual durability keys" \
    test "$(json "$WORK/long.json" '[d["durability"][k] for k in ("mode","broker_ack","publish_ack","delivery")]')" \
    = "['confirms', True, 'publisher confirm', 'at-least-once']"
check "  every record acked" test "$(json "$WORK/long.json" 'd["acked"] == d["sent"] > 0')" = True

# --- 3. exported names -------------------------------------------------------------------
lib="$OB_BUILD_DIR/libob_brokers.a"
check "libob_brokers.a is built" test -f "$lib"
foreign=$(nm -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 && $3 !~ /^ob_/ {print $3}')
check "libob_brokers.a exports only ob_ names${foreign:+ (not: $(echo $foreign | head -c 300))}" test -z "$foreign"

# --- 4. nothing middleware-specific outside brokers/ -------------------------------------
names='grpc|nats|rabbit|amqp|kafka|pubsub|pub/sub|jetstream|4222|5671|5672|9092|8085|50051'
found=$(grep -n -i -E "$names" "$OB_SOURCE_DIR"/loadgen/*.[ch] "$OB_SOURCE_DIR"/report/compare.c)
check "loadgen/ and compare name no middleware, port or URL${found:+: $(echo "$found" | head -3)}" test -z "$found"
help=$("$OUTBREAK" compare --help)
for way in grpc nats rabbitmq pubsub kafka; do
    check "compare --help lists $way's default URL (from its adapter)" grep -qE "^  $way +[a-z]+s?://" <<<"$help"
done
finish
