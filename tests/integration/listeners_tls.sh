# listeners_tls.sh — outbreak's own listeners over TLS and behind a login (docs/security.md):
# the gateway (--tls-cert, --tls-key, --login), the web UI (--tls-cert, --tls-key,
# --web-login) and the /metrics of sink and run (--tls-cert, --tls-key, --metrics-login),
# with a certificate of a private CA made here by openssl. curl with the CA gets its
# answers; without the CA it refuses the certificate; plain HTTP gets none; without the
# login every route but /healthz is 401 (counted by the gateway); Debian's Prometheus
# scrapes a sink's /metrics over HTTPS with the login (its target up). Mistakes: one of
# --tls-cert/--tls-key alone, a missing file, a file that is not PEM are usage errors
# (exit 2, one line naming it); a key that does not fit the certificate fails at once.
# No login's password and nothing of the key appear in any output.
source "$(dirname "$0")/lib.sh"
require_servers
PROMETHEUS=$(command -v prometheus) || { echo "FAIL: no prometheus (scripts/deps prometheus)" >&2; exit 1; }

make_certs "$WORK/tls"
CA=$WORK/tls/ca.pem
CERT=$WORK/tls/server.pem
KEY=$WORK/tls/server.key
GW_LOGIN='ingest:gwpass-7d3f90a1'
WEB_LOGIN='viewer:webpass-2b8e44c6'
MX_LOGIN='scraper:mxpass-91ac05e3'
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# code URL CURL-ARGS... — the HTTP status curl got (000: no answer)
code() { local u=$1; shift; curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$u"; }
RECORD='{"name": "Urban Beldum", "location": "Escuintla", "age": 4, "infectedtype": "non-imported", "state": "symptomatic"}'

# ---- the gateway ----
GW_PORT=$(free_port)
JS="$NATS_URL?jetstream=1&stream=OBITTLS_$$&subject=obit.tls.$$"
"$OUTBREAK" gateway --listen "127.0.0.1:$GW_PORT" --broker "$JS" --tls-cert "$CERT" --tls-key "$KEY" \
    --login "$GW_LOGIN" --run-id "tls-$$" --quiet >"$WORK/gateway.out" 2>"$WORK/gateway.err" &
PIDS+=($!)
GW=https://127.0.0.1:$GW_PORT
for _ in $(seq 1 50); do [ "$(code "$GW/healthz" --cacert "$CA")" = 200 ] && break; sleep 0.1; done
head -1 "$WORK/gateway.out"
check "gateway: the start line says HTTPS and login required" \
    grep -q "listening on 127.0.0.1:$GW_PORT (HTTPS) (login required)" "$WORK/gateway.out"
check "gateway: /healthz over HTTPS with the CA, no login needed: 200" test "$(code "$GW/healthz" --cacert "$CA")" = 200
c=$(code "$GW/" --cacert "$CA" -X POST --data "$RECORD")
check "gateway: POST / without the login: 401 (got $c)" test "$c" = 401
check "gateway: the 401 asks for HTTP Basic" \
    bash -c "curl -s -D - -o /dev/null --cacert '$CA' -X POST --data '$RECORD' '$GW/' | grep -qi '^WWW-Authenticate: Basic realm=\"outbreak\"'"
c=$(code "$GW/" --cacert "$CA" -u ingest:wrong -X POST --data "$RECORD")
check "gateway: a wrong password: 401 (got $c)" test "$c" = 401
c=$(code "$GW/" --cacert "$CA" -u "$GW_LOGIN" -X POST --data "$RECORD")
check "gateway: POST / with the login over HTTPS: 200 (got $c)" test "$c" = 200
c=$(code "$GW/healthz")
check "gateway: curl without the CA refuses the certificate (got $c, curl's exit $(curl -s -o /dev/null "$GW/healthz"; echo $?))" test "$c" = 000
c=$(code "http://127.0.0.1:$GW_PORT/healthz")
check "gateway: plain HTTP to the HTTPS port gets no answer (got $c)" test "$c" = 000
curl -s --cacert "$CA" -u "$GW_LOGIN" "$GW/metrics" >"$WORK/gateway.prom"
check "gateway: /metrics counts the 401s (3) and the 200 (1)" \
    test "$(grep -cE 'outbreak_http_responses_total\{.*code="(401"\} 3|200"\} 1)$' "$WORK/gateway.prom")" = 2
