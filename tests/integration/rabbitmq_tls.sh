# rabbitmq_tls.sh — amqps:// against the local stack's TLS listener (127.0.0.1:5671, a
# certificate of the stack's own CA): records go through end to end when the CA is
# given; an unknown CA, a plain port and a missing CA file fail within 5 s with one
# line; verify=0 connects without checking.
source "$(dirname "$0")/lib.sh"
require_rabbitmq
ca=${OUTBREAK_STACK_DIR:-$HOME/.cache/outbreak/stack}/rabbitmq/tls/ca.pem
check "the stack made its CA ($ca)" test -s "$ca"

q=$(rabbit_queue "obit.tls.$$")
id="rmq-tls-$$-$(date +%s)"
url="amqps://guest:guest@localhost:5671/?queue=$q&cacert=$ca"
start_sink "$url" "$WORK/sink.log"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 2000 --pool 5000 --once --headless \
    --only-summary --run-id "$id" --json "$WORK/t.json" >"$WORK/run.log" 2>&1
rc=$?
tail -8 "$WORK/run.log"
check "TLS run exits 0 (got $rc)" test "$rc" -eq 0
check "TLS: 5000 acked, 5000 persisted, lost 0" test \
    "$(json "$WORK/t.json" '(d["acked"], d["persisted"], d["lost"])')" = "(5000, 5000, 0)"
check "durability says tls" test "$(json "$WORK/t.json" 'd["durability"]["tls"]')" = True

fails_fast 1 'verification failed' run --broker "amqps://guest:guest@localhost:5671/?queue=$q" --pool 10 --once --headless
fails_fast 1 'localhost:5672' run --broker "amqps://guest:guest@localhost:5672/?queue=$q&verify=0" --pool 10 --once --headless
fails_fast 1 '/nonexistent/ca.pem' sink --broker "amqps://localhost:5671/?cacert=/nonexistent/ca.pem" --mongo "$MONGO_URL"
"$OUTBREAK" run --headless --broker "amqps://guest:guest@127.0.0.1:5671/?queue=$q&verify=0" --pool 10 --once \
    --headless --only-summary --json "$WORK/v.json" >/dev/null 2>&1
check "verify=0: 10 acked without checking the certificate" test "$(json "$WORK/v.json" 'd["acked"]')" = 10
finish
