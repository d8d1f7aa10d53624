# kafka_tls.sh — Kafka over TLS and SASL against a private one-node Kafka (KRaft) this
# test starts on free ports with certificates it makes (a CA, a broker certificate for
# 127.0.0.1/localhost, a client certificate with an encrypted key) and three listeners:
# SSL (client certificate required), SASL_PLAINTEXT (SCRAM-SHA-512, PLAIN) and SASL_SSL
# (SCRAM-SHA-256, PLAIN). For each: a sink and a headless run end to end, nothing lost.
# SCRAM with a librdkafka before 2.6.1: such a librdkafka repeats its nonce in the SCRAM
# client-final message, which Kafka 4.x refuses (librdkafka#4895), so its SCRAM runs go
# to a second private Kafka, 3.8.1 (scripts/tools kafka-scram), which accepts it, with a
# SASL_PLAINTEXT (SCRAM-SHA-512) and a SASL_SSL (SCRAM-SHA-256) listener; against 4.x
# the failure's note saying so is checked. Then a wrong CA, no client certificate, a
# wrong password and a wrong mechanism fail within 5 s with one line naming the cause and
# the address, a missing CA or key file and inconsistent options are usage errors, and no
# output quotes an 8-byte piece of any secret.
source "$(dirname "$0")/lib.sh"
require_kafka  # MongoDB (the sink's) and the Kafka distribution of the stack
KAFKA_BIN=$(dirname "$("$OB_SOURCE_DIR/scripts/tools" kafka)") || exit 1
# librdkafka before 2.6.1 cannot log in with SCRAM to Kafka 4.x: the SCRAM runs then go to
# Kafka 3.8.1 (OLD_SCRAM=1).
RDKAFKA_VERSION=$(pkg-config --modversion rdkafka 2>/dev/null || echo 0)
OLD_SCRAM=0
printf '2.6.1\n%s\n' "$RDKAFKA_VERSION" | sort -V -C || OLD_SCRAM=1
if [ "$OLD_SCRAM" = 1 ]; then
    KAFKA_SCRAM_BIN=$(dirname "$("$OB_SOURCE_DIR/scripts/tools" kafka-scram)") || exit 1
fi

# --- certificates -------------------------------------------------------------------
T=$WORK/tls
mkdir -p "$T"
secret() { openssl rand -hex 12; }
ALICE_PW=$(secret)   # SCRAM user alice
BOB_PW=$(secret)     # PLAIN user bob
KEY_PW=$(secret)     # the client key's passphrase
WRONG_PW=$(secret)   # a password nobody has
{
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 -subj /CN=obit-ca &&
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/other.key" -out "$T/other-ca.pem" -days 2 -subj /CN=obit-other-ca &&
    openssl req -newkey rsa:2048 -nodes -keyout "$T/broker.key" -out "$T/broker.csr" -subj /CN=localhost &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$T/san.ext" &&
    openssl x509 -req -in "$T/broker.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
        -out "$T/broker.pem" -days 2 -extfile "$T/san.ext" &&
    cat "$T/broker.key" "$T/broker.pem" >"$T/broker-keystore.pem" &&
    openssl req -newkey rsa:2048 -passout "pass:$KEY_PW" -keyout "$T/client.key" -out "$T/client.csr" -subj /CN=obit-client &&
    openssl x509 -req -in "$T/client.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
        -out "$T/client.pem" -days 2
} >"$WORK/openssl.log" 2>&1
check "openssl made a CA, the broker's and a client's certificate" test -s "$T/client.pem"

