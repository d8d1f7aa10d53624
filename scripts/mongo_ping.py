#!/usr/bin/env python3
"""scripts/mongo_ping.py — health check for a MongoDB wire-protocol server.

Sends `{ping: 1}` to the admin database as an OP_MSG over a plain socket and exits 0
when the reply says `ok: 1`, 1 otherwise (the reason on stderr). Standard library
only, so the local stack needs neither mongosh nor pymongo.

Usage: scripts/mongo_ping.py [HOST [PORT]] [--timeout SECONDS] [-v]
"""

import argparse
import socket
import struct
import sys

OP_MSG = 2013


def bson_doc(fields):
    """Encode a flat dict of str -> int | str as a BSON document."""
    body = b""
    for key, value in fields.items():
        name = key.encode() + b"\x00"
        if isinstance(value, int):
            body += b"\x10" + name + struct.pack("<i", value)
        else:
            data = value.encode() + b"\x00"
            body += b"\x02" + name + struct.pack("<i", len(data)) + data
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def bson_top_level(doc):
    """Decode the top-level scalar fields of a BSON document (nested values skipped)."""
    fixed = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x06: 0, 0x10: 4,
             0x11: 8, 0x12: 8, 0x13: 16, 0x7F: 0, 0xFF: 0}
    out, pos, end = {}, 4, struct.unpack_from("<i", doc)[0] - 1
    while pos < end:
        kind = doc[pos]
        nul = doc.index(b"\x00", pos + 1)
        name, pos = doc[pos + 1:nul].decode(errors="replace"), nul + 1
        if kind == 0x01:
            out[name] = struct.unpack_from("<d", doc, pos)[0]
        elif kind == 0x08:
            out[name] = doc[pos] != 0
        elif kind == 0x10:
            out[name] = struct.unpack_from("<i", doc, pos)[0]
        elif kind == 0x12:
            out[name] = struct.unpack_from("<q", doc, pos)[0]
        elif kind == 0x02:
            n = struct.unpack_from("<i", doc, pos)[0]
            out[name] = doc[pos + 4:pos + 3 + n].decode(errors="replace")
        if kind in fixed:
            pos += fixed[kind]
        elif kind in (0x02, 0x0D, 0x0E):                    # string, code, symbol
            pos += 4 + struct.unpack_from("<i", doc, pos)[0]
        elif kind in (0x03, 0x04, 0x0F):                    # document, array, code_w_s
            pos += struct.unpack_from("<i", doc, pos)[0]
        elif kind == 0x05:                                  # binary
            pos += 5 + struct.unpack_from("<i", doc, pos)[0]
        elif kind == 0x0B:                                  # regex: two C strings
            pos = doc.index(b"\x00", doc.index(b"\x00", pos) + 1) + 1
        elif kind == 0x0C:                                  # DBPointer
            pos += 4 + struct.unpack_from("<i", doc, pos)[0] + 12
        else:
            raise ValueError("unknown BSON type 0x%02x" % kind)
    return out


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by the server")
        buf += chunk
    return buf


def ping(host, port, timeout):
    """Return the decoded reply to {ping: 1}; raises on any failure."""
    body = struct.pack("<I", 0) + b"\x00" + bson_doc({"ping": 1, "$db": "admin"})
    msg = struct.pack("<iiii", 16 + len(body), 1, 0, OP_MSG) + body
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(msg)
        length, _, response_to, opcode = struct.unpack("<iiii", recv_exact(sock, 16))
        rest = recv_exact(sock, length - 16)
    if opcode != OP_MSG or response_to != 1:
        raise ValueError("unexpected reply (opcode %d, responseTo %d)" % (opcode, response_to))
    if rest[4] != 0:
        raise ValueError("reply has no body section")
    return bson_top_level(rest[5:])


def main():
    ap = argparse.ArgumentParser(description="Ping a MongoDB wire-protocol server.")
    ap.add_argument("host", nargs="?", default="127.0.0.1")
    ap.add_argument("port", nargs="?", type=int, default=27017)
    ap.add_argument("--timeout", type=float, default=2.0, help="seconds (default 2)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the reply")
    args = ap.parse_args()
    try:
        reply = ping(args.host, args.port, args.timeout)
    except (OSError, ValueError, IndexError, struct.error) as e:
        print("mongo_ping: %s:%d: %s" % (args.host, args.port, e), file=sys.stderr)
        return 1
    if args.verbose:
        print(reply)
    if reply.get("ok") != 1:
        print("mongo_ping: %s:%d: ping failed: %s" % (args.host, args.port, reply), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
