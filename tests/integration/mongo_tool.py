#!/usr/bin/env python3
"""mongo_tool.py — asks the MongoDB-wire server directly, independently of outbreak:

  mongo_tool.py count HOST PORT DB COLLECTION RUN   documents of a run in a collection
  mongo_tool.py has HOST PORT DB COLLECTION ID      1 if a document with that _id exists
                                                    (cheap on FerretDB: _id is pushed down)
  mongo_tool.py sinkdone HOST PORT DB RUN N         1 if a sink reported >= N persisted
                                                    for RUN (reads the small sink_stats)
  mongo_tool.py waitsink HOST PORT DB RUN N SECS    waits (one process, one look every
                                                    100 ms) until sinkdone says 1: exits 0,
                                                    or 1 after SECS seconds (benchmarks: a
                                                    process per look would load the machine)
  mongo_tool.py dropdb HOST PORT DB                 drops a database (tests clean up)
  mongo_tool.py countlimit HOST PORT DB RUN MS      documents of a run in records, or
                                                    "timeout" if the server's count took
                                                    longer than MS ms (maxTimeMS)
  mongo_tool.py producers HOST PORT DB RUN          "producer count" lines: the run's documents
                                                    per producer id (a scan: small DBs only)
  mongo_tool.py lastpersisted HOST PORT DB RUN      the latest last_persisted_ns the sinks
                                                    reported for RUN (0 if none)
  mongo_tool.py fill HOST PORT DB N [MAXEXTRA]      makes DB's records collection hold N
                                                    sink-shaped documents (run "fill-<i>",
                                                    10 000 per run), in bulk inserts of
                                                    1000; done once: a DB whose fill_info
                                                    says N already is left as it is, unless
                                                    more than MAXEXTRA (default 300 000)
                                                    documents were added since (fillextra)
  mongo_tool.py fillextra HOST PORT DB K            notes in fill_info that K documents were
                                                    added to a filled DB (deleting them
                                                    would be a scan on FerretDB)
  mongo_tool.py ways HOST PORT DB RUN               "way count" lines: the run's documents
                                                    per way (a scan: small DBs only)
  mongo_tool.py dash HOST PORT DB [WAY]             the data dashboard's counts computed here
                                                    from every record (of WAY, if given): JSON
                                                    {records, location, state, infectedtype,
                                                    age: {"0-9": n, ...}, newest_ms} (a scan)
  mongo_tool.py workers HOST PORT DB RUN            the documents of the run's load generators
                                                    (collection workers) as a JSON array
  mongo_tool.py samefields HOST PORT DB RUN FILE    "ok N" when the run's documents hold
                                                    exactly FILE's records (a JSON array),
                                                    each once, the five fields unchanged;
                                                    otherwise what differs

Standard library only; reuses the OP_MSG helpers of scripts/mongo_ping.py."""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import mongo_ping  # noqa: E402


def bson_string(name, value):
    data = value.encode() + b"\x00"
    return b"\x02" + name.encode() + b"\x00" + struct.pack("<i", len(data)) + data


def bson(elements):
    body = b"".join(elements)
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def command(host, port, cmd):
    body = struct.pack("<I", 0) + b"\x00" + cmd
    msg = struct.pack("<iiii", 16 + len(body), 7, 0, mongo_ping.OP_MSG) + body
    with socket.create_connection((host, port), timeout=120) as sock:
        sock.settimeout(120)
        sock.sendall(msg)
        length = struct.unpack("<iiii", mongo_ping.recv_exact(sock, 16))[0]
        rest = mongo_ping.recv_exact(sock, length - 16)
    reply = mongo_ping.bson_top_level(rest[5:])
    if reply.get("ok") != 1:
        raise SystemExit("command failed: %s" % reply)
    return reply


def count(host, port, db, coll, run, key="run"):
    query = bson([bson_string(key, run)])
    cmd = bson([bson_string("count", coll), b"\x03query\x00" + query, bson_string("$db", db)])
    return int(command(host, port, cmd)["n"])


def sinkdone(host, port, db, run, n):
    gte = bson([b"\x12$gte\x00" + struct.pack("<q", n)])
    query = bson([bson_string("run", run), b"\x03persisted\x00" + gte])
    cmd = bson([bson_string("count", "sink_stats"), b"\x03query\x00" + query, bson_string("$db", db)])
    return int(command(host, port, cmd)["n"])