# --- the private Kafka --------------------------------------------------------------
read -r P_SSL P_SASL P_SASLSSL P_INT P_CTL S_SASL S_SASLSSL S_INT S_CTL < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(9)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
K=$WORK/kafka
mkdir -p "$K/data"
PLAIN_JAAS="org.apache.kafka.common.security.plain.PlainLoginModule required user_bob=\"$BOB_PW\";"
SCRAM_JAAS="org.apache.kafka.common.security.scram.ScramLoginModule required;"
# broker_conf DIR CTL_PORT — what both private Kafkas' server.properties hold besides
# their listeners: one KRaft node, DIR/data, the test's PEM keystore and CA
broker_conf() {
    kafka_kraft_conf "$1" "$2" INTERNAL
    cat <<CONF
ssl.keystore.type=PEM
ssl.keystore.location=$T/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$T/ca.pem
CONF
}
{ broker_conf "$K" "$P_CTL"; cat <<CONF
listeners=SSL://127.0.0.1:$P_SSL,SASL_PLAINTEXT://127.0.0.1:$P_SASL,SASL_SSL://127.0.0.1:$P_SASLSSL,INTERNAL://127.0.0.1:$P_INT,CONTROLLER://127.0.0.1:$P_CTL
advertised.listeners=SSL://127.0.0.1:$P_SSL,SASL_PLAINTEXT://127.0.0.1:$P_SASL,SASL_SSL://127.0.0.1:$P_SASLSSL,INTERNAL://127.0.0.1:$P_INT
listener.security.protocol.map=SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
listener.name.ssl.ssl.client.auth=required
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$SCRAM_JAAS
listener.name.sasl_plaintext.plain.sasl.jaas.config=$PLAIN_JAAS
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256,PLAIN
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$SCRAM_JAAS
listener.name.sasl_ssl.plain.sasl.jaas.config=$PLAIN_JAAS
CONF
} >"$K/server.properties"
# With a librdkafka before 2.6.1, the SCRAM listeners' Kafka: 3.8.1, the same SCRAM
# listeners and users (SCRAM only), on ports of its own.
SK=$WORK/kafka-scram
if [ "$OLD_SCRAM" = 1 ]; then
    mkdir -p "$SK/data"
    { broker_conf "$SK" "$S_CTL"; cat <<CONF
listeners=SASL_PLAINTEXT://127.0.0.1:$S_SASL,SASL_SSL://127.0.0.1:$S_SASLSSL,INTERNAL://127.0.0.1:$S_INT,CONTROLLER://127.0.0.1:$S_CTL
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$S_SASL,SASL_SSL://127.0.0.1:$S_SASLSSL,INTERNAL://127.0.0.1:$S_INT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$SCRAM_JAAS
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-256
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$SCRAM_JAAS
CONF
    } >"$SK/server.properties"
fi

# kafka_boot DIR STORAGE SERVER FORMAT_LOG LOG — formats DIR/data with alice's SCRAM
# credentials, then starts SERVER on DIR/server.properties, in the background; sets
# BOOT_PID (the server's, once the format is done).
kafka_boot() {
    local dir=$1 storage=$2 server=$3 flog=$4 log=$5
    (
        "$storage" format -t "$("$storage" random-uuid)" -c "$dir/server.properties" \
            --add-scram "SCRAM-SHA-512=[name=alice,password=$ALICE_PW]" \
            --add-scram "SCRAM-SHA-256=[name=alice,password=$ALICE_PW]" >"$flog" 2>&1 &&
        exec "$server" "$dir/server.properties" >"$log" 2>&1
    ) &
    BOOT_PID=$!
    PIDS+=("$BOOT_PID")
}

# kafka_wait PID LOG — waits up to 120 s (the format, then the start) for LOG to say the
# server started; sets up=1 if so.
kafka_wait() {
    up=0
    for _ in $(seq 1 240); do
        grep -q 'Kafka Server started' "$2" 2>/dev/null && { up=1; break; }
        kill -0 "$1" 2>/dev/null || break
        sleep 0.5
    done
}

# Both Kafkas format and start at once (each is a JVM or two: slow on a busy machine).
export KAFKA_HEAP_OPTS="-Xms128m -Xmx384m"
kafka_boot "$K" "$KAFKA_BIN/kafka-storage" "$KAFKA_BIN/kafka-server" "$WORK/format.log" "$WORK/kafka.log"
KAFKA_PID=$BOOT_PID
if [ "$OLD_SCRAM" = 1 ]; then
    kafka_boot "$SK" "$KAFKA_SCRAM_BIN/kafka-scram-storage" "$KAFKA_SCRAM_BIN/kafka-scram-server" \
        "$WORK/format-scram.log" "$WORK/kafka-scram.log"
    SCRAM_KAFKA_PID=$BOOT_PID
fi
kafka_wait "$KAFKA_PID" "$WORK/kafka.log"
check "kafka-storage formatted the private Kafka's data with alice's SCRAM credentials" \
    test -f "$K/data/meta.properties"
check "the private Kafka is up (SSL :$P_SSL, SASL_PLAINTEXT :$P_SASL, SASL_SSL :$P_SASLSSL)" test "$up" = 1
[ "$up" = 1 ] || { tail -20 "$WORK/format.log" "$WORK/kafka.log" >&2; finish; exit 1; }
if [ "$OLD_SCRAM" = 1 ]; then
    kafka_wait "$SCRAM_KAFKA_PID" "$WORK/kafka-scram.log"
    check "kafka-scram-storage formatted the SCRAM Kafka's data with alice's SCRAM credentials" \
        test -f "$SK/data/meta.properties"
    check "the SCRAM Kafka ($(grep -o 'Kafka version: [0-9.]*' "$WORK/kafka-scram.log" | head -1)) is up (SASL_PLAINTEXT :$S_SASL, SASL_SSL :$S_SASLSSL)" \
        test "$up" = 1
    [ "$up" = 1 ] || { tail -20 "$WORK/format-scram.log" "$WORK/kafka-scram.log" >&2; finish; exit 1; }
