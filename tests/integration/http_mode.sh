# http_mode.sh — outbreak run's HTTP load mode (brokers/http.c) against real servers:
# nginx of scripts/stack's lb answering itself (/nginx-200, /nginx-503), a closed port,
# a server that accepts and never answers, and a small HTTP server answering 400 with a
# one-line reason. Acked = 2xx; failures grouped by status code (or by connection error)
# in the summary, the JSON and Locust's _failures.csv; the open and the closed model;
# -H as Locust's name for --broker; no subscriber side.
source "$(dirname "$0")/lib.sh"
require_service lb "nginx load balancer on 127.0.0.1:8000"
LB=http://127.0.0.1:8000

# --- every record acked through nginx, open model, with --rate
rc=0
"$OUTBREAK" run --headless --broker "$LB/nginx-200" --rate 2000 -t 3s --only-summary --json "$WORK/ok.json" \
    >"$WORK/ok.out" 2>&1 || rc=$?
check "open model through nginx exits 0 (got $rc)" test "$rc" -eq 0
sent=$(json "$WORK/ok.json" 'd["sent"]')
check "sent $sent = acked, about 6000" test "$sent" -ge 5900 -a "$(json "$WORK/ok.json" 'd["acked"]')" = "$sent"
check "failed 0" test "$(json "$WORK/ok.json" 'd["failed"]')" = 0
check "middleware http, durability mode http with acked_means" \
    test "$(json "$WORK/ok.json" 'd["middleware"], d["durability"]["mode"], d["durability"]["broker_ack"], d["durability"]["acked_means"]')" \
    = "http http True the gateway answered 2xx (what its middleware's ack means)"
check "8 keep-alive connections by default, pipelining off" \
    test "$(json "$WORK/ok.json" 'd["durability"]["connections"], d["durability"]["pipelining"]')" = "8 False"

# --- closed model (Locust's), with -H and ?connections
rc=0
"$OUTBREAK" run --headless -H "$LB/nginx-200?connections=4" -u 20 -r 20 --wait 0.1-0.9 -t 3s --only-summary \
    --json "$WORK/closed.json" >"$WORK/closed.out" 2>&1 || rc=$?
check "closed model with -H exits 0 (got $rc)" test "$rc" -eq 0
acked=$(json "$WORK/closed.json" 'd["acked"]')
# 20 users, 0.5 s average wait, about 2 s after the spawn: 60-130 records
check "closed model: acked $acked between 40 and 200, none failed" \
    test "$acked" -ge 40 -a "$acked" -le 200 -a "$(json "$WORK/closed.json" 'd["failed"]')" = 0
check "--host sets the broker too" \
    "$OUTBREAK" run --headless --host "$LB/nginx-200" --rate 100 -t 1s --only-summary --json "$WORK/host.json" >/dev/null 2>&1
check "connections=4 in the durability" test "$(json "$WORK/closed.json" 'd["durability"]["connections"]')" = 4

# --- 503: failures by code, in the summary and in _failures.csv; exit 1
rc=0
"$OUTBREAK" run --headless --broker "$LB/nginx-503" --rate 500 -t 2s --only-summary --csv "$WORK/f503" \
    --json "$WORK/f503.json" >"$WORK/f503.out" 2>&1 || rc=$?
check "503s: exit 1 (got $rc)" test "$rc" -eq 1
check "503s: acked 0, failed = sent = 1000" \
    test "$(json "$WORK/f503.json" 'd["acked"], d["failed"], d["sent"]')" = "0 1000 1000"
check "503s: the summary says '1000 x HTTP 503'" grep -q "1000 x HTTP 503\$" "$WORK/f503.out"
check "503s: _failures.csv has the line" grep -qx 'publish,http (http),"HTTP 503",1000' "$WORK/f503_failures.csv"

# --- 400 with a one-line reason (and a second line that is not shown)
python3 - "$WORK/port" <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"missing field: age\nsecond line\n"
        self.send_response(400); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
PIDS+=($!)
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$WORK/port" ] && break; sleep 0.2; done
rc=0
"$OUTBREAK" run --headless --broker "http://127.0.0.1:$(cat "$WORK/port")/" --rate 50 -t 1s --only-summary \
    --csv "$WORK/f400" >"$WORK/f400.out" 2>&1 || rc=$?
check "400s: exit 1 (got $rc)" test "$rc" -eq 1
check "400s: the failure is 'HTTP 400: missing field: age'" \
    grep -qx 'publish,http (http),"HTTP 400: missing field: age",50' "$WORK/f400_failures.csv"

