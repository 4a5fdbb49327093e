#!/usr/bin/env python3
"""ldap_hostile.py: a hostile LDAP server on 127.0.0.1 for the threat-model tests
(RELIABILITY C5, C6, C10, E7). It speaks just enough LDAPv3 (BER by hand) to answer
tessera's requests the way a broken, downgraded or malicious server would, and logs
every operation it receives to LOG (one line each), so a test can prove what was,
or was not, sent.

  ldap_hostile.py MODE PORT LOG [REFERRAL-URI]

MODE:
  starttls-refuse  StartTLS answered with unavailable (52); binds accepted (0)
  starttls-strip   StartTLS answered "success" but the connection stays plaintext
  referral         searches answered with a continuation reference and a referral
                   result pointing at REFERRAL-URI; binds answered with a referral
  anon             every bind succeeds, even an empty password (an AD-like server)
  reset            reads one request, then resets the connection (RST)
  listen           accepts, logs "connect" and closes (the referral target)
Prints "ready" once listening; runs until killed.
"""
import socket
import socketserver
import struct
import sys
import threading

MODE, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]
REFERRAL = sys.argv[4] if len(sys.argv) > 4 else "ldap://127.0.0.1:9/"
STARTTLS = b"1.3.6.1.4.1.1466.20037"
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(line + "\n")


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, value):
    return bytes([tag]) + enc_len(len(value)) + value


def integer(n):
    return tlv(0x02, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big"))


def result(tag, rc, diag=b"", referral=None, extra=b""):
    body = tlv(0x0A, bytes([rc])) + tlv(0x04, b"") + tlv(0x04, diag)
    if referral:
        body += tlv(0xA3, tlv(0x04, referral.encode()))
    return tlv(tag, body + extra)


def message(msgid, op):
    return tlv(0x30, integer(msgid) + op)


def read_tlv(f):
    """One TLV from a file object: (tag, value) or None at EOF."""
    h = f.read(2)
    if len(h) < 2:
        return None
    tag, n = h[0], h[1]
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            return None
        raw = f.read(k)
        if len(raw) < k:
            return None
        n = int.from_bytes(raw, "big")
    if n > 1 << 24:
        return None
    v = f.read(n)
    return (tag, v) if len(v) == n else None


def parse(value):
    """Children of a constructed value: [(tag, value)...]."""
    out, i = [], 0
    while i < len(value):
        tag, n = value[i], value[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(value[i:i + k], "big")
            i += k
        out.append((tag, value[i:i + n]))
        i += n
    return out


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        log("connect")
        if MODE == "listen":
            return
        while True:
            m = read_tlv(self.rfile)
            if m is None or m[0] != 0x30:
                log("eof" if m is None else "not-ldap")
                return
            parts = parse(m[1])
            msgid = int.from_bytes(parts[0][1], "big")
            tag, val = parts[1]
            if MODE == "reset":
                log("request %#x, reset" % tag)
                self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                return
            if tag == 0x42:  # unbind
                log("unbind")
                return
            if tag == 0x60:  # bind: version, name, [0] simple password
                p = parse(val)
                pw = p[2][1] if len(p) > 2 else b""
                log("bind dn=%s password_len=%d" % (p[1][1].decode("latin-1"), len(pw)))
                if MODE == "referral":
                    out = result(0x61, 10, b"", REFERRAL)
                elif MODE == "starttls-strip":
                    out = result(0x61, 0)
                else:
                    out = result(0x61, 0)
            elif tag == 0x77:  # extended
                name = parse(val)[0][1]
                log("extended %s" % name.decode("latin-1"))
                if name == STARTTLS and MODE == "starttls-strip":
                    out = result(0x78, 0, extra=tlv(0x8A, STARTTLS))
                else:
                    out = result(0x78, 52, b"StartTLS not offered here")
            elif tag == 0x63:  # search
                base = parse(val)[0][1].decode("latin-1")
                log("search base=%s" % base)
                out = b""
                if MODE == "referral":
                    out += message(msgid, tlv(0x73, tlv(0x04, REFERRAL.encode())))
                    out = out + message(msgid, result(0x65, 10, b"", REFERRAL))
                else:
                    out = message(msgid, result(0x65, 0))
                self.wfile.write(out)
                continue
            elif tag == 0x50:  # abandon
                log("abandon")
                continue
            else:
                log("op %#x" % tag)
                out = result(tag + 1 if tag & 1 == 0 else tag, 53)
            self.wfile.write(message(msgid, out))


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


srv = Server(("127.0.0.1", PORT), Handler)
print("ready", flush=True)
srv.serve_forever()
