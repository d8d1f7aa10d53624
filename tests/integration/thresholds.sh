# thresholds.sh — k6's thresholds (--threshold, common/threshold.h) on outbreak run and
# outbreak compare against the real NATS JetStream, a sink and MongoDB: thresholds that
# hold give exit 0 and a table, one that fails exit 99 (k6's) and says which, an unknown
# figure (no --mongo: lost is null) fails as "unknown", each result lands in the JSON
# summary; --threshold-abort stops a run whose threshold failed for 10 s; a bad expression is a usage error (exit 2, one line naming it); compare
# evaluates NAME:EXPR on that middleware only, into results.json.
source "$(dirname "$0")/lib.sh"
require_servers

JS="$NATS_URL?jetstream=1&stream=OBITTH_$$&subject=obit.th.$$&durable=obit-th-$$"
start_sink "$JS" "$WORK/sink.log"

rc=0
"$OUTBREAK" run --headless --broker "$JS" --mongo "$MONGO_URL" --rate 200 -t 2s --only-summary \
    --threshold 'publish_p99<10s' --threshold 'lost==0' --threshold 'e2e_p95 <= 10s' \
    --threshold 'failed_rate<0.1%' --threshold 'persisted_per_s>=100' --threshold 'acked==400' \
    --json "$WORK/ok.json" >"$WORK/ok.out" 2>&1 || rc=$?
sed -n '/^thresholds/,$p' "$WORK/ok.out"
check "thresholds that hold: exit 0 (got $rc)" test "$rc" = 0
check "the table: 6 of 6 passed" grep -q "^thresholds: 6 of 6 passed$" "$WORK/ok.out"
check "the table shows lost 0 for nats" grep -Eq "^  ok   lost==0 +nats +0$" "$WORK/ok.out"
check "the JSON has the 6 results, all passed" \
    test "$(json "$WORK/ok.json" '[(t["threshold"], t["pass"]) for t in d["thresholds"]]')" = \
    "[('publish_p99<10s', True), ('lost==0', True), ('e2e_p95<=10s', True), ('failed_rate<0.1%', True), ('persisted_per_s>=100', True), ('acked==400', True)]"
check "the JSON's values are the summary's figures" \
    test "$(json "$WORK/ok.json" '[t["value"] for t in d["thresholds"]][1:] == [d["lost"], d["e2e_latency_ms"]["p95"], d["failed"] / d["sent"], d["throughput"]["persisted_per_s"], d["acked"]]')" = True

rc=0
"$OUTBREAK" run --headless --broker "$JS" --mongo "$MONGO_URL" --rate 200 -t 1s --only-summary \
    --threshold 'publish_p99<0.001ms' --threshold 'lost==0' --json "$WORK/fail.json" >"$WORK/fail.out" 2>&1 || rc=$?
sed -n '/^thresholds/,$p' "$WORK/fail.out"
check "a threshold that fails: exit 99 (got $rc)" test "$rc" = 99
check "the table names it" grep -Eq "^  FAIL publish_p99<0.001ms +nats +[0-9.]+ ms$" "$WORK/fail.out"
check "the table: 1 of 2 passed (exit 99)" grep -q "^thresholds: 1 of 2 passed (exit 99)$" "$WORK/fail.out"
check "the JSON says it failed" test "$(json "$WORK/fail.json" '[t["pass"] for t in d["thresholds"]]')" = "[False, True]"

# the HTML report shows them (headless Chromium: tests/browser/check_report.mjs)
if [ -x "${OB_CHROMIUM:-/usr/bin/chromium}" ] && [ -f "$OB_SOURCE_DIR/tests/browser/node_modules/playwright-core/package.json" ]; then
    "$OUTBREAK" run --headless --broker "$JS" --rate 200 -t 1s --only-summary \
        --threshold 'publish_p99<0.001ms' --threshold 'failed==0' --html "$WORK/fail.html" >/dev/null 2>&1
    timeout 120 node "$OB_SOURCE_DIR/tests/browser/check_report.mjs" "$WORK/fail.html" --expect nats \
        --chromium "${OB_CHROMIUM:-/usr/bin/chromium}" >"$WORK/html.out" 2>&1
    grep '^thresholds:' "$WORK/html.out"
    check "the HTML report's thresholds table: the failed one FAIL, the other pass" \
        grep -Eq '^thresholds: nats publish_p99<0.001ms [0-9.]+ FAIL; nats failed==0 0 pass$' "$WORK/html.out"