# --- the ways an HTTP/1.1 answer may end and a kept connection may go, each from a real
# server (Python's http.server): every record answered, none lost, none failed
python3 - "$WORK/ways-port" <<'PY' &
import http.server, socket, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/close":        # says so: Connection: close
            self.send_response(200); self.send_header("Content-Length", "2")
            self.send_header("Connection", "close"); self.end_headers(); self.wfile.write(b"ok")
            self.close_connection = True
        elif self.path == "/quietclose":  # keep-alive by default, closes without a word
            self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
            self.wfile.write(b"ok"); self.wfile.flush()
            self.close_connection = True
        elif self.path == "/chunked":
            self.send_response(200); self.send_header("Transfer-Encoding", "chunked"); self.end_headers()
            self.wfile.write(b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n")
        elif self.path == "/eof":         # HTTP/1.0, the body ends with the connection
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nthe end is the close")
            self.close_connection = True
        elif self.path == "/garbage":
            self.wfile.write(b"SMTP READY\r\n\r\n"); self.close_connection = True
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
PIDS+=($!)
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$WORK/ways-port" ] && break; sleep 0.2; done
WAYS="http://127.0.0.1:$(cat "$WORK/ways-port")"
for path in close quietclose chunked eof; do
    rc=0
    "$OUTBREAK" run --headless --broker "$WAYS/$path?connections=4" --rate 400 -t 2s --only-summary \
        --json "$WORK/way-$path.json" --csv "$WORK/way-$path" >"$WORK/way-$path.out" 2>&1 || rc=$?
    check "answers ending by /$path: exit 0 (got $rc), 800 acked, 0 failed ($(json "$WORK/way-$path.json" 'd["acked"], d["failed"]'))" \
        test "$rc-$(json "$WORK/way-$path.json" 'd["acked"], d["failed"]')" = "0-800 0"
done
rc=0
"$OUTBREAK" run --headless --broker "$WAYS/garbage?connections=2" --rate 50 -t 1s --only-summary \
    --csv "$WORK/garbage" >"$WORK/garbage.out" 2>&1 || rc=$?
check "an answer that is not HTTP: exit 1 (got $rc), 50 failures naming it" \
    grep -q '^publish,http (http),"http: a malformed answer (.*)",50$' "$WORK/garbage_failures.csv"

# --- the server goes away mid-run: the records fail naming the address, none lost
python3 - "$WORK/gone-port" <<'PY' &
import http.server, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
gone_pid=$!
PIDS+=("$gone_pid")
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$WORK/gone-port" ] && break; sleep 0.2; done
gone_port=$(cat "$WORK/gone-port")
(sleep 1.5; kill "$gone_pid") &
rc=0
"$OUTBREAK" run --headless --broker "http://127.0.0.1:$gone_port/?connections=2" --rate 200 -t 3s --only-summary \
    --json "$WORK/gone.json" --csv "$WORK/gone" >"$WORK/gone.out" 2>&1 || rc=$?
read -r g_sent g_acked g_failed < <(json "$WORK/gone.json" 'd["sent"], d["acked"], d["failed"]')
check "server gone mid-run: exit 1 (got $rc), sent $g_sent = acked $g_acked + failed $g_failed, both > 0" \
    test "$rc" = 1 -a "$g_sent" = $((g_acked + g_failed)) -a "$g_acked" -gt 0 -a "$g_failed" -gt 0
check "server gone mid-run: the failures name the address" \
    grep -q "^publish,http (http),\"http: cannot connect to 127.0.0.1:$gone_port: Connection refused\"," "$WORK/gone_failures.csv"

# --- a closed port: one line naming the address, exit 1, fast
fails_fast 1 "http: cannot connect to 127.0.0.1:1" run --headless --broker http://127.0.0.1:1/ --rate 10 -t 1s
# --- a server that accepts and never answers: each request fails at ?timeout, the run ends
silent_server 18099
rc=0
timeout 30 "$OUTBREAK" run --headless --broker 'http://127.0.0.1:18099/?timeout=1000' --rate 20 -t 1s --only-summary \
    --stop-timeout 5s --csv "$WORK/silent" >"$WORK/silent.out" 2>&1 || rc=$?
check "silent server: exit 1 (got $rc)" test "$rc" -eq 1
check "silent server: 20 failures by timeout" grep -qx 'publish,http (http),"http: no answer within 1000 ms (timeout)",20' \
    "$WORK/silent_failures.csv"

# --- the same silent server, the stop timeout shorter than the requests': flush answers
# what is still out as failed; under valgrind (no error, nothing definitely lost)
rc=0
timeout 120 valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
    "$OUTBREAK" run --headless --broker 'http://127.0.0.1:18099/?connections=2' --rate 20 -t 1s --only-summary \
    --stop-timeout 2s --csv "$WORK/stop" >"$WORK/stop.out" 2>&1 || rc=$?
check "stop timeout under valgrind: exit 1, no valgrind error (got $rc)" test "$rc" -eq 1
check "stop timeout: 20 failures 'no answer within the stop timeout'" \
    grep -qx 'publish,http (http),"http: no answer within the stop timeout",20' "$WORK/stop_failures.csv"
rc=0
timeout 120 valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
    "$OUTBREAK" run --headless -H "$LB/nginx-200?connections=4" --rate 200 -t 1s --only-summary \
    >"$WORK/vg.out" 2>&1 || rc=$?
check "200 records through nginx under valgrind: exit 0, no valgrind error (got $rc)" test "$rc" -eq 0

# --- https://: a small TLS server with a certificate of its own for 127.0.0.1
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/tls.key" -out "$WORK/tls.pem" >/dev/null 2>&1
python3 - "$WORK/tls-port" "$WORK/tls.pem" "$WORK/tls.key" <<'PY' &
import http.server, ssl, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(201); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
s.socket = ctx.wrap_socket(s.socket, server_side=True)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
PIDS+=($!)
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$WORK/tls-port" ] && break; sleep 0.2; done
TLS="https://127.0.0.1:$(cat "$WORK/tls-port")/"
rc=0
"$OUTBREAK" run --headless --broker "$TLS?cacert=$WORK/tls.pem&connections=2" --rate 50 -t 1s --only-summary \
    --json "$WORK/tls.json" >"$WORK/tls.out" 2>&1 || rc=$?
check "https with ?cacert: exit 0 (got $rc), 50 acked (201 is a 2xx), tls true" \
    test "$rc-$(json "$WORK/tls.json" 'd["acked"], d["durability"]["tls"]')" = "0-50 True"
rc=0
"$OUTBREAK" run --headless --broker "$TLS" --rate 20 -t 1s --only-summary --csv "$WORK/tlsbad" >/dev/null 2>&1 || rc=$?
check "https against an unknown CA: exit 1 (got $rc), 20 failures naming the certificate" \
    grep -q '^publish,http (http),"http: SSL certificate problem: self[- ]signed certificate",20$' "$WORK/tlsbad_failures.csv"
rc=0
"$OUTBREAK" run --headless --broker "$TLS?verify=0" --rate 20 -t 1s --only-summary --json "$WORK/tls0.json" \
    >/dev/null 2>&1 || rc=$?
check "https with ?verify=0 accepts it: exit 0 (got $rc), verify false in the durability" \
    test "$rc-$(json "$WORK/tls0.json" 'd["acked"], d["durability"]["verify"]')" = "0-20 False"

# --- --connections N: in all, split over the threads as wrk's -c
rc=0
"$OUTBREAK" run --headless --broker "$LB/nginx-200" --connections 3 --threads 2 --rate 1000 -t 1s --only-summary \
    --json "$WORK/conns.json" >/dev/null 2>&1 || rc=$?
check "--connections 3 --threads 2: exit 0 (got $rc), 1000 acked, the first worker's share 2" \
    test "$rc-$(json "$WORK/conns.json" 'd["acked"], d["durability"]["connections"]')" = "0-1000 2"

# --- usage errors and the sink side
fails_fast 2 "--connections is for the HTTP load mode" run --broker nats://127.0.0.1:4222 --connections 4
fails_fast 2 "--connections and the URL's connections= exclude each other" run -H "$LB/?connections=2" --connections 4
fails_fast 2 "--connections 1 is fewer than --threads 2" run -H "$LB/" --rate 10 --connections 1 --threads 2
fails_fast 2 'option "connections"' run --broker 'http://127.0.0.1:8000/?connections=0'
fails_fast 2 "verify and cacert are for https://" run --broker 'http://127.0.0.1:8000/?verify=0'
rc=0
err=$("$OUTBREAK" sink --broker "$LB/" --mongo "$MONGO_URL" 2>&1 >/dev/null) || rc=$?
check "the sink refuses http:// ($err)" test "$err" = \
    "outbreak sink: http: no subscriber side: the sink reads from the middleware behind the gateway"
check "as a usage error: exit 2 (got $rc)" test "$rc" -eq 2
check "compare's all has no http" sh -c "! \"$OUTBREAK\" compare --help | grep -q 'http://127.0.0.1:8000'"
finish
