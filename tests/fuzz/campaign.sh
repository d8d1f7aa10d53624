#!/usr/bin/env bash
# tests/fuzz/campaign.sh — runs every libFuzzer target of build-fuzz/ (make fuzz) for a
# while, two at a time, each on a copy of its corpus (out/fuzz/corpus/TARGET: the
# repository's corpus is only read), and says which found an input that crashes,
# leaks, hangs or breaks the target's own checks (its abort()).
#
#   make fuzz-run                       every target, FUZZ_SECONDS (60) each
#   FUZZ_SECONDS=600 tests/fuzz/campaign.sh fuzz_run_doc fuzz_results
#
# What a target found is written to out/fuzz/TARGET-crash-… (or -leak-, -timeout-,
# -oom-), its log to out/fuzz/TARGET.log. To keep a finding as a regression test, fix
# the bug and copy the file into tests/fuzz/corpus/TARGET/: `make test` replays it.
# Exit status: 0 when no target found anything, 1 when one did, 2 on a usage error.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="$ROOT/build-fuzz/tests"
OUT="$ROOT/out/fuzz"
SECONDS_EACH=${FUZZ_SECONDS:-60}
case "$SECONDS_EACH" in
'' | *[!0-9]*) echo "campaign: FUZZ_SECONDS must be a whole number of seconds, not \"$SECONDS_EACH\"" >&2; exit 2 ;;
esac
[ -d "$BIN" ] || { echo "campaign: no $BIN: build the targets first (make fuzz)" >&2; exit 2; }
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cd "$ROOT/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
fi
for t in "${targets[@]}"; do
    [ -x "$BIN/$t" ] || { echo "campaign: no fuzz target $t in $BIN" >&2; exit 2; }
done
mkdir -p "$OUT/corpus"

# one target: its corpus copied (new inputs land in the copy), its findings counted
run_one() {
    local t=$1 before after
    mkdir -p "$OUT/corpus/$t"
    cp -n "$ROOT/tests/fuzz/corpus/$t"/* "$OUT/corpus/$t/" 2>/dev/null
    before=$(ls "$OUT/corpus/$t" | wc -l)
    # -close_fd_mask=1: what a target prints on stdout (--print-config's table, say) is
    # not kept; libFuzzer's lines and the sanitizers' reports are on stderr
    "$BIN/$t" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -close_fd_mask=1 \
        -artifact_prefix="$OUT/$t-" "$OUT/corpus/$t" >"$OUT/$t.log" 2>&1
    local rc=$?
    after=$(ls "$OUT/corpus/$t" | wc -l)
    printf '%-24s exit %-3s corpus %5s -> %5s  %s\n' "$t" "$rc" "$before" "$after" \
        "$(grep -E '^Done [0-9]+ runs' "$OUT/$t.log" | tail -1)"
}
export -f run_one
export BIN OUT ROOT SECONDS_EACH

rm -f "$OUT"/*-crash-* "$OUT"/*-leak-* "$OUT"/*-timeout-* "$OUT"/*-oom-* "$OUT"/*-slow-unit-*
echo "fuzzing ${#targets[@]} targets for ${SECONDS_EACH} s each, two at a time"
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'run_one {}'
found=$(ls "$OUT" | grep -E -- '-(crash|leak|timeout|oom)-' || true)
if [ -n "$found" ]; then
    echo "campaign: found (replay one with build-fuzz/tests/TARGET FILE):"
    printf '  out/fuzz/%s\n' $found
    exit 1
fi
echo "campaign: nothing found"
