# nats_tls.sh — NATS over TLS and with credentials (docs/brokers/nats.md): certificates
# made here with openssl (a CA, a server certificate for 127.0.0.1 and localhost, a client
# certificate), nkeys, an operator, account and user JWT and a .creds file made here too
# (Ed25519 by openssl, the nkey and JWT encodings in Python), and private nats-servers on
# free ports: mutual TLS with JetStream, TLS with a user and password, a token, an nkey
# user, and operator mode with a .creds user. Through each, `outbreak sink` and `outbreak
# run` end to end with lost 0 and the durability naming TLS and the auth method. A nonce
# whose signature begins with a zero byte (nonce_proxy.py offers one), at the first
# connect (nkey and creds) and at a reconnect: outbreak connects again. Then the
# failures, each exit 1 or 2 within 5 s with one line naming the cause and the address: a
# wrong CA, a wrong password, a plaintext client against the TLS-only server, a TLS client
# against a plaintext one, a missing creds file, an unreadable nkey file. Last, no 8-byte
# piece of any secret (password, token, nkey seeds, the user JWT) in any of outbreak's
# outputs.
source "$(dirname "$0")/lib.sh"
require_servers

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # wait_port PORT — until something listens (10 s at most)
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

# --- certificates ---------------------------------------------------------------------
C=$WORK/certs
mkdir -p "$C"
(
    cd "$C" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=outbreak test CA"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 2 -subj "/CN=another CA"
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
    openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=outbreak client"
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext
) >"$WORK/openssl.log" 2>&1
check "openssl made a CA, a server and a client certificate" test -s "$C/server.pem" -a -s "$C/client.pem"

# --- nkeys, JWTs, the .creds file -------------------------------------------------------
# Writes user.nk (an nkey user's seed) and its public key to user.pub, op.jwt (operator,
# self-signed), account.pub and account.jwt (signed by the operator), user.creds (a user
# JWT signed by the account, and the user's seed), and the secrets, one a line, to
# secrets.txt for the check at the end.
python3 - "$C" <<'EOF' >"$WORK/nkeys.log" 2>&1
import base64, hashlib, json, os, subprocess, sys, time
d = sys.argv[1]
def run(*a):
    return subprocess.run(a, capture_output=True, check=True).stdout
def crc16(b):
    crc = 0
    for x in b:
        crc ^= x << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xffff
    return crc
def b32(b):
    return base64.b32encode(b).decode().rstrip("=")
def b64(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")
PREFIX = {"O": 14 << 3, "A": 0, "U": 20 << 3}
class Key:
    def __init__(self, kind, name):
        self.path = os.path.join(d, name + ".der")
        with open(self.path, "wb") as f:
            f.write(run("openssl", "genpkey", "-algorithm", "ed25519", "-outform", "DER"))
        raw = open(self.path, "rb").read()[-32:]
        pub = run("openssl", "pkey", "-inform", "DER", "-in", self.path, "-pubout", "-outform", "DER")[-32:]
        p = PREFIX[kind]
        s = bytes([(18 << 3) | (p >> 5), (p & 31) << 3]) + raw
        self.seed = b32(s + crc16(s).to_bytes(2, "little"))
        k = bytes([p]) + pub
        self.public = b32(k + crc16(k).to_bytes(2, "little"))
    def sign(self, data):
        with open(self.path + ".msg", "wb") as f:
            f.write(data)
        return run("openssl", "pkeyutl", "-sign", "-inkey", self.path, "-keyform", "DER", "-rawin",
                   "-in", self.path + ".msg")
def jwt(signer, sub, name, nats):
    claims = {"iat": int(time.time()), "iss": signer.public, "name": name, "sub": sub, "nats": nats}
    claims["jti"] = b32(hashlib.sha256(json.dumps(claims, sort_keys=True).encode()).digest())
    head = b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = b64(json.dumps(claims).encode())
    return head + "." + body + "." + b64(signer.sign((head + "." + body).encode()))
def write(name, text):
    with open(os.path.join(d, name), "w") as f:
        f.write(text)
nk = Key("U", "nkuser")
write("user.nk", nk.seed + "\n")
write("user.pub", nk.public + "\n")
op, acc, user = Key("O", "operator"), Key("A", "account"), Key("U", "creduser")
write("op.jwt", jwt(op, op.public, "obit-op", {"type": "operator", "version": 2}))
limits = {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": True,
          "conn": -1, "leaf": -1}
write("account.pub", acc.public)
write("account.jwt", jwt(op, acc.public, "obit-acc", {"type": "account", "version": 2, "limits": limits,
                                                       "default_permissions": {"pub": {}, "sub": {}}}))
ujwt = jwt(acc, user.public, "obit-user", {"type": "user", "version": 2, "pub": {}, "sub": {},
                                            "subs": -1, "data": -1, "payload": -1})
write("user.creds", "-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n\n"
      "************************* IMPORTANT *************************\n"
      "NKEY Seed printed below can be used to sign and prove identity.\n"
      "NKEYs are sensitive and should be treated as secrets.\n\n"
      "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n\n"
      "*************************************************************\n" % (ujwt, user.seed))
write("secrets.txt", "\n".join([nk.seed, ujwt, user.seed]) + "\n")
EOF
check "nkeys, the operator, account and user JWTs and the .creds file made" test -s "$C/user.creds" -a -s "$C/user.nk"

PASS="pw-$(openssl rand -hex 12)"
TOKEN="tok-$(openssl rand -hex 16)"
# a password with the characters JSON escapes ('"', '\') and one a URL does ('%'): the
# configuration file quotes it escaped, the URL percent-encodes it
QPASS="pq-$(openssl rand -hex 8)\"\\%z"
QPASS_CONF=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$QPASS")
QPASS_URL=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "$QPASS")
printf '%s\n%s\n%s\n' "$PASS" "$TOKEN" "$QPASS" >>"$C/secrets.txt"

