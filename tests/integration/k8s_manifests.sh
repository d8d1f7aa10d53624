# k8s_manifests.sh — the Kubernetes manifests of deploy/k8s/ (docs/deploy.md, "Scale-out"),
# without a cluster: every file parses (python3's yaml, Debian's python3-yaml), the
# expected objects are there with the fields they need (the Indexed Job's completionMode,
# parallelism = completions = OUTBREAK_WORKERS; the merge Job on the same run id; every
# Service selecting a Deployment's pods and naming ports its containers have; every
# nats:// and mongodb:// host in the arguments a Service with that port), and every
# outbreak container's args, with its environment (OUTBREAK_*, and JOB_COMPLETION_INDEX
# as Kubernetes sets it for the Indexed Job), are accepted by $OUTBREAK: the args with
# --print-config appended exit 0, and each OUTBREAK_* variable of the manifest shows as
# a value read from the environment. Needs no server.
set -u
: "${OUTBREAK:?run through ctest (OUTBREAK = path of the outbreak binary)}"
: "${OB_SOURCE_DIR:?run through ctest}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/outbreak-k8s.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Debian's python3-yaml (scripts/deps test) is in the system's python3; another python3
# first in PATH may have its own
PY=python3
python3 -c 'import yaml' 2>/dev/null || PY=/usr/bin/python3
if ! "$PY" -c 'import yaml' 2>/dev/null; then
    echo "FAIL: python3 cannot import yaml: install Debian's python3-yaml (scripts/deps test)" >&2
    exit 1
fi
# --print-config must refuse a bad flag, or the checks below would prove nothing
if (cd "$WORK" && HOME=$WORK "$OUTBREAK" run --no-such-flag --print-config >/dev/null 2>&1); then
    echo "FAIL: $OUTBREAK run --no-such-flag --print-config exits 0" >&2
    exit 1
fi
echo "ok: --print-config refuses an unknown flag"

"$PY" - "$OB_SOURCE_DIR/deploy/k8s" "$OUTBREAK" "$WORK" <<'EOF'
import glob, os, re, subprocess, sys
import yaml

root, outbreak, work = sys.argv[1:4]
failed = passed = 0

def check(what, ok, detail=""):
    global failed, passed
    if ok:
        passed += 1
        print("ok: " + what)
    else:
        failed += 1
        print("FAIL: %s%s" % (what, (": " + detail) if detail else ""), file=sys.stderr)

files = sorted(glob.glob(os.path.join(root, "*.yaml")) + glob.glob(os.path.join(root, "*", "*.yaml")))
check("deploy/k8s has manifests (%d files)" % len(files), len(files) >= 6)
objs = {}
for f in files:
    rel = os.path.relpath(f, os.path.dirname(os.path.dirname(root)))
    try:
        docs = [d for d in yaml.safe_load_all(open(f)) if d is not None]
    except yaml.YAMLError as e:
        check(rel + " parses", False, str(e))
        continue
    kinds = []
    for d in docs:
        ok = isinstance(d, dict) and all(k in d for k in ("apiVersion", "kind", "metadata")) and d["metadata"].get("name")
        check("%s: %s/%s has apiVersion, kind, metadata.name" % (rel, d.get("kind"), d.get("metadata", {}).get("name")), bool(ok))
        if ok:
            objs[(d["kind"], d["metadata"]["name"])] = d
            kinds.append("%s/%s" % (d["kind"], d["metadata"]["name"]))
    check("%s parses: %s" % (rel, " ".join(kinds)), bool(kinds))

want = [("Deployment", n) for n in ("mongo", "nats", "sink-nats", "gateway-nats")] + \
       [("Service", n) for n in ("mongo", "nats", "sink-nats", "gateway-nats")] + \
       [("Job", "outbreak-loadgen"), ("Job", "outbreak-merge")]
