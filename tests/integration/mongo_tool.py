#!/usr/bin/env python3
"""mongo_tool.py — asks the MongoDB-wire server directly, independently of outbreak:

  mongo_tool.py count HOST PORT DB COLLECTION RUN   documents of a run in a collection
  mongo_tool.py has HOST PORT DB COLLECTION ID      1 if a document with that _id exists
                                                    (cheap on FerretDB: _id is pushed down)
  mongo_tool.py sinkdone HOST PORT DB RUN N         1 if a sink reported >= N persisted
                                                    for RUN (reads the small sink_stats)
  mongo_tool.py dropdb HOST PORT DB                 drops a database (tests clean up)

Standard library only; reuses the OP_MSG helpers of scripts/mongo_ping.py."""

import os
import socket
import struct
import sys

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
    elif sys.argv[1] == "dropdb":
        dropdb(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        raise SystemExit("usage: mongo_tool.py count|dropdb ...")
