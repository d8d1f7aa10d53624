#!/usr/bin/env python3
"""nats_tool.py — asks the NATS server's JetStream API directly (standard library only):

  nats_tool.py rmstreams HOST PORT SUFFIX   deletes every stream whose name ends in SUFFIX
                                            (tests clean up the streams they made)
  nats_tool.py streams HOST PORT            prints the stream names, one per line
  nats_tool.py purge HOST PORT STREAM       deletes every message of STREAM (its consumers
                                            stay); prints how many were purged
  nats_tool.py bytes HOST PORT STREAM       prints STREAM's messages and their bytes
  nats_tool.py info HOST PORT STREAM        prints "storage max_msgs messages" of STREAM as
                                            the server holds it (its config and state)
  nats_tool.py rmconsumer HOST PORT STREAM DURABLE  deletes the consumer DURABLE of STREAM
  nats_tool.py silent HOST PORT SUBJECT SECONDS     subscribes to SUBJECT and answers nothing
                                            for SECONDS (prints "ready" once subscribed, then
                                            how many messages came): a JetStream publish
                                            to SUBJECT then gets neither a PubAck nor "no
                                            responders"

Speaks the client protocol: CONNECT, a SUB on an inbox, a PUB request to
$JS.API.STREAM.NAMES / $JS.API.STREAM.DELETE.<name> / $JS.API.STREAM.PURGE.<name> /
$JS.API.STREAM.INFO.<name> / $JS.API.CONSUMER.DELETE.<stream>.<durable>, and reads the MSG
reply."""

import json
import socket
import sys


class Client:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""
        self.line()  # INFO
        self.sock.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\nSUB _INBOX.obtool 1\r\n')
        self.n = 0

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise OSError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n + 2:
            data = self.sock.recv(65536)
            if not data:
                raise OSError("connection closed")
            self.buf += data
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def request(self, subject, payload=b""):
        self.sock.sendall(b"PUB %s _INBOX.obtool %d\r\n%s\r\n" % (subject.encode(), len(payload), payload))
        while True:
            line = self.line()
            if line.startswith(b"PING"):
                self.sock.sendall(b"PONG\r\n")
            elif line.startswith(b"MSG "):
                size = int(line.split()[-1])
                return json.loads(self.exact(size) or b"{}")
            elif line.startswith(b"-ERR"):
                raise OSError(line.decode())


def names(client):
    out, offset = [], 0
    while True:
        reply = client.request("$JS.API.STREAM.NAMES", json.dumps({"offset": offset}).encode())
        page = reply.get("streams") or []
        out += page
        offset += len(page)
        if not page or offset >= reply.get("total", 0):
            return out


def main(argv):
    if len(argv) < 4 or argv[1] not in ("rmstreams", "streams", "purge", "info", "bytes", "rmconsumer", "silent"):
        print(__doc__, file=sys.stderr)
        return 2
    client = Client(argv[2], int(argv[3]))
    if argv[1] == "silent":  # silent HOST PORT SUBJECT SECONDS
        client.sock.sendall(b"SUB %s 2\r\nPING\r\n" % argv[4].encode())
        while client.line() != b"PONG":
            pass
        print("ready", flush=True)
        client.sock.settimeout(0.2)
        import time
        end, count = time.monotonic() + float(argv[5]), 0
        while time.monotonic() < end:
            try:
                data = client.sock.recv(1 << 16)
            except socket.timeout:
                continue
            if not data:
                break
            count += data.count(b"MSG ")
            if b"PING\r\n" in data:
                client.sock.sendall(b"PONG\r\n")
        print(count)
        return 0
    if argv[1] == "purge":
        reply = client.request("$JS.API.STREAM.PURGE." + argv[4])
        if not reply.get("success"):
            print("purge %s: %s" % (argv[4], reply.get("error")), file=sys.stderr)
            return 1
        print(reply.get("purged", 0))
        return 0
    if argv[1] == "info":
        reply = client.request("$JS.API.STREAM.INFO." + argv[4])
        if "config" not in reply:
            print("info %s: %s" % (argv[4], reply.get("error")), file=sys.stderr)
            return 1
        print(reply["config"].get("storage"), reply["config"].get("max_msgs"), reply["state"].get("messages"))
        return 0
    if argv[1] == "bytes":  # bytes HOST PORT STREAM: its messages and their bytes as stored
        reply = client.request("$JS.API.STREAM.INFO." + argv[4])
        if "state" not in reply:
            print("bytes %s: %s" % (argv[4], reply.get("error")), file=sys.stderr)
            return 1
        print(reply["state"].get("messages"), reply["state"].get("bytes"))
        return 0
    if argv[1] == "rmconsumer":  # rmconsumer HOST PORT STREAM DURABLE
        reply = client.request("$JS.API.CONSUMER.DELETE.%s.%s" % (argv[4], argv[5]))
        if not reply.get("success"):
            print("rmconsumer %s %s: %s" % (argv[4], argv[5], reply.get("error")), file=sys.stderr)
            return 1
        return 0
    if argv[1] == "streams":
        for name in names(client):
            print(name)
        return 0
    for name in names(client):
        if name.endswith(argv[4]):
            client.request("$JS.API.STREAM.DELETE." + name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
