#!/usr/bin/env python3
"""mongo_count.py — prints how many documents of a run a collection holds, asking the
MongoDB-wire server directly (an independent check of outbreak's own count).

Usage: mongo_count.py HOST PORT DB COLLECTION RUN
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


def count(host, port, db, coll, run):
    query = bson([bson_string("run", run)])
    cmd = bson([bson_string("count", coll), b"\x03query\x00" + query, bson_string("$db", db)])
    body = struct.pack("<I", 0) + b"\x00" + cmd
    msg = struct.pack("<iiii", 16 + len(body), 7, 0, mongo_ping.OP_MSG) + body
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.settimeout(30)
        sock.sendall(msg)
        length = struct.unpack("<iiii", mongo_ping.recv_exact(sock, 16))[0]
        rest = mongo_ping.recv_exact(sock, length - 16)
    reply = mongo_ping.bson_top_level(rest[5:])
    if reply.get("ok") != 1:
        raise SystemExit("count failed: %s" % reply)
    return int(reply["n"])


if __name__ == "__main__":
    h, p, d, c, r = sys.argv[1:6]
    print(count(h, int(p), d, c, r))
