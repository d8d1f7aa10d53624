# swarm.sh — scale-out on a single-node Docker Swarm: docker/swarm/stack.yaml deployed
# with `docker stack deploy`, three load generators as the replicas of one service
# (their worker index from {{.Task.Slot}}), sharing one run id, meeting in MongoDB, and
# the merge service's result checked against MongoDB. Phases, each timed:
#   setup    scripts/docker up (the daemon, the Compose plugin, the base image)
#   images   the outbreak image (compose.yaml's build) and the mongo and nats stand-ins
#            of docker/local/ (official images cannot be pulled here)
#   config   docker/swarm/stack.yaml parses for `docker stack`, and its outbreak services
#            run the same commands as compose.yaml's (profile scale)
#   swarm    `docker swarm init --advertise-addr 127.0.0.1` (left at the end, if the
#            test made it)
#   deploy   the stack: mongo, nats, sink-nats, 3 x loadgen-scaled (300/s global for
#            10 s, given as LOADGEN_STAGES), merge; every service starts at once, the restart policies are the
#            retry. On this machine the services reach each other only with
#            endpoint_mode dnsrr (SWARM_ENDPOINT_MODE), and a published port answers on
#            127.0.0.1 only in mode host (the test's own override publishes mongo so)
#   result   the three workers finished; the merged sent within 1 % of 3000, lost 0,
#            persisted = sent, and MongoDB holds that many records of the run
#   down     `docker stack rm`, the stack's volumes removed
# Label "docker" (ctest docker.swarm).
set -u
WORK_PREFIX=outbreak-swarm
source "$(dirname "$0")/lib.sh"
STACK=obswarm$$
WORKERS=3
RATE=300
SECS=10

export OUTBREAK_IMAGE=outbreak:swarm-test
export OUTBREAK_BASE_IMAGE=outbreak-base:bookworm
export NATS_IMAGE=outbreak-local/nats:latest
export MONGO_IMAGE=outbreak-local/mongo:latest
export SWARM_ENDPOINT_MODE=dnsrr
export OUTBREAK_RUN_ID=swarm-$$
export OUTBREAK_WORKERS=$WORKERS
# the load as k6's stages, through the variables (LOADGEN_RATE and LOADGEN_TIME empty):
# a jump to RATE, held for SECS, the same records as --rate RATE -t SECS
STAGES="0s:$RATE/s,${SECS}s:$RATE/s"
export LOADGEN_STAGES=$STAGES
export LOADGEN_RATE=
export LOADGEN_TIME=
export MERGE_WAIT=5m
MONGO_PORT=$(free_port)
# the test's own additions: MongoDB published in mode host (to count the records from
# here), and the merge's JSON written in its container (copied out once it exited)
cat >"$WORK/stack.test.yaml" <<EOF
version: "3.8"
services:
  mongo:
    ports:
      - {target: 27017, published: $MONGO_PORT, protocol: tcp, mode: host}
  merge:
    command: ["merge", "--mongo", "mongodb://mongo:27017/outbreak", "--wait", "$MERGE_WAIT",
              "--json", "/var/lib/outbreak/merged.json"]
EOF
STACK_FILES=(-c "$SRC/docker/swarm/stack.yaml" -c "$WORK/stack.test.yaml")

cleanup() {
    if [ -n "${DEPLOYED:-}" ]; then
        for s in $(docker stack services -q "$STACK" 2>/dev/null); do
            docker service logs --raw --timestamps "$s" >>"$WORK/services.log" 2>&1
        done
        docker stack rm "$STACK" >/dev/null 2>&1
        remove_volumes
    fi
    [ -z "${SWARM_MADE:-}" ] || docker swarm leave --force >/dev/null 2>&1
    if [ "$FAILED" -gt 0 ]; then
        keep="${TMPDIR:-/tmp}/outbreak-failed-swarm-$$"
        mv "$WORK" "$keep" && echo "logs of the failed test kept in $keep" >&2
    else
        rm -rf "$WORK"
    fi
    [ -z "${DAEMON_STARTED:-}" ] || "$SRC/scripts/docker" daemon-down >/dev/null 2>&1
}
trap cleanup EXIT

