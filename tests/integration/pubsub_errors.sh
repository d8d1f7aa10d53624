# pubsub_errors.sh — the publisher against a stand-in for the Pub/Sub REST API (a small
# HTTP server started here): a 500 followed by success is retried and every record is
# acked once; a 429 likewise; a 403 fails the request's records with the server's
# message; an endpoint that is not there fails within 5 s with one line naming it; bad
# options are usage errors.
source "$(dirname "$0")/lib.sh"
PORT=8095
# answers: PUT topic -> 200; POST :publish -> the next status of the scenario (from the
# topic's name: t-500 = 500 then 200, t-429 = 429 then 200, t-403 = always 403), 200
# with one message id per message
python3 -c '
import http.server, json, sys
seen = {}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_PUT(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.reply(200, {"name": self.path})
    def do_POST(self):
        data = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        topic = self.path.split("/topics/")[1].split(":")[0]
        n = seen[topic] = seen.get(topic, 0) + 1
        code = 200
        if topic.endswith("403"): code = 403
        elif topic.endswith("500") and n == 1: code = 500
        elif topic.endswith("429") and n == 1: code = 429
        with open(sys.argv[2], "a") as f: f.write("%s %d %d\n" % (topic, code, len(data["messages"])))
        if code == 403:
            return self.reply(403, {"error": {"code": 403, "message": "User not authorized to perform this action.", "status": "PERMISSION_DENIED"}})
        if code == 500:
            return self.reply(500, {"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}})
        if code == 429:
            return self.reply(429, {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}})
        self.reply(200, {"messageIds": [str(i) for i in range(len(data["messages"]))]})
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' $PORT "$WORK/published" &
PIDS+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

publish() { # publish TOPIC — 300 records through the stand-in; JSON in $WORK/TOPIC.json
    "$OUTBREAK" run --headless --broker "pubsub://p/$1?emulator=127.0.0.1:$PORT&batch=100&linger=1" \
        --pool 300 --once --headless --only-summary --json "$WORK/$1.json" >"$WORK/$1.log" 2>&1
}
publish t-500
rc=$?
check "500 then 200: exit 0 (got $rc)" test $rc -eq 0
check "500 then 200: all 300 acked once" test "$(json "$WORK/t-500.json" '(d["acked"], d["failed"])')" = "(300, 0)"
# the server's log: one request answered 500, and the 200s carried 300 messages in all
check "500 then 200: one request failed and was sent again" \
    test "$(awk '$1 == "t-500" && $2 == 500' "$WORK/published" | wc -l)" -eq 1
check "500 then 200: the successful requests carried exactly the 300 records" \
    test "$(awk '$1 == "t-500" && $2 == 200 {n += $3} END {print n}' "$WORK/published")" -eq 300
publish t-429
check "429 then 200: all 300 acked" test "$(json "$WORK/t-429.json" '(d["acked"], d["failed"])')" = "(300, 0)"
publish t-403
rc=$?
check "403: exit 1 (got $rc)" test $rc -eq 1
check "403: all 300 failed" test "$(json "$WORK/t-403.json" '(d["acked"], d["failed"])')" = "(0, 300)"
check "403: the reason is the server's message" \
    sh -c "python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))[\"failures\"]; print(f); sys.exit(0 if \"HTTP 403 PERMISSION_DENIED: User not authorized\" in f[0][\"error\"] else 1)' '$WORK/t-403.json'"
fails_fast 1 '127.0.0.1:8099' run --broker "pubsub://p/t?emulator=127.0.0.1:8099" -t 1s --headless
fails_fast 1 '127.0.0.1:8099' sink --broker "pubsub://p/t?emulator=127.0.0.1:8099" --mongo "$MONGO_URL"
fails_fast 2 'batch' run --broker "pubsub://p/t?batch=1001" -t 1s --headless
fails_fast 2 'topic' run --broker "pubsub://p/no/slash?emulator=127.0.0.1:$PORT" -t 1s --headless
finish