# --- the servers ------------------------------------------------------------------------
TLS_SERVER="tls { cert_file: \"$C/server.pem\", key_file: \"$C/server.key\", timeout: 2 }"
P_MTLS=$(free_port)
cat >"$WORK/mtls.conf" <<EOF
listen: 127.0.0.1:$P_MTLS
jetstream { store_dir: "$WORK/js-mtls" }
tls { cert_file: "$C/server.pem", key_file: "$C/server.key", ca_file: "$C/ca.pem", verify: true, timeout: 2 }
EOF
P_PASS=$(free_port)
cat >"$WORK/pass.conf" <<EOF
listen: 127.0.0.1:$P_PASS
jetstream { store_dir: "$WORK/js-pass" }
$TLS_SERVER
authorization { users: [ { user: alice, password: "$PASS" }, { user: bob, password: $QPASS_CONF } ] }
EOF
P_TOKEN=$(free_port)
cat >"$WORK/token.conf" <<EOF
listen: 127.0.0.1:$P_TOKEN
authorization { token: "$TOKEN" }
EOF
P_NKEY=$(free_port)
cat >"$WORK/nkey.conf" <<EOF
listen: 127.0.0.1:$P_NKEY
$TLS_SERVER
authorization { users: [ { nkey: $(cat "$C/user.pub") } ] }
EOF
P_CREDS=$(free_port)
cat >"$WORK/creds.conf" <<EOF
listen: 127.0.0.1:$P_CREDS
operator: "$C/op.jwt"
resolver: MEMORY
resolver_preload: { $(cat "$C/account.pub"): "$(cat "$C/account.jwt")" }
EOF
P_NKEYPLAIN=$(free_port)
cat >"$WORK/nkeyplain.conf" <<EOF
listen: 127.0.0.1:$P_NKEYPLAIN
authorization { users: [ { nkey: $(cat "$C/user.pub") } ] }
EOF
for s in mtls pass token nkey creds nkeyplain; do
    "$NATS_SERVER" -c "$WORK/$s.conf" >"$WORK/server-$s.log" 2>&1 &
    PIDS+=($!)
done
for p in $P_MTLS $P_PASS $P_TOKEN $P_NKEY $P_CREDS $P_NKEYPLAIN; do
    wait_port "$p" || fail "no nats-server listening on $p ($(tail -2 "$WORK"/server-*.log))"
done

CA="ca=$C/ca.pem"
MTLS="nats://127.0.0.1:$P_MTLS?tls=1&$CA&cert=$C/client.pem&key=$C/client.key"
OUT=$WORK/out # every output of outbreak goes under out-*: the secrets check reads them all

