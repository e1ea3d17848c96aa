#!/usr/bin/env python3
"""selftest.py - check the kernel-peer guest end to end with no SCTP on the host.

Hand-crafts SCTP packets (RFC 9260) with CRC32c, carries them in UDP datagrams
(RFC 6951) from 127.0.0.1:<ephemeral port> to 127.0.0.1:<KPEER_UDP_PORT>, and
checks what the guest's Linux SCTP stack answers:

  echo one-to-many (7): INIT/INIT ACK/COOKIE ECHO/COOKIE ACK, small ordered and
      unordered messages on several streams/PPIDs, a 256 KiB fragmented message,
      then SHUTDOWN/SHUTDOWN ACK/SHUTDOWN COMPLETE
  echo one-to-one (8): handshake, one 100 KiB message, shutdown
  discard (9):         handshake, 3 messages, only SACKs come back, shutdown
  several associations to port 7 at once (interleaved)
  client mode (10):    the guest connects out to a hand-made SCTP server here
      (INIT ACK/COOKIE ACK/echo/SHUTDOWN ACK written in Python) and reports
  observations (not pass/fail): bad CRC32c accepted?, what a packet of a live
      association sent from a different UDP source port gets back

Only 127.0.0.1 is ever used.  Every wait is bounded.
"""
import argparse
import os
import random
import re
import socket
import struct
import sys
import time

# ---------------------------------------------------------------- CRC32c

def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_T = _crc_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _T[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def with_crc(pkt):
    pkt = bytearray(pkt)
    pkt[8:12] = b"\0\0\0\0"
    pkt[8:12] = struct.pack("<I", crc32c(pkt))  # SCTP stores the CRC little-endian
    return bytes(pkt)


def crc_ok(pkt):
    return struct.unpack("<I", pkt[8:12])[0] == crc32c(pkt[:8] + b"\0\0\0\0" + pkt[12:])

# ---------------------------------------------------------------- chunks

DATA, INIT, INIT_ACK, SACK, HB, HB_ACK, ABORT, SHUTDOWN, SHUTDOWN_ACK, ERROR, \
    COOKIE_ECHO, COOKIE_ACK = range(12)
SHUTDOWN_COMPLETE = 14
NAMES = {0: "DATA", 1: "INIT", 2: "INIT_ACK", 3: "SACK", 4: "HEARTBEAT", 5: "HEARTBEAT_ACK",
         6: "ABORT", 7: "SHUTDOWN", 8: "SHUTDOWN_ACK", 9: "ERROR", 10: "COOKIE_ECHO",
         11: "COOKIE_ACK", 14: "SHUTDOWN_COMPLETE"}
U, B, E = 4, 2, 1
MAX_PAYLOAD = 1200          # bytes of user data per DATA chunk we send
MY_RWND = 1 << 20


def chunk(ctype, flags, value=b""):
    c = struct.pack("!BBH", ctype, flags, 4 + len(value)) + value
    return c + b"\0" * (-len(c) % 4)


def parse_chunks(pkt):
    out, off = [], 12
    while off + 4 <= len(pkt):
        t, f, ln = struct.unpack("!BBH", pkt[off:off + 4])
        if ln < 4:
            break
        out.append((t, f, pkt[off + 4:off + ln]))
        off += ln + (-ln % 4)
    return out


def params(buf):
    out, off = {}, 0
    while off + 4 <= len(buf):
        t, ln = struct.unpack("!HH", buf[off:off + 4])
        if ln < 4:
            break
        out.setdefault(t, buf[off + 4:off + ln])
        off += ln + (-ln % 4)
    return out


def tsn_lt(a, b):
    return ((a - b) & 0xFFFFFFFF) > 0x7FFFFFFF


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)

# ---------------------------------------------------------------- association


