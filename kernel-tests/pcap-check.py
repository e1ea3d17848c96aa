#!/usr/bin/env python3
"""pcap-check.py CASE PCAP [PEER_UDP_PORT]: check one case's capture.

Every UDP datagram on loopback (ports 1024-65535) is decoded as SCTP over
UDP by Wireshark's dissector with CRC32c verification.  The case fails if a
packet is malformed, carries an expert info of warning severity or above
(except the dissector's note on SACKs whose gap blocks span more than 100
TSNs, which is not a fault), or has a CRC32c that does not verify.

Then the packets on the guest's leg (UDP port PEER_UDP_PORT, default
19899) are taken apart chunk by chunk ("out" = towards the kernel, "in" =
from it) and the case's protocol expectations are checked:
  prsctp  FORWARD-TSN sent both ways, and each one acknowledged by a later
          SACK of the other side whose cumulative TSN reaches it; both INIT
          and INIT ACK carry Forward-TSN-Supported; no ABORT
  reconf  RE-CONFIG both ways; the kernel answered requests with
          "performed" and with "denied"; no ABORT
  idata   I-DATA both ways (reported: FSN of the second fragment of each
          direction's messages, fragments of different messages interleaved
          on the wire, ABORTs and their causes)
  auth    an AUTH chunk in every DATA packet of the kernel's, and of ours
          to the echoext server (which requires it); our ASCONF and the
          kernel's ASCONF-ACK, both authenticated; no ABORT
  echo    as basic, and every DATA chunk to the kernel carries the PPID the
          test gave (0xA5xxxxxx on the wire)
  basic   DATA both ways, no ABORT; every INIT and INIT ACK (ours and the
          kernel's, net.sctp.ecn_enable=1) carries ECN Capable (0x8000)
Prints "PCAP PASS ..." or "PCAP FAIL ..." and "PCAP-INFO ..." lines; exits
0 on PASS.
"""
import json
import subprocess
import sys
from collections import Counter, defaultdict

CASE, PCAP = sys.argv[1], sys.argv[2]
PEER = int(sys.argv[3]) if len(sys.argv) > 3 else 19899
OPTS = ["-d", "udp.port==1024-65535,sctp", "-o", "sctp.checksum:CRC-32c",
        "-o", "sctp.ulp_dissection:FALSE", "-o", "sctp.tsn_analysis:FALSE"]
CHUNK_NAMES = {0: "DATA", 1: "INIT", 2: "INIT_ACK", 3: "SACK", 4: "HEARTBEAT", 5: "HEARTBEAT_ACK",
               6: "ABORT", 7: "SHUTDOWN", 8: "SHUTDOWN_ACK", 9: "ERROR", 10: "COOKIE_ECHO",
               11: "COOKIE_ACK", 12: "ECNE", 13: "CWR", 14: "SHUTDOWN_COMPLETE", 15: "AUTH", 64: "I_DATA", 130: "RE_CONFIG",
               192: "FORWARD_TSN", 194: "I_FORWARD_TSN"}
fails, infos = [], []


def tshark(args):
    r = subprocess.run(["tshark", "-r", PCAP] + OPTS + args, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, timeout=300)
    return r.stdout


# ---- generic: malformed, expert, CRC32c
total = int(tshark(["-Y", "sctp", "-T", "fields", "-e", "frame.number"]).count("\n"))
bad_filter = ("sctp && (_ws.malformed || (_ws.expert.severity >= 0x600000 && "
              "!sctp.sack_number_of_tsns_gap_acked.100) || sctp.checksum.status != 1)")
bad = tshark(["-Y", bad_filter]).splitlines()
if total == 0:
    fails.append("no SCTP packet captured")
if bad:
    fails.append("%d of %d SCTP packets malformed, flagged or with a bad CRC32c" % (len(bad), total))
    for line in bad[:5]:
        infos.append("bad packet: " + line.strip())
warn_lines = tshark(["-Y", "sctp && _ws.expert", "-T", "fields", "-e", "_ws.expert.message",
                     "-e", "_ws.expert.severity"]).splitlines()
notes = Counter(l for l in warn_lines if l.strip())

