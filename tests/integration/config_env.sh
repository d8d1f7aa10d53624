# config_env.sh — flags from ./outbreak.conf, ~/.outbreak.conf, --config FILE and
# OUTBREAK_<FLAG> variables (docs/config.md) with the outbreak binary: --print-config
# names each value's source (default, FILE:LINE, env, command line) in the order files <
# environment < command line; an unknown key, a bad value, a bad variable, a missing
# --config file exit 2 with one line naming the file and line or the variable; two real
# headless runs against the stack's NATS whose rate, threads, users and run-time come
# from the files and the environment, as their JSON summaries show; a password given in
# OUTBREAK_BROKER is never printed.
source "$(dirname "$0")/lib.sh"
require_servers

# our own ./outbreak.conf and ~/.outbreak.conf, and no OUTBREAK_<FLAG> from outside
cd "$WORK" || exit 1
export HOME="$WORK/home"
mkdir -p "$HOME"
for v in $(env | sed -n 's/^\(OUTBREAK_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

misuse() { # misuse EXPECTED_LINE_PREFIX ARGS... (with the environment of the caller)
    local want=$1; shift
    local err="$WORK/err" rc=0
    "$OUTBREAK" "$@" >/dev/null 2>"$err" || rc=$?
    local lines; lines=$(wc -l <"$err")
    if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [[ "$(cat "$err")" == "$want"* ]]; then
        pass "outbreak $* -> exit 2: $(cat "$err")"
    else
        fail "outbreak $*: exit $rc, $lines line(s): $(cat "$err") (wanted exit 2, one line starting '$want')"
    fi
}

# has_line FILE 'key = value' SOURCE — a --print-config line with exactly that source
has_line() {
    grep -qE "^$(printf '%s' "$2" | sed 's/[][\.*^$?+(){}|/]/\\&/g') +# $(printf '%s' "$3" | sed 's/[][\.*^$?+(){}|/]/\\&/g')\$" "$1"
}
print_config() { # print_config OUT ARGS...
    local out=$1; shift
    "$OUTBREAK" "$@" --print-config >"$out" 2>"$WORK/pc.err"
}

# ---- sources and precedence, shown by --print-config -----------------------------------
cat >"$HOME/.outbreak.conf" <<'CONF'
# the weakest file
seed = 7
pool = 500
stop-timeout = 5s
CONF
cat >outbreak.conf <<'CONF'
pool = 600            ; a comment after a value is the value's: not here
[run]
pool = 700
stop-timeout = 6s
threshold = lost==0
threshold = failed_rate<1%
[sink]
batch = 10
CONF
sed -i 's/ *; a comment.*//' outbreak.conf
printf 'stop-timeout = 7s\nmax-inflight = 1024\n' >given.conf

out=$WORK/pc1
check "run --print-config exits 0" print_config "$out" run --config given.conf
check "a default" has_line "$out" "users = 1" "default"
check "~/.outbreak.conf" has_line "$out" "seed = 7" "$HOME/.outbreak.conf:2"
check "./outbreak.conf's [run] over its top and over ~/.outbreak.conf" has_line "$out" "pool = 700" "outbreak.conf:3"
check "--config FILE over ./outbreak.conf" has_line "$out" "stop-timeout = 7s" "given.conf:1"
check "a repeated key: two values" \
    bash -c "grep -qE '^threshold = lost==0 +# outbreak.conf:5\$' '$out' && grep -qE '^threshold = failed_rate<1% +# outbreak.conf:6\$' '$out'"
check "[sink] is not run's" bash -c "! grep -q '^batch' '$out'"

out=$WORK/pc2
OUTBREAK_POOL=800 OUTBREAK_STOP_TIMEOUT=8s OUTBREAK_THRESHOLD='lost==0 e2e_p99<2s' OUTBREAK_TOOLS_DIR=/x \
    check "run --print-config with variables" print_config "$out" run --config given.conf --stop-timeout 9s
check "the environment over the files" has_line "$out" "pool = 800" "env OUTBREAK_POOL"
check "the command line over the environment" has_line "$out" "stop-timeout = 9s" "command line"
check "a repeatable variable: values separated by blanks, the files' dropped" \
    bash -c "[ \$(grep -c '^threshold =' '$out') = 2 ] && grep -qE '^threshold = e2e_p99<2s +# env OUTBREAK_THRESHOLD\$' '$out'"

# an alias (-H/--host for --broker) shares its flag's value: the line of the weaker one says
# it is not used, and an alias not given prints no line of its own
out=$WORK/pc-alias
OUTBREAK_HOST=http://127.0.0.1:8000/ \
    check "run --print-config with OUTBREAK_HOST and --broker" print_config "$out" run --broker nats://127.0.0.1:4222
check "the command line's --broker" has_line "$out" "broker = nats://127.0.0.1:4222" "command line"
check "OUTBREAK_HOST: not used" has_line "$out" "host = http://127.0.0.1:8000/" \
    "env OUTBREAK_HOST; not used: --broker's is stronger"
check "run --print-config alone" print_config "$out" run
check "no line for --host when neither is given" bash -c "grep -q '^broker = ' '$out' && ! grep -q '^host = ' '$out'"

out=$WORK/pc3
check "sink --print-config" print_config "$out" sink
check "sink: its [sink] key" has_line "$out" "batch = 10" "outbreak.conf:8"
check "every command has --config and --print-config in its --help" bash -c '
    for c in run sink gateway web compare report records; do
        "$OUTBREAK" $c --help | grep -q -- "--print-config" || exit 1
        "$OUTBREAK" $c --help | grep -q -- "--config FILE" || exit 1
    done'
for c in gateway web compare report records; do
    check "$c --print-config exits 0" print_config "$WORK/pc_$c" "$c"
done
check "compare hands run's keys on" has_line "$WORK/pc_compare" "pool = 600" "outbreak.conf:1 (handed on)"

# ---- passwords masked ------------------------------------------------------------------
out=$WORK/pc4
printf '[sink]\nmongo = mongodb://app:filepass42@127.0.0.1:27017/x\n' >secret.conf
OUTBREAK_BROKER='amqp://guest:envpass42@127.0.0.1:5672/' OUTBREAK_WEB_LOGIN='admin:loginpass42' \
    check "print-config with secrets" print_config "$out" run
check "a URL's password from the environment masked" has_line "$out" "broker = amqp://guest:***@127.0.0.1:5672/" "env OUTBREAK_BROKER"
check "USER:PASS masked" has_line "$out" "web-login = admin:***" "env OUTBREAK_WEB_LOGIN"
OUTBREAK_BROKER='nats://u:envpass42@127.0.0.1:4222' check "sink print-config with a file's secret" \
    print_config "$WORK/pc5" sink --config secret.conf
check "a URL's password from a file masked" has_line "$WORK/pc5" "mongo = mongodb://app:***@127.0.0.1:27017/x" "secret.conf:2"
check "no password printed" bash -c "! grep -q 'pass42' '$out' '$WORK/pc5'"

# ---- mistakes: exit 2, one line, FILE:LINE or the variable ------------------------------
printf 'rate = 10\n\nrat = 1\n' >bad1.conf
misuse 'outbreak run: bad1.conf:3: unknown key "rat": no outbreak command has --rat' run --config bad1.conf
printf '[run]\nrate = 1\nbatch = 2\n' >bad2.conf
misuse 'outbreak run: bad2.conf:3: unknown key "batch" in [run]' run --config bad2.conf
printf '[rnu]\nrate = 1\n' >bad3.conf
misuse 'outbreak sink: bad3.conf:2: unknown section [rnu]' sink --config bad3.conf
printf '[run]\n\n\nrate = fast\n' >bad4.conf
misuse 'outbreak run: bad4.conf:4: --rate: expected' run --config bad4.conf
printf 'headless = maybe\n' >bad5.conf
misuse 'outbreak run: bad5.conf:1: --headless: expected true or false' run --config bad5.conf
printf 'rate 2000\n' >bad6.conf
misuse 'outbreak run: bad6.conf:1: expected key = value' run --config bad6.conf
misuse 'outbreak run: --config: nosuch.conf: cannot read: No such file or directory' run --config nosuch.conf
OUTBREAK_RATE=fast misuse 'outbreak run: OUTBREAK_RATE: --rate: expected' run --headless
OUTBREAK_USERS=0 misuse 'outbreak run: OUTBREAK_USERS: --users: expected a whole number' run --headless
OUTBREAK_BATCH=huge misuse 'outbreak sink: OUTBREAK_BATCH: --batch: expected' sink --broker "$NATS_URL"
OUTBREAK_CONFIG=nosuch.conf misuse 'outbreak run: OUTBREAK_CONFIG: nosuch.conf: cannot read' run
printf '[compare]\nrate = fast\n' >bad7.conf
misuse 'outbreak compare: bad7.conf:2: --rate: expected' compare --config bad7.conf
printf '[compare]\njson = x.json\n' >bad8.conf
misuse 'outbreak compare: bad8.conf:2: unknown key "json" in [compare]' compare --config bad8.conf
# the command line's value wins: the weaker bad one is not read
OUTBREAK_RATE=fast check "a bad variable under a command-line value" print_config "$WORK/pc6" run --rate 5
check "--no-config reads no file and no variable" \
    env OUTBREAK_RATE=fast "$OUTBREAK" run --config bad1.conf --no-config --print-config >/dev/null
check "--help is printed whatever the files say" bash -c '"$OUTBREAK" run --config bad1.conf --help >/dev/null'

# ---- real runs against NATS: the values from the files and the environment ----------------
rm -f "$HOME/.outbreak.conf"
cat >outbreak.conf <<'CONF'
threads = 2
[run]
rate = 300
run-time = 2s
CONF
out=$WORK/run1
OUTBREAK_RUN_TIME=3s OUTBREAK_BROKER='nats://tester:hunter2secret@127.0.0.1:4222' \
    timeout 60 "$OUTBREAK" run --headless --only-summary --json "$WORK/s1.json" >"$out.out" 2>"$out.err"
rc=$?
check "run 1 (rate and threads from the file, run-time and broker from the environment) exits 0" [ $rc -eq 0 ]
check "run 1 summary: rate_target 300, threads 2, duration 3 s, 900 sent" python3 - "$WORK/s1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["rate_target"] == 300 and d["load"]["threads"] == 2 and abs(d["duration_s"] - 3.0) < 0.3 \
    and d["load"]["model"] == "open" and 850 <= d["sent"] <= 950 and d["failed"] == 0
print(d["rate_target"], d["load"], d["duration_s"], d["sent"], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
check "run 1: the URL shown with its password masked" grep -q 'nats://tester:\*\*\*@127.0.0.1:4222' "$WORK/s1.json"
check "run 1: the password printed nowhere" bash -c "! grep -q hunter2 '$out.out' '$out.err' '$WORK/s1.json'"

# in a directory of its own: ./outbreak.conf above has run's rate (the open model)
mkdir -p "$WORK/closed" && cd "$WORK/closed" || exit 1
printf '[run]\nrun-time = 1s\nthreads = 4\n' >closed.conf
out=$WORK/run2
OUTBREAK_USERS=3 OUTBREAK_SPAWN_RATE=100 \
    timeout 60 "$OUTBREAK" run --config closed.conf --broker "$NATS_URL" --threads 1 --headless --only-summary \
    --json "$WORK/s2.json" >"$out.out" 2>"$out.err"
rc=$?
check "run 2 (users from the environment, run-time from --config, threads from the command line) exits 0" [ $rc -eq 0 ]
check "run 2 summary: closed model, 3 users, 1 thread, duration 1 s" python3 - "$WORK/s2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
load = d["load"]
print(load, d["duration_s"], file=sys.stderr)
ok = load["model"] == "closed" and load.get("users") == 3 and load["threads"] == 1 \
    and abs(d["duration_s"] - 1.0) < 0.3 and d["sent"] > 0
sys.exit(0 if ok else 1)
PY

finish