def waitsink(host, port, db, run, n, secs):
    deadline = time.monotonic() + secs
    while sinkdone(host, port, db, run, n) == 0:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def enc(value):
    """(type byte, bytes) of a BSON value: str, bool, int (int32 when it fits), float,
    dict, list."""
    if isinstance(value, bool):
        return b"\x08", b"\x01" if value else b"\x00"
    if isinstance(value, int):
        if -2**31 <= value < 2**31:
            return b"\x10", struct.pack("<i", value)
        return b"\x12", struct.pack("<q", value)
    if isinstance(value, float):
        return b"\x01", struct.pack("<d", value)
    if isinstance(value, str):
        data = value.encode() + b"\x00"
        return b"\x02", struct.pack("<i", len(data)) + data
    if isinstance(value, dict):
        return b"\x03", doc(value)
    if isinstance(value, list):
        return b"\x04", doc({str(i): v for i, v in enumerate(value)})
    raise TypeError(type(value))


def doc(fields):
    body = b""
    for k, v in fields.items():
        kind, data = enc(v)
        body += kind + k.encode() + b"\x00" + data
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def dec(data, pos=0):
    """Decodes the BSON document at data[pos:] into a dict (arrays as lists)."""
    end = pos + struct.unpack_from("<i", data, pos)[0] - 1
    out, pos = {}, pos + 4
    while pos < end:
        kind = data[pos]
        nul = data.index(b"\x00", pos + 1)
        name, pos = data[pos + 1:nul].decode(), nul + 1
        if kind == 0x01:
            out[name], pos = struct.unpack_from("<d", data, pos)[0], pos + 8
        elif kind == 0x02:
            n = struct.unpack_from("<i", data, pos)[0]
            out[name], pos = data[pos + 4:pos + 3 + n].decode(errors="replace"), pos + 4 + n
        elif kind in (0x03, 0x04):
            sub = dec(data, pos)
            out[name] = list(sub.values()) if kind == 0x04 else sub
            pos += struct.unpack_from("<i", data, pos)[0]
        elif kind == 0x08:
            out[name], pos = data[pos] != 0, pos + 1
        elif kind in (0x09, 0x12):
            out[name], pos = struct.unpack_from("<q", data, pos)[0], pos + 8
        elif kind == 0x10:
            out[name], pos = struct.unpack_from("<i", data, pos)[0], pos + 4
        elif kind == 0x0A:
            out[name] = None
        elif kind == 0x07:
            pos += 12
        else:
            raise ValueError("unhandled BSON type 0x%02x" % kind)
    return out


def run_command(host, port, body, timeout=600):
    """Sends one command document (a dict with $db), returns the reply as a dict."""
    payload = struct.pack("<I", 0) + b"\x00" + doc(body)
    msg = struct.pack("<iiii", 16 + len(payload), 7, 0, mongo_ping.OP_MSG) + payload
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(msg)
        length = struct.unpack("<iiii", mongo_ping.recv_exact(sock, 16))[0]
        rest = mongo_ping.recv_exact(sock, length - 16)
    return dec(rest[5:])


def countlimit(host, port, db, run, ms):
    # an aggregation, as the driver's count_documents does: FerretDB v1.24 ignores
    # maxTimeMS on the count command (measured: 3 min for a 2000 ms limit)
    reply = run_command(host, port, {"aggregate": "records",
                                     "pipeline": [{"$match": {"run": run}}, {"$count": "n"}],
                                     "cursor": {}, "maxTimeMS": int(ms), "$db": db})
    if reply.get("ok") != 1:
        if reply.get("code") == 50:
            return "timeout"
        raise SystemExit("count failed: %s" % reply)
    batch = reply["cursor"]["firstBatch"]
    return int(batch[0]["n"]) if batch else 0


def producers(host, port, db, run):
    reply = run_command(host, port, {"aggregate": "records", "pipeline": [
        {"$match": {"run": run}}, {"$group": {"_id": "$producer", "n": {"$sum": 1}}}],
        "cursor": {}, "$db": db})
    if reply.get("ok") != 1:
        raise SystemExit("aggregate failed: %s" % reply)
    cursor = reply["cursor"]
    docs = cursor["firstBatch"]
    while cursor.get("id"):
        cursor = run_command(host, port, {"getMore": cursor["id"], "collection": coll,
                                          "$db": db})["cursor"]
        docs += cursor["nextBatch"]
    return sorted((d["_id"], d["n"]) for d in docs)


