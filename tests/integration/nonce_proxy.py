#!/usr/bin/env python3
"""nonce_proxy.py — a NATS front whose first connection offers a nonce the user's
Ed25519 signature of which begins with a zero byte (standard library and openssl only):

  nonce_proxy.py LISTEN_PORT UPSTREAM_PORT KEY_DER [CUT_AFTER]

KEY_DER: the user's Ed25519 private key (DER, as openssl genpkey writes it). Finds such a
nonce (about 1 in 256 is one), prints "ready NONCE", then serves 127.0.0.1:LISTEN_PORT:

  connection 1   an INFO with that nonce (auth_required, no TLS); prints what the client
                 did: "conn 1: no CONNECT, closed" when it closed without connecting, or
                 "conn 1: CONNECT with sig" / "conn 1: CONNECT without sig" (answered
                 -ERR 'Authorization Violation', as the server would)
  connection 2+  relayed byte for byte to 127.0.0.1:UPSTREAM_PORT ("conn N: relayed")

With CUT_AFTER (seconds), a reconnect instead: connection 1 is relayed and cut after
CUT_AFTER seconds ("conn 1: cut"), connection 2 gets the nonce, 3 and later are relayed.

cnats 3.4 sends a signature beginning with a zero byte as none: the connect is refused.
The test checks that outbreak connects again instead (a new nonce)."""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time


def sign(key_der, data):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(data)
    try:
        return subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", key_der, "-keyform", "DER", "-rawin",
                               "-in", f.name], capture_output=True, check=True).stdout
    finally:
        os.unlink(f.name)


def zero_led_nonce(key_der):
    for i in range(4000):
        nonce = "obit-zero-%d" % i
        if sign(key_der, nonce.encode())[0] == 0:
            return nonce
    raise SystemExit("no nonce in 4000 whose signature begins with a zero byte")


def relay(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def offer_nonce(conn, port, nonce, n):
    info = ('INFO {"server_id":"obit-nonce-proxy","version":"2.15.2","proto":1,"host":"127.0.0.1",'
            '"port":%d,"headers":true,"auth_required":true,"max_payload":1048576,"client_id":1,'
            '"nonce":"%s"}\r\n' % (port, nonce))
    conn.sendall(info.encode())
    conn.settimeout(10)
    got = b""
    try:
        while b"\r\n" not in got:
            data = conn.recv(65536)
            if not data:
                break
            got += data
    except socket.timeout:
        print("conn %d: nothing for 10 s" % n, flush=True)
        conn.close()
        return
    except ConnectionResetError:  # closed with the INFO unread: closed all the same
        pass
    if got.startswith(b"CONNECT"):
        print("conn %d: CONNECT %s sig" % (n, "with" if b'"sig"' in got else "without"), flush=True)
        conn.sendall(b"-ERR 'Authorization Violation'\r\n")
    else:
        print("conn %d: no CONNECT, closed" % n if not got else "conn %d: sent %r" % (n, got[:80]), flush=True)
    conn.close()


def cut(conn, up, seconds):
    time.sleep(seconds)
    for s in (conn, up):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    print("conn 1: cut", flush=True)


def main(argv):
    if len(argv) not in (4, 5):
        print(__doc__, file=sys.stderr)
        return 2
    port, upstream, key_der = int(argv[1]), int(argv[2]), argv[3]
    cut_after = float(argv[4]) if len(argv) == 5 else None
    offered = 2 if cut_after is not None else 1
    nonce = zero_led_nonce(key_der)
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    print("ready", nonce, flush=True)
    n = 0
    while True:
        conn, _ = srv.accept()
        n += 1
        if n == offered:
            offer_nonce(conn, port, nonce, n)
            continue
        up = socket.create_connection(("127.0.0.1", upstream))
        print("conn %d: relayed" % n, flush=True)
        threading.Thread(target=relay, args=(conn, up), daemon=True).start()
        threading.Thread(target=relay, args=(up, conn), daemon=True).start()
        if n == 1 and cut_after is not None:
            threading.Thread(target=cut, args=(conn, up, cut_after), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