# remove_volumes: once the stack's containers are gone (stack rm returns before), its
# volumes; sets LEFT to what is left of the stack (containers, networks, volumes)
remove_volumes() {
    local i
    for i in $(seq 1 60); do
        [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ] && break
        sleep 1
    done
    docker volume ls -q --filter "label=com.docker.stack.namespace=$STACK" | xargs -r docker volume rm >/dev/null 2>&1
    # stack rm gives up on a network a task still held when it ran ("is in use by
    # task"); once the containers are gone, remove what it left, as a user would
    local nets
    for i in $(seq 1 30); do
        nets=$(docker network ls -q --filter "label=com.docker.stack.namespace=$STACK")
        [ -z "$nets" ] && break
        [ "$i" -lt 5 ] || echo "$nets" | xargs -r docker network rm >/dev/null 2>&1
        sleep 1
    done
    LEFT=$( (docker ps -aq --filter "label=com.docker.stack.namespace=$STACK"
        docker network ls -q --filter "label=com.docker.stack.namespace=$STACK"
        docker volume ls -q --filter "label=com.docker.stack.namespace=$STACK") | wc -l)
}

# tasks SERVICE: "slot state" per task, the current state's first word ("Complete",
# "Running", "Failed", ...), every task of the service's history
tasks() {
    docker service ps --no-trunc --format '{{.Name}} {{.CurrentState}}' "$STACK"_"$1" 2>/dev/null |
        awk '{ sub(/^.*\./, "", $1); print $1, $2 }'
}

# ---- setup ---------------------------------------------------------------------------
phase setup
docker info >/dev/null 2>&1 || DAEMON_STARTED=1
if ! "$SRC/scripts/docker" up >"$WORK/setup.log" 2>&1; then
    fail "scripts/docker up: $(tail -n 3 "$WORK/setup.log")"
    exit 1
fi
pass "scripts/docker up: $(docker version --format 'server {{.Server.Version}}, CLI {{.Client.Version}}' 2>&1)"

# ---- images --------------------------------------------------------------------------
phase images
if ! bash "$SRC/docker/local/build.sh" mongo nats >"$WORK/standins.log" 2>&1; then
    fail "docker/local/build.sh mongo nats: $(tail -n 5 "$WORK/standins.log")"
    exit 1
fi
pass "the stand-ins built: $MONGO_IMAGE $NATS_IMAGE"
# compose.yaml's build of the outbreak image (BuildKit's cache shared with compose.sh)
if ! docker compose -p "$STACK" --project-directory "$SRC" -f "$SRC/compose.yaml" build loadgen >"$WORK/build.log" 2>&1; then
    fail "docker compose build: $(tail -n 5 "$WORK/build.log")"
    exit 1
fi
pass "the outbreak image: $OUTBREAK_IMAGE, $(docker image inspect -f '{{.Size}}' "$OUTBREAK_IMAGE" | awk '{printf "%.0f MB", $1 / 1e6}')"

# ---- config --------------------------------------------------------------------------
phase config
if docker stack config "${STACK_FILES[@]}" >"$WORK/stack.yaml" 2>"$WORK/stack-config.err"; then
    pass "docker stack config: docker/swarm/stack.yaml (and the test's override) parse"
else
    fail "docker stack config: $(head -n 3 "$WORK/stack-config.err")"
fi
# the same commands as compose.yaml's services of the same name (profile scale), the
# same outbreak variables but the slot, the same images
# (read as JSON by docker compose: no YAML parser needed here)
docker compose -p "$STACK" --project-directory "$SRC" -f "$SRC/docker/swarm/stack.yaml" \
    config --format json >"$WORK/stack.json" 2>"$WORK/stack-json.err"