# ---- chunk by chunk on the guest's leg


def pairs_hook(pairs):
    d = {}
    for k, v in pairs:
        while k in d:
            k += " "
        d[k] = v
    return d


def walk_chunks(sctp):
    for k, v in sctp.items():
        if isinstance(v, dict) and "sctp.chunk_type" in v:
            yield v


def params(chunk):
    for k, v in chunk.items():
        if isinstance(v, dict) and "sctp.parameter_type" in v:
            yield v


raw = tshark(["-Y", "sctp && udp.port==%d" % PEER, "-T", "json", "-J", "frame udp sctp"])
packets = json.loads(raw, object_pairs_hook=pairs_hook) if raw.strip() else []
chunks = []   # (index, time, dir, sport, dport, chunk)
for i, p in enumerate(packets):
    l = p["_source"]["layers"]
    udp, sctp = l.get("udp", {}), l.get("sctp", {})
    if isinstance(sctp, list):
        sctp = sctp[0]
    direction = "out" if int(udp.get("udp.dstport", 0)) == PEER else "in"
    t = float(l["frame"].get("frame.time_relative", 0))
    for c in walk_chunks(sctp):
        chunks.append((i, t, direction, int(sctp["sctp.srcport"]), int(sctp["sctp.dstport"]), c))

per_dir = {"out": Counter(), "in": Counter()}
for (_, _, d, _, _, c) in chunks:
    per_dir[d][CHUNK_NAMES.get(int(c["sctp.chunk_type"]), c["sctp.chunk_type"])] += 1
for d in ("out", "in"):
    infos.append("chunks %s: %s" % ("to the kernel" if d == "out" else "from the kernel",
                                    ", ".join("%s %d" % kv for kv in sorted(per_dir[d].items()))))
for msg, n in sorted(notes.items()):
    infos.append("expert info (below warning or allowed) x%d: %s" % (n, msg.replace("\t", " severity ")))


def ser_ge(a, b):   # serial number arithmetic (RFC 1982, 32 bits): a >= b
    return ((a - b) & 0xffffffff) < 0x80000000


def aborts():
    out = []
    for (_, t, d, sp, dp, c) in chunks:
        if int(c["sctp.chunk_type"]) == 6:
            causes = [k.strip() for k, v in c.items() if isinstance(v, dict) and "sctp.cause_code" in v]
            info = ""
            for k, v in c.items():
                if isinstance(v, dict) and "sctp.cause_information" in v:
                    try:
                        info = bytes.fromhex(v["sctp.cause_information"].replace(":", "")).decode("ascii", "replace")
                    except ValueError:
                        info = v["sctp.cause_information"]
            out.append("%.3fs ABORT %s (%d->%d) T=%s %s %s" % (
                t, "to the kernel" if d == "out" else "from the kernel", sp, dp,
                c.get("sctp.chunk_flags", "?"), "; ".join(causes) or "no cause", info))
    return out


def acked_forward_tsns(direction):
    """FORWARD-TSNs sent in `direction` and whether a later SACK of the other
    side (same association: ports reversed) reaches their new cumulative TSN."""
    res = []
    for idx, (i, t, d, sp, dp, c) in enumerate(chunks):
        if d != direction or int(c["sctp.chunk_type"]) not in (192, 194):
            continue
        key = "sctp.forward_tsn_tsn" if int(c["sctp.chunk_type"]) == 192 else "sctp.i_forward_tsn_tsn"
        new = int(c[key])
        ok = False
        for (i2, t2, d2, sp2, dp2, c2) in chunks[idx + 1:]:
            if d2 != direction and sp2 == dp and dp2 == sp and int(c2["sctp.chunk_type"]) == 3:
                cum = int(c2.get("sctp.sack_cumulative_tsn_ack_raw", c2.get("sctp.sack_cumulative_tsn_ack", 0)))
                if ser_ge(cum, new):
                    ok = True
                    break
        streams = c.get("sctp.forward_tsn_sid", "")
        res.append((t, new, ok, sp, dp, streams))
    return res


