# web_run.sh — the web UI's test runner through its HTTP routes (live/control.h), with
# curl against `outbreak web` and `outbreak run` (no --headless) and the real NATS
# JetStream, a real sink and MongoDB:
#   * the state before a test (ready, the form pre-filled with the --broker URLs);
#   * POSTs that another origin could trigger are refused (403: no X-Outbreak header, a
#     foreign Origin), GET on an action is 405, a bad field is 400 naming it;
#   * a JetStream test started from the form: running, a second start 409, the users
#     edited while running (the series shows the new count), stopped: requests == acked,
#     no failure, persisted == acked, lost 0; the downloads (Locust's stats CSV, the
#     JSON summary, the HTML report) served and right;
#   * a comparison of core NATS and JetStream: both done one after the other, each with
#     its own series and run id, the comparison report;
#   * the UI's files (CSP, no other origin), the login, 404 for an unknown download;
#   * `outbreak run --autostart` starts at once with its flags, the UI stays; with
#     --autoquit T it quits T after the test with the exit status a headless run has.
source "$(dirname "$0")/lib.sh"
require_servers
command -v curl >/dev/null || { echo "FAIL: no curl" >&2; exit 1; }

JS="$NATS_URL?jetstream=1&stream=OBITWEB_$$&subject=obit.web.$$&durable=obit-web-$$"
CORE="$NATS_URL?subject=obit.webcore.$$"

post() { # post PATH [curl args...] -> body in $WORK/post.json, status in CODE
    local path=$1; shift
    CODE=$(curl -s -o "$WORK/post.json" -w '%{http_code}' -X POST -H 'X-Outbreak: 1' "$@" "$BASE$path")
}
state() { curl -s "$BASE/api/run/state" >"$WORK/state.json"; json "$WORK/state.json" "$1"; }
wait_status() { # wait_status STATUS SECONDS
    for _ in $(seq 1 $(($2 * 5))); do
        [ "$(state 'd["status"]')" = "$1" ] && return 0
        sleep 0.2
    done
    return 1
}

start_sink "$JS" "$WORK/sink-js.log"
start_sink "$CORE" "$WORK/sink-core.log"
web_start "$WORK/web.log" web --mongo "$MONGO_URL" --broker "$JS"
check "outbreak web prints its URL ($BASE)" test -n "$BASE"

# ---- before a test ----
check "state: ready" test "$(state 'd["status"]')" = ready
check "state: the form offers the --broker URL" test "$(state 'd["form"]["brokers"]')" = "['$JS']"
check "state: the form knows there is a MongoDB" test "$(state 'd["form"]["mongo"]')" = True

# ---- refused ----
code=$(curl -s -o "$WORK/r.json" -w '%{http_code}' -X POST -d users=1 "$BASE/api/run/start")
check "POST without X-Outbreak: 403 (got $code)" test "$code" = 403
check "... saying why" grep -q "X-Outbreak" "$WORK/r.json"
post /api/run/start -H 'Origin: http://evil.example' -d users=1
check "POST with a foreign Origin: 403 (got $CODE)" test "$CODE" = 403
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/run/start")
check "GET on an action: 405 (got $code)" test "$code" = 405
check "... Allow: POST" bash -c "curl -s -D - -o /dev/null '$BASE/api/run/stop' | grep -qi '^allow: POST'"
post /api/run/start -d users=zero
check "users=zero: 400 (got $CODE)" test "$CODE" = 400
check "... naming users" grep -q '"error":"users: ' "$WORK/post.json"
post /api/run/start --data-urlencode 'broker=nats://127.0.0.1:4222?bogus=1'
check "a bad broker URL: 400 (got $CODE) naming broker" \
    bash -c "test $CODE = 400 && grep -q '\"error\":\"broker' '$WORK/post.json'"
post /api/run/edit -d users=3
check "edit with no test: 409 (got $CODE)" test "$CODE" = 409
post /api/run/stop
check "stop with no test: 409 (got $CODE)" test "$CODE" = 409
check "still ready after the refusals" test "$(state 'd["status"]')" = ready

# ---- a JetStream test from the form ----
post /api/run/start -H "Origin: $BASE" --data-urlencode "broker=$JS" -d users=4 -d spawn_rate=10 \
    -d wait=0.05-0.1 -d run_time=8s -d rate=
