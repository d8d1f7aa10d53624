# browser_check.sh — tests/browser/check_report.mjs, the headless-Chromium check of
# `outbreak compare`'s HTML report, on two fixtures of its own (not the real report):
# good.html passes (exit 0, "OK") and leaves a PNG screenshot (kept in
# build/test-artifacts/browser/); bad.html fails (exit 1) naming its console error, its
# request for an outside URL and its missing series; a missing file exits 2. Chromium
# and playwright-core come from `bash scripts/deps browser`: without them this FAILS,
# never skips. Needs no server. Runs through ctest or as
# `bash tests/integration/browser_check.sh` from the repository.
OB_SOURCE_DIR=${OB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
OB_BUILD_DIR=${OB_BUILD_DIR:-$OB_SOURCE_DIR/build}
OUTBREAK=${OUTBREAK:-$OB_BUILD_DIR/outbreak}  # lib.sh wants it; not used here
source "$(dirname "$0")/lib.sh"

CHECK=$OB_SOURCE_DIR/tests/browser/check_report.mjs
FIX=$OB_SOURCE_DIR/tests/browser/fixtures
CHROMIUM=${OB_CHROMIUM:-/usr/bin/chromium}
ARTIFACTS=$OB_BUILD_DIR/test-artifacts/browser

command -v node >/dev/null 2>&1 || { echo "FAIL: no node (Node.js 20 or later)" >&2; exit 1; }
[ -x "$CHROMIUM" ] || { echo "FAIL: no chromium at $CHROMIUM (bash scripts/deps browser)" >&2; exit 1; }
[ -f "$OB_SOURCE_DIR/tests/browser/node_modules/playwright-core/package.json" ] ||
    { echo "FAIL: playwright-core is not installed in tests/browser/node_modules (bash scripts/deps browser)" >&2; exit 1; }

# run_check OUT ARGS... — runs the checker (at most 120 s), output to OUT; sets RC.
run_check() {
    local out=$1; shift
    RC=0
    timeout 120 node "$CHECK" "$@" --chromium "$CHROMIUM" >"$out" 2>&1 || RC=$?
    sed 's/^/    /' "$out"
}
has() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }

shot=$ARTIFACTS/fixture-good.png
rm -f "$shot"
run_check "$WORK/good.out" "$FIX/good.html" --expect a,b --screenshot "$shot"
check "good.html: exit 0 (got $RC)" test "$RC" -eq 0
check "good.html: prints OK" has "$WORK/good.out" "check_report: OK (2 middlewares, 0 console errors, 0 network requests)"
check "good.html: throughput has series a and b" has "$WORK/good.out" "throughput: a b"
check "good.html: latency has series a and b" has "$WORK/good.out" "latency: a b"
check "screenshot $shot exists" test -f "$shot"
check "screenshot starts with the PNG signature" \
    test "$(head -c 8 "$shot" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a
size=$(stat -c %s "$shot" 2>/dev/null || echo 0)
check "screenshot is > 5 KB ($size bytes)" test "$size" -gt 5120

run_check "$WORK/bad.out" "$FIX/bad.html" --expect a,b
check "bad.html: exit 1 (got $RC)" test "$RC" -eq 1
check "bad.html: no OK line" lacks "$WORK/bad.out" "check_report: OK"
check "bad.html: names its console error" has "$WORK/bad.out" "check_report: FAIL console error: fixture: something broke while drawing"
check "bad.html: names the network request" has "$WORK/bad.out" "check_report: FAIL network request: http://192.0.2.1/x.png"
check "bad.html: names the missing series" has "$WORK/bad.out" "check_report: FAIL chart latency: no series for b"

run_check "$WORK/unexpected.out" "$FIX/good.html" --expect a
check "good.html with --expect a: exit 1 (got $RC)" test "$RC" -eq 1
check "good.html with --expect a: names the unexpected series" has "$WORK/unexpected.out" 'chart throughput: a series for "b", which was not expected'

run_check "$WORK/missing.out" "$WORK/no-such-report.html" --expect a,b
check "missing file: exit 2 (got $RC)" test "$RC" -eq 2
check "missing file: one line naming it" \
    test "$(wc -l <"$WORK/missing.out")" -eq 1 -a -n "$(grep -F no-such-report.html "$WORK/missing.out")"
run_check "$WORK/flag.out" "$FIX/good.html" --expect a,b --bogus
check "unknown flag: exit 2 (got $RC)" test "$RC" -eq 2
finish