# e2e NAME URL WANT_AUTH — sink and run through URL, 400 records at 200/s, lost 0, the
# durability saying TLS (for URLs with tls) and the auth method.
e2e() {
    local name=$1 url=$2 auth=$3 id="nats-tls-$1-$$-$(date +%s)" rc=0 want_tls=False
    shift 3 # the rest: more flags for the run
    start_sink "$url" "$OUT-sink-$name.log"
    "$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 200 -t 2s --run-id "$id" "$@" \
        --json "$OUT-$name.json" >"$OUT-run-$name.log" 2>&1 || rc=$?
    kill "$SINK_PID" 2>/dev/null
    wait "$SINK_PID" 2>/dev/null
    echo "[$name] $(grep -E '^delivery' "$OUT-run-$name.log")"
    check_delivered "$rc" "$OUT-$name.json" "$id" 400
    case $url in tls://* | *tls=1* | *ca=*) want_tls=True ;; esac
    check "[$name] durability tls = $want_tls" test "$(json "$OUT-$name.json" 'd["durability"]["tls"]')" = "$want_tls"
    check "[$name] durability auth = $auth" test "$(json "$OUT-$name.json" 'd["durability"]["auth"]')" = "$auth"
    check "[$name] the summary prints the durability with the auth method" \
        grep -q "\"auth\":\"$auth\"" "$OUT-run-$name.log"
}

e2e mtls "$MTLS&jetstream=1&stream=OBIT_TLS_$$&subject=obit.tls.$$&durable=obit-tls-$$" none
check "[mtls] JetStream with a client certificate" \
    test "$(json "$OUT-mtls.json" 'd["durability"]["mode"], d["durability"]["client_cert"]')" = "jetstream True"
e2e pass "nats://alice:$PASS@127.0.0.1:$P_PASS?$CA&jetstream=1&stream=OBIT_PW_$$&subject=obit.pw.$$" user/password
check "[pass] the URL is shown with its password masked" grep -q "alice:\*\*\*@127.0.0.1:$P_PASS" "$OUT-run-pass.log"
# cnats writes the password into its CONNECT's JSON as it is: outbreak escapes it first
e2e passquote "nats://bob:$QPASS_URL@127.0.0.1:$P_PASS?$CA&jetstream=1&stream=OBIT_PWQ_$$&subject=obit.pwq.$$" user/password
e2e token "nats://127.0.0.1:$P_TOKEN?token=$TOKEN&subject=obit.token.$$" token
e2e nkey "nats://localhost:$P_NKEY?$CA&nkey=$C/user.nk&subject=obit.nkey.$$" nkey
check "[nkey] durability names the nkey's public key" \
    test "$(json "$OUT-nkey.json" 'd["durability"]["nkey"]')" = "$(cat "$C/user.pub")"
e2e creds "nats://127.0.0.1:$P_CREDS?creds=$C/user.creds&subject=obit.creds.$$" "creds (user JWT)"

# A nonce whose signature begins with a zero byte (1 connect in 256): cnats 3.4 sends such
# a signature as none, and the server refuses the connect. nonce_proxy.py offers one on
# its first connection and relays the next to the server; the run connects again rather
# than fail, and sends no CONNECT without a signature. The sink goes to the server.
zero_nonce() {
    local name=$1 key=$2 upstream=$3 query=$4 id="nats-zero-$1-$$-$(date +%s)" rc=0 pport
    pport=$(free_port)
    python3 "$OB_SOURCE_DIR/tests/integration/nonce_proxy.py" "$pport" "$upstream" "$key" >"$WORK/proxy-$name.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 300); do grep -q '^ready' "$WORK/proxy-$name.log" && break; sleep 0.1; done
    check "[$name] the proxy found a nonce whose signature begins with a zero byte ($(head -1 "$WORK/proxy-$name.log"))" \
        grep -q '^ready' "$WORK/proxy-$name.log"
    start_sink "nats://127.0.0.1:$upstream?$query" "$OUT-sink-$name.log"
    "$OUTBREAK" run --headless --broker "nats://127.0.0.1:$pport?$query" --mongo "$MONGO_URL" --rate 200 -t 1s \
        --run-id "$id" --json "$OUT-$name.json" >"$OUT-run-$name.log" 2>&1 || rc=$?
    kill "$SINK_PID" 2>/dev/null
    wait "$SINK_PID" 2>/dev/null
    echo "[$name] $(grep -E '^delivery' "$OUT-run-$name.log") | proxy: $(tail -n +2 "$WORK/proxy-$name.log" | tr '\n' ';')"
    check_delivered "$rc" "$OUT-$name.json" "$id" 200
    check "[$name] the first connect, offered that nonce, sent no CONNECT and was closed" \
        grep -qx 'conn 1: no CONNECT, closed' "$WORK/proxy-$name.log"
    check "[$name] the run connected again, through to the server" grep -qx 'conn 2: relayed' "$WORK/proxy-$name.log"
}
zero_nonce nkeyzero "$C/nkuser.der" "$P_NKEYPLAIN" "nkey=$C/user.nk&subject=obit.nkz.$$"
zero_nonce credszero "$C/creduser.der" "$P_CREDS" "creds=$C/user.creds&subject=obit.crz.$$"