c=$(code "$GW/metrics" --cacert "$CA")
check "gateway: /metrics without the login: 401 (got $c)" test "$c" = 401

# outbreak run's HTTP load mode through it: the login from the URL, the CA as cacert=
rc=0
"$OUTBREAK" run --headless -H "https://$GW_LOGIN@127.0.0.1:$GW_PORT/?cacert=$CA" --rate 100 -t 2s --only-summary \
    --json "$WORK/https-run.json" >"$WORK/https-run.out" 2>&1 || rc=$?
check "run -H https://USER:PASS@gateway/?cacert=CA: exit 0, 200 acked, none failed (got exit $rc, $(json "$WORK/https-run.json" '(d["acked"], d["failed"])'))" \
    test "$rc/$(json "$WORK/https-run.json" '(d["acked"], d["failed"])')" = "0/(200, 0)"
rc=0
"$OUTBREAK" run --headless -H "https://127.0.0.1:$GW_PORT/?cacert=$CA" --rate 100 -t 1s --only-summary \
    --json "$WORK/nologin-run.json" >"$WORK/nologin-run.out" 2>&1 || rc=$?
check "run without the login: every request failed with HTTP 401, counted ($(json "$WORK/nologin-run.json" '[f["error"] for f in d["failures"]]'))" \
    test "$(json "$WORK/nologin-run.json" 'd["failed"] == d["sent"] > 0 and all("401" in f["error"] for f in d["failures"])')" = True
# the plain HTTP client sends the URL's login too
GW2_PORT=$(free_port)
"$OUTBREAK" gateway --listen "127.0.0.1:$GW2_PORT" --broker "$JS" --login "$GW_LOGIN" --run-id "tls-$$" --quiet \
    >"$WORK/gateway2.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do [ "$(code "http://127.0.0.1:$GW2_PORT/healthz")" = 200 ] && break; sleep 0.1; done
rc=0
"$OUTBREAK" run --headless -H "http://$GW_LOGIN@127.0.0.1:$GW2_PORT/" --rate 100 -t 2s --only-summary \
    --json "$WORK/http-run.json" >"$WORK/http-run.out" 2>&1 || rc=$?
check "run -H http://USER:PASS@gateway/ (plain HTTP, login): exit 0, 200 acked (got exit $rc, $(json "$WORK/http-run.json" '(d["acked"], d["failed"])'))" \
    test "$rc/$(json "$WORK/http-run.json" '(d["acked"], d["failed"])')" = "0/(200, 0)"

# ---- the web UI ----
web_start "$WORK/web.log" web --mongo "$MONGO_URL" --broker "$JS" --tls-cert "$CERT" --tls-key "$KEY" \
    --web-login "$WEB_LOGIN"
check "web: its start line gives an https:// address ($BASE)" bash -c "[[ '$BASE' == https://* ]]"
check "web: /healthz over HTTPS: 200" test "$(code "$BASE/healthz" --cacert "$CA")" = 200
check "web: the page without the login: 401" test "$(code "$BASE/" --cacert "$CA")" = 401
check "web: the page with the login: 200" test "$(code "$BASE/" --cacert "$CA" -u "$WEB_LOGIN")" = 200
check "web: /metrics with the login: 200" test "$(code "$BASE/metrics" --cacert "$CA" -u "$WEB_LOGIN")" = 200
check "web: plain HTTP gets no answer" test "$(code "${BASE/https/http}/healthz")" = 000

# ---- the sink's /metrics, scraped by Prometheus over HTTPS with the login ----
MX_PORT=$(free_port)
PROM_PORT=$(free_port)
"$OUTBREAK" sink --broker "$JS" --mongo "$MONGO_URL" --metrics "127.0.0.1:$MX_PORT" --tls-cert "$CERT" \
    --tls-key "$KEY" --metrics-login "$MX_LOGIN" --id "sink-tls-$$" >"$WORK/sink.out" 2>"$WORK/sink.err" &