else
    S_SASL=$P_SASL S_SASLSSL=$P_SASLSSL  # librdkafka 2.6.1 or later: SCRAM to Kafka 4.x
fi

# Every output of outbreak goes under $OUT: the secrets check reads them all.
OUT=$WORK/out
mkdir -p "$OUT"
SSL_OPTS="ca=$T/ca.pem&cert=$T/client.pem&key_file=$T/client.key&key_password=$KEY_PW"

# e2e NAME URL SECURITY — a sink and a headless run at 200/s for 2 s over URL (its topic is
# added): every acked record in MongoDB, the summary's security as SECURITY.
e2e() {
    local name=$1 url=$2 security=$3 id="kafka-tls-$1-$$" topic
    topic=$(kafka_topic "obit.tls.$name.$$")
    url="$url&topic=$topic"
    start_sink "$url" "$OUT/sink-$name.log"
    "$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 200 -t 2s --run-id "$id" \
        --json "$OUT/$name.json" --html "$OUT/$name.html" >"$OUT/run-$name.log" 2>&1
    local rc=$?
    kill "$SINK_PID" 2>/dev/null
    wait "$SINK_PID" 2>/dev/null
    echo "--- $name: $(grep -E '^delivery' "$OUT/run-$name.log")"
    check_delivered "$rc" "$OUT/$name.json" "$id" +300
    check "$name: the summary says security=$security" \
        test "$(json "$OUT/$name.json" 'd["durability"]["security"]')" = "$security"
}

# SSL with the private CA and a client certificate whose key has a passphrase
e2e ssl "kafka://127.0.0.1:$P_SSL?$SSL_OPTS" ssl
check "ssl: the summary names the CA and the client certificate" test \
    "$(json "$OUT/ssl.json" '(d["durability"]["tls"], d["durability"]["ca"], d["durability"]["cert"])')" = \
    "(True, '$T/ca.pem', '$T/client.pem')"
# SASL_PLAINTEXT with PLAIN (security follows from the user)
e2e plain "kafka://bob:$BOB_PW@127.0.0.1:$P_SASL?mechanism=PLAIN" sasl_plaintext
check "plain: the summary names the mechanism and the user" test \
    "$(json "$OUT/plain.json" '(d["durability"]["mechanism"], d["durability"]["user"])')" = "('PLAIN', 'bob')"
check "plain: the URL is shown with the password masked" grep -qF "kafka://bob:***@127.0.0.1:$P_SASL" \
    "$OUT/run-plain.log"
# SASL_SSL with PLAIN
e2e plain_ssl "kafka://bob:$BOB_PW@127.0.0.1:$P_SASLSSL?security=sasl_ssl&mechanism=PLAIN&ca=$T/ca.pem" sasl_ssl
# The failures: one line naming the cause and the address, within 5 s.
ff() { fails_fast "$@"; cat "$WORK/fails_fast.err" >>"$OUT/failures.log"; }

# SCRAM, to Kafka 4.x with librdkafka 2.6.1 or later, else to Kafka 3.8.1 (S_SASL,
# S_SASLSSL): librdkafka before 2.6.1 repeats its nonce in the client-final message,
# which Kafka 4.x refuses (librdkafka#4895) and 3.8.1 accepts.
if [ "$OLD_SCRAM" = 1 ]; then
    echo "note: librdkafka $RDKAFKA_VERSION (before 2.6.1) cannot log in with SCRAM to Kafka 4.x: the SCRAM runs go to Kafka 3.8.1, and against 4.x the failure's note is checked"
    ff 1 "fixed in librdkafka 2.6.1" run --broker "kafka://alice:$ALICE_PW@127.0.0.1:$P_SASL" -t 1s --headless
fi
# SASL_PLAINTEXT, SCRAM-SHA-512 (the default mechanism)
e2e scram512 "kafka://alice:$ALICE_PW@127.0.0.1:$S_SASL?security=sasl_plaintext" sasl_plaintext
check "scram512: the summary names the mechanism and the user" test \
    "$(json "$OUT/scram512.json" '(d["durability"]["mechanism"], d["durability"]["user"])')" = "('SCRAM-SHA-512', 'alice')"
# SASL_SSL, SCRAM-SHA-256 (security follows from the user and the CA)
e2e scram256 "kafka://alice:$ALICE_PW@127.0.0.1:$S_SASLSSL?mechanism=scram-sha-256&ca=$T/ca.pem" sasl_ssl
check "scram256: the summary names the mechanism and the user" test \
    "$(json "$OUT/scram256.json" '(d["durability"]["mechanism"], d["durability"]["user"])')" = "('SCRAM-SHA-256', 'alice')"