COMPOSE_PROFILES=db,nats,scale docker compose --project-directory "$SRC" -f "$SRC/compose.yaml" \
    config --format json >"$WORK/compose.json" 2>"$WORK/compose-config.err"
same=$(python3 - "$WORK/stack.json" "$WORK/compose.json" <<'EOF'
import json, sys
stack = json.load(open(sys.argv[1]))["services"]
comp = json.load(open(sys.argv[2]))["services"]
bad = []
for name, s in sorted(stack.items()):
    c = comp.get(name)
    if c is None:
        bad.append(name + ": not in compose.yaml")
        continue
    env = {k: v for k, v in (s.get("environment") or {}).items() if k != "OUTBREAK_WORKER_SLOT"}
    cenv = {k: v for k, v in (c.get("environment") or {}).items()}
    for what, a, b in (("command", s.get("command"), c.get("command")), ("image", s.get("image"), c.get("image")),
                       ("environment", env, cenv)):
        if a != b:
            bad.append("%s: %s %s != compose.yaml's %s" % (name, what, a, b))
print("; ".join(bad) if bad else "same: " + " ".join(sorted(stack)))
EOF
)
check "stack.yaml's services as compose.yaml's ($same)" test "${same%%:*}" = same

# ---- swarm ---------------------------------------------------------------------------
phase swarm
state=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)
if [ "$state" = active ]; then
    pass "this daemon is in a swarm already (left as it is)"
elif docker swarm init --advertise-addr 127.0.0.1 >"$WORK/swarm.log" 2>&1; then
    SWARM_MADE=1
    pass "docker swarm init --advertise-addr 127.0.0.1: node $(docker info --format '{{.Swarm.NodeID}}')"
else
    fail "docker swarm init: $(tail -n 3 "$WORK/swarm.log")"
    exit 1
fi

# ---- deploy --------------------------------------------------------------------------
phase deploy
DEPLOYED=1
if ! docker stack deploy --resolve-image never "${STACK_FILES[@]}" "$STACK" >"$WORK/deploy.log" 2>&1; then
    fail "docker stack deploy: $(tail -n 5 "$WORK/deploy.log")"
    exit 1
fi
pass "docker stack deploy $STACK: $(docker stack services --format '{{.Name}}={{.Replicas}}' "$STACK" | sort | tr '\n' ' ')"
# until the three workers and the merge have exited 0 (or failed for good)
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 300 ]; do
    done_w=$(tasks loadgen-scaled | awk '$2 == "Complete" { print $1 }' | sort -u | wc -l)
    merge_done=$(tasks merge | awk '$2 == "Complete"' | wc -l)
    merge_failed=$(tasks merge | awk '$2 == "Failed" || $2 == "Rejected"' | wc -l)
    [ "$done_w" = "$WORKERS" ] && [ "$merge_done" -ge 1 ] && break
    [ "$merge_failed" -ge 3 ] && break
    sleep 3
done
echo "after $((SECONDS - t0)) s: load generators $(tasks loadgen-scaled | awk '{print "slot" $1 ":" $2}' | sort | tr '\n' ' ')merge $(tasks merge | awk '{print $2}' | tr '\n' ' ')"
for s in mongo nats sink-nats; do
    echo "  $s: $(tasks "$s" | awk '{print $2}' | sort | uniq -c | awk '{print $2 " x" $1}' | tr '\n' ' ')"
done
check "the $WORKERS load generators (slots 1..$WORKERS) exited 0 (got $done_w)" test "$done_w" = "$WORKERS"
check "the merge service exited 0 (Complete: $merge_done, failed attempts: $merge_failed)" test "$merge_done" -ge 1
retried=$(tasks loadgen-scaled | awk '$2 != "Complete"' | wc -l)
echo "load generator tasks restarted by the on-failure policy (e.g. while MongoDB or NATS started): $retried"
docker service logs --raw "$STACK"_loadgen-scaled >"$WORK/loadgen.log" 2>&1
docker service logs --raw "$STACK"_merge >"$WORK/merge.log" 2>&1
# why the restarted tasks had failed (MongoDB or NATS not there yet, ...)
grep -h -E '^outbreak (run|merge): (cannot|run .* has no)' "$WORK/loadgen.log" "$WORK/merge.log" |
    sed 's/[0-9a-f]\{12,\}//g' | sort | uniq -c | sed 's/^ */  failed attempts: /'