else
    fail "no Chromium and playwright-core for the HTML report's check (bash scripts/deps browser)"
fi

rc=0
"$OUTBREAK" run --headless --broker "$NATS_URL?subject=obit.th2.$$" --rate 200 -t 1s --only-summary \
    --threshold 'lost==0' --json "$WORK/unknown.json" >"$WORK/unknown.out" 2>&1 || rc=$?
check "lost unknown without --mongo: the threshold fails, exit 99 (got $rc)" test "$rc" = 99
check "... shown as unknown" grep -Eq "^  FAIL lost==0 +nats +unknown$" "$WORK/unknown.out"
check "... null in the JSON" test "$(json "$WORK/unknown.json" 'd["thresholds"][0]["value"]')" = None

# --threshold-abort: a threshold on a running figure failing for 10 s stops a 60 s run
rc=0
t0=$(date +%s)
"$OUTBREAK" run --headless --broker "$NATS_URL?subject=obit.th3.$$" --rate 200 -t 60s --only-summary \
    --threshold 'publish_p50<0.0001ms' --threshold 'failed==0' --threshold-abort \
    --json "$WORK/abort.json" >"$WORK/abort.out" 2>"$WORK/abort.err" || rc=$?
took=$(($(date +%s) - t0))
cat "$WORK/abort.err"
check "--threshold-abort: exit 99 (got $rc)" test "$rc" = 99
check "--threshold-abort: says which threshold stopped it" \
    grep -q "threshold publish_p50<0.0001ms has failed for 10 s (nats): stopping (--threshold-abort)" "$WORK/abort.err"
dur=$(json "$WORK/abort.json" 'd["duration_s"]')
check "--threshold-abort: sending stopped after 10-13 s of 60 ($dur s; the command took $took s)" \
    python3 -c "import sys; sys.exit(not 10 <= float('$dur') <= 13)"
check "--threshold-abort: what was sent is accounted for (sent = acked + failed)" \
    test "$(json "$WORK/abort.json" 'd["sent"] == d["acked"] + d["failed"]')" = True

# bad expressions: exit 2, one line naming them
bad() { # bad EXPECTED ARGS...
    local want=$1; shift
    local rc=0
    "$OUTBREAK" "$@" >/dev/null 2>"$WORK/bad.err" || rc=$?
    check "$* -> exit 2, one line: $(cat "$WORK/bad.err")" \
        bash -c "test $rc = 2 && test \$(wc -l <'$WORK/bad.err') = 1 && grep -qF -- '$want' '$WORK/bad.err'"
}
bad '--threshold: "p99<5": unknown figure "p99"' run --headless --threshold 'p99<5'
bad 'unit "kg" is not a time' run --headless --threshold 'publish_p99<5kg'
bad 'expected an operator' compare --brokers nats --threshold 'lost'
bad 'kafka is not a middleware of this comparison' compare --brokers nats --threshold 'kafka:lost==0'

# compare: NAME:EXPR on that middleware; the results in results.json
rc=0
"$OUTBREAK" compare --brokers nats --url "nats=$NATS_URL?jetstream=1&stream=OBITTHC_$$&subject=obit.thc.$$" \
    --rate 200 -t 2s --mongo "$MONGO_URL" --out "$WORK/cmp" --threshold 'lost==0' \
    --threshold 'nats:publish_p99<0.001ms' >"$WORK/cmp.out" 2>&1 || rc=$?
sed -n '/^thresholds/,$p' "$WORK/cmp.out"
check "compare with a failed threshold: exit 99 (got $rc)" test "$rc" = 99
check "compare's table: 1 of 2 passed" grep -q "^thresholds: 1 of 2 passed (exit 99)$" "$WORK/cmp.out"
check "results.json: the summary carries its thresholds" \
    test "$(json "$WORK/cmp/results.json" '[(t["threshold"], t["pass"]) for t in d["results"][0]["thresholds"]]')" = \
    "[('lost==0', True), ('nats:publish_p99<0.001ms', False)]"
for db in $(json "$WORK/cmp/results.json" '" ".join("'"$MONGO_DB"'_%s_%s" % (d["id"], r["label"]) for r in d["results"])' 2>/dev/null); do
    $MONGO_TOOL dropdb 127.0.0.1 27017 "$db" >/dev/null 2>&1
done
finish