ab = aborts()
if CASE == "prsctp":
    for direction, who in (("out", "ours"), ("in", "the kernel's")):
        f = acked_forward_tsns(direction)
        if not f:
            fails.append("no FORWARD-TSN of %s on the wire" % who)
        else:
            bad_f = [x for x in f if not x[2]]
            infos.append("%d FORWARD-TSN chunks of %s, %d acknowledged by a later SACK (first: new cum TSN %d, "
                         "ports %d->%d)" % (len(f), who, len(f) - len(bad_f), f[0][1], f[0][3], f[0][4]))
            if bad_f:
                fails.append("%d FORWARD-TSN of %s never acknowledged (first new cum TSN %d at %.3fs)"
                             % (len(bad_f), who, bad_f[0][1], bad_f[0][0]))
    for ty, name in ((1, "INIT"), (2, "INIT_ACK")):
        cs = [c for (_, _, _, _, _, c) in chunks if int(c["sctp.chunk_type"]) == ty]
        miss = [c for c in cs if not any(p["sctp.parameter_type"] == "0xc000" for p in params(c))]
        if not cs or miss:
            fails.append("%d of %d %s chunks without Forward-TSN-Supported" % (len(miss), len(cs), name))
    if ab:
        fails.append("%d ABORT chunks" % len(ab))
elif CASE == "reconf":
    results = {"out": Counter(), "in": Counter()}
    for (_, _, d, _, _, c) in chunks:
        if int(c["sctp.chunk_type"]) == 130:
            for p in params(c):
                if "sctp.parameter_reconfig_response_result" in p:
                    results[d][int(p["sctp.parameter_reconfig_response_result"])] += 1
    names = {0: "success-nothing-to-do", 1: "success-performed", 2: "denied", 3: "error-wrong-ssn",
             4: "error-request-in-progress", 5: "error-bad-seq", 6: "in-progress"}
    for d, who in (("out", "our"), ("in", "the kernel's")):
        infos.append("%s RE-CONFIG responses: %s" % (who, ", ".join(
            "%s %d" % (names.get(k, k), v) for k, v in sorted(results[d].items())) or "none"))
    if not per_dir["out"]["RE_CONFIG"] or not per_dir["in"]["RE_CONFIG"]:
        fails.append("RE-CONFIG not seen in both directions")
    if not results["in"][1]:
        fails.append("the kernel performed no request")
    if not results["in"][2]:
        fails.append("the kernel denied no request")
    if ab:
        fails.append("%d ABORT chunks" % len(ab))
elif CASE == "auth":
    # Per packet: its AUTH chunk (HMAC id, key id) and whether it carries
    # DATA. The kernel signs all its DATA (we ask it to); we sign ours to
    # the echoext server (port 11), which asks us to.
    for d, who in (("in", "the kernel's"), ("out", "our")):
        pk = defaultdict(lambda: [None, False, 0])
        for (i, _, d2, sp, dp, c) in chunks:
            if d2 != d:
                continue
            pk[i][2] = dp if d == "out" else sp
            ty = int(c["sctp.chunk_type"])
            if ty == 15:
                pk[i][0] = (int(c.get("sctp.hmac_id", -1)), int(c.get("sctp.shared_key_id", -1)))
            elif ty == 0:
                pk[i][1] = True
        data_pk = [v for v in pk.values() if v[1] and (d == "in" or v[2] == 11)]
        signed = [v for v in data_pk if v[0] is not None]
        kinds = Counter(v[0] for v in pk.values() if v[0] is not None)
        infos.append("%s packets with DATA%s: %d, with an AUTH chunk: %d; AUTH (hmac, key): %s" % (
            who, "" if d == "in" else " to port 11", len(data_pk), len(signed),
            ", ".join("%s x%d" % kv for kv in sorted(kinds.items()))))
        if not data_pk or len(signed) != len(data_pk):
            fails.append("%d of %s %d DATA packets without AUTH" % (len(data_pk) - len(signed), who, len(data_pk)))
    # ASCONF (0xC1) from us and ASCONF-ACK (0x80) from the kernel, each
    # behind an AUTH in its packet.
    for ty, d, name in ((193, "out", "our ASCONF"), (128, "in", "the kernel's ASCONF-ACK")):
        pk = set(i for (i, _, d2, _, _, c) in chunks if d2 == d and int(c["sctp.chunk_type"]) == ty)
        authed = set(i for (i, _, d2, _, _, c) in chunks if d2 == d and int(c["sctp.chunk_type"]) == 15)
        infos.append("%s: %d packets, %d of them with AUTH" % (name, len(pk), len(pk & authed)))
        if not pk or pk - authed:
            fails.append("%s missing or not authenticated" % name)
    if ab:
        fails.append("%d ABORT chunks" % len(ab))
