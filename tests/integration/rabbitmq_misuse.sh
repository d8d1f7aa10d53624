# rabbitmq_misuse.sh — wrong credentials, a wrong vhost, a closed port and a port that
# never answers fail within 5 s with exit 1 and one line naming the address; a bad
# option value is a usage error (exit 2, one line naming the option).
source "$(dirname "$0")/lib.sh"
require_rabbitmq

q="obit.misuse.$$"
fails_fast 1 'ACCESS_REFUSED' run --broker "amqp://guest:wrong@127.0.0.1:5672/?queue=$q" -t 2s --headless
fails_fast 1 '127.0.0.1:5672' run --broker "amqp://nobody:x@127.0.0.1:5672/?queue=$q" -t 2s --headless
fails_fast 1 'ACCESS_REFUSED' sink --broker "amqp://guest:wrong@127.0.0.1:5672/?queue=$q" --mongo "$MONGO_URL"
fails_fast 1 'no-such-vhost' run --broker "amqp://guest:guest@127.0.0.1:5672/no-such-vhost?queue=$q" -t 2s --headless
fails_fast 1 'no-such-vhost' sink --broker "amqp://guest:guest@127.0.0.1:5672/no-such-vhost?queue=$q" --mongo "$MONGO_URL"
fails_fast 1 '127.0.0.1:5699' run --broker "amqp://guest:guest@127.0.0.1:5699/" -t 2s --headless
# a port that accepts connections but never speaks AMQP: the handshake times out
silent_server 5698
fails_fast 1 '127.0.0.1:5698' run --broker "amqp://guest:guest@127.0.0.1:5698/" -t 2s --headless
fails_fast 1 '127.0.0.1:5698' sink --broker "amqp://guest:guest@127.0.0.1:5698/" --mongo "$MONGO_URL"
# usage errors: exit 2 before connecting
fails_fast 2 'queue_type' run --broker "amqp://127.0.0.1/?queue_type=stream" -t 1s --headless
fails_fast 2 'prefetch' sink --broker "amqp://127.0.0.1/?prefetch=0" --mongo "$MONGO_URL"
fails_fast 2 'unknown option "queu"' run --broker "amqp://127.0.0.1/?queu=x" -t 1s --headless
# a queue that exists with other settings: the broker's reason, in one line
"$RABBITMQCTL" delete_queue "$q" >/dev/null 2>&1
rabbit_queue "$q" >/dev/null
"$OUTBREAK" run --headless --broker "${RABBIT_URL}?queue=$q&durable=0" --pool 1 --once --headless --only-summary >/dev/null 2>&1
fails_fast 1 'PRECONDITION_FAILED' run --broker "${RABBIT_URL}?queue=$q&durable=1" -t 1s --headless
finish