PIDS+=($!)
for _ in $(seq 1 50); do [ "$(code "https://127.0.0.1:$MX_PORT/healthz" --cacert "$CA")" = 200 ] && break; sleep 0.1; done
check "sink: its start line gives the https:// /metrics" \
    grep -q "metrics at https://127.0.0.1:$MX_PORT/metrics (login required)" "$WORK/sink.err"
check "sink: /metrics without the login: 401" test "$(code "https://127.0.0.1:$MX_PORT/metrics" --cacert "$CA")" = 401
check "sink: /metrics with the login: 200" \
    test "$(code "https://127.0.0.1:$MX_PORT/metrics" --cacert "$CA" -u "$MX_LOGIN")" = 200
cat >"$WORK/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: sink
    scheme: https
    honor_labels: true
    tls_config: {ca_file: '$CA'}
    basic_auth: {username: '${MX_LOGIN%%:*}', password_file: '$WORK/mx.pass'}
    static_configs: [{targets: ['127.0.0.1:$MX_PORT']}]
EOF
printf '%s' "${MX_LOGIN#*:}" >"$WORK/mx.pass"
"$PROMETHEUS" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
up=
for _ in $(seq 1 150); do
    up=$(curl -s "http://127.0.0.1:$PROM_PORT/api/v1/targets" 2>/dev/null |
        python3 -c 'import json,sys; t=json.load(sys.stdin)["data"]["activeTargets"]; print(t[0]["health"] if t else "")' 2>/dev/null)
    [ "$up" = up ] && break
    sleep 0.1
done
check "Prometheus scrapes the sink's /metrics over HTTPS with the login: target $up" test "$up" = up

# ---- the run's /metrics ----
RUN_MX=$(free_port)
"$OUTBREAK" run --headless --broker "$JS" --rate 100 -t 2s --only-summary --metrics "127.0.0.1:$RUN_MX" \
    --tls-cert "$CERT" --tls-key "$KEY" --metrics-login "$MX_LOGIN" >"$WORK/run.out" 2>"$WORK/run.err" &
RUN_PID=$!
sleep 1
c=$(code "https://127.0.0.1:$RUN_MX/metrics" --cacert "$CA" -u "$MX_LOGIN")
check "run: /metrics over HTTPS with the login while sending: 200 (got $c)" test "$c" = 200
rc=0
wait "$RUN_PID" || rc=$?
check "run: exit 0 (got $rc)" test "$rc" = 0

# ---- mistakes ----
printf 'not a certificate\n' >"$WORK/junk.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=other" \
    -keyout "$WORK/other.key" -out "$WORK/other.pem" >/dev/null 2>&1
fails_fast 2 "--tls-cert needs --tls-key too" gateway --broker "$NATS_URL" --listen 127.0.0.1:0 --tls-cert "$CERT"
fails_fast 2 "--tls-key: $WORK/nope.key" web --tls-cert "$CERT" --tls-key "$WORK/nope.key" --web-port 0
fails_fast 2 "not a PEM file with a certificate" sink --broker "$NATS_URL" --metrics 127.0.0.1:0 \
    --tls-cert "$WORK/junk.pem" --tls-key "$KEY"
fails_fast 1 "a key that does not fit the certificate" run --headless --broker "$NATS_URL" \
    --metrics 127.0.0.1:0 --tls-cert "$CERT" --tls-key "$WORK/other.key" -t 1s
fails_fast 2 "--web-login: expected USER:PASS" web --web-login nocolon --web-port 0
fails_fast 2 "--tls-cert/--tls-key secure the web UI or, with --headless, --metrics" \
    run --headless --broker "$NATS_URL" --tls-cert "$CERT" --tls-key "$KEY"

# ---- no secret in any output ----
kill "${PIDS[@]}" 2>/dev/null
wait 2>/dev/null
leaks=$(python3 - "$WORK" "${GW_LOGIN#*:}" "${WEB_LOGIN#*:}" "${MX_LOGIN#*:}" "$(sed -n 2p "$KEY" | cut -c41-)" <<'EOF'
import os, sys
work, secrets = sys.argv[1], sys.argv[2:]
found = []
for root, _, files in os.walk(work):
    for f in files:
        path = os.path.join(root, f)
        if "/tls/" in path or f.endswith((".key", ".pass")) or "/tsdb/" in path or f in ("prometheus.yml", "other.pem"):
            continue  # the secrets' own files
        text = open(path, "rb").read().decode("utf-8", "replace")
        for s in secrets:
            for i in range(len(s) - 7):
                if s[i:i + 8] in text:
                    found.append("%s: %s" % (f, s[i:i + 8]))
                    break
print(" ".join(found))
EOF
)
check "no 8-byte piece of a password or of the key in any output (${leaks:-none})" test -z "$leaks"
finish