def lastpersisted(host, port, db, run):
    reply = run_command(host, port, {"find": "sink_stats", "filter": {"run": run},
                                     "projection": {"last_persisted_ns": 1}, "$db": db})
    if reply.get("ok") != 1:
        raise SystemExit("find failed: %s" % reply)
    docs = reply["cursor"]["firstBatch"]
    return max([d.get("last_persisted_ns", 0) for d in docs] or [0])


PLACES = ["Guatemala", "Escuintla", "Sacatepéquez", "Chimaltenango", "Quetzaltenango"]


def fill_info(host, port, db):
    info = run_command(host, port, {"find": "fill_info", "filter": {"_id": "fill"}, "$db": db})
    batch = info["cursor"]["firstBatch"] if info.get("ok") == 1 else []
    return batch[0] if batch else {}


def fill_extra(host, port, db, k):
    info = fill_info(host, port, db)
    run_command(host, port, {"update": "fill_info", "updates": [
        {"q": {"_id": "fill"}, "u": {"$set": {"extra": info.get("extra", 0) + k}}}], "$db": db})


def fill(host, port, db, n, max_extra=300000, per_run=10000, batch=1000):
    """Makes db.records hold n documents shaped like the sink's (once: fill_info says so)."""
    info = fill_info(host, port, db)
    if info.get("n") == n and info.get("extra", 0) <= max_extra:
        return "already filled: %d records (+%d added since)" % (n, info.get("extra", 0))
    dropdb(host, port, db)
    t0 = time.time()
    now_ns = time.time_ns()
    for start in range(0, n, batch):
        docs = []
        for i in range(start, min(n, start + batch)):
            run, seq = "fill-%d" % (i // per_run), i % per_run + 1
            docs.append({"_id": "%s/1/%d" % (run, seq), "name": "Fill Record %d" % i,
                         "location": PLACES[i % len(PLACES)], "age": 1 + i % 90,
                         "infectedtype": "imported", "state": "symptomatic", "run": run,
                         "producer": 1, "seq": seq, "sent_ns": now_ns + i, "way": "fill",
                         "persisted_at": 0})
        reply = run_command(host, port, {"insert": "records", "documents": docs,
                                         "ordered": False, "$db": db})
        if reply.get("ok") != 1 or reply.get("writeErrors"):
            raise SystemExit("insert failed: %s" % str(reply)[:300])
    run_command(host, port, {"insert": "fill_info", "documents": [{"_id": "fill", "n": n,
                                                                    "extra": 0}], "$db": db})
    return "filled %d records in %.1f s" % (n, time.time() - t0)


def find_all(host, port, db, flt, projection, coll="records"):
    """Every document of coll that matches flt (only the fields of `projection`)."""
    reply = run_command(host, port, {"find": coll, "filter": flt,
                                     "projection": projection, "batchSize": 10000, "$db": db})
    if reply.get("ok") != 1:
        raise SystemExit("find failed: %s" % reply)
    cursor = reply["cursor"]
    docs = cursor["firstBatch"]
    while cursor.get("id"):
        cursor = run_command(host, port, {"getMore": cursor["id"], "collection": coll,
                                          "batchSize": 10000, "$db": db})["cursor"]
        docs += cursor["nextBatch"]
    return docs


def find_run(host, port, db, run, projection):
    """Every document of `run` in records (only the fields of `projection`)."""
    return find_all(host, port, db, {"run": run}, projection)


def dash(host, port, db, way=None):
    docs = find_all(host, port, db, {"way": way} if way else {},
                    {"location": 1, "state": 1, "infectedtype": 1, "age": 1, "persisted_at": 1,
                     "way": 1})
    out = {"records": 0, "location": {}, "state": {}, "infectedtype": {}, "age": {}, "newest_ms": 0}
    for d in docs:
        if way and d.get("way") != way:
            continue  # FerretDB may not filter: do it here too
        out["records"] += 1
        for k in ("location", "state", "infectedtype"):
            out[k][d[k]] = out[k].get(d[k], 0) + 1
        b = min(max(d["age"], 0) // 10, 10)
        label = "100+" if b == 10 else "%d-%d" % (b * 10, b * 10 + 9)
        out["age"][label] = out["age"].get(label, 0) + 1
        at = d.get("persisted_at")
        ms = at if isinstance(at, int) else 0
        out["newest_ms"] = max(out["newest_ms"], ms)
    return out


def ways(host, port, db, run):
    n = {}
    for d in find_run(host, port, db, run, {"way": 1}):
        n[d.get("way")] = n.get(d.get("way"), 0) + 1
    return sorted(n.items(), key=lambda kv: str(kv[0]))


FIVE = ("name", "location", "age", "infectedtype", "state")


def samefields(host, port, db, run, path):
    import collections
    import json
    want = collections.Counter(tuple(r[k] for k in FIVE) for r in json.load(open(path, encoding="utf-8")))
    docs = find_run(host, port, db, run, {k: 1 for k in FIVE})
    got = collections.Counter(tuple(d.get(k) for k in FIVE) for d in docs)
    if got == want:
        return "ok %d" % len(docs)
    missing, extra = want - got, got - want
    return "differ: %d documents, %d records; %d missing (e.g. %s), %d extra or changed (e.g. %s)" % (
        len(docs), sum(want.values()), sum(missing.values()), next(iter(missing), None),
        sum(extra.values()), next(iter(extra), None))


def dropdb(host, port, db):
    cmd = bson([b"\x10dropDatabase\x00" + struct.pack("<i", 1), bson_string("$db", db)])
    command(host, port, cmd)


if __name__ == "__main__":
    if sys.argv[1] == "count":
        h, p, d, c, r = sys.argv[2:7]
        print(count(h, int(p), d, c, r))
    elif sys.argv[1] == "has":
        h, p, d, c, i = sys.argv[2:7]
        print(count(h, int(p), d, c, i, key="_id"))
    elif sys.argv[1] == "sinkdone":
        h, p, d, r, n = sys.argv[2:7]
        print(1 if sinkdone(h, int(p), d, r, int(n)) > 0 else 0)
    elif sys.argv[1] == "waitsink":
        h, p, d, r, n, secs = sys.argv[2:8]
        sys.exit(0 if waitsink(h, int(p), d, r, int(n), float(secs)) else 1)
    elif sys.argv[1] == "dropdb":
        dropdb(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "countlimit":
        h, p, d, r, ms = sys.argv[2:7]
        print(countlimit(h, int(p), d, r, ms))
    elif sys.argv[1] == "producers":
        h, p, d, r = sys.argv[2:6]
        for producer, n in producers(h, int(p), d, r):
            print(producer, n)
    elif sys.argv[1] == "lastpersisted":
        h, p, d, r = sys.argv[2:6]
        print(lastpersisted(h, int(p), d, r))
    elif sys.argv[1] == "fill":
        h, p, d, n = sys.argv[2:6]
        print(fill(h, int(p), d, int(n), *[int(a) for a in sys.argv[6:7]]))
    elif sys.argv[1] == "ways":
        for way, n in ways(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]):
            print(way, n)
    elif sys.argv[1] == "dash":
        import json
        print(json.dumps(dash(sys.argv[2], int(sys.argv[3]), sys.argv[4],
                              sys.argv[5] if len(sys.argv) > 5 else None), ensure_ascii=False))
    elif sys.argv[1] == "withfield":  # withfield HOST PORT DB RUN FIELD: the run's documents that have FIELD
        print(sum(1 for d in find_run(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], {sys.argv[6]: 1})
                  if sys.argv[6] in d))
    elif sys.argv[1] == "samefields":
        print(samefields(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]))
    elif sys.argv[1] == "workers":
        import json
        docs = find_all(sys.argv[2], int(sys.argv[3]), sys.argv[4], {"run": sys.argv[5]},
                        {"index": 1, "state": 1, "process": 1, "result": 1}, coll="workers")
        print(json.dumps(sorted(docs, key=lambda d: d["index"])))
    elif sys.argv[1] == "fillextra":
        h, p, d, k = sys.argv[2:6]
        fill_extra(h, int(p), d, int(k))
    else:
        raise SystemExit("usage: mongo_tool.py count|dropdb ...")
