# unreachable.sh — an unreachable broker or database fails within 5 s, exit 1, with
# one line that names its address.
source "$(dirname "$0")/lib.sh"

# unreachable ADDRESS ARGS... — exit 1 within 5 s, one line naming ADDRESS
unreachable() { local addr=$1; shift; fails_fast 1 "$addr" "$@"; }

unreachable 127.0.0.1:4299 run --broker nats://127.0.0.1:4299 -t 2s --headless
unreachable 127.0.0.1:4299 run --broker 'nats://127.0.0.1:4299?jetstream=1' -t 2s --headless
unreachable 127.0.0.1:4299 sink --broker nats://127.0.0.1:4299 --mongo "$MONGO_URL"
# a port that accepts connections but never speaks: the connect must time out, not hang
silent_server 4298
unreachable 127.0.0.1:4298 run --broker nats://127.0.0.1:4298 -t 2s --headless
unreachable 127.0.0.1:4298 sink --broker 'nats://127.0.0.1:4298?jetstream=1' --mongo "$MONGO_URL"
require_servers
unreachable 127.0.0.1:27999 run --broker "$NATS_URL" --mongo mongodb://127.0.0.1:27999/x -t 2s --headless
unreachable 127.0.0.1:27999 sink --broker "$NATS_URL" --mongo mongodb://127.0.0.1:27999/x
finish