# A wrong SCRAM password
ff 1 "127.0.0.1:$S_SASL: SASL authentication failed (SCRAM-SHA-512, user alice)" \
    run --broker "kafka://alice:$WRONG_PW@127.0.0.1:$S_SASL" -t 1s --headless

ff 1 "127.0.0.1:$P_SSL: SSL handshake failed: certificate verify failed" \
    run --broker "kafka://127.0.0.1:$P_SSL?${SSL_OPTS/ca.pem/other-ca.pem}" -t 1s --headless
ff 1 "127.0.0.1:$P_SSL: SSL handshake failed: the broker refused us" \
    sink --broker "kafka://127.0.0.1:$P_SSL?ca=$T/ca.pem" --mongo "$MONGO_URL"
ff 1 "127.0.0.1:9092: SSL handshake failed" run --broker "kafka://127.0.0.1:9092?security=ssl" -t 1s --headless
ff 1 "127.0.0.1:$P_SASL: SASL authentication failed (PLAIN, user bob): Authentication failed: Invalid username or password" \
    run --broker "kafka://bob:$WRONG_PW@127.0.0.1:$P_SASL?mechanism=PLAIN" -t 1s --headless
ff 1 "127.0.0.1:$P_SASLSSL: SASL authentication failed (PLAIN, user bob)" \
    sink --broker "kafka://bob:$WRONG_PW@127.0.0.1:$P_SASLSSL?mechanism=PLAIN&ca=$T/ca.pem" --mongo "$MONGO_URL"
ff 1 "127.0.0.1:$P_SASL: SASL mechanism SCRAM-SHA-256 is not enabled on the broker (it offers SCRAM-SHA-512,PLAIN)" \
    run --broker "kafka://alice:$ALICE_PW@127.0.0.1:$P_SASL?mechanism=SCRAM-SHA-256" -t 1s --headless
# Usage errors: exit 2, one line naming the file or the option.
ff 2 "cannot read $T/missing-ca.pem" run --broker "kafka://127.0.0.1:$P_SSL?ca=$T/missing-ca.pem" -t 1s --headless
ff 2 "cannot read $T/missing.key" sink --broker "kafka://127.0.0.1:$P_SSL?cert=$T/client.pem&key_file=$T/missing.key" \
    --mongo "$MONGO_URL"
ff 2 "option cert needs option key_file" run --broker "kafka://127.0.0.1:$P_SSL?cert=$T/client.pem" -t 1s --headless
ff 2 "option mechanism must be one of" \
    run --broker "kafka://alice:$ALICE_PW@127.0.0.1:$P_SASL?mechanism=GSSAPI" -t 1s --headless
ff 2 "need security=sasl_plaintext or sasl_ssl (not ssl)" \
    run --broker "kafka://alice:$ALICE_PW@127.0.0.1:$P_SSL?security=ssl&ca=$T/ca.pem" -t 1s --headless
ff 2 "needs a user and password" run --broker "kafka://127.0.0.1:$P_SASL?security=sasl_plaintext" -t 1s --headless
ff 2 "option security must be one of" run --broker "kafka://127.0.0.1:$P_SSL?security=tls" -t 1s --headless
ff 2 'unknown option "sasl_mechanism"' \
    run --broker "kafka://alice:$ALICE_PW@127.0.0.1:$P_SASL?sasl_mechanism=PLAIN" -t 1s --headless

# No output quotes an 8-byte piece of a secret.
leaks=$(python3 - "$OUT" "$ALICE_PW" "$BOB_PW" "$KEY_PW" "$WRONG_PW" <<'PY'
import os, sys
out, secrets = sys.argv[1], sys.argv[2:]
for name in sorted(os.listdir(out)):
    text = open(os.path.join(out, name), "rb").read()
    for s in secrets:
        for i in range(len(s) - 7):
            if s[i:i + 8].encode() in text:
                print(f"{name} quotes {s[i:i + 8]!r}")
                break
PY
)
check "no output quotes an 8-byte piece of a secret ($(ls "$OUT" | wc -l) files: runs, sinks, JSON, HTML, failures)" \
    test -z "$leaks"
[ -z "$leaks" ] || echo "$leaks" >&2

# The private Kafkas end here (a clean shutdown, or killed after 15 s); cleanup removes
# their data with $WORK.
KAFKA_PIDS=("$KAFKA_PID" ${SCRAM_KAFKA_PID:+"$SCRAM_KAFKA_PID"})
kill "${KAFKA_PIDS[@]}" 2>/dev/null
for _ in $(seq 1 30); do kill -0 "${KAFKA_PIDS[@]}" 2>/dev/null || break; sleep 0.5; done
kill -9 "${KAFKA_PIDS[@]}" 2>/dev/null
finish