check "start: 200 (got $CODE)" test "$CODE" = 200
check "start: running" test "$(json "$WORK/post.json" 'd["status"]')" = running
post /api/run/start --data-urlencode "broker=$JS" -d users=1
check "a second start while running: 409 (got $CODE)" test "$CODE" = 409
sleep 3
post /api/run/edit -d users=12 -d spawn_rate=50
check "edit users to 12: 200 (got $CODE)" test "$CODE" = 200
check "edit: the state's target is 12" test "$(state 'd["target_users"]')" = 12
post /api/run/edit -d rate=100
check "edit rate in the closed model: 400 (got $CODE)" test "$CODE" = 400
sleep 3
curl -s "$BASE/api/run/series?from=0" >"$WORK/series.json"
users=$(json "$WORK/series.json" 'max(p["users"] for p in d["points"])')
early=$(json "$WORK/series.json" 'd["points"][1]["users"]')
check "series: 4 users early ($early), 12 after the edit ($users)" test "$early" = 4 -a "$users" = 12
n=$(json "$WORK/series.json" 'len(d["points"])')
curl -s "$BASE/api/run/series?from=$n" >"$WORK/series2.json"
check "series?from=N: only the newer points ($(json "$WORK/series2.json" 'len(d["points"])') after $n)" \
    test "$(json "$WORK/series2.json" 'd["next"] - len(d["points"])')" = "$n"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/run/series?from=x")
check "series?from=x: 400 (got $code)" test "$code" = 400
post /api/run/stop
check "stop: 200 (got $CODE)" test "$CODE" = 200
wait_status stopped 60
check "stopped within 60 s" test "$(state 'd["status"]')" = stopped
row() { json "$WORK/state.json" "[r for r in d['stats'] if r['middleware'] == '$1'][0]['$2']"; }
state 'd["status"]' >/dev/null
sent=$(row nats requests); acked=$(row nats acked); persisted=$(row nats persisted)
echo "jetstream test: requests $sent, acked $acked, failures $(row nats failures), persisted $persisted, lost $(row nats lost), median $(row nats median_ms) ms, e2e p99 $(row nats e2e_p99_ms) ms"
check "requests == acked > 0" test "$sent" = "$acked" -a "$sent" -gt 0
check "no failure, none lost" test "$(row nats failures)/$(row nats lost)" = "0/0"
check "persisted == acked" test "$persisted" = "$acked"
check "an end-to-end p99" test "$(row nats e2e_p99_ms)" != None
json "$WORK/state.json" '"\n".join(x["name"] for x in d["downloads"])' >"$WORK/downloads"
for f in nats_stats.csv nats_stats_history.csv nats_failures.csv nats.json report.html; do
    check "download listed: $f" grep -qx "$f" "$WORK/downloads"
done
curl -s -D "$WORK/csv.h" "$BASE/download/nats_stats.csv" >"$WORK/stats.csv"
check "stats CSV: Locust's header" grep -q '^Type,Name,Request Count,Failure Count,Median Response Time' "$WORK/stats.csv"
csv_count=$(python3 -c "import csv,sys; r=[x for x in csv.DictReader(open(sys.argv[1])) if x['Name']!='Aggregated'][0]; print(r['Request Count'])" "$WORK/stats.csv")
check "stats CSV: the request count is the state's ($csv_count = $sent)" test "$csv_count" = "$sent"
check "stats CSV: served as an attachment" grep -qi '^content-disposition: attachment' "$WORK/csv.h"
curl -s "$BASE/download/nats.json" >"$WORK/summary.json"
check "summary JSON: acked as the state's" test "$(json "$WORK/summary.json" 'd["acked"]')" = "$acked"
curl -s "$BASE/download/report.html" >"$WORK/report.html"
check "report.html: the HTML report" grep -q 'id="results"' "$WORK/report.html"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/download/..%2fetc%2fpasswd")
check "a download outside the list: 404 (got $code)" test "$code" = 404
curl -s "$BASE/api/run/logs?from=0" >"$WORK/logs.json"
check "logs: the edit is logged" grep -q "edited: 12 users" "$WORK/logs.json"
check "logs: the run's end is logged" grep -q "nats: done: sent $sent, acked $acked" "$WORK/logs.json"
post /api/run/new
check "new test: 200 and ready" test "$CODE/$(state 'd["status"]')" = 200/ready
check "new test: no stats, no downloads" test "$(state 'len(d["stats"]) + len(d["downloads"])')" = 0

# ---- a comparison: core NATS and JetStream, the same workload ----
post /api/run/start --data-urlencode "broker=$CORE
$JS" -d rate=200 -d run_time=3s
check "comparison start: 200 (got $CODE)" test "$CODE" = 200
wait_status stopped 90
state 'd["status"]' >/dev/null
check "comparison: both done" test "$(json "$WORK/state.json" '[q["status"] for q in d["queue"]]')" = "['done', 'done']"
check "comparison: run ids end with the middleware" \
    test "$(json "$WORK/state.json" 'all(q["run_id"].endswith("-" + q["middleware"]) for q in d["queue"])')" = True
echo "comparison: $(json "$WORK/state.json" '"; ".join("%s sent %s acked %s persisted %s lost %s" % (r["middleware"], r["requests"], r["acked"], r["persisted"], r["lost"]) for r in d["stats"])')"
check "comparison: 600 acked and none lost on each" \
    test "$(json "$WORK/state.json" '[(r["acked"], r["lost"]) for r in d["stats"]]')" = "[(600, 0), (600, 0)]"
