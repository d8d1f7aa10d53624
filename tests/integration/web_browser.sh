# web_browser.sh — outbreak's live web UI in real headless Chromium
# (tests/browser/check_ui.mjs, through playwright-core), against the real NATS JetStream,
# sinks and MongoDB: a test started from the form, its charts growing, the users edited
# while it runs, stopped, the CSV downloaded and checked; a comparison of two
# middlewares (RabbitMQ and JetStream); the data dashboard equal to an aggregation this
# test runs itself over MongoDB; the monitor listing the sink; the login enforced; zero
# console errors and zero requests to other origins. All of it over HTTPS (--tls-cert,
# --tls-key) with a certificate of a private CA made here, which Chromium is told to
# trust by its key (check_ui.mjs --spki). Screenshots are kept in
# build/test-artifacts/web/.
# Chromium and playwright-core come from `bash scripts/deps browser`: without them
# this FAILS, never skips.
source "$(dirname "$0")/lib.sh"
require_servers
require_rabbitmq
CHROMIUM=${OB_CHROMIUM:-/usr/bin/chromium}
CHECK=$OB_SOURCE_DIR/tests/browser/check_ui.mjs
ARTIFACTS=${OB_BUILD_DIR:-$OB_SOURCE_DIR/build}/test-artifacts/web
command -v node >/dev/null 2>&1 || { echo "FAIL: no node (Node.js 20 or later)" >&2; exit 1; }
[ -x "$CHROMIUM" ] || { echo "FAIL: no chromium at $CHROMIUM (bash scripts/deps browser)" >&2; exit 1; }
[ -f "$OB_SOURCE_DIR/tests/browser/node_modules/playwright-core/package.json" ] ||
    { echo "FAIL: playwright-core is not installed in tests/browser/node_modules (bash scripts/deps browser)" >&2; exit 1; }
rm -rf "$ARTIFACTS"
mkdir -p "$ARTIFACTS"

JS="$NATS_URL?jetstream=1&stream=OBITWEBB_$$&subject=obit.webb.$$&durable=obit-webb-$$"
RABBIT="${RABBIT_URL}?queue=$(rabbit_queue "obit.webb.$$")"
LOGIN='tester:pw-4c1e9b'
start_sink "$JS" "$WORK/sink-js.log"
JS_SINK=$SINK_PID
start_sink "$RABBIT" "$WORK/sink-rabbit.log"
make_certs "$WORK/tls"
web_start "$WORK/web.log" web --mongo "$MONGO_URL" --broker "$JS" --web-login "$LOGIN" \
    --tls-cert "$WORK/tls/server.pem" --tls-key "$WORK/tls/server.key"
check "outbreak web is up over HTTPS ($BASE)" bash -c "[[ '$BASE' == https://* ]]"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WORK/tls/ca.pem" "$BASE/")
check "login enforced: the page without it is 401 (got $code)" test "$code" = 401

timeout 300 node "$CHECK" run --base "$BASE" --login "$LOGIN" --spki "$SPKI" --broker "$JS" --compare "$RABBIT,$JS" \
    --out "$ARTIFACTS" --chromium "$CHROMIUM" >"$WORK/run.out" 2>&1
rc=$?
sed 's/^/    /' "$WORK/run.out"
check "the UI's test run in Chromium: exit 0 (got $rc)" test "$rc" -eq 0

# what MongoDB holds, counted here record by record (the sinks save their counts at
# most once a second and when they stop: wait for two saves)
sleep 3
$MONGO_TOOL dash 127.0.0.1 27017 "$MONGO_DB" >"$WORK/expect.json"
echo "MongoDB: $(json "$WORK/expect.json" 'd["records"]') records"
timeout 120 node "$CHECK" dash --base "$BASE" --login "$LOGIN" --spki "$SPKI" --expect "$WORK/expect.json" \
    --sink-pid "$JS_SINK" --out "$ARTIFACTS" --chromium "$CHROMIUM" >"$WORK/dash.out" 2>&1
rc=$?
sed 's/^/    /' "$WORK/dash.out"
check "the dashboard and monitor in Chromium: exit 0 (got $rc)" test "$rc" -eq 0
for s in ui-start-form ui-charts ui-statistics ui-comparison-charts ui-dashboard ui-monitor; do
    check "screenshot $s.png kept" test -s "$ARTIFACTS/$s.png"
done
check "the login is never printed" bash -c "! grep -q pw-4c1e9b '$WORK/web.log' '$WORK/run.out' '$WORK/dash.out'"
kill -TERM "$WEB_PID"
wait "$WEB_PID"
finish