class Assoc:
    """One SCTP association, spoken by hand over a UDP socket on 127.0.0.1."""

    def __init__(self, target, dport, sport=None, log=None):
        self.target, self.dport = target, dport
        self.sport = sport or random.randint(20000, 60000)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # the kernel bursts up to its cwnd; a default 208 KiB buffer here
        # overflows on a 256 KiB echo, costing a 1 s T3-rtx in the guest
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.udp_port = self.sock.getsockname()[1]
        self.my_tag = random.getrandbits(32) or 1
        self.next_tsn = random.getrandbits(32)
        self.peer_tag = 0
        self.log = log or (lambda *a: None)
        self.reply_from = set()
        self.events = []           # non-DATA/SACK chunks received: (type, flags, value)
        self.outstanding = {}      # tsn -> chunk bytes
        self.queue = []            # (tsn, chunk bytes) not yet sent
        self.peer_cum = None       # highest cumulative TSN the peer acked
        self.peer_rwnd = 65536
        self.got = {}              # peer tsn -> (flags, sid, ssn, ppid, payload)
        self.cum = None            # our cumulative ack of the peer's TSNs
        self.messages = []         # reassembled: (sid, ppid, unordered, payload)
        self._asm = []
        self.ssn = {}              # next SSN per outgoing stream (ordered messages)
        self.bad_crc = 0

    # -- raw I/O
    def send_raw(self, chunks, vtag=None, sock=None, crc=True):
        hdr = struct.pack("!HHII", self.sport, self.dport, self.peer_tag if vtag is None else vtag, 0)
        pkt = hdr + b"".join(chunks)
        (sock or self.sock).sendto(with_crc(pkt) if crc else pkt, self.target)

    def recv_raw(self, timeout, sock=None):
        s = sock or self.sock
        s.settimeout(max(timeout, 0.001))
        try:
            pkt, addr = s.recvfrom(65535)
        except socket.timeout:
            return None
        self.reply_from.add(addr)
        if not crc_ok(pkt):
            self.bad_crc += 1
            raise Fail("packet from %s:%d with a bad CRC32c" % addr)
        sp, dp, vtag, _ = struct.unpack("!HHII", pkt[:12])
        check(sp == self.dport and dp == self.sport, "ports %d->%d in reply" % (sp, dp))
        return vtag, parse_chunks(pkt)

    # -- handshake
    def connect(self, os_=16, mis=16):
        init = struct.pack("!IIHHI", self.my_tag, MY_RWND, os_, mis, self.next_tsn)
        init += struct.pack("!HHH", 12, 6, 5) + b"\0\0"   # supported address types: IPv4
        self.send_raw([chunk(INIT, 0, init)], vtag=0)
        r = self.recv_raw(3)
        check(r is not None, "no INIT ACK within 3s")
        vtag, chunks = r
        check(vtag == self.my_tag, "INIT ACK vtag %08x != our tag %08x" % (vtag, self.my_tag))
        check(chunks and chunks[0][0] == INIT_ACK, "expected INIT ACK, got %s" % [NAMES.get(c[0]) for c in chunks])
        v = chunks[0][2]
        self.peer_tag, self.peer_rwnd, self.peer_os, self.peer_mis, itsn = struct.unpack("!IIHHI", v[:16])
        self.cum = (itsn - 1) & 0xFFFFFFFF
        cookie = params(v[16:]).get(7)
        check(cookie, "INIT ACK without a State Cookie")
        self.log("    INIT ACK: tag=%08x a_rwnd=%d os=%d mis=%d cookie=%dB params=%s" % (
            self.peer_tag, self.peer_rwnd, self.peer_os, self.peer_mis, len(cookie),
            sorted(params(v[16:]).keys())))
        self.send_raw([chunk(COOKIE_ECHO, 0, cookie)])
        r = self.recv_raw(3)
        check(r is not None, "no COOKIE ACK within 3s")
        check(r[0] == self.my_tag and r[1][0][0] == COOKIE_ACK,
              "expected COOKIE ACK, got %s" % [NAMES.get(c[0]) for c in r[1]])
        self.peer_cum = (self.next_tsn - 1) & 0xFFFFFFFF

    def accept(self, timeout=10):
        """Server side: wait for an INIT on our UDP socket, answer it, take the COOKIE ECHO."""
        self.sock.settimeout(timeout)
        pkt, addr = self.sock.recvfrom(65535)
        self.reply_from.add(addr)
        self.target = addr                                  # answer where it came from
        check(crc_ok(pkt), "INIT with a bad CRC32c")
        self.dport, self.sport, vtag, _ = struct.unpack("!HHII", pkt[:12])
        t, f, v = parse_chunks(pkt)[0]
        check(t == INIT and vtag == 0, "expected INIT, got %s" % NAMES.get(t, t))
        self.peer_tag, self.peer_rwnd, os_, mis, itsn = struct.unpack("!IIHHI", v[:16])
        self.cum = (itsn - 1) & 0xFFFFFFFF
        cookie = b"kpeer-cookie" + struct.pack("!I", self.my_tag)
        ack = struct.pack("!IIHHI", self.my_tag, MY_RWND, min(os_, 16), min(mis, 16), self.next_tsn)
        ack += struct.pack("!HH", 7, 4 + len(cookie)) + cookie
        self.send_raw([chunk(INIT_ACK, 0, ack)])
        r = self.recv_raw(3)
        check(r and r[0] == self.my_tag and r[1][0][0] == COOKIE_ECHO and r[1][0][2] == cookie,
              "expected our COOKIE ECHO, got %s" % (r and [NAMES.get(c[0]) for c in r[1]]))
        self.send_raw([chunk(COOKIE_ACK, 0)])
        self.peer_cum = (self.next_tsn - 1) & 0xFFFFFFFF
        for t, f, v in r[1][1:]:                            # DATA may be bundled
            if t == DATA:
                self._on_data(f, v)
        return addr

    def serve_echo(self, timeout=20):
        """Echo every message back until the peer shuts down; then finish the shutdown."""
        deadline, echoed = time.time() + timeout, 0
        shut = lambda: any(e[0] == SHUTDOWN for e in self.events)
        while not shut():
            check(time.time() < deadline, "peer did not shut down within %ds" % timeout)
            self.pump(lambda: len(self.messages) > echoed or shut(), deadline - time.time())
            for sid, ppid, u, d in self.messages[echoed:]:
                self.send_msg(d, sid, ppid, u)
            echoed = len(self.messages)
        check(self.pump(self.all_acked, 5), "echoes not acked before SHUTDOWN")
        self.send_raw([chunk(SHUTDOWN_ACK, 0)])
        check(self.pump(lambda: any(e[0] == SHUTDOWN_COMPLETE for e in self.events), 3),
              "no SHUTDOWN COMPLETE")
        return echoed

    # -- data
    def send_msg(self, payload, sid=0, ppid=0, unordered=False):
        ssn = 0
        if not unordered:
            ssn = self.ssn.get(sid, 0)
            self.ssn[sid] = (ssn + 1) & 0xFFFF
        pieces = [payload[i:i + MAX_PAYLOAD] for i in range(0, len(payload), MAX_PAYLOAD)] or [b""]
        for i, p in enumerate(pieces):
            fl = (U if unordered else 0) | (B if i == 0 else 0) | (E if i == len(pieces) - 1 else 0)
            c = chunk(DATA, fl, struct.pack("!IHHI", self.next_tsn, sid, ssn, ppid) + p)
            self.queue.append((self.next_tsn, c))
            self.next_tsn = (self.next_tsn + 1) & 0xFFFFFFFF

    def _sack(self):
        gaps, start, prev = [], None, None
        for t in sorted(((t - self.cum) & 0xFFFFFFFF) for t in self.got if tsn_lt(self.cum, t)):
            if start is None or t != prev + 1:
                if start is not None:
                    gaps.append((start, prev))
                start = t
            prev = t
        if start is not None:
            gaps.append((start, prev))
        v = struct.pack("!IIHH", self.cum, MY_RWND, len(gaps), 0)
        v += b"".join(struct.pack("!HH", a, b) for a, b in gaps)
        return chunk(SACK, 0, v)

    def _on_data(self, flags, v):
        tsn, sid, ssn, ppid = struct.unpack("!IHHI", v[:12])
        if tsn_lt(self.cum, tsn) and tsn not in self.got:
            self.got[tsn] = (flags, sid, ssn, ppid, v[12:])
        while (self.cum + 1) & 0xFFFFFFFF in self.got:          # advance and reassemble
            self.cum = (self.cum + 1) & 0xFFFFFFFF
            fl, sid, ssn, ppid, data = self.got.pop(self.cum)
            if fl & B:
                self._asm = []
            self._asm.append(data)
            if fl & E:
                self.messages.append((sid, ppid, bool(fl & U), b"".join(self._asm)))
                self._asm = []

    def pump(self, until, timeout, window=64 * 1024):
        """Send queued DATA within a window, SACK every DATA packet, collect the rest."""
        deadline, last_progress = time.time() + timeout, time.time()
        while True:
            now = time.time()
            limit = min(window, max(self.peer_rwnd, 1500))
            inflight = sum(len(c) for c in self.outstanding.values())
            burst = []
            while self.queue and inflight < limit and len(burst) < 8:
                tsn, c = self.queue.pop(0)
                self.outstanding[tsn] = c
                inflight += len(c)
                burst.append(c)
            for c in burst:
                self.send_raw([c])
            if self.outstanding and now - last_progress > 1.0:      # crude T3 retransmission
                for tsn in sorted(self.outstanding, key=lambda t: (t - self.peer_cum) & 0xFFFFFFFF)[:32]:
                    self.send_raw([self.outstanding[tsn]])
                last_progress = now
            if until():
                return True
            if now > deadline:
                return False
            can_send = self.queue and inflight < limit
            r = self.recv_raw(0.001 if can_send else min(0.2, max(deadline - now, 0.001)))
            if r is None:
                continue
            vtag, chunks = r
            check(vtag == self.my_tag or any(c[0] in (ABORT, SHUTDOWN_COMPLETE) and c[1] & 1 for c in chunks),
                  "vtag %08x != %08x" % (vtag, self.my_tag))
            had_data = False
            for t, f, v in chunks:
                if t == DATA:
                    self._on_data(f, v)
                    had_data = True
                elif t == SACK:
                    cum, self.peer_rwnd, ngap, _ = struct.unpack("!IIHH", v[:12])
                    if tsn_lt(self.peer_cum, cum) or cum == self.peer_cum:
                        self.peer_cum = cum
                    for tsn in list(self.outstanding):
                        if not tsn_lt(cum, tsn):
                            del self.outstanding[tsn]
                            last_progress = time.time()
                    for i in range(ngap):
                        a, b = struct.unpack("!HH", v[12 + 4 * i:16 + 4 * i])
                        for k in range(a, b + 1):
                            self.outstanding.pop((cum + k) & 0xFFFFFFFF, None)
                else:
                    if t == SHUTDOWN:          # carries a cumulative TSN ack too
                        cum = struct.unpack("!I", v[:4])[0]
                        for tsn in [x for x in self.outstanding if not tsn_lt(cum, x)]:
                            del self.outstanding[tsn]
                    self.events.append((t, f, v))
                    if t == ABORT:
                        raise Fail("ABORT from peer: %s" % v.hex())
            if had_data:
                self.send_raw([self._sack()])
        return True

    def all_acked(self):
        return not self.queue and not self.outstanding

    def shutdown(self):
        self.send_raw([chunk(SHUTDOWN, 0, struct.pack("!I", self.cum))])
        ok = self.pump(lambda: any(e[0] == SHUTDOWN_ACK for e in self.events), 3)
        check(ok, "no SHUTDOWN ACK within 3s")
        self.send_raw([chunk(SHUTDOWN_COMPLETE, 0)])

    def close(self):
        self.sock.close()