# ... and on a reconnect: the proxy relays the first connection and cuts it after 1 s,
# offers the nonce on the second; cnats' reconnect refuses it, connects a third time and
# the run goes on: every record accounted for, the later ones acked
rport=$(free_port)
python3 "$OB_SOURCE_DIR/tests/integration/nonce_proxy.py" "$rport" "$P_NKEYPLAIN" "$C/nkuser.der" 1 \
    >"$WORK/proxy-reconnect.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 300); do grep -q '^ready' "$WORK/proxy-reconnect.log" && break; sleep 0.1; done
rc=0
"$OUTBREAK" run --headless --broker "nats://127.0.0.1:$rport?nkey=$C/user.nk&subject=obit.nkr.$$" --rate 200 -t 3s \
    --json "$OUT-nkeyreconnect.json" >"$OUT-run-nkeyreconnect.log" 2>&1 || rc=$?
counts=$(json "$OUT-nkeyreconnect.json" '"%d %d %d" % (d["sent"], d["acked"], d["failed"])' 2>/dev/null)
echo "[nkeyreconnect] sent acked failed: $counts | proxy: $(tail -n +2 "$WORK/proxy-reconnect.log" | tr '\n' ';')"
# the records whose confirmation the cut took are failed, and the run exits 1 for them
# (as core_reconnect.sh shows); none failed, it exits 0
nfailed=$(json "$OUT-nkeyreconnect.json" 'd["failed"]' 2>/dev/null || echo none)
check "[nkeyreconnect] exit $rc, failed $nfailed: 1 with failures, 0 without" \
    test "$rc" -eq "$([ "${nfailed:-0}" != 0 ] && echo 1 || echo 0)" -a "$nfailed" != none
[ "$nfailed" = 0 ] || check "[nkeyreconnect] the failures are those sent before cnats reconnected" \
    grep -q "failure .*sent before cnats reconnected" "$OUT-run-nkeyreconnect.log"
check "[nkeyreconnect] the first connection cut, the second (offered the nonce) sent no CONNECT, the third relayed" \
    grep -qz 'conn 1: cut.*conn 2: no CONNECT, closed.*conn 3: relayed' <(tr '\n' ' ' <"$WORK/proxy-reconnect.log")
check "[nkeyreconnect] every record accounted for (sent = acked + failed) and those after the cut acked (>= 350 of 600: $counts)" \
    python3 -c "import sys; s, a, f = map(int, sys.argv[1].split()); sys.exit(not (s == a + f and a >= 350))" "$counts"

# tls:// is the same adapter (ob_nats_tls_ops in the registry)
e2e tlsscheme "tls://127.0.0.1:$P_MTLS?$CA&cert=$C/client.pem&key=$C/client.key&subject=obit.tlss.$$" none
# io=loop: the publishing thread reads and writes the TLS socket itself (cnats' event-loop
# mode), no records lost. io=auto does not pick it over TLS (a reply the TLS layer holds
# behind another would be read a tick late): with --tick 10ms it keeps cnats' threads, and
# the mean publish latency is within 2 ms of the mean send delay
e2e tlsloop "tls://127.0.0.1:$P_MTLS?$CA&cert=$C/client.pem&key=$C/client.key&subject=obit.tlsl.$$&io=loop" none
check "[tlsloop] the summary says io=loop" test "$(json "$OUT-tlsloop.json" 'd["durability"]["io"]')" = loop
e2e tlstick "tls://127.0.0.1:$P_MTLS?$CA&cert=$C/client.pem&key=$C/client.key&subject=obit.tlst.$$" none --tick 10ms
lat=$(json "$OUT-tlstick.json" '"%s %.3f %.3f" % (d["durability"]["io"], d["publish_latency_ms"]["mean"], d["send_delay_ms"]["mean"])')
check "[tlstick] io=auto keeps cnats' threads over TLS at --tick 10ms; mean publish latency within 2 ms of the mean send delay (io, means: $lat)" \
    python3 -c "
import sys; io, p50, d50 = sys.argv[1].split(); sys.exit(not (io == 'threads' and float(d50) <= float(p50) < float(d50) + 2))" "$lat"

