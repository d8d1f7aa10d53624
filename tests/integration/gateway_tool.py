#!/usr/bin/env python3
"""gateway_tool.py — the client side of the gateway tests (standard library only):

  gateway_tool.py ndjson IN.json OUT.ndjson     a JSON array of records as NDJSON
  gateway_tool.py post PORT RECORDS.ndjson THREADS PER_THREAD SENT [PATH]
        THREADS threads, each on one keep-alive connection (http.client), POST
        PER_THREAD records each (thread t starts at record t * PER_THREAD, cycling) to
        127.0.0.1:PORT/PATH (default /); appends "STATUS<TAB>RECORD<TAB>BODY" lines to
        SENT; prints "codes {...} connections N" (N: connections opened: 1 per thread
        when keep-alive held)
  gateway_tool.py check HOST PORT DB RUN SENT WAY
        MongoDB must hold exactly the 200s of SENT for RUN: same count, each document
        found by (producer, seq) from its 200's body, with `way` = WAY and the five
        fields as sent; prints "ok N" or what is wrong (exit 1)
  gateway_tool.py count200 SENT                 the number of 200 lines
  gateway_tool.py summary HOST PORT DB ID       the `codes` of the runs document ID
                                                (a gateway's --mongo summary), as JSON
"""

import http.client
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
import mongo_tool  # noqa: E402

FIELDS = ("name", "location", "age", "infectedtype", "state")


def post(port, records_path, threads, per_thread, sent_path, path="/"):
    records = [line for line in open(records_path, encoding="utf-8").read().splitlines() if line.strip()]
    lock = threading.Lock()
    codes, lines, conns = {}, [], [0]

    def worker(t):
        conn, opened = None, 0
        for k in range(per_thread):
            rec = records[(t * per_thread + k) % len(records)]
            for attempt in range(2):
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                        opened += 1
                    conn.request("POST", path, body=rec.encode(), headers={"Content-Type": "application/json"})
                    resp = conn.getresponse()
                    body = resp.read().decode(errors="replace").strip()
                    status = resp.status
                    if resp.getheader("Connection", "").lower() == "close":
                        conn.close()
                        conn = None
                    break
                except (OSError, http.client.HTTPException) as e:
                    if conn:
                        conn.close()
                    conn = None
                    status, body = 0, "connection error: %s" % e
            with lock:
                codes[status] = codes.get(status, 0) + 1
                lines.append("%d\t%s\t%s\n" % (status, rec, body.replace("\n", " ")))
        if conn:
            conn.close()
        with lock:
            conns[0] += opened

    ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(sent_path, "a", encoding="utf-8") as f:
        f.writelines(lines)
    print("codes %s connections %d" % (json.dumps({str(k): v for k, v in sorted(codes.items())}), conns[0]))


def sent_200s(sent_path):
    out = []
    for line in open(sent_path, encoding="utf-8"):
        status, rec, body = line.rstrip("\n").split("\t", 2)
        if status == "200":
            out.append((json.loads(rec), json.loads(body)))
    return out


def find_all(host, port, db, run):
    reply = mongo_tool.run_command(host, port, {"find": "records", "filter": {"run": run},
                                                "batchSize": 10000, "$db": db})
    if reply.get("ok") != 1:
        raise SystemExit("find failed: %s" % reply)
    cursor = reply["cursor"]
    docs = cursor["firstBatch"]
    while cursor.get("id"):
        cursor = mongo_tool.run_command(host, port, {"getMore": cursor["id"], "collection": "records",
                                                     "batchSize": 10000, "$db": db})["cursor"]
        docs += cursor["nextBatch"]
    return docs


def check(host, port, db, run, sent_path, way):
    acked = sent_200s(sent_path)
    docs = find_all(host, int(port), db, run)
    by_key = {(d["producer"], d["seq"]): d for d in docs}
    problems = []
    if len(docs) != len(acked):
        problems.append("MongoDB holds %d documents of run %s, the gateway answered 200 %d times"
                        % (len(docs), run, len(acked)))
    for rec, body in acked:
        d = by_key.get((body["producer"], body["seq"]))
        if d is None:
            problems.append("acked record producer %s seq %s is not in MongoDB" % (body["producer"], body["seq"]))
            continue
        if d.get("way") != way:
            problems.append("way %r, not %r" % (d.get("way"), way))
        for k in FIELDS:
            if d.get(k) != rec[k]:
                problems.append("field %s: %r in MongoDB, %r sent" % (k, d.get(k), rec[k]))
    if problems:
        for p in problems[:10]:
            print(p)
        sys.exit(1)
    print("ok %d" % len(docs))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "ndjson":
        with open(sys.argv[3], "w", encoding="utf-8") as f:
            for r in json.load(open(sys.argv[2], encoding="utf-8")):
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    elif cmd == "post":
        post(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
             *(sys.argv[7:8]))
    elif cmd == "check":
        check(*sys.argv[2:8])
    elif cmd == "summary":
        reply = mongo_tool.run_command(sys.argv[2], int(sys.argv[3]), {"find": "runs", "filter": {"_id": sys.argv[5]},
                                                                       "$db": sys.argv[4]})
        docs = reply["cursor"]["firstBatch"]
        print(json.dumps(docs[0].get("codes"), sort_keys=True) if docs else "none")
    elif cmd == "count200":
        print(len(sent_200s(sys.argv[2])))
    else:
        raise SystemExit(__doc__)