# ---------------------------------------------------------------- tests


def echo_roundtrip(a, msgs, timeout=30):
    base = len(a.messages)
    for m in msgs:
        a.send_msg(m["data"], m["sid"], m["ppid"], m["unordered"])
    ok = a.pump(lambda: len(a.messages) >= base + len(msgs) and a.all_acked(), timeout)
    check(ok, "only %d of %d echoes within %ds (unacked %d)" % (
        len(a.messages) - base, len(msgs), timeout, len(a.outstanding) + len(a.queue)))
    got = a.messages[base:]
    # unordered messages may overtake ordered ones: compare as multisets per stream
    want = sorted((m["sid"], m["ppid"], m["unordered"], m["data"]) for m in msgs)
    check(sorted(got) == want, "echo mismatch: got %s" % [(s, p, u, len(d)) for s, p, u, d in got])
    return got


def test_echo_many(args, log):
    a = Assoc(args.target, 7, log=log)
    log("  UDP 127.0.0.1:%d -> 127.0.0.1:%d, SCTP %d -> 7" % (a.udp_port, args.port, a.sport))
    a.connect()
    log("    handshake ok; replies came from %s" % sorted(a.reply_from))
    check(a.reply_from == {("127.0.0.1", args.port)}, "replies from %s" % a.reply_from)
    msgs = [dict(data=b"hello kernel", sid=0, ppid=0x12345678, unordered=False),
            dict(data=b"unordered on stream 3", sid=3, ppid=51, unordered=True),
            dict(data=b"ordered on stream 5", sid=5, ppid=0xDEADBEEF, unordered=False)]
    got = echo_roundtrip(a, msgs, 5)
    for s, p, u, d in got:
        log("    echo: stream=%d ppid=%#x unordered=%s %r" % (s, p, u, d))
    big = os.urandom(256 * 1024)
    t0 = time.time()
    echo_roundtrip(a, [dict(data=big, sid=2, ppid=99, unordered=False)], 60)
    log("    256 KiB message (%d DATA chunks each way) echoed intact in %.2fs" % (
        (len(big) + MAX_PAYLOAD - 1) // MAX_PAYLOAD, time.time() - t0))
    a.shutdown()
    log("    shutdown ok")
    return a


def test_echo_one_to_one(args, log):
    a = Assoc(args.target, 8, log=log)
    a.connect()
    data = os.urandom(100 * 1024)
    echo_roundtrip(a, [dict(data=b"one-to-one", sid=1, ppid=7, unordered=False),
                       dict(data=data, sid=0, ppid=8, unordered=True)], 30)
    log("    handshake, 10 B ordered + 100 KiB unordered message echoed, stream/PPID/U kept")
    a.shutdown()
    log("    shutdown ok")


def test_discard(args, log):
    a = Assoc(args.target, 9, log=log)
    a.connect()
    for i in range(3):
        a.send_msg(b"x" * 1000 * (i + 1), sid=0, ppid=0)
    check(a.pump(a.all_acked, 5), "discard: data not acked")
    check(not a.messages, "discard sent data back")
    a.shutdown()
    log("    6000 bytes in 3 messages acked, nothing sent back, shutdown ok")
    return a


def test_many_assocs(args, log, n=8):
    assocs = [Assoc(args.target, 7, log=None) for _ in range(n)]
    for a in assocs:
        a.connect()
    for i, a in enumerate(assocs):
        a.send_msg(b"assoc %d says hi" % i + os.urandom(3000 * i), sid=i % 4, ppid=i)
    deadline = time.time() + 20
    while time.time() < deadline and not all(a.messages and a.all_acked() for a in assocs):
        for a in assocs:
            a.pump(lambda: True, 0)            # send what is queued
            a.pump(lambda: bool(a.messages) and a.all_acked(), 0.05)
    for i, a in enumerate(assocs):
        check(a.messages and a.messages[0][0] == i % 4 and a.messages[0][1] == i
              and a.messages[0][3].startswith(b"assoc %d says hi" % i), "assoc %d: wrong/no echo" % i)
    for a in assocs:
        a.shutdown()
        a.close()
    log("    %d associations up at once on port 7, each got its own echo back" % n)


def test_client_mode(args, log):
    ctl = Assoc(args.target, 10, log=None)
    ctl.connect()
    srv = Assoc(args.target, 0, log=None)                   # host side plays the server
    sctp_port = random.randint(20000, 60000)
    cmd = b"connect %d %d 3 3000 1" % (sctp_port, srv.udp_port)
    ctl.send_msg(cmd, sid=0, ppid=0)
    ctl.pump(ctl.all_acked, 3)
    came_from = srv.accept(10)
    log("    sent %r on port 10; guest's INIT arrived at 127.0.0.1:%d from %s:%d (SCTP %d -> %d)" % (
        cmd.decode(), srv.udp_port, came_from[0], came_from[1], srv.dport, srv.sport))
    n = srv.serve_echo(20)
    check(ctl.pump(lambda: bool(ctl.messages), 10), "no result on the control association")
    result = ctl.messages[0][3].decode(errors="replace")
    log("    host echoed %d messages (3000 B, streams 0-2); guest reports: %s" % (n, result))
    check(result == "ok sent=3 echoed=3", "guest client: %s" % result)
    ctl.shutdown()
    srv.close()
    ctl.close()


def observe_bad_crc(args, log):
    a = Assoc(args.target, 7)
    init = chunk(INIT, 0, struct.pack("!IIHHI", a.my_tag, MY_RWND, 4, 4, a.next_tsn))
    hdr = struct.pack("!HHII", a.sport, a.dport, 0, 0x12345678)   # wrong CRC32c
    a.sock.sendto(hdr + init, args.target)
    r = a.recv_raw(1.5)
    answer = "answered with %s" % [NAMES.get(c[0]) for c in r[1]] if r else "dropped it (no answer in 1.5s)"
    a.send_raw([init], vtag=0)                                     # same INIT, right CRC32c
    r2 = a.recv_raw(1.5)
    a.close()
    log("    INIT with a wrong CRC32c: guest %s; the same INIT with the right CRC32c: %s" % (
        answer, [NAMES.get(c[0]) for c in r2[1]] if r2 else "no answer"))


def _collect(a, socks, timeout):
    """{udp port: [chunk names]} of everything arriving on socks within timeout."""
    import select
    out, deadline = {}, time.time() + timeout
    while time.time() < deadline:
        rd, _, _ = select.select(socks, [], [], max(deadline - time.time(), 0))
        for s in rd:
            r = a.recv_raw(0.01, sock=s)
            if r:
                out.setdefault(s.getsockname()[1], []).extend(NAMES.get(c[0], c[0]) for c in r[1])
                for t, f, v in r[1]:
                    if t == DATA:
                        a._on_data(f, v)
                    elif t in (ABORT, ERROR) and len(v) >= 2:
                        out[s.getsockname()[1]].append("cause=%d" % struct.unpack("!H", v[:2])[0])
    return out or "nothing"


def observe_port_change(args, log):
    a = Assoc(args.target, 7, log=None)
    a.connect()
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind(("127.0.0.1", 0))
    pa, pb = a.udp_port, other.getsockname()[1]
    socks = [a.sock, other]
    log("    live association set up from UDP port A=%d; then packets from a 2nd UDP port B=%d:" % (pa, pb))
    hb = chunk(HB, 0, struct.pack("!HH", 1, 12) + b"kpeer-hb")
    a.send_raw([hb], sock=other)
    log("      HEARTBEAT from B -> replies per port: %s" % _collect(a, socks, 1.0))
    a.send_msg(b"data from port B", sid=0, ppid=1)
    tsn, c = a.queue.pop(0)
    a.send_raw([c], sock=other)
    log("      DATA from B      -> replies per port: %s" % _collect(a, socks, 1.0))
    a.send_raw([a._sack()], sock=other)
    a.send_msg(b"data from port A", sid=0, ppid=2)
    tsn, c = a.queue.pop(0)
    a.send_raw([c])
    log("      DATA from A      -> replies per port: %s" % _collect(a, socks, 1.0))
    a.send_raw([a._sack(), chunk(ABORT, 0)])
    other.close()
    a.close()


def console_lines(args, pattern):
    try:
        with open(args.console, errors="replace") as f:
            return [l.rstrip() for l in f if re.search(pattern, l)]
    except OSError:
        return []


def control(args):
    """Has the guest's kernel connect out to a server on the host (client mode)."""
    ctl = Assoc(args.target, 10, log=None)
    ctl.connect()
    ctl.send_msg(args.ctl.encode(), sid=0, ppid=0)
    ctl.pump(ctl.all_acked, 3)
    if not ctl.pump(lambda: bool(ctl.messages), args.ctl_timeout):
        print("kernel-peer ctl: no reply in %.0f s" % args.ctl_timeout)
        return 1
    result = ctl.messages[0][3].decode(errors="replace")
    print("kernel-peer ctl: %s" % result)
    ctl.shutdown()
    ctl.close()
    return 0 if result.startswith("ok") else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=int(os.environ.get("KPEER_UDP_PORT", 19899)))
    ap.add_argument("--console", default=os.path.join(os.environ.get("KPEER_CACHE", "/tmp/sctpudp-kernel-peer"), "console.log"))
    ap.add_argument("--ctl", help="send this command to the guest's client-mode port 10, print its reply, exit")
    ap.add_argument("--ctl-timeout", type=float, default=120)
    args = ap.parse_args()
    args.target = ("127.0.0.1", args.port)
    if args.ctl:
        return control(args)
    log = print
    passed = failed = 0
    results = {}
    tests = [("echo one-to-many (port 7)", test_echo_many),
             ("echo one-to-one (port 8)", test_echo_one_to_one),
             ("discard (port 9)", test_discard),
             ("8 associations at once (port 7)", test_many_assocs),
             ("guest as client (control port 10, host echoes)", test_client_mode)]
    for name, fn in tests:
        log("TEST %s" % name)
        try:
            results[name] = fn(args, log)
            passed += 1
            log("  PASS")
        except (Fail, OSError) as e:
            failed += 1
            log("  FAIL: %s" % e)
    log("OBSERVATIONS (not pass/fail)")
    for fn in (observe_bad_crc, observe_port_change):
        try:
            fn(args, log)
        except (Fail, OSError) as e:
            log("    %s: %s" % (fn.__name__, e))
    time.sleep(0.3)
    a = results.get("echo one-to-many (port 7)")
    if a:
        seen = console_lines(args, r"echo7: assoc \d+ COMM_UP peer 10\.0\.2\.2:%d " % a.sport)
        log("    guest's view of the first association: %s" % (seen[0].split(": ", 1)[1] if seen else "(console not readable)"))
        log("    host side: our UDP source port was %d; all replies came from %s" % (
            a.udp_port, ", ".join("%s:%d" % x for x in sorted(a.reply_from))))
    d = results.get("discard (port 9)")
    if d:
        for l in console_lines(args, r"discard9: assoc \d+ bytes=")[-1:]:
            log("    guest console: %s" % l.split("] ")[-1])
    log("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
