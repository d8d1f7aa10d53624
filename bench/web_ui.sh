#!/usr/bin/env bash
# bench/web_ui.sh — what the web UI costs the instrument: `outbreak run --headless` against
# `outbreak run` with its UI open in headless Chromium, the test started with the form's
# Start and watched on the Charts tab (bench/web_ui_watch.mjs: the page polls every
# second and redraws, as a user watching), same load, same broker, taking turns. Both
# run on this machine: the browser's own CPU is in the figure. The load is core NATS as fast as it goes (--rate max,
# BENCH_TIME, default 10s): the case where any CPU the UI takes shows in the rate.
# BENCH_ROUNDS rounds (default 3); the ratio is of the medians of acked records/s, UI /
# headless (goal: >= 0.95). Chromium and playwright-core: `bash scripts/deps browser`.
source "$(dirname "$0")/lib.sh"
ROUNDS=${BENCH_ROUNDS:-3}
TIME=${BENCH_TIME:-10s}
CHROMIUM=${OB_CHROMIUM:-/usr/bin/chromium}
URL='nats://127.0.0.1:4222?subject=outbreak.bench.ui'
[ -f "$ROOT/tests/browser/node_modules/playwright-core/package.json" ] && [ -x "$CHROMIUM" ] ||
    { echo "bench: needs Chromium and tests/browser's playwright-core (bash scripts/deps browser)" >&2; exit 1; }
PORT=18389

heads=() uis=()
for round in $(seq 1 "$ROUNDS"); do
    "$OUTBREAK" run --headless --broker "$URL" --rate max -t "$TIME" --only-summary \
        --json "$OUT/webui-headless-$round.json" >"$OUT/webui-headless-$round.txt" 2>&1 || true
    head=$(json "$OUT/webui-headless-$round.json" 'd["throughput"]["acked_per_s"]')
    "$OUTBREAK" run --broker "$URL" --rate max -t "$TIME" --web-port "$PORT" \
        >"$OUT/webui-ui-$round.txt" 2>&1 &
    pid=$!
    for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    node "$ROOT/bench/web_ui_watch.mjs" "http://127.0.0.1:$PORT/" "$CHROMIUM" >"$OUT/webui-watch-$round.txt" 2>&1 ||
        { echo "bench: the UI watcher failed (see $OUT/webui-watch-$round.txt)" >&2; kill "$pid"; exit 1; }
    curl -sf "http://127.0.0.1:$PORT/download/nats.json" >"$OUT/webui-ui-$round.json"
    kill -INT "$pid"; wait "$pid" || true
    ui=$(json "$OUT/webui-ui-$round.json" 'd["throughput"]["acked_per_s"]')
    printf '  round %s: headless %9.0f records/s   UI open %9.0f records/s   ratio %s   (%s)\n' \
        "$round" "$head" "$ui" "$(ratio "$ui" "$head")" "$(cat "$OUT/webui-watch-$round.txt")"
    heads+=("$head") uis+=("$ui")
done
head=$(median "${heads[@]}") ui=$(median "${uis[@]}")
printf '%-30s%.0f records/s (median)\n' "outbreak run --headless:" "$head"
printf '%-30s%.0f records/s (median)\n' "outbreak run, UI open:" "$ui"
printf '%-30s%s (goal >= 0.95)\n' "ratio UI / headless:" "$(ratio "$ui" "$head")"