missing = [k + "/" + n for k, n in want if (k, n) not in objs]
check("the expected objects are there", not missing, "missing " + " ".join(missing))
api = {"Deployment": "apps/v1", "Service": "v1", "Job": "batch/v1"}
for (kind, name), d in sorted(objs.items()):
    check("%s/%s: apiVersion %s" % (kind, name, d["apiVersion"]), api.get(kind) == d["apiVersion"])
    check("%s/%s: a DNS-1123 name" % (kind, name), re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", name) is not None)

def pod_spec(d):
    return d["spec"]["template"]["spec"]

def ports_of(d):
    names, numbers = set(), set()
    for c in pod_spec(d)["containers"]:
        for p in c.get("ports", []):
            numbers.add(p["containerPort"])
            if "name" in p:
                names.add(p["name"])
    return names, numbers

workloads = {(k, n): d for (k, n), d in objs.items() if k in ("Deployment", "Job")}
for (kind, name), d in sorted(workloads.items()):
    t = d["spec"]["template"]
    labels = t.get("metadata", {}).get("labels", {})
    if kind == "Deployment":
        sel = d["spec"].get("selector", {}).get("matchLabels", {})
        check("Deployment/%s: selector %s matches its pods' labels" % (name, sel),
              bool(sel) and all(labels.get(k) == v for k, v in sel.items()))
    for c in pod_spec(d)["containers"]:
        check("%s/%s: container %s has a name and an image" % (kind, name, c.get("name")), bool(c.get("name") and c.get("image")))
        names, numbers = ports_of(d)
        for probe in ("readinessProbe", "livenessProbe"):
            pr = c.get(probe)
            if pr and ("httpGet" in pr or "tcpSocket" in pr):
                port = (pr.get("httpGet") or pr.get("tcpSocket"))["port"]
                check("%s/%s: the %s's port %s is the container's" % (kind, name, probe, port),
                      port in names or port in numbers)

services = {n: d for (k, n), d in objs.items() if k == "Service"}
for name, s in sorted(services.items()):
    sel = s["spec"].get("selector", {})
    hits = [n for (k, n), d in workloads.items() if k == "Deployment" and sel and
            all(d["spec"]["template"]["metadata"].get("labels", {}).get(a) == b for a, b in sel.items())]
    check("Service/%s selects the pods of one Deployment (%s)" % (name, " ".join(hits) or "none"), len(hits) == 1)
    if len(hits) == 1:
        names, numbers = ports_of(objs[("Deployment", hits[0])])
        for p in s["spec"]["ports"]:
            tp = p.get("targetPort", p["port"])
            check("Service/%s: port %s -> %s, a port of its pods" % (name, p["port"], tp), tp in names or tp in numbers)

# the Indexed Job and the merge Job
lg = objs.get(("Job", "outbreak-loadgen"))
mg = objs.get(("Job", "outbreak-merge"))
def env_of(c):
    return {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}
if lg:
    spec = lg["spec"]
    c = pod_spec(lg)["containers"][0]
    env = env_of(c)
    workers = env.get("OUTBREAK_WORKERS")
    check("Job/outbreak-loadgen: completionMode Indexed (%s)" % spec.get("completionMode"), spec.get("completionMode") == "Indexed")
    check("Job/outbreak-loadgen: parallelism %s = completions %s = OUTBREAK_WORKERS %s" % (
        spec.get("parallelism"), spec.get("completions"), workers),
        workers is not None and spec.get("parallelism") == spec.get("completions") == int(workers) > 1)
    check("Job/outbreak-loadgen: OUTBREAK_RUN_ID given (%s)" % env.get("OUTBREAK_RUN_ID"), bool(env.get("OUTBREAK_RUN_ID")))
    check("Job/outbreak-loadgen: restartPolicy %s" % pod_spec(lg).get("restartPolicy"),
          pod_spec(lg).get("restartPolicy") in ("OnFailure", "Never"))
    check("Job/outbreak-loadgen: no worker index of its own (JOB_COMPLETION_INDEX is)",
          not any(k in env for k in ("OUTBREAK_WORKER", "OUTBREAK_WORKER_SLOT")) and "--worker" not in c.get("args", []))

def expand(args, env):
    # Kubernetes' $(VAR) in args: replaced when VAR is in the container's env, $$ escapes
    return [re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                   lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), a) for a in args]

if mg and lg:
    c = pod_spec(mg)["containers"][0]
    args = expand(c.get("args", []), env_of(c))
    run = args[args.index("--run") + 1] if "--run" in args else None
    want_run = env_of(pod_spec(lg)["containers"][0]).get("OUTBREAK_RUN_ID")
    check("Job/outbreak-merge: outbreak merge --run %s, the loadgen Job's run id (%s)" % (run, want_run),
          args[:1] == ["merge"] and run == want_run)
    check("Job/outbreak-merge: --wait for the workers", "--wait" in args)

# every nats:// and mongodb:// host named in the args is a Service with that port
for (kind, name), d in sorted(workloads.items()):
    for c in pod_spec(d)["containers"]:
        for a in c.get("args", []) + list(env_of(c).values()):
            for scheme, host, port in re.findall(r"(nats|mongodb|grpc|kafka|amqp)://(?:[^@/]*@)?([a-z0-9.-]+):(\d+)", a):
                if host in ("0.0.0.0", "127.0.0.1", "localhost"):
                    continue
                s = services.get(host)
                ok = s is not None and any(p["port"] == int(port) for p in s["spec"]["ports"])
                check("%s/%s: %s://%s:%s is a Service's port" % (kind, name, scheme, host, port), ok)

# the outbreak containers' args, as Kubernetes runs them, accepted by $OUTBREAK
for (kind, name), d in sorted(workloads.items()):
    indexed = kind == "Job" and d["spec"].get("completionMode") == "Indexed"
    for c in pod_spec(d)["containers"]:
        if not c["image"].split("/")[-1].startswith("outbreak:"):
            continue
        env = env_of(c)
        args = expand(c.get("args", []), env)
        penv = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work}
        penv.update(env)
        if indexed:
            penv["JOB_COMPLETION_INDEX"] = "0"
        r = subprocess.run([outbreak] + args + ["--print-config"], cwd=work, env=penv,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        check("%s/%s: outbreak %s ... --print-config exits 0 (got %d)" % (kind, name, " ".join(args[:1]), r.returncode),
              r.returncode == 0, (r.stderr.strip().splitlines() or [""])[-1])
        # (a variable the args use as $(VAR) is Kubernetes' to expand, not outbreak's)
        used = set(re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", " ".join(c.get("args", []))))
        for var in sorted(v for v in env if v.startswith("OUTBREAK_") and v not in used):
            line = [l for l in r.stdout.splitlines() if l.rstrip().endswith("env " + var)]
            check("%s/%s: %s read by outbreak (%s)" % (kind, name, var, line[0].split("#")[0].strip() if line else "not shown"),
                  bool(line))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
EOF
