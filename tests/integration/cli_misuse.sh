# cli_misuse.sh — a wrong flag, value or URL exits 2 with one line on stderr saying what
# is wrong; a malformed records file names its line and column; --help lists every
# flag with its default.
source "$(dirname "$0")/lib.sh"

misuse() { # misuse EXPECTED_SUBSTRING ARGS...
    local want=$1; shift
    local err="$WORK/err" rc=0
    "$OUTBREAK" "$@" >/dev/null 2>"$err" || rc=$?
    local lines; lines=$(wc -l <"$err")
    if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qF -- "$want" "$err"; then
        pass "outbreak $* -> exit 2: $(cat "$err")"
    else
        fail "outbreak $*: exit $rc, $lines line(s): $(cat "$err") (wanted exit 2, one line with '$want')"
    fi
}

misuse 'unknown command' frobnicate
misuse '--bogus' run --bogus
misuse '--rate' run --rate fast
misuse '--rate' run --rate -5
misuse 'needs --rate N' run --tick 1ms -u 5
misuse 'needs --rate N (not max)' run --tick 1ms --rate max
misuse 'at most 1s' run --tick 5s --rate 100
misuse 'expected auto, 0 or a step' run --tick soon --rate 100
misuse '--users' run -u 0
misuse '--users' run -u many
misuse 'needs a value' run -t
misuse '--run-time' run -t 10x
misuse '--wait' run --wait 0.9-0.1
misuse 'exclude each other' run --rate 100 -u 10
misuse 'unsupported broker scheme "kafkaa"' run --broker kafkaa://127.0.0.1:9092
misuse 'unknown option' run --broker 'nats://127.0.0.1:4222?jetstrem=1'
misuse '--broker' run --broker 'nats://127.0.0.1:99999'
misuse 'io=loop is for a paced core NATS publisher' run --headless --broker 'nats://127.0.0.1:4222?io=loop' --rate max -t 1s
misuse 'io=loop is for a paced core NATS publisher' run --headless --broker 'nats://127.0.0.1:4222?io=loop&jetstream=1' --rate 100 -t 1s
misuse '--autoquit ends a web UI test started by --autostart' run --autoquit 10
misuse '--autoquit ends a web UI test started by --autostart' run --headless --autostart --autoquit 10
misuse 'unexpected argument' run extra
misuse '--run-id' run --run-id 'a b'
misuse '--broker' sink --broker 'nats//nowhere'
for cmd in run sink web merge compare; do
    misuse '--mongo: invalid MongoDB URL "http://x"' $cmd --mongo http://x
done
misuse '--mongo: invalid MongoDB URL' gateway --listen 127.0.0.1:0 --broker "$NATS_URL" --mongo 'mongodb://'
misuse 'invalid MongoDB URL "mongodb://ann:***@"' run --mongo 'mongodb://ann:s3cret@'
check "a bad MongoDB URL's message does not show its password" sh -c "! grep -q s3cret '$WORK/err'"
misuse 'records' records -n zero

printf '[\n  {"name": "A", "location": "Escuintla", "age": 4, "infectedtype": "imported", "state": "symptomatic"}\n  {"name": "B"}\n]\n' >"$WORK/bad.json"
misuse "bad.json:3:3:" run --records "$WORK/bad.json" -t 1s
printf '{"name":"A","location":"Escuintla","age":4,"infectedtype":"imported","state":"symptomatic"}\n{"name":"B","location":"Escuintla","age":"4","infectedtype":"imported","state":"symptomatic"}\n' >"$WORK/bad.ndjson"
misuse "bad.ndjson:2:" run --records "$WORK/bad.ndjson" -t 1s
misuse "missing.json" run --records "$WORK/missing.json"
# a result file that could not be written at the end is a usage error at the start,
# before any record is sent (the run would otherwise be lost with its figures)
misuse "--json: cannot write $WORK/no-dir/r.json: $WORK/no-dir: No such file or directory" \
    run --headless --json "$WORK/no-dir/r.json" -t 1s
misuse "--csv: cannot write $WORK/no-dir/r: $WORK/no-dir" run --headless --csv "$WORK/no-dir/r" -t 1s
misuse "--html: cannot write $WORK: it is a directory" run --headless --html "$WORK" -t 1s
: >"$WORK/file"
misuse "--json: cannot write $WORK/file/r.json: $WORK/file is not a directory" run --headless --json "$WORK/file/r.json"
OUTBREAK_RATEE=10 misuse "OUTBREAK_RATEE: no outbreak command has --ratee (did you mean OUTBREAK_RATE?)" run --headless -t 1s
OUTBREAK_RUNTIME=1s misuse "(did you mean OUTBREAK_RUN_TIME?)" sink
OUTBREAK_JSON="$WORK/no-dir/r.json" misuse "OUTBREAK_JSON: --json: cannot write" run --headless
misuse "--json: cannot write" merge --run x --json "$WORK/no-dir/m.json"
misuse "--json: cannot write" gateway --listen 127.0.0.1:0 --broker "$NATS_URL" --json "$WORK/no-dir/g.json"
misuse "--html: cannot write" report "$WORK/file" --html "$WORK/no-dir/r.html"
check "no result file was made by the runs refused above" test ! -e "$WORK/no-dir"

help=$("$OUTBREAK" run --headless --help)
for flag in --users --spawn-rate --run-time --headless --only-summary --csv --stop-timeout \
    --wait --rate --broker --records --once --seed --mongo --json; do
    check "run --help lists $flag" grep -qe "$flag" <<<"$help"
done
check "run --help gives defaults" grep -q "default nats://127.0.0.1:4222" <<<"$(tr -s ' \n' ' ' <<<"$help")"
check "outbreak --help lists commands" grep -q "sink" <<<"$("$OUTBREAK" --help)"
finish