# --- failures: one line naming the cause and the address, within 5 s -------------------------
# fails_fast with its stderr kept for the secrets check, and stdout too (through a wrapper)
REAL_OUTBREAK=$OUTBREAK
printf '#!/bin/bash\n"%s" "$@" | tee -a "%s" >/dev/null\nexit ${PIPESTATUS[0]}\n' "$REAL_OUTBREAK" "$OUT-fails.stdout" \
    >"$WORK/outbreak-kept"
chmod +x "$WORK/outbreak-kept"
NFAIL=0
kept_fails_fast() {
    OUTBREAK=$WORK/outbreak-kept fails_fast "$@"
    NFAIL=$((NFAIL + 1))
    cp "$WORK/fails_fast.err" "$OUT-fail-$NFAIL.err"
}
RUN=(run --headless --mongo "$MONGO_URL" --rate 200 -t 2s --broker)
kept_fails_fast 1 "127.0.0.1:$P_MTLS" "${RUN[@]}" "nats://127.0.0.1:$P_MTLS?ca=$C/other-ca.pem&cert=$C/client.pem&key=$C/client.key"
grep -q 'unable to get local issuer certificate' "$WORK/fails_fast.err" && pass "wrong CA: the certificate's verification named" || fail "wrong CA: $(cat "$WORK/fails_fast.err")"
kept_fails_fast 1 "127.0.0.1:$P_PASS (auth user/password, over TLS)" "${RUN[@]}" "nats://alice:wrong-$PASS@127.0.0.1:$P_PASS?$CA"
grep -q 'Authorization Violation' "$WORK/fails_fast.err" && pass "wrong password: named" || fail "wrong password: $(cat "$WORK/fails_fast.err")"
kept_fails_fast 1 "127.0.0.1:$P_TOKEN (auth token)" sink --mongo "$MONGO_URL" --broker "nats://127.0.0.1:$P_TOKEN?token=x$TOKEN"
kept_fails_fast 1 "127.0.0.1:$P_MTLS (a TLS-only server, the URL asks for plaintext" "${RUN[@]}" "nats://127.0.0.1:$P_MTLS"
kept_fails_fast 1 "127.0.0.1:$P_TOKEN (the server offers no TLS)" "${RUN[@]}" "nats://127.0.0.1:$P_TOKEN?tls=1&token=$TOKEN"
kept_fails_fast 1 "127.0.0.1:$P_MTLS (TLS closed by the server: does it want a client certificate" "${RUN[@]}" "nats://127.0.0.1:$P_MTLS?$CA"
kept_fails_fast 2 "cannot read $WORK/missing.creds (for 127.0.0.1:$P_CREDS): No such file" "${RUN[@]}" "nats://127.0.0.1:$P_CREDS?creds=$WORK/missing.creds"
kept_fails_fast 2 "cannot read $C (for localhost:$P_NKEY): Is a directory" sink --mongo "$MONGO_URL" --broker "nats://localhost:$P_NKEY?$CA&nkey=$C"
kept_fails_fast 2 "option ca: cannot read $WORK/none.pem (for 127.0.0.1:$P_MTLS)" "${RUN[@]}" "nats://127.0.0.1:$P_MTLS?ca=$WORK/none.pem"
kept_fails_fast 2 "holds no valid user nkey seed" "${RUN[@]}" "nats://127.0.0.1:$P_NKEY?nkey=$C/ca.pem"
kept_fails_fast 2 "a user name without a password in the URL of 127.0.0.1:$P_TOKEN" "${RUN[@]}" "nats://$TOKEN@127.0.0.1:$P_TOKEN"
kept_fails_fast 2 "one way to authenticate at most" "${RUN[@]}" "nats://alice:$PASS@127.0.0.1:$P_PASS?token=$TOKEN"

# --- no secret anywhere in outbreak's outputs -------------------------------------------------
ls "$OUT"-* >"$WORK/outputs.txt"
leaks=$(python3 - "$C/secrets.txt" "$WORK/outputs.txt" <<'EOF'
import sys
secrets = [s for s in open(sys.argv[1]).read().split("\n") if s]
files = [f for f in open(sys.argv[2]).read().split("\n") if f]
for f in files:
    text = open(f, errors="replace").read()
    for s in secrets:
        for i in range(len(s) - 7):
            if s[i:i + 8] in text:
                print("%s quotes %r (a piece of a secret of %d bytes)" % (f, s[i:i + 8], len(s)))
                break
EOF
)
check "no 8-byte piece of the password, token, nkey seeds or user JWT in $(wc -l <"$WORK/outputs.txt") outputs" \
    test -z "$leaks"
[ -z "$leaks" ] || echo "$leaks" >&2
finish