grep -E '^=== |^delivery|workers' "$WORK/loadgen.log" | sed 's/^/  loadgen: /' | head -n 20
# each task's worker index is its slot - 1 ("STACK_loadgen-scaled.SLOT.TASK@NODE | ...")
slots=$(docker service logs --no-trunc "$STACK"_loadgen-scaled 2>/dev/null |
    sed -n 's/^[^ ]*_loadgen-scaled\.\([0-9]*\)\.[^|]*| *workers *this is worker \([0-9]*\) of.*/slot\1=worker\2/p' | sort | tr '\n' ' ')
check "each task's worker index from its slot ($slots)" test "$slots" = "$(seq 1 "$WORKERS" | awk '{printf "slot%d=worker%d ", $1, $1 - 1}')"
grep -E '^=== |^delivery|workers' "$WORK/merge.log" | sed 's/^/  merge: /' | head -n 10

# ---- result --------------------------------------------------------------------------
phase result
# the merge's JSON, from its exited container (the newest task that wrote one)
for task in $(docker service ps -q --no-trunc "$STACK"_merge 2>/dev/null); do
    c=$(docker inspect -f '{{.Status.ContainerStatus.ContainerID}}' "$task" 2>/dev/null)
    [ -n "$c" ] && docker cp "$c:/var/lib/outbreak/merged.json" "$WORK/merged.json" >/dev/null 2>&1 && break
done
if [ -s "$WORK/merged.json" ]; then
    read -r expected finished sent acked persisted lost < <(json "$WORK/merged.json" \
        'd["workers"]["expected"], d["workers"]["finished"], d["sent"], d["acked"], d["persisted"], d["lost"]')
    want=$((RATE * SECS))
    echo "merged: workers expected $expected, finished $finished; sent $sent, acked $acked, persisted $persisted, lost $lost (rate x duration $want)"
    check "merged: $WORKERS workers expected and finished ($expected, $finished)" test "$expected" = "$WORKERS" -a "$finished" = "$WORKERS"
    check "merged: sent $sent within 1 % of $want" python3 -c "import sys; sys.exit(abs($sent - $want) > $want / 100)"
    check "merged: lost $lost = 0, persisted $persisted = sent $sent" test "$lost" = 0 -a "$persisted" = "$sent"
    got=$(json "$WORK/merged.json" 'd["load"]["stages"]["spec"]')
    check "merged: the load was LOADGEN_STAGES' ($got)" test "$got" = "$STAGES"
    count=$($MONGO_TOOL count 127.0.0.1 "$MONGO_PORT" outbreak records "$OUTBREAK_RUN_ID" 2>"$WORK/count.err" || echo "?")
    check "MongoDB (through the mode-host port $MONGO_PORT) holds the run's $sent records: $count" test "$count" = "$sent"
else
    fail "no merged JSON from the merge service: $(tail -n 5 "$WORK/merge.log")"
fi

# ---- down ----------------------------------------------------------------------------
phase down
for s in $(docker stack services -q "$STACK" 2>/dev/null); do
    docker service logs --raw --timestamps "$s" >>"$WORK/services.log" 2>&1
done
docker stack rm "$STACK" >"$WORK/rm.log" 2>&1
DEPLOYED=
remove_volumes
check "docker stack rm left no container, network or volume of $STACK (got $LEFT)" test "$LEFT" = 0
phase end
echo "phases: $(IFS=';'; echo "${PHASES[*]}"); total $(($(date +%s) - T0)) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
