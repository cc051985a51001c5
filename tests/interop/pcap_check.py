#!/usr/bin/python3
"""pcap_check.py CSV SERVER_ADDR SERVER_PORT MIN_BYTES WANT_SUPER: checks tshark's dissection of
one TCP transfer (fields: ip.src, ipv6.src, srcport, dstport, flags, relative seq, ack, len) as a
textbook would draw it: SYN seq=0, SYN-ACK seq=0 ack=1, ACK seq=1 ack=1; the server's data in
order without gaps, at least MIN_BYTES; both FINs at the sequence number after their side's data,
each acknowledged (ack = FIN seq + 1). WANT_SUPER=1: some segment longer than 1460 bytes
(offloaded super-segments written whole). Exit 1 with the reasons otherwise."""
import sys

path, saddr, sport, min_bytes, want_super = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04
segs = []
for line in open(path):
    f = line.rstrip("\n").split(",")
    if len(f) < 8 or not f[2]:
        continue
    src = f[0] or f[1]
    from_server = src == saddr and int(f[2]) == sport
    to_server = int(f[3]) == sport
    if not (from_server or to_server):
        continue
    segs.append(dict(srv=from_server, flags=int(f[4], 16), seq=int(f[5]), ack=int(f[6] or 0), len=int(f[7] or 0)))

errors = []
def expect(cond, what):
    if not cond:
        errors.append(what)

expect(len(segs) >= 6, "fewer than 6 segments of the connection")
if len(segs) >= 3:
    s0, s1, s2 = segs[0], segs[1], segs[2]
    expect(not s0["srv"] and s0["flags"] & (SYN | ACK) == SYN and s0["seq"] == 0, "first segment is not the client's SYN seq=0: %s" % s0)
    expect(s1["srv"] and s1["flags"] & (SYN | ACK) == SYN | ACK and s1["seq"] == 0 and s1["ack"] == 1, "second is not SYN-ACK seq=0 ack=1: %s" % s1)
    expect(not s2["srv"] and s2["flags"] & (SYN | ACK) == ACK and s2["seq"] == 1 and s2["ack"] == 1, "third is not ACK seq=1 ack=1: %s" % s2)

nxt = {True: 1, False: 1}  # the next sequence number each side must send
fin_seq = {}
longest = 0
for s in segs[2:] if len(segs) >= 3 else []:  # the third may carry data (ACK + request)
    side = s["srv"]
    expect(not s["flags"] & RST, "a RST: %s" % s)
    if s["len"]:
        expect(s["seq"] == nxt[side], "%s data at seq %d, expected %d (gap or retransmission)" % ("server" if side else "client", s["seq"], nxt[side]))
        nxt[side] = max(nxt[side], s["seq"] + s["len"])
        longest = max(longest, s["len"])
    if s["flags"] & FIN:
        expect(s["seq"] + s["len"] == nxt[side], "FIN at seq %d, data ended at %d" % (s["seq"] + s["len"], nxt[side]))
        fin_seq[side] = s["seq"] + s["len"]
        nxt[side] = fin_seq[side] + 1
    # An ACK never acknowledges what the other side has not sent.
    if s["flags"] & ACK:
        expect(s["ack"] <= nxt[not side], "ack %d beyond what the other side sent (%d)" % (s["ack"], nxt[not side]))

expect(nxt[True] - 1 >= min_bytes, "the server sent %d bytes, fewer than %d" % (nxt[True] - 1, min_bytes))
for side in (True, False):
    name = "server" if side else "client"
    expect(side in fin_seq, "no FIN from the " + name)
    if side in fin_seq:
        expect(any(s["srv"] != side and s["flags"] & ACK and s["ack"] == fin_seq[side] + 1 for s in segs),
               "the %s's FIN (seq %d) is never acknowledged" % (name, fin_seq[side]))
if want_super:
    expect(longest > 1460, "no super-segment: the longest segment has %d bytes" % longest)
else:
    expect(longest <= 1460, "a segment of %d bytes on a plain device" % longest)

if errors:
    for e in errors[:20]:
        print("pcap_check:", e)
    sys.exit(1)
print("pcap_check: %d segments, server %d bytes, client %d bytes, longest %d, FINs at %s" %
      (len(segs), nxt[True] - 2, nxt[False] - 2, longest, fin_seq))