curl -s "$BASE/api/run/series?from=0" >"$WORK/cseries.json"
check "comparison: series of both middlewares" \
    test "$(json "$WORK/cseries.json" 'sorted(set(p["middleware"] for p in d["points"]))')" = "['nats', 'nats-2']"
curl -s "$BASE/download/report.html" >"$WORK/creport.html"
check "comparison report: kind compare, both middlewares" \
    python3 -c "import re,json,sys; t=open(sys.argv[1]).read(); d=json.loads(re.search(r'id=\"results\">(.*?)</script>', t, re.S).group(1).replace('<\\\\/', '</')); assert d['outbreak']=='compare' and [r['middleware'] for r in d['results']]==['nats','nats-2'], d['outbreak']" "$WORK/creport.html"

# ---- the UI's files ----
curl -s -D "$WORK/index.h" "$BASE/" >"$WORK/index.html"
check "/: the UI's page" grep -qi "<html" "$WORK/index.html"
check "/: Content-Security-Policy default-src 'self'" grep -qi "^content-security-policy: default-src 'self'" "$WORK/index.h"
check "/: no URL of another origin in the page" bash -c "! grep -Eo '(src|href)=\"(https?:)?//[^\"]*' '$WORK/index.html' | grep -q ."
code=$(curl -s -o "$WORK/uplot.js" -w '%{http_code}' "$BASE/uplot.js")
check "/uplot.js: served from the binary (got $code, $(wc -c <"$WORK/uplot.js") bytes)" \
    bash -c "test $code = 200 && grep -q uPlot '$WORK/uplot.js'"
kill -TERM "$WEB_PID"
wait "$WEB_PID"
check "outbreak web: exit 0 on SIGTERM" test $? = 0

# ---- the login ----
web_start "$WORK/web-login.log" web --mongo "$MONGO_URL" --broker "$JS" --web-login 'ui:s3cret-pw'
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/run/state")
check "login: the state without it: 401 (got $code)" test "$code" = 401
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Outbreak: 1' "$BASE/api/run/start")
check "login: a start without it: 401 (got $code)" test "$code" = 401
code=$(curl -s -o /dev/null -w '%{http_code}' -u ui:s3cret-pw "$BASE/")
check "login: the page with it: 200 (got $code)" test "$code" = 200
check "login: the state says login" test "$(curl -s -u ui:s3cret-pw "$BASE/api/run/state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["login"])')" = True
check "login: the password is never printed" bash -c "! grep -q s3cret '$WORK/web-login.log'"
kill -TERM "$WEB_PID"
wait "$WEB_PID"

# ---- outbreak run without --headless: the UI, its flags pre-filled, --autostart ----
web_start "$WORK/run-ui.log" run --broker "$CORE" --rate 100 -t 2s --mongo "$MONGO_URL" --autostart
check "run --autostart: the UI says the test started" grep -q "web UI at http://127.0.0.1:[0-9]*/ (test started)" "$WORK/run-ui.log"
check "run --autostart: the form has run's flags" test "$(state '(d["form"]["rate"], d["form"]["run_time"])')" = "(100, '2s')"
wait_status stopped 40
check "run --autostart: the test ran and stopped ($(state 'd["stats"][0]["acked"]') acked)" \
    test "$(state 'd["stats"][0]["acked"]')" = 200
check "run --autostart: the UI stays after the test" kill -0 "$WEB_PID"
kill -INT "$WEB_PID"
wait "$WEB_PID"
check "run with the UI: exit 0 on SIGINT" test $? = 0

# ---- --autoquit T (Locust's): with --autostart, quit T after the test, with its status ----
t0=$(date +%s.%N)
"$OUTBREAK" run --broker "$CORE" --rate 100 -t 1s --autostart --autoquit 2 --web-port 0 >"$WORK/aq.log" 2>&1
rc=$?
took=$(python3 -c "import time; print(round(time.time() - $t0, 1))")
check "--autoquit 2: exit 0 after a test with nothing failed (got $rc)" test "$rc" = 0
check "--autoquit 2: it said so and quit 2 s after the test (${took} s in all: 1 s of test, 2 s to wait)" \
    sh -c "grep -q 'the test ended (exit status 0); --autoquit: quitting in 2 s' '$WORK/aq.log' && python3 -c 'import sys; sys.exit(not 3 <= $took < 8)'"
"$OUTBREAK" run --broker "$CORE" --rate 100 -t 1s --autostart --autoquit 0 --web-port 0 \
    --threshold 'publish_p50<1us' >"$WORK/aq99.log" 2>&1
rc=$?
check "--autoquit: a failed threshold's status, 99, as a headless run's (got $rc)" test "$rc" = 99
"$OUTBREAK" run --broker "nats://127.0.0.1:1" --rate 100 -t 1s --autostart --autoquit 0 --web-port 0 >"$WORK/aq1.log" 2>&1
rc=$?
check "--autoquit: a broker that cannot be reached, exit 1 (got $rc)" test "$rc" = 1
finish