elif CASE == "idata":
    for d, who in (("out", "ours"), ("in", "the kernel's")):
        first_fsn = Counter()
        seq = []
        for (_, _, d2, sp, dp, c) in chunks:
            if d2 != d or int(c["sctp.chunk_type"]) != 64:
                continue
            flags = int(c["sctp.chunk_flags"], 16)
            b, e = flags & 2, flags & 1
            key = (sp, dp, c["sctp.data_sid"], c["sctp.data_mid"], flags & 4)
            if not (b and e):
                seq.append((int(c["sctp.data_tsn_raw"]), key, b, e))
            if not b:
                first_fsn[key] = min(first_fsn.get(key, 1 << 32), int(c["sctp.data_fsn"]))
        lowest = Counter(first_fsn.values())
        infos.append("I-DATA %s: %d fragmented messages; lowest FSN after the first fragment: %s" % (
            who, len(first_fsn), ", ".join("FSN %d in %d messages" % kv for kv in sorted(lowest.items())) or "-"))
        seq.sort()
        open_msgs, inter = set(), 0
        for (tsn, key, b, e) in seq:
            if b:
                if open_msgs - {key}:
                    inter += 1
                open_msgs.add(key)
            if e:
                open_msgs.discard(key)
        infos.append("I-DATA %s: %d messages began while another one's fragments were still coming" % (who, inter))
    if not per_dir["out"]["I_DATA"] or not per_dir["in"]["I_DATA"]:
        fails.append("I-DATA not seen in both directions")
    for a in ab:
        infos.append(a)
else:
    data = "DATA"
    if CASE == "echo":
        # kt_echo sends PPIDs 0xA5xxxxxx (in network order, as the API wants)
        ppids = [int(c["sctp.data_payload_proto_id"]) for (_, _, d, _, _, c) in chunks
                 if d == "out" and int(c["sctp.chunk_type"]) == 0 and "sctp.data_payload_proto_id" in c]
        wrong = [p for p in ppids if p >> 24 != 0xA5]
        infos.append("%d DATA chunks to the kernel, %d with a PPID other than 0xA5xxxxxx on the wire"
                     % (len(ppids), len(wrong)))
        if wrong:
            fails.append("%d DATA chunks carry a PPID other than the one given (first 0x%08x)" % (len(wrong), wrong[0]))
    if not per_dir["out"][data] or not per_dir["in"][data]:
        fails.append("DATA not seen in both directions")
    # ECN (RFC 4960 appendix A): both stacks offer it by default.
    for ty, name in ((1, "INIT"), (2, "INIT_ACK")):
        for d, who in (("out", "our"), ("in", "the kernel's")):
            cs = [c for (_, _, d2, _, _, c) in chunks if d2 == d and int(c["sctp.chunk_type"]) == ty]
            miss = [c for c in cs if not any(p["sctp.parameter_type"] == "0x8000" for p in params(c))]
            if miss:
                fails.append("%d of %s %d %s chunks without ECN Capable" % (len(miss), who, len(cs), name))
            elif cs:
                infos.append("%s %d %s chunks carry ECN Capable" % (who, len(cs), name))
    if ab:
        fails.append("%d ABORT chunks" % len(ab))
if CASE != "idata":
    for a in ab[:5]:
        infos.append(a)

for i in infos:
    print("PCAP-INFO " + i)
if fails:
    print("PCAP FAIL %s: %s (%d SCTP packets)" % (CASE, "; ".join(fails), total))
    sys.exit(1)
print("PCAP PASS %s: %d SCTP packets, none malformed or flagged, every CRC32c verified" % (CASE, total))
